// Repairs of the bytes of broken mail before or while GMime reads it: header
// fields over the limit cut, missing blank lines after header blocks put
// back, a multipart's boundary found in its body.
#include "mime/MessageRepairs.h"

#include "mime/TextDecoding.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace erpmail::mime {

namespace {

struct HeaderField {
    std::size_t begin, end; ///< in the message, end after the line end of its last line
    std::size_t length;     ///< as it counts against the limit: each line with CRLF
};

// The fields of the message's top-level header block.
std::vector<HeaderField> topHeaderFields(std::string_view raw)
{
    std::vector<HeaderField> fields;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t eol = raw.find('\n', pos);
        std::size_t next = eol == std::string_view::npos ? raw.size() : eol + 1;
        std::string_view line = raw.substr(pos, (eol == std::string_view::npos ? raw.size() : eol) - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break; // end of the header block
        if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
            fields.back().end = next;
            fields.back().length += line.size() + 2;
        } else {
            fields.push_back({pos, next, line.size() + 2});
        }
        pos = next;
    }
    return fields;
}

} // namespace

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

// Each top-level header field over `limit` cut to it, so that the rest of
// the message is still read; empty when none is over.
std::string cutLongHeaders(std::string_view raw, std::size_t limit, std::vector<std::string>& warnings)
{
    std::string cut;
    std::size_t copied = 0;
    for (const auto& field : topHeaderFields(raw)) {
        if (field.length <= limit) continue;
        std::string_view text = raw.substr(field.begin, field.end - field.begin);
        const std::string name(trimmed(text.substr(0, std::min<std::size_t>(text.find(':'), 100))));
        const bool crlf = text.size() >= 2 && text.substr(text.size() - 2) == "\r\n";
        std::string_view kept = text.substr(0, limit > 2 ? limit - 2 : 0);
        while (!kept.empty() && (static_cast<unsigned char>(kept.back()) & 0xC0) == 0x80)
            kept.remove_suffix(1);
        if (!kept.empty() && static_cast<unsigned char>(kept.back()) >= 0xC0) kept.remove_suffix(1);
        while (!kept.empty() && std::isspace(static_cast<unsigned char>(kept.back())))
            kept.remove_suffix(1);
        cut.append(raw.substr(copied, field.begin - copied));
        cut.append(kept);
        cut.append(crlf ? "\r\n" : "\n");
        copied = field.end;
        warnings.push_back("the header " + toValidUtf8(std::string(name.c_str())) + " of " + std::to_string(field.length) +
                           " bytes exceeds the limit of " + std::to_string(limit) + " and was cut to it");
    }
    if (copied == 0) return {};
    cut.append(raw.substr(copied));
    return cut;
}

// A boundary a multipart's body uses although its header does not say so
// (missing, or cut short): the first "--x" line, when "--x" recurs.
std::string boundaryInBody(std::string_view body)
{
    for (std::size_t pos = 0; pos < body.size();) {
        const std::size_t eol = body.find('\n', pos);
        if (eol == std::string_view::npos) break; // a boundary that does not recur
        const std::string_view line = trimmed(body.substr(pos, eol - pos));
        pos = eol + 1;
        if (line.size() <= 2 || line.size() > 72 || line.substr(0, 2) != "--") continue;
        const std::string_view candidate = line.substr(2);
        const bool bchars = std::all_of(candidate.begin(), candidate.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("'()+_,-./:=? ", c);
        });
        if (bchars && body.find("\n--" + std::string(candidate), eol) != std::string_view::npos)
            return std::string(candidate);
    }
    return {};
}

// Where a header block runs into its content without the blank line: the
// first line GMime skipped as not a header field, when no header field
// follows it in the block (a line starting with "--" always starts content:
// a boundary or text). Offsets into `bytes`, ascending.
std::vector<std::size_t> missingBlankLines(std::string_view bytes, std::vector<std::size_t> notHeaders)
{
    std::sort(notHeaders.begin(), notHeaders.end());
    auto isNotHeader = [&](std::size_t at) { return std::binary_search(notHeaders.begin(), notHeaders.end(), at); };
    auto lineEnd = [&](std::size_t at) {
        const std::size_t eol = bytes.find('\n', at);
        return eol == std::string_view::npos ? bytes.size() : eol + 1;
    };
    std::vector<std::size_t> at;
    std::size_t blockEnd = 0;
    for (std::size_t start : notHeaders) {
        if (start < blockEnd || start >= bytes.size()) continue;
        bool headerFollows = false;
        std::size_t pos = lineEnd(start);
        while (pos < bytes.size()) {
            const std::string_view line = bytes.substr(pos, lineEnd(pos) - pos);
            if (trimmed(line).empty() && line.find_first_not_of("\r\n") == std::string_view::npos) break;
            if (line.substr(0, 2) == "--" && !isNotHeader(pos)) break; // a boundary ends the block
            if (!isNotHeader(pos) && line[0] != ' ' && line[0] != '\t') {
                headerFollows = true;
                break;
            }
            pos = lineEnd(pos);
        }
        blockEnd = pos;
        if (!headerFollows || bytes.substr(start, 2) == "--") at.push_back(start);
    }
    return at;
}

std::string withBlankLines(std::string_view input, const std::vector<std::size_t>& missing)
{
    std::string out;
    std::size_t copied = 0;
    for (std::size_t at : missing) {
        out.append(input.substr(copied, at - copied));
        const std::size_t eol = input.find('\n', at);
        out += eol != std::string_view::npos && eol > at && input[eol - 1] == '\r' ? "\r\n" : "\n";
        copied = at;
    }
    out.append(input.substr(copied));
    return out;
}

std::size_t delimiterLinesEnd(std::string_view bytes, std::size_t most)
{
    // Every received mail passes here: memmem goes from one "\n--" to the
    // next instead of stopping at every line.
    std::size_t seen = 0;
    if (bytes.size() >= 2 && bytes[0] == '-' && bytes[1] == '-' && ++seen > most) return 0;
    const char* const begin = bytes.data();
    const char* const end = begin + bytes.size();
    for (const char* p = begin; p < end;) {
        const void* hit = memmem(p, static_cast<std::size_t>(end - p), "\n--", 3);
        if (!hit) break;
        const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - begin) + 1;
        if (++seen > most) return at;
        p = begin + at;
    }
    return std::string_view::npos;
}

} // namespace erpmail::mime
