#include "mime/TextDecoding.h"

#include <cstdint>
#include <cstring>

namespace erpmail::mime {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
constexpr std::uint64_t kLowBits = 0x0101010101010101ULL;

std::uint64_t load8(const void* p)
{
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

// A high bit in the lowest byte of `w` (in memory order, little-endian)
// that is not ASCII or is NUL; zero when all eight are plain ASCII. Only the
// lowest flag is exact, which is the one used.
std::uint64_t notPlainAscii(std::uint64_t w)
{
    return (w | ((w - kLowBits) & ~w)) & kHighBits;
}

// The same for bytes equal to '='.
std::uint64_t equalsSigns(std::uint64_t w)
{
    const std::uint64_t x = w ^ 0x3D3D3D3D3D3D3D3DULL;
    return (x - kLowBits) & ~x & kHighBits;
}

std::size_t firstFlagged(std::uint64_t mask)
{
    return static_cast<std::size_t>(__builtin_ctzll(mask)) / 8;
}

// Hexadecimal digit values, -1 for any other byte.
struct HexTable {
    signed char value[256];
    constexpr HexTable() : value()
    {
        for (int i = 0; i < 256; ++i) value[i] = -1;
        for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<signed char>(i);
        for (int i = 0; i < 6; ++i) {
            value['A' + i] = static_cast<signed char>(10 + i);
            value['a' + i] = static_cast<signed char>(10 + i);
        }
    }
};
constexpr HexTable kHex;

int hexValue(unsigned char c)
{
    return kHex.value[c];
}

} // namespace

std::size_t validUtf8Prefix(std::string_view text)
{
    const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = begin + text.size();
    const unsigned char* p = begin;
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "word scans assume little-endian");
    while (p < end) {
        if (end - p >= 8) {
            if (const std::uint64_t flags = notPlainAscii(load8(p))) {
                p += firstFlagged(flags);
            } else {
                p += 8;
                continue;
            }
        }
        const unsigned char c = *p;
        if (c < 0x80) {
            if (c == 0) break;
            ++p;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80) { // the common case: Latin letters
            p += 2;
            continue;
        }
        // Lead byte: how many continuation bytes, and the range of the first
        // of them (excludes overlong forms, surrogates and beyond U+10FFFF).
        std::ptrdiff_t more = 0;
        unsigned char low = 0x80, high = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0) low = 0xA0;
            if (c == 0xED) high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0) low = 0x90;
            if (c == 0xF4) high = 0x8F;
        } else {
            break;
        }
        if (end - p <= more || p[1] < low || p[1] > high) break;
        bool ok = true;
        for (std::ptrdiff_t k = 2; k <= more; ++k) ok = ok && (p[k] & 0xC0) == 0x80;
        if (!ok) break;
        p += more + 1;
    }
    return static_cast<std::size_t>(p - begin);
}

std::string toValidUtf8(std::string text)
{
    std::size_t valid = validUtf8Prefix(text);
    if (valid == text.size()) return text;
    std::string out;
    out.reserve(text.size() + 16);
    std::string_view rest(text);
    for (;;) {
        out.append(rest.substr(0, valid));
        rest.remove_prefix(valid);
        if (rest.empty()) break;
        out += "\xEF\xBF\xBD";
        rest.remove_prefix(1);
        valid = validUtf8Prefix(rest);
    }
    return out;
}

std::size_t decodeQuotedPrintable(std::string_view in, bool last, std::string& out)
{
    const std::size_t start = out.size();
    out.resize(start + in.size()); // decoding never grows the text
    char* o = out.data() + start;
    const char* p = in.data();
    const char* const end = p + in.size();
    while (p < end) {
        // Copies eight bytes at a time up to the next '='. The output never
        // runs ahead of the input, so the eight bytes always fit.
        if (end - p >= 8) {
            const std::uint64_t w = load8(p);
            std::memcpy(o, &w, sizeof w);
            const std::uint64_t eq = equalsSigns(w);
            if (!eq) {
                p += 8;
                o += 8;
                continue;
            }
            const std::size_t k = firstFlagged(eq);
            p += k;
            o += k;
        } else if (*p != '=') {
            *o++ = *p++;
            continue;
        }
        if (end - p >= 2 && p[1] == '\n') { // soft break, Unix end of line
            p += 2;
            continue;
        }
        if (end - p < 3) {
            if (last) p = end;
            break;
        }
        const auto c1 = static_cast<unsigned char>(p[1]), c2 = static_cast<unsigned char>(p[2]);
        p += 3;
        const int hi = hexValue(c1), lo = hexValue(c2);
        if (hi >= 0 && lo >= 0) {
            *o++ = static_cast<char>(hi << 4 | lo);
        } else if (c1 != '\r' || c2 != '\n') { // not a soft break: kept as it is
            *o++ = '=';
            *o++ = static_cast<char>(c1);
            *o++ = static_cast<char>(c2);
        }
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
    return static_cast<std::size_t>(p - in.data());
}

} // namespace erpmail::mime
