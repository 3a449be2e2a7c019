#include "certificate/MimeEntity.h"

#include <gtest/gtest.h>

using erpmail::smime::parameter;

TEST(MimeEntity, ParameterReadsTokensAndQuotedStrings)
{
    EXPECT_EQ(parameter("multipart/signed; boundary=abc; micalg=sha-256", "boundary"), "abc");
    EXPECT_EQ(parameter("multipart/signed;\tBoundary = \"a b;c\" ; micalg=sha-256", "boundary"), "a b;c");
    EXPECT_EQ(parameter("multipart/signed; boundary=\"a\\\"b\"", "boundary"), "a\"b");
    EXPECT_EQ(parameter("multipart/signed; micalg=sha-256", "boundary"), "");
}

// A boundary hidden in another parameter's quotes is no boundary: the
// verifier and GMime, which shows the mail, must split it the same way
// (a forged "valid" came of reading "boundary=" anywhere in the field).
TEST(MimeEntity, BoundaryInsideAnotherParametersQuotesIsNotTheBoundary)
{
    EXPECT_EQ(parameter("multipart/signed; protocol=\"x; boundary=EVIL\"; boundary=REAL", "boundary"), "REAL");
    EXPECT_EQ(parameter("multipart/signed; x-note=\"boundary=EVIL\"", "boundary"), "");
}

TEST(MimeEntity, AParameterGivenTwiceHasNoReading)
{
    EXPECT_EQ(parameter("multipart/signed; boundary=ONE; boundary=TWO", "boundary"), "");
}

// The one-pass canonical check against the plain reading of it (every LF
// after a CR, every CR before an LF), on strings made of the bytes that
// matter, at every length around the 16-byte blocks and their tails.
TEST(MimeEntity, CrlfOnlyAgreesWithThePlainReadingAtEveryLength)
{
    auto plain = [](const std::string& s) {
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
            if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
        }
        return true;
    };
    unsigned seed = 12345;
    auto next = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
    const char alphabet[] = {'a', '\r', '\n', 'z', '\r'};
    int canonical = 0;
    for (int round = 0; round < 20000; ++round) {
        const std::size_t n = next() % 70;
        std::string s;
        for (std::size_t i = 0; i < n; ++i) {
            // Mostly CRLF pairs and text, so that canonical strings come up too.
            if (next() % 3 == 0) s += "\r\n";
            else s += next() % 8 == 0 ? alphabet[next() % 5] : 'x';
        }
        ASSERT_EQ(erpmail::smime::crlfOnly(s), plain(s)) << "input of " << s.size() << " bytes, round " << round;
        canonical += plain(s);
    }
    EXPECT_GT(canonical, 1000);
    EXPECT_TRUE(erpmail::smime::crlfOnly(""));
    EXPECT_FALSE(erpmail::smime::crlfOnly(std::string(40, 'a') + "\n" + std::string(40, 'b')));
    EXPECT_FALSE(erpmail::smime::crlfOnly(std::string(40, 'a') + "\r" + std::string(40, 'b')));
    EXPECT_FALSE(erpmail::smime::crlfOnly(std::string(31, 'a') + "\r"));
    EXPECT_FALSE(erpmail::smime::crlfOnly("\n" + std::string(31, 'a')));
    EXPECT_TRUE(erpmail::smime::crlfOnly(std::string(15, 'a') + "\r\n" + std::string(15, 'b') + "\r\n"));
}

TEST(MimeEntity, FindTextFindsWhatFindFinds)
{
    const std::string body = "a\r\nb\r\n--bound\r\nc\r\n--boundary\r\nd\r\n--boundary--\r\n";
    for (const std::string needle : {"\r\n--boundary", "\r\n--boundary--", "--bound", "x", "\r\n", ""})
        for (std::size_t from = 0; from <= body.size() + 1; ++from)
            EXPECT_EQ(erpmail::smime::findText(body, needle, from), std::string_view(body).find(needle, from))
                << "needle " << needle << " from " << from;
}
