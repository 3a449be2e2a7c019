#include "mime/TextDecoding.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define ERPMAIL_X86_SIMD 1
#endif

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

#if ERPMAIL_X86_SIMD
// Validates whole blocks of 16 bytes with table lookups (the algorithm of
// Keiser and Lemire, "Validating UTF-8 In Less Than One Instruction Per
// Byte", 2021): each byte is classified together with the one before it,
// and bytes that must continue a three- or four-byte sequence are checked
// against the lead two or three bytes back. Returns where the first block
// with an error (or a NUL byte) begins, or where fewer than 16 bytes are
// left; a sequence cut at that point is left to the caller.
__attribute__((target("ssse3"))) std::size_t validBlocksSsse3(const unsigned char* text, std::size_t size)
{
    constexpr char kTooShort = 1 << 0, kTooLong = 1 << 1, kOverlong3 = 1 << 2, kTooLarge = 1 << 3,
                   kSurrogate = 1 << 4, kOverlong2 = 1 << 5, kTooLarge1000 = 1 << 6, kOverlong4 = 1 << 6;
    constexpr char kTwoConts = static_cast<char>(1 << 7);
    constexpr char kCarry = kTooShort | kTooLong | kTwoConts;
    constexpr char kLarge = kCarry | kTooLarge | kTooLarge1000;
    // By the high nibble of the byte before.
    const __m128i byte1High = _mm_setr_epi8(kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,
                                            kTooLong, kTwoConts, kTwoConts, kTwoConts, kTwoConts, kTooShort | kOverlong2,
                                            kTooShort, kTooShort | kOverlong3 | kSurrogate,
                                            kTooShort | kTooLarge | kTooLarge1000 | kOverlong4);
    // By the low nibble of the byte before.
    const __m128i byte1Low = _mm_setr_epi8(kCarry | kOverlong3 | kOverlong2 | kOverlong4, kCarry | kOverlong2, kCarry,
                                           kCarry, kCarry | kTooLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge,
                                           kLarge, kLarge, kLarge | kSurrogate, kLarge, kLarge);
    // By the high nibble of the byte itself.
    const __m128i byte2High = _mm_setr_epi8(
        kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
        kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4,
        kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge, kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
        kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge, kTooShort, kTooShort, kTooShort, kTooShort);
    // A lead byte in the last three places of a block expects more bytes.
    const __m128i unfinished = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                             static_cast<char>(0xF0 - 1), static_cast<char>(0xE0 - 1),
                                             static_cast<char>(0xC0 - 1));
    const __m128i nibble = _mm_set1_epi8(0x0F), zero = _mm_setzero_si128();
    __m128i prev = zero;
    std::size_t at = 0;
    for (; size - at >= 16; at += 16) {
        const __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
        __m128i error = _mm_cmpeq_epi8(in, zero);
        if (_mm_movemask_epi8(in) == 0) {
            error = _mm_or_si128(error, _mm_subs_epu8(prev, unfinished));
        } else {
            const __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
            const __m128i special = _mm_and_si128(
                _mm_and_si128(_mm_shuffle_epi8(byte1High, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble)),
                              _mm_shuffle_epi8(byte1Low, _mm_and_si128(prev1, nibble))),
                _mm_shuffle_epi8(byte2High, _mm_and_si128(_mm_srli_epi16(in, 4), nibble)));
            const __m128i third = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 14), _mm_set1_epi8(0xE0 - 0x80));
            const __m128i fourth = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 13), _mm_set1_epi8(0xF0 - 0x80));
            const __m128i mustContinue = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
            error = _mm_or_si128(error, _mm_xor_si128(mustContinue, special));
        }
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(error, zero)) != 0xFFFF) break;
        prev = in;
    }
    return at;
}

const bool kHaveSsse3 = __builtin_cpu_supports("ssse3");
#endif

} // namespace

std::size_t validUtf8Prefix(std::string_view text)
{
    const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = begin + text.size();
    const unsigned char* p = begin;
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "word scans assume little-endian");
#if ERPMAIL_X86_SIMD
    if (kHaveSsse3 && text.size() >= 16) {
        // Up to where the blocks are valid, less a sequence that may be cut
        // there: the scalar loop below takes over at its lead byte.
        p += validBlocksSsse3(begin, text.size());
        for (int back = 0; back < 3 && p > begin && (p[-1] & 0xC0) == 0x80; ++back) --p;
        if (p > begin && p[-1] >= 0xC0) --p;
    }
#endif
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
        // Copies a block at a time up to the next '='. The output never runs
        // ahead of the input, so a block always fits.
#if ERPMAIL_X86_SIMD
        if (end - p >= 16) {
            const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o), block);
            const auto eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8('='))));
            if (!eq) {
                p += 16;
                o += 16;
                continue;
            }
            const auto k = static_cast<unsigned>(__builtin_ctz(eq));
            p += k;
            o += k;
        } else
#endif
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
        // At '=': most often an escape, often several in a row (the bytes of
        // one character).
        while (end - p >= 3 && *p == '=') {
            const int hi = hexValue(static_cast<unsigned char>(p[1])), lo = hexValue(static_cast<unsigned char>(p[2]));
            if ((hi | lo) < 0) break;
            *o++ = static_cast<char>(hi << 4 | lo);
            p += 3;
        }
        if (p == end || *p != '=') continue;
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
        if (c1 != '\r' || c2 != '\n') { // not a soft break: kept as it is
            *o++ = '=';
            *o++ = static_cast<char>(c1);
            *o++ = static_cast<char>(c2);
        }
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
    return static_cast<std::size_t>(p - in.data());
}

} // namespace erpmail::mime
