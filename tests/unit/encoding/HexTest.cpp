#include "encoding/Hex.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

using erpmail::encoding::hexOf;

TEST(Hex, EveryByteIsTwoLowercaseDigitsAsPrintfWritesThem)
{
    std::string bytes, expected;
    for (int b = 0; b < 256; ++b) {
        bytes += static_cast<char>(b);
        char two[3];
        std::snprintf(two, sizeof two, "%02x", b);
        expected += two;
    }
    EXPECT_EQ(hexOf(bytes), expected);
    EXPECT_EQ(hexOf(bytes.data() + 250, 6), "fafbfcfdfeff");
    EXPECT_EQ(hexOf(std::string()), "");
}
