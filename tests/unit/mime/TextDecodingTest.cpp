// The ingest path's own UTF-8 check and quoted-printable decoder must give
// exactly what GLib's and GMime's give: compared on hand-picked cases and on
// many random inputs built from the bytes that matter.
#include "mime/TextDecoding.h"

#include <gmime/gmime.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace erpmail::mime;

namespace {

std::size_t glibPrefix(const std::string& s)
{
    const gchar* end = nullptr;
    g_utf8_validate_len(s.data(), s.size(), &end);
    return static_cast<std::size_t>(end - s.data());
}

std::string gmimeQp(const std::string& s)
{
    std::string out(s.size() + 16, '\0');
    int state = 0;
    guint32 save = 0;
    out.resize(g_mime_encoding_quoted_decode_step(reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                                                  reinterpret_cast<unsigned char*>(out.data()), &state, &save));
    return out;
}

std::string ourQp(const std::string& s, std::size_t chunk)
{
    std::string out, pending;
    for (std::size_t at = 0; at < s.size(); at += chunk) {
        pending += s.substr(at, chunk);
        pending.erase(0, decodeQuotedPrintable(pending, false, out));
    }
    decodeQuotedPrintable(pending, true, out);
    return out;
}

std::string randomText(std::mt19937& rng, const std::string& alphabet, std::size_t maxLength)
{
    std::uniform_int_distribution<std::size_t> length(0, maxLength), pick(0, alphabet.size() - 1);
    std::string s(length(rng), '\0');
    for (auto& c : s) c = alphabet[pick(rng)];
    return s;
}

} // namespace

TEST(TextDecoding, Utf8PrefixMatchesGlibOnEdgeCases)
{
    const std::vector<std::string> cases = {
        "", "plain ASCII text, longer than eight bytes", "Grüezi Müller", "\xC3", "abc\xC3", "\xC0\x80", "\xC1\xBF",
        "\xE0\x80\x80", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xED\xA0\x80", "\xEF\xBF\xBD", "\xF0\x8F\xBF\xBF",
        "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\x80",
        std::string("12345678\0abc", 12), std::string("1234567\0", 8), "a\xE2\x82", "€uro ✓ 𝄞 ok"};
    for (const auto& s : cases) EXPECT_EQ(validUtf8Prefix(s), glibPrefix(s)) << "input of " << s.size() << " bytes";
}

TEST(TextDecoding, Utf8PrefixMatchesGlibOnRandomInput)
{
    std::mt19937 rng(20261127);
    std::string alphabet = "abcdefgh ";
    alphabet += std::string("\0", 1);
    for (int b : {0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4,
                  0xF5, 0xFF})
        alphabet += static_cast<char>(b);
    for (int i = 0; i < 50000; ++i) {
        std::string s = randomText(rng, alphabet, 40);
        ASSERT_EQ(validUtf8Prefix(s), glibPrefix(s)) << "case " << i;
    }
}

// Long runs of valid text of every sequence length with a rare bad byte:
// the block-wise check meets errors at every place in a block and sequences
// cut at every block boundary.
TEST(TextDecoding, Utf8PrefixMatchesGlibOnLongMostlyValidInput)
{
    std::mt19937 rng(1127);
    const std::vector<std::string> valid = {"a", " ", "\n", "\xC3\xBC", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xE2\x82\xAC",
                                            "\xED\x9F\xBF", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF0\x9D\x84\x9E",
                                            "\xF4\x8F\xBF\xBF"};
    const std::vector<std::string> invalid = {std::string("\0", 1), "\x80", "\xBF", "\xC0\x80", "\xC1", "\xC3", "\xE0\x80",
                                              "\xE2\x82", "\xED\xA0\x80", "\xF0\x8F", "\xF4\x90\x80\x80", "\xF5", "\xFF"};
    std::uniform_int_distribution<std::size_t> pickValid(0, valid.size() - 1), pickInvalid(0, invalid.size() - 1),
        length(0, 300), chance(0, 199);
    for (int i = 0; i < 20000; ++i) {
        std::string s;
        const std::size_t n = length(rng);
        while (s.size() < n) s += chance(rng) == 0 ? invalid[pickInvalid(rng)] : valid[pickValid(rng)];
        ASSERT_EQ(validUtf8Prefix(s), glibPrefix(s)) << "case " << i;
        // Cut at every length: a sequence cut at the end is not valid.
        if (i % 100 != 0) continue;
        for (std::size_t cut = 0; cut <= s.size(); ++cut)
            ASSERT_EQ(validUtf8Prefix(s.substr(0, cut)), glibPrefix(s.substr(0, cut))) << "case " << i << " cut " << cut;
    }
}

TEST(TextDecoding, InvalidBytesBecomeReplacementCharacters)
{
    EXPECT_EQ(toValidUtf8("Gr\xFC" "ezi"), "Gr\xEF\xBF\xBD" "ezi");
    EXPECT_EQ(toValidUtf8(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
    EXPECT_EQ(toValidUtf8("\xC3"), "\xEF\xBF\xBD");
    EXPECT_EQ(toValidUtf8("ok ✓"), "ok ✓");
}

TEST(TextDecoding, QuotedPrintableMatchesGMimeOnEdgeCases)
{
    const std::vector<std::string> cases = {
        "", "plain", "Gr=C3=BCezi", "gr=c3=bcezi", "soft=\r\nbreak", "soft=\nbreak", "=3D=3d", "=ZZ kept", "=4",
        "=", "a=\r", "==41", "=\r\r", "=\n", "line\r\nnext=20\r\n", "=G1=1G", "trailing space  \r\n"};
    for (const auto& s : cases) {
        std::string out;
        decodeQuotedPrintable(s, true, out);
        EXPECT_EQ(out, gmimeQp(s)) << "input '" << s << "'";
    }
}

TEST(TextDecoding, QuotedPrintableMatchesGMimeOnRandomInputInAnyChunking)
{
    std::mt19937 rng(4711);
    const std::string alphabet = "==========\r\n\r\n09afAFgz x\xC3\xBC";
    for (int i = 0; i < 20000; ++i) {
        std::string s = randomText(rng, alphabet, i % 10 == 0 ? 400 : 60);
        const std::string expected = gmimeQp(s);
        for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64}})
            ASSERT_EQ(ourQp(s, chunk), expected) << "case " << i << " in chunks of " << chunk;
    }
}
