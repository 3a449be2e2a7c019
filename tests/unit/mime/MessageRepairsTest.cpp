#include "mime/MessageRepairs.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

using erpmail::mime::delimiterLinesEnd;

namespace {

// The plain reading: line by line, counting the lines that begin with "--".
std::size_t lineByLine(std::string_view bytes, std::size_t most)
{
    std::size_t seen = 0;
    for (std::size_t at = 0; at + 1 < bytes.size();) {
        if (bytes[at] == '-' && bytes[at + 1] == '-' && ++seen > most) return at;
        const std::size_t eol = bytes.find('\n', at);
        if (eol == std::string_view::npos) break;
        at = eol + 1;
    }
    return std::string_view::npos;
}

} // namespace

TEST(MessageRepairs, DelimiterLinesEndAgreesWithTheLineByLineReading)
{
    std::mt19937 random(7);
    const char alphabet[] = {'-', '-', '-', '\n', '\n', '\r', 'a', ' '};
    for (int round = 0; round < 20000; ++round) {
        std::string bytes(random() % 40, ' ');
        for (char& c : bytes) c = alphabet[random() % sizeof alphabet];
        for (std::size_t most : {0, 1, 2, 5}) {
            ASSERT_EQ(delimiterLinesEnd(bytes, most), lineByLine(bytes, most)) << most << " in " << bytes;
        }
    }
    EXPECT_EQ(delimiterLinesEnd("--a\n--b\n--c", 3), std::string_view::npos);
    EXPECT_EQ(delimiterLinesEnd("--a\n--b\n--c", 2), 8u);
    EXPECT_EQ(delimiterLinesEnd("--a\n--b\n--c", 1), 4u);
    EXPECT_EQ(delimiterLinesEnd("--", 0), 0u);
    EXPECT_EQ(delimiterLinesEnd("x\n-", 0), std::string_view::npos);
}
