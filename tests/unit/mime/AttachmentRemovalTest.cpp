#include "mime/AttachmentRemoval.h"
#include "support/PeakMemory.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace erpmail::mime;

namespace {

const std::string kHead =
    "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
    "--x\r\nContent-Type: text/plain\r\n\r\nText\r\n"
    "--x\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "AAECAwQF/w==\r\n";

} // namespace

TEST(AttachmentRemoval, AnAttachmentIsReplacedByItsPlaceholder)
{
    std::vector<PartRemoval> removals{{sha256Of(std::string("\x00\x01\x02\x03\x04\x05\xff", 7)), "entfernt", false}};
    auto raw = removeParts(kHead + "--x--\r\n", removals);
    ASSERT_TRUE(raw);
    EXPECT_TRUE(removals[0].done);
    EXPECT_NE(raw->find("entfernt"), std::string::npos);
    EXPECT_EQ(raw->find("AAECAwQF"), std::string::npos);
}

// Retention rewrote a stored mail of 150,000 empty parts by building every
// one in GMime (200 MB for 1 MiB); it is now left as it is, as the parser
// never read its parts beyond 10,000 either.
TEST(AttachmentRemoval, BoundaryLineFloodIsLeftAsItIsWithoutBuildingItsParts)
{
    std::string raw = kHead;
    for (int i = 0; i < 150000; ++i)
        raw += "--x\r\n\r\n";
    raw += "--x--\r\n";
    std::vector<PartRemoval> removals{{sha256Of(std::string("\x00\x01\x02\x03\x04\x05\xff", 7)), "entfernt", false}};
    using erpmail::test::PeakMemory;
    PeakMemory::reset();
    const long before = PeakMemory::kib();
    if (before < 0) GTEST_SKIP() << "no /proc/self/status";
    EXPECT_FALSE(removeParts(raw, removals));
    const long grown = PeakMemory::kib() - before;
    EXPECT_FALSE(removals[0].done);
    EXPECT_LT(grown, erpmail::test::peakAllowanceKib(64 * 1024))
        << "peak resident memory grew by " << grown / 1024 << " MB";
}
