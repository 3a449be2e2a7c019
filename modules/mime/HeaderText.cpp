#include "mime/HeaderText.h"

#include "mime/TextDecoding.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <mutex>

namespace erpmail::mime {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One B word on its own: its padding ends it, so the next word starts on a
// fresh quantum.
void appendBase64(std::string_view text, std::string& out)
{
    const std::size_t at = out.size();
    out.resize(at + text.size() / 4 * 3 + 3);
    int state = 0;
    guint32 save = 0;
    const std::size_t n =
        g_mime_encoding_base64_decode_step(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                           reinterpret_cast<unsigned char*>(&out[at]), &state, &save);
    out.resize(at + n);
}

// The text of a run of Q words, joined: an escape split between two words
// is decoded too.
void appendQ(std::string_view text, std::string& out)
{
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '_') {
            out += ' ';
        } else if (c == '=' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
            out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
}

struct EncodedWord {
    std::size_t begin = 0, end = 0; ///< in the unfolded text, "=?" to "?=" inclusive
    std::string charset;            ///< lower case, without an RFC 2231 language
    char encoding = 0;              ///< 'b' or 'q'
    std::string_view text;
};

// The encoded word starting at `at` ("=?"), if it is one.
std::optional<EncodedWord> encodedWordAt(std::string_view s, std::size_t at)
{
    const std::size_t charsetEnd = s.find('?', at + 2);
    if (charsetEnd == std::string_view::npos || charsetEnd == at + 2 || charsetEnd + 2 >= s.size()) return std::nullopt;
    if (s[charsetEnd + 2] != '?') return std::nullopt;
    const char encoding = static_cast<char>(std::tolower(static_cast<unsigned char>(s[charsetEnd + 1])));
    if (encoding != 'b' && encoding != 'q') return std::nullopt;
    const std::size_t textBegin = charsetEnd + 3;
    const std::size_t textEnd = s.find("?=", textBegin);
    if (textEnd == std::string_view::npos) return std::nullopt;
    EncodedWord w;
    w.begin = at;
    w.end = textEnd + 2;
    w.encoding = encoding;
    w.text = s.substr(textBegin, textEnd - textBegin);
    std::string_view charset = s.substr(at + 2, charsetEnd - at - 2);
    if (std::any_of(charset.begin(), charset.end(), isSpace) ||
        std::any_of(w.text.begin(), w.text.end(), [](char c) { return c == ' ' || c == '\t'; }))
        return std::nullopt;
    w.charset = lower(charset.substr(0, charset.find('*')));
    return w;
}

// Undoes folding: a line break followed by white space is that white space.
std::string unfold(std::string_view raw)
{
    std::string out;
    out.reserve(raw.size());
    for (char c : raw)
        if (c != '\r' && c != '\n') out += c;
    return out;
}

std::once_flag gmimeOnce;

} // namespace

std::string charsetToUtf8(std::string bytes, std::string charset)
{
    charset = lower(charset);
    if (charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii")
        return toValidUtf8(std::move(bytes));
    std::call_once(gmimeOnce, [] { g_mime_init(); });
    const char* canonical = g_mime_charset_iconv_name(charset.c_str());
    GIConv cd = g_iconv_open("UTF-8", canonical);
    if (cd == reinterpret_cast<GIConv>(-1)) return toValidUtf8(std::move(bytes));
    std::string out;
    char buffer[4096];
    gchar* in = const_cast<gchar*>(bytes.data());
    gsize inLeft = bytes.size();
    while (inLeft > 0) {
        gchar* outPtr = buffer;
        gsize outLeft = sizeof buffer;
        gsize rc = g_iconv(cd, &in, &inLeft, &outPtr, &outLeft);
        out.append(buffer, sizeof buffer - outLeft);
        if (rc == static_cast<gsize>(-1)) {
            if (errno == E2BIG) continue;
            out += "\xEF\xBF\xBD"; // EILSEQ or EINVAL: one undecodable byte
            ++in;
            --inLeft;
            g_iconv(cd, nullptr, nullptr, nullptr, nullptr);
        }
    }
    g_iconv_close(cd);
    return toValidUtf8(std::move(out));
}

namespace {

// Splits raw header text into literal text, `literal(text)`, and runs of
// adjacent encoded words of one charset, `run(charset, bytes)` with the
// bytes of all the run's words.
template <class Literal, class Run>
void scanEncodedWords(std::string_view raw, Literal literal, Run run)
{
    const std::string s = unfold(raw);
    std::string runCharset, runBytes, runQ;
    auto flushQ = [&] {
        appendQ(runQ, runBytes);
        runQ.clear();
    };
    auto flushRun = [&] {
        flushQ();
        if (!runBytes.empty()) run(runCharset, std::move(runBytes));
        runBytes.clear();
        runCharset.clear();
    };
    std::size_t pos = 0, literalFrom = 0;
    bool afterWord = false;
    while ((pos = s.find("=?", pos)) != std::string::npos) {
        const auto word = encodedWordAt(s, pos);
        if (!word) {
            pos += 2;
            continue;
        }
        const std::string_view between = std::string_view(s).substr(literalFrom, pos - literalFrom);
        if (!afterWord || !trim(between).empty()) {
            flushRun();
            literal(between);
        } else if (word->charset != runCharset) {
            flushRun();
        }
        runCharset = word->charset;
        if (word->encoding == 'q') {
            runQ.append(word->text);
        } else {
            flushQ();
            appendBase64(word->text, runBytes);
        }
        afterWord = true;
        pos = literalFrom = word->end;
    }
    flushRun();
    literal(std::string_view(s).substr(literalFrom));
}

} // namespace

std::string decodeHeaderText(std::string_view raw)
{
    std::string out;
    scanEncodedWords(
        raw, [&](std::string_view text) { out += toValidUtf8(std::string(text)); },
        [&](const std::string& charset, std::string bytes) { out += charsetToUtf8(std::move(bytes), charset); });
    return out;
}

std::string joinEncodedWords(std::string_view raw)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    scanEncodedWords(
        raw, [&](std::string_view text) { out += text; },
        [&](const std::string& charset, const std::string& bytes) {
            out += "=?" + charset + "?Q?";
            for (unsigned char c : bytes) {
                if (std::isalnum(c)) {
                    out += static_cast<char>(c);
                } else {
                    out += '=';
                    out += hex[c >> 4];
                    out += hex[c & 15];
                }
            }
            out += "?=";
        });
    return out;
}

namespace {

// Calls `visit(name, rawValue)` for each parameter after the first ';',
// the value still quoted as written. Stops when visit returns true.
template <class Visit> void forEachParameter(std::string_view value, Visit visit)
{
    std::size_t i = value.find(';');
    while (i != std::string_view::npos && i < value.size()) {
        ++i; // past ';'
        while (i < value.size() && isSpace(value[i]))
            ++i;
        const std::size_t nameBegin = i;
        while (i < value.size() && value[i] != '=' && value[i] != ';' && !isSpace(value[i]))
            ++i;
        const std::string_view name = value.substr(nameBegin, i - nameBegin);
        while (i < value.size() && isSpace(value[i]))
            ++i;
        if (i >= value.size() || value[i] != '=') {
            i = value.find(';', i);
            continue;
        }
        ++i;
        while (i < value.size() && isSpace(value[i]))
            ++i;
        std::string unquoted;
        if (i < value.size() && value[i] == '"') {
            for (++i; i < value.size() && value[i] != '"'; ++i) {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                if (value[i] != '\r' && value[i] != '\n') unquoted += value[i];
            }
            if (i < value.size()) ++i; // the closing quote
            i = value.find(';', i);
        } else {
            const std::size_t end = value.find(';', i);
            unquoted =
                std::string(trim(value.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
            i = end;
        }
        if (visit(name, std::move(unquoted))) return;
    }
}

} // namespace

std::optional<std::string> headerParameter(std::string_view value, std::string_view name)
{
    std::optional<std::string> found;
    forEachParameter(value, [&](std::string_view n, std::string v) {
        if (n.size() != name.size() || g_ascii_strncasecmp(n.data(), name.data(), n.size()) != 0) return false;
        found = std::move(v);
        return true;
    });
    return found;
}

bool hasExtendedParameter(std::string_view value, std::string_view name)
{
    bool found = false;
    forEachParameter(value, [&](std::string_view n, const std::string&) {
        found = n.size() > name.size() && n[name.size()] == '*' &&
                g_ascii_strncasecmp(n.data(), name.data(), name.size()) == 0;
        return found;
    });
    return found;
}

namespace {

std::string_view stripQuotes(std::string_view s)
{
    s = trim(s);
    while (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\'')))
        s = trim(s.substr(1, s.size() - 2));
    return s;
}

Address lenientAddress(std::string_view entry)
{
    Address a;
    entry = trim(entry);
    const std::size_t open = entry.rfind('<');
    const std::size_t close = open == std::string_view::npos ? open : entry.find('>', open);
    if (close != std::string_view::npos) {
        a.email = std::string(trim(entry.substr(open + 1, close - open - 1)));
        a.name = std::string(stripQuotes(std::string(entry.substr(0, open)) + std::string(entry.substr(close + 1))));
        return a;
    }
    // The last word with an '@' is the address, the rest the name.
    std::size_t end = entry.size();
    while (end > 0) {
        std::size_t begin = end;
        while (begin > 0 && !isSpace(entry[begin - 1]))
            --begin;
        std::string_view word = entry.substr(begin, end - begin);
        if (word.find('@') != std::string_view::npos) {
            const auto punct = [](char c) {
                return c == '(' || c == ')' || c == '<' || c == '>' || c == '"' || c == ',';
            };
            while (!word.empty() && punct(word.front()))
                word.remove_prefix(1);
            while (!word.empty() && punct(word.back()))
                word.remove_suffix(1);
            a.email = std::string(word);
            a.name = std::string(stripQuotes(std::string(entry.substr(0, begin)) + std::string(entry.substr(end))));
            return a;
        }
        end = begin;
        while (end > 0 && isSpace(entry[end - 1]))
            --end;
    }
    a.name = std::string(stripQuotes(entry));
    return a;
}

} // namespace

std::vector<Address> lenientAddresses(std::string_view decoded)
{
    std::vector<std::string_view> entries;
    bool eachHasAt = true;
    for (std::size_t from = 0;;) {
        const std::size_t comma = decoded.find(',', from);
        std::string_view entry = trim(decoded.substr(from, comma == std::string_view::npos ? comma : comma - from));
        if (!entry.empty()) {
            entries.push_back(entry);
            eachHasAt = eachHasAt && entry.find('@') != std::string_view::npos;
        }
        if (comma == std::string_view::npos) break;
        from = comma + 1;
    }
    if (entries.size() > 1 && !eachHasAt) entries = {trim(decoded)}; // a comma inside a name
    std::vector<Address> out;
    for (auto entry : entries) {
        Address a = lenientAddress(entry);
        if (!a.name.empty() || !a.email.empty()) out.push_back(std::move(a));
    }
    return out;
}

} // namespace erpmail::mime
