// Differential: the SSSE3 UTF-8 check of the ingest path (validUtf8Prefix,
// toValidUtf8) against a plain byte-by-byte reading of RFC 3629 and against
// GLib's g_utf8_validate_len, which it must answer like. Every input is
// also checked at each offset of its first 16 bytes, so that sequences fall
// on every place of a 16-byte block.
#include "mime/TextDecoding.h"

#include <glib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace erpmail::mime;

namespace {

// The length of the valid sequence at text[at], 0 when there is none (a NUL
// byte counts as invalid, as for GLib).
std::size_t sequenceAt(std::string_view text, std::size_t at)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char c = byte(at);
    if (c == 0) return 0;
    if (c < 0x80) return 1;
    std::size_t length;
    std::uint32_t cp;
    if (c >= 0xC0 && c < 0xE0)
        length = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c < 0xF0)
        length = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c < 0xF8)
        length = 4, cp = c & 0x07;
    else
        return 0;
    if (text.size() - at < length) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(at + k) & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (byte(at + k) & 0x3F);
    }
    const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return length;
}

std::size_t referencePrefix(std::string_view text)
{
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t n = sequenceAt(text, at);
        if (n == 0) break;
        at += n;
    }
    return at;
}

std::string referenceRepair(std::string_view text)
{
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t n = sequenceAt(text, at);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++at;
        } else {
            out.append(text.substr(at, n));
            at += n;
        }
    }
    return out;
}

void compare(std::string_view text)
{
    const std::size_t ours = validUtf8Prefix(text);
    if (ours != referencePrefix(text)) std::abort();
    const gchar* end = nullptr;
    g_utf8_validate_len(text.data(), text.size(), &end);
    if (ours != static_cast<std::size_t>(end - text.data())) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (std::size_t shift = 0; shift < 16 && shift <= text.size(); ++shift)
        compare(text.substr(shift));
    const std::string repaired = toValidUtf8(std::string(text));
    if (validUtf8Prefix(repaired) != repaired.size()) std::abort();
    // Each invalid byte becomes one U+FFFD, in the reading GMime's callers expect.
    if (repaired != referenceRepair(text)) std::abort();
    return 0;
}
