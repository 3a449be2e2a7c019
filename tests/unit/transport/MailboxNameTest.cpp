// Modified UTF-7 mailbox names (RFC 3501 section 5.1.3), both ways.
#include "transport/common/LineChannel.h"
#include "transport/imap/MailboxName.h"

#include <gtest/gtest.h>

using namespace erpmail::transport;

TEST(MailboxName, EncodesAndDecodesTheNamesClerksUse)
{
    const std::pair<const char*, const char*> cases[] = {
        {"INBOX", "INBOX"},
        {"Gesendete Elemente", "Gesendete Elemente"},
        {"Entwürfe", "Entw&APw-rfe"},
        {"Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s"},
        {"Müller & Söhne", "M&APw-ller &- S&APY-hne"},
        {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"}, // RFC 3501's own example
        {"📧 Post", "&2D3c5w- Post"},                                  // a surrogate pair
        {"a\tb", "a&AAk-b"},                                          // controls are shifted too
    };
    for (const auto& [utf8, wire] : cases) {
        EXPECT_EQ(encodeMailboxName(utf8), wire) << utf8;
        EXPECT_EQ(decodeMailboxName(wire), utf8) << wire;
    }
}

TEST(MailboxName, InvalidModifiedUtf7ComesBackAsItWas)
{
    for (const char* wire : {"&Jjo", "Post&", "&AGE-", "&2D0-", "&A-", "&APw", "a&!!-b", "&AP,-"})
        EXPECT_EQ(decodeMailboxName(wire), wire) << wire;
}

TEST(MailboxName, RefusesNamesThatAreNotUtf8)
{
    EXPECT_THROW(encodeMailboxName("Entw\xfc" "rfe"), ProtocolError);
    EXPECT_THROW(encodeMailboxName("\xed\xa0\x80"), ProtocolError); // an encoded surrogate
}
