// serverText: what a server says is quoted on one line, whatever it holds.
#include "transport/common/ServerText.h"

#include <gtest/gtest.h>

#include <string>

using erpmail::transport::serverText;

TEST(ServerText, LineBreaksInAServerReplyCannotStartAForgedLogLine)
{
    const std::string reply = "535 5.7.8 no\r\n2026-01-01T00:00:00Z info erpmail.outbox: <x> sent";
    const std::string quoted = serverText(reply);
    EXPECT_EQ(quoted, "535 5.7.8 no\\r\\n2026-01-01T00:00:00Z info erpmail.outbox: <x> sent");
    EXPECT_EQ(quoted.find_first_of("\r\n"), std::string::npos);
}

TEST(ServerText, EveryControlCharacterIsEscapedAndTextStaysAsItIs)
{
    EXPECT_EQ(serverText(std::string("a\0b\x1b[2Jc\x7f\td", 11)), "a\\x00b\\x1B[2Jc\\x7F\\td");
    EXPECT_EQ(serverText("Grüße, Zoë – 5.7.1 \\n"), "Grüße, Zoë – 5.7.1 \\n");
}

TEST(ServerText, LongTextIsCutAtACharacterBoundary)
{
    EXPECT_EQ(serverText("abcdef", 4), "abcd...");
    EXPECT_EQ(serverText("abcü", 4), "abc..."); // ü is two bytes: not cut in half
    EXPECT_EQ(serverText("abcd", 4), "abcd");
}
