// The send path's stages that need no server: the secure stage and the
// outbox's backoff.
#include "mime/MessageComposer.h"
#include "transport/smtp/Backoff.h"
#include "transport/smtp/Secure.h"

#include <gtest/gtest.h>

using namespace erpmail;

TEST(Secure, WithNothingAskedTheWireBytesAreTheComposedEntityAndTheSentCopyIsTheSame)
{
    mime::OutgoingMessage m;
    m.from = {"Müller & Söhne AG", "rechnung@mueller.example"};
    m.to = {{"", "zoe@kunde.example"}};
    m.subject = "Rechnung 2026-0042";
    m.text = "Grüezi\n.\nanbei die Rechnung.\n";
    std::string pdf;
    for (int i = 0; i < 3000; ++i)
        pdf += static_cast<char>(i % 256);
    m.attachments.push_back({"Rechnung 2026-0042.pdf", "application/pdf", pdf});
    m.dateMs = 1774000000000;
    const std::string entity = mime::composeMessage(m).raw;

    const SecuredMessage secured = secure(entity, SecureOptions{});
    EXPECT_EQ(secured.wire, entity);
    EXPECT_FALSE(secured.sentCopy) << "the Sent copy is the wire bytes";
}

TEST(Backoff, DoublesFromTheBasePerAttemptAndWaitsAnHourAtMost)
{
    EXPECT_EQ(retryDelayMs(60, 1), 60'000);
    EXPECT_EQ(retryDelayMs(60, 2), 120'000);
    EXPECT_EQ(retryDelayMs(60, 6), 1'920'000);
    EXPECT_EQ(retryDelayMs(60, 7), 3'600'000);
    EXPECT_EQ(retryDelayMs(1, 13), 3'600'000);
    EXPECT_EQ(retryDelayMs(1, 1000), 3'600'000) << "a late attempt must not shift past the bits of the delay";
    EXPECT_EQ(retryDelayMs(0, 3), 1) << "a base of 0 retries at once, but not in the same millisecond";
}
