#include "certificate/MimeEntity.h"

#include <Poco/String.h>

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace erpmail::smime {

std::size_t findText(std::string_view text, std::string_view needle, std::size_t from)
{
    if (from > text.size()) return std::string_view::npos;
    if (needle.empty()) return from;
    const void* at = memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
    return at ? static_cast<std::size_t>(static_cast<const char*>(at) - text.data()) : std::string_view::npos;
}

bool crlfOnly(std::string_view text)
{
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    if (n == 0) return true;
    if (p[0] == '\n' || p[n - 1] == '\r') return false;
    // Each pair of neighbours: a CR before exactly where an LF is.
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    for (; i + 17 <= n; i += 16) {
        const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
        if (_mm_movemask_epi8(_mm_xor_si128(_mm_cmpeq_epi8(here, cr), _mm_cmpeq_epi8(next, lf))) != 0) return false;
    }
#endif
    for (; i + 1 < n; ++i)
        if ((p[i] == '\r') != (p[i + 1] == '\n')) return false;
    return true;
}

Headers readHeaders(const std::string& s)
{
    Headers h;
    std::size_t at = 0;
    while (at < s.size()) {
        std::size_t eol = s.find('\n', at);
        if (eol == std::string::npos) eol = s.size();
        std::string line = s.substr(at, eol - at);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        at = eol + 1;
        if (line.empty()) {
            h.bodyAt = std::min(at, s.size());
            return h;
        }
        if ((line[0] == ' ' || line[0] == '\t') && !h.fields.empty()) {
            h.fields.back().second += line;
            continue;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        h.fields.emplace_back(line.substr(0, colon), Poco::trim(line.substr(colon + 1)));
    }
    h.bodyAt = s.size();
    return h;
}

std::string field(const Headers& h, const std::string& name)
{
    for (const auto& [n, v] : h.fields)
        if (Poco::icompare(n, name) == 0) return v;
    return {};
}

std::string parameter(const std::string& value, const std::string& name)
{
    // RFC 2045 section 5.1: ";" name "=" (token / quoted-string), with
    // quoted strings honoured, so that a "boundary=" inside another
    // parameter's quotes is not taken for the boundary. A parameter given
    // twice has no single reading and counts as absent.
    std::optional<std::string> found;
    std::size_t at = value.find(';');
    while (at != std::string::npos && at < value.size()) {
        ++at;
        while (at < value.size() && std::isspace(static_cast<unsigned char>(value[at]))) ++at;
        const std::size_t eq = value.find_first_of("=;", at);
        if (eq == std::string::npos) break;
        if (value[eq] == ';') {
            at = eq;
            continue;
        }
        const std::string key = Poco::trim(value.substr(at, eq - at));
        std::size_t v = eq + 1;
        while (v < value.size() && std::isspace(static_cast<unsigned char>(value[v]))) ++v;
        std::string text;
        if (v < value.size() && value[v] == '"') {
            for (++v; v < value.size() && value[v] != '"'; ++v) {
                if (value[v] == '\\' && v + 1 < value.size()) ++v;
                text += value[v];
            }
            at = value.find(';', v);
        } else {
            const std::size_t end = value.find(';', v);
            text = Poco::trim(value.substr(v, end == std::string::npos ? std::string::npos : end - v));
            at = end;
        }
        if (Poco::icompare(key, name) == 0) {
            if (found) return {};
            found = text;
        }
    }
    return found.value_or("");
}

std::string mediaType(const std::string& contentType)
{
    return Poco::toLower(Poco::trim(contentType.substr(0, contentType.find(';'))));
}

namespace {

/// Calls `part` with each part of a multipart entity, up to maxParts, as
/// views into `entity`.
template <class Part>
void eachPart(const std::string& entity, std::size_t maxParts, Part part)
{
    const Headers h = readHeaders(entity);
    const std::string type = field(h, "Content-Type");
    if (mediaType(type).compare(0, 10, "multipart/") != 0) return;
    const std::string boundary = parameter(type, "boundary");
    if (boundary.empty()) return;
    const std::string_view body = std::string_view(entity).substr(std::min(h.bodyAt, entity.size()));
    const std::string delimiter = "\r\n--" + boundary;
    // The first delimiter may open the body without a CRLF before it.
    std::size_t at =
        body.compare(0, delimiter.size() - 2, std::string_view(delimiter).substr(2)) == 0 ? 0 : findText(body, delimiter);
    if (at == std::string::npos) return;
    at += at == 0 && body.compare(0, 2, "\r\n") != 0 ? delimiter.size() - 2 : delimiter.size();
    for (std::size_t found = 0; found < maxParts; ++found) {
        if (body.compare(at, 2, "--") == 0) break; // the close delimiter
        const std::size_t lineEnd = body.find("\r\n", at);
        if (lineEnd == std::string::npos) break;
        const std::size_t start = lineEnd + 2;
        const std::size_t next = findText(body, delimiter, start);
        if (next == std::string::npos) break;
        part(body.substr(start, next - start));
        at = next + delimiter.size();
    }
}

} // namespace

std::vector<std::string> multipartParts(const std::string& entity, std::size_t maxParts)
{
    std::vector<std::string> parts;
    eachPart(entity, maxParts, [&](std::string_view p) { parts.emplace_back(p); });
    return parts;
}

} // namespace erpmail::smime
