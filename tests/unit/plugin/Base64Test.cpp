#include "erpmail/Base64.h"

#include <gtest/gtest.h>

using erpmail::decodeBase64;
using erpmail::fromBase64Param;
using erpmail::OperationError;
using erpmail::toBase64;

TEST(Base64, RoundTripsEveryByteValueAndEveryPaddingLength)
{
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    for (std::size_t n = 0; n <= all.size(); ++n) {
        const std::string bytes = all.substr(all.size() - n);
        EXPECT_EQ(decodeBase64(toBase64(bytes)), bytes) << n;
    }
    EXPECT_EQ(decodeBase64(""), "");
}

TEST(Base64, SkipsTheLineBreaksMimeWrites)
{
    EXPECT_EQ(decodeBase64("SGVs\r\nbG8g\nV2\t9y bGQ=\r\n"), "Hello World");
}

TEST(Base64, RefusesTextThatIsNotBase64InsteadOfDecodingItToNothing)
{
    for (const std::string bad : {"!!!!", "not base64!", "SGVsbG8=garbage", "SGVsbG8",
                                  "SGVsbA=", "S===", "====", "=SGV", "SGVsbG8==", "SG-_", "Zm9v\xC3\xA4"})
        EXPECT_FALSE(decodeBase64(bad)) << bad;
    EXPECT_FALSE(decodeBase64(std::string("SGVs\0bG8=", 9)));
}

TEST(Base64, ParameterErrorsNameTheField)
{
    try {
        fromBase64Param("%%%%", "attachments[0].base64");
        FAIL() << "accepted";
    } catch (const OperationError& e) {
        EXPECT_EQ(e.code(), "invalid_params");
        EXPECT_EQ(e.field(), "attachments[0].base64");
    }
}
