#include "certificate/MimeEntity.h"
#include "certificate/SecurityScan.h"

#include <gtest/gtest.h>

#include <openssl/x509_vfy.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <sstream>
#include <string>

using namespace erpmail::smime;

namespace {

const std::string kHead = "From: a@example.ch\r\nTo: b@example.ch\r\nSubject: x\r\nMIME-Version: 1.0\r\n";

struct Trust {
    X509_STORE* store = X509_STORE_new();
    int asked = 0;
    ~Trust() { X509_STORE_free(store); }
    std::function<X509_STORE*()> fn()
    {
        return [this] {
            ++asked;
            return store;
        };
    }
};

std::string signedWith(const std::string& signaturePart)
{
    return kHead +
           "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"s\"\r\n\r\n"
           "--s\r\nContent-Type: text/plain\r\n\r\nhello\r\n--s\r\n" +
           signaturePart + "\r\n--s--\r\n";
}

std::int64_t now()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

TEST(SecurityScan, PlainMailIsNoSmimeAndAsksNoTrust)
{
    Trust trust;
    const std::string raw = kHead + "Content-Type: text/plain\r\n\r\nnothing signed here\r\n";
    EXPECT_FALSE(mayHoldSmime(raw));
    EXPECT_TRUE(scanMessage(raw, trust.fn(), "a@example.ch", now()).kind.empty());
    EXPECT_EQ(trust.asked, 0);
}

// Every S/MIME media type, in any case and at either end of the mail, and
// near misses that are none.
TEST(SecurityScan, MayHoldSmimeFindsPkcs7InAnyCaseAnywhere)
{
    for (const std::string type : {"application/pkcs7-mime", "application/x-pkcs7-signature", "APPLICATION/PKCS7-MIME",
                                   "application/Pkcs7-Signature"}) {
        EXPECT_TRUE(mayHoldSmime("Content-Type: " + type + "\r\n\r\nx")) << type;
        EXPECT_TRUE(mayHoldSmime(std::string(200000, 'A') + "7-\r\nContent-Type: " + type)) << type;
    }
    EXPECT_TRUE(mayHoldSmime("pkcs7-"));
    EXPECT_FALSE(mayHoldSmime(""));
    EXPECT_FALSE(mayHoldSmime("7-"));
    EXPECT_FALSE(mayHoldSmime("kcs7-"));
    EXPECT_FALSE(mayHoldSmime("pkcs8-mime pkcs7 pkcs 7- xkcs7-"));
    EXPECT_FALSE(mayHoldSmime(std::string(100000, '7') + "-" + std::string(100000, '-')));
}

TEST(SecurityScan, GarbageSignatureIsInvalidNotACrash)
{
    Trust trust;
    for (const std::string& part :
         {std::string("Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIB%%%%"),
          std::string("Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA"),
          std::string("Content-Type: application/pkcs7-signature\r\n\r\n")}) {
        const MessageSecurity s = scanMessage(signedWith(part), trust.fn(), "a@example.ch", now());
        EXPECT_EQ(s.kind, "signed");
        EXPECT_EQ(s.status, "invalid") << s.reason;
        EXPECT_FALSE(s.reason.empty());
    }
}

TEST(SecurityScan, CutMultipartSignedIsInvalidWithItsReasonNotAThrow)
{
    Trust trust;
    const std::string raw =
        kHead + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"s\"\r\n\r\n"
                "--s\r\nContent-Type: text/plain\r\n\r\nhello, and then the mail ends";
    const MessageSecurity s = scanMessage(raw, trust.fn(), "a@example.ch", now());
    EXPECT_EQ(s.status, "invalid");
    EXPECT_NE(s.reason.find("no signature part"), std::string::npos) << s.reason;
}

TEST(SecurityScan, NestingBeyondEightLevelsIsNotWalkedAndEndsQuickly)
{
    Trust trust;
    std::string body = "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nAAAA\r\n";
    for (int i = 0; i < 2000; ++i) {
        const std::string b = "b" + std::to_string(i);
        body = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + body + "\r\n--" + b +
               "--\r\n";
    }
    const auto started = std::chrono::steady_clock::now();
    const MessageSecurity s = scanMessage(kHead + body, trust.fn(), "a@example.ch", now());
    EXPECT_TRUE(s.kind.empty()) << s.kind;
    EXPECT_TRUE(encryptedParts(kHead + body).empty());
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(SecurityScan, ManyPartsAreCutAtTwoHundred)
{
    std::string body = "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n";
    for (int i = 0; i < 5000; ++i)
        body += "--m\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nAAAA\r\n";
    body += "--m--\r\n";
    EXPECT_EQ(multipartParts(body, 200).size(), 200u);
    EXPECT_LE(encryptedParts(kHead + body).size(), 200u);
}

TEST(SecurityScan, PartsAreCutExactlyBetweenTheirBoundaries)
{
    const std::string entity = "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\npreamble\r\n--x\r\n"
                               "Content-Type: text/plain\r\n\r\none\r\n--x\r\n\r\ntwo\r\n\r\n--x--\r\nepilogue";
    const auto parts = multipartParts(entity, 10);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0], "Content-Type: text/plain\r\n\r\none");
    EXPECT_EQ(parts[1], "\r\ntwo\r\n");
    EXPECT_TRUE(multipartParts("Content-Type: multipart/mixed; boundary=\"y\"\r\n\r\n--x\r\n", 10).empty());
}

// Written directly, the stored signer list reads the same as Poco wrote it.
TEST(SecurityScan, SignersJsonIsWhatPocoWouldWriteByteForByte)
{
    std::vector<ScannedSigner> signers(2);
    signers[0].check.status = "valid";
    signers[0].check.subject = "CN=Müller \"Treuhand\" / AG\\Zürich";
    signers[0].check.emails = {"a@example.ch", "b@example.ch"};
    signers[0].check.digest = "sha256";
    signers[0].check.certificatePem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    signers[1].check.status = "untrusted";
    signers[1].check.reason = std::string("tab\there, bell\x07, ") + "\xe2\x82\xac";
    signers[1].part = "2.1";
    Poco::JSON::Array list;
    for (const auto& s : signers) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("status", s.check.status);
        o->set("reason", s.check.reason);
        o->set("subject", s.check.subject);
        Poco::JSON::Array::Ptr emails = new Poco::JSON::Array;
        for (const auto& e : s.check.emails)
            emails->add(e);
        o->set("emails", emails);
        o->set("digest", s.check.digest);
        o->set("certificate_pem", s.check.certificatePem);
        o->set("part", s.part);
        list.add(o);
    }
    std::ostringstream poco;
    list.stringify(poco);
    EXPECT_EQ(signersJson(signers), poco.str());
    EXPECT_EQ(signersJson({}), "[]");
}
