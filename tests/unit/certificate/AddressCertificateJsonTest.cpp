#include "certificate/CertificateJson.h"
#include "certificate/Smime.h"

#include <Poco/JSON/Array.h>

#include <gtest/gtest.h>

using erpmail::store::AddressCertificate;

namespace {

AddressCertificate collected(std::optional<std::string> capabilities)
{
    AddressCertificate a;
    a.email = "kunde@kunde.example";
    a.fingerprint = "ab12";
    a.subject = "CN=kunde";
    a.notBeforeMs = 1000;
    a.notAfterMs = 2000;
    a.der = "not a certificate";
    a.collectedAtMs = 1500;
    a.capabilities = std::move(capabilities);
    return a;
}

} // namespace

TEST(ListsCapability, FindsWholeOidsOnly)
{
    using erpmail::store::listsCapability;
    EXPECT_TRUE(listsCapability(std::string("2.16.840.1.101.3.4.1.42  2.16.840.1.101.3.4.1.46"),
                                erpmail::smime::kAes256GcmOid));
    EXPECT_FALSE(listsCapability(std::string("2.16.840.1.101.3.4.1.42 2.16.840.1.101.3.4.1.460"),
                                 erpmail::smime::kAes256GcmOid));
    EXPECT_FALSE(listsCapability(std::nullopt, erpmail::smime::kAes256GcmOid));
}

TEST(AddressCertificateJson, ShowsWhatWasCollectedWhenTheCertificateDoesNotReadBack)
{
    auto o = erpmail::addressCertificateJson(collected(std::string("2.16.840.1.101.3.4.1.46")), 2500);
    EXPECT_EQ(o->getValue<std::string>("subject"), "CN=kunde");
    EXPECT_EQ(o->getValue<std::string>("email"), "kunde@kunde.example");
    EXPECT_EQ(o->getValue<std::string>("store"), "address_book");
    EXPECT_TRUE(o->getValue<bool>("expired"));
    EXPECT_TRUE(o->getValue<bool>("accepts_gcm"));
    EXPECT_FALSE(o->getValue<bool>("private_key"));
    EXPECT_TRUE(o->isNull("message_id"));
    EXPECT_EQ(o->getArray("capabilities")->size(), 1u);
}

TEST(AddressCertificateJson, ASignatureThatListedNoCapabilitiesDoesNotReadGcm)
{
    auto a = collected(std::nullopt);
    a.messageId = 7;
    auto o = erpmail::addressCertificateJson(a, 1500);
    EXPECT_FALSE(o->getValue<bool>("expired"));
    EXPECT_FALSE(o->getValue<bool>("accepts_gcm"));
    EXPECT_EQ(o->getValue<std::int64_t>("message_id"), 7);
    EXPECT_EQ(o->getArray("capabilities")->size(), 0u);
}
