#include "certificate/CertificateFiles.h"
#include "certificate/SignedDataReader.h"
#include "certificate/SignerFacts.h"
#include "certificate/Smime.h"

#include <gtest/gtest.h>

#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

using namespace erpmail::smime;

namespace {

// A test CA, two of its users and a stranger with a CA of its own, made by
// the openssl command line once per run.
class SmimeTest : public ::testing::Test {
protected:
    static std::string dir;

    static void SetUpTestSuite()
    {
        char pattern[] = "/tmp/smime-test.XXXXXX";
        dir = mkdtemp(pattern);
        const std::string script = R"(set -e
cd ")" + dir + R"("
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=erpmail Test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
q openssl req -x509 -newkey rsa:2048 -nodes -keyout evil-ca.key -out evil-ca.pem -days 3650 -subj "/CN=Other CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
user() { # name email ca
  printf 'subjectAltName=email:%s\nextendedKeyUsage=emailProtection\nkeyUsage=digitalSignature,keyEncipherment\n' "$2" > $1.ext
  q openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj "/CN=$1"
  q openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -out $1.pem -days 365 -extfile $1.ext
}
user alice alice@example.ch ca
user bob bob@example.ch ca
user mallory alice@example.ch evil-ca
)";
        std::ofstream(dir + "/make.sh") << script;
        ASSERT_EQ(std::system(("bash " + dir + "/make.sh").c_str()), 0);
    }
    static void TearDownTestSuite() { std::system(("rm -rf " + dir).c_str()); }

    static Certificate cert(const std::string& name)
    {
        FILE* f = std::fopen((dir + "/" + name + ".pem").c_str(), "r");
        Certificate c(PEM_read_X509(f, nullptr, nullptr, nullptr));
        std::fclose(f);
        return c;
    }
    static PrivateKey key(const std::string& name)
    {
        FILE* f = std::fopen((dir + "/" + name + ".key").c_str(), "r");
        PrivateKey k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
        std::fclose(f);
        return k;
    }
    static std::string file(const std::string& name)
    {
        std::ifstream in(dir + "/" + name, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static void write(const std::string& name, const std::string& bytes)
    {
        std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    }
    static int run(const std::string& command) { return std::system(("cd " + dir + " && " + command + " >out.txt 2>&1").c_str()); }

    X509_STORE* trust()
    {
        store_.reset(X509_STORE_new());
        X509_STORE_load_file(store_.get(), (dir + "/ca.pem").c_str());
        return store_.get();
    }

    static std::string invoice()
    {
        return "From: Alice <alice@example.ch>\r\nTo: kunde@example.com\r\nSubject: Rechnung 2026-0042\r\n"
               "Date: Tue, 01 Dec 2026 10:00:00 +0100\r\nMessage-ID: <r42@example.ch>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
               "Gr=C3=BCezi, anbei die Rechnung.\r\n";
    }

    std::string signedInvoice()
    {
        auto c = cert("alice");
        auto k = key("alice");
        MessageParts parts = splitMessage(invoice());
        parts.entity = signEntity(parts.entity, Signer{c.get(), k.get(), {}});
        return joinMessage(parts);
    }

    struct StoreFree {
        void operator()(X509_STORE* s) const { X509_STORE_free(s); }
    };
    std::unique_ptr<X509_STORE, StoreFree> store_;
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
};

std::string SmimeTest::dir;

} // namespace

TEST_F(SmimeTest, OpensslVerifiesWhatWeSignAndSoDoWe)
{
    const std::string message = signedInvoice();
    write("signed.eml", message);
    EXPECT_EQ(run("openssl cms -verify -in signed.eml -CAfile ca.pem -purpose smimesign -out content.txt"), 0)
        << file("out.txt");
    EXPECT_EQ(file("content.txt"), splitMessage(invoice()).entity);
    Verification v = verifySigned(splitMessage(message).entity, trust(), "alice@example.ch", now);
    EXPECT_EQ(v.status, "valid") << v.reason;
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].digest, "sha256");
    EXPECT_EQ(v.content, splitMessage(invoice()).entity);
}

TEST_F(SmimeTest, WeVerifyWhatOpensslSigns)
{
    write("entity.txt", splitMessage(invoice()).entity);
    ASSERT_EQ(run("openssl cms -sign -in entity.txt -signer alice.pem -inkey alice.key -md sha256 -binary -crlfeol "
                  "-out theirs.eml"),
              0)
        << file("out.txt");
    Verification v = verifySigned(splitMessage(file("theirs.eml")).entity, trust(), "alice@example.ch", now);
    EXPECT_EQ(v.status, "valid") << v.reason;
    ASSERT_EQ(run("openssl cms -sign -in entity.txt -signer alice.pem -inkey alice.key -md sha1 -binary -crlfeol "
                  "-out sha1.eml"),
              0);
    v = verifySigned(splitMessage(file("sha1.eml")).entity, trust(), "alice@example.ch", now);
    EXPECT_EQ(v.status, "weak") << v.reason;
}

TEST_F(SmimeTest, ChangedContentAndAWrongFromAreInvalid)
{
    std::string message = signedInvoice();
    std::string changed = message;
    changed.replace(changed.find("anbei"), 5, "ANBEI");
    Verification v = verifySigned(splitMessage(changed).entity, trust(), "alice@example.ch", now);
    EXPECT_EQ(v.status, "invalid");
    EXPECT_NE(v.reason.find("changed"), std::string::npos) << v.reason;
    v = verifySigned(splitMessage(message).entity, trust(), "ceo@example.ch", now);
    EXPECT_EQ(v.status, "invalid");
    EXPECT_NE(v.reason.find("ceo@example.ch"), std::string::npos) << v.reason;
}

TEST_F(SmimeTest, UntrustedChainExpiredSignerAndTwoSignersOneBad)
{
    const std::string entity = splitMessage(signedInvoice()).entity;
    X509_STORE* empty = X509_STORE_new();
    Verification v = verifySigned(entity, empty, "alice@example.ch", now);
    X509_STORE_free(empty);
    EXPECT_EQ(v.status, "untrusted");
    v = verifySigned(entity, trust(), "alice@example.ch", now + 20LL * 365 * 86400000);
    EXPECT_EQ(v.status, "untrusted");
    EXPECT_NE(v.reason.find("expired"), std::string::npos) << v.reason;

    write("entity.txt", splitMessage(invoice()).entity);
    ASSERT_EQ(run("openssl cms -sign -in entity.txt -signer alice.pem -inkey alice.key -signer mallory.pem -inkey "
                  "mallory.key -md sha256 -binary -crlfeol -out two.eml"),
              0)
        << file("out.txt");
    v = verifySigned(splitMessage(file("two.eml")).entity, trust(), "alice@example.ch", now);
    ASSERT_EQ(v.signers.size(), 2u);
    std::multiset<std::string> statuses{v.signers[0].status, v.signers[1].status};
    EXPECT_EQ(statuses, (std::multiset<std::string>{"valid", "untrusted"}));
    EXPECT_EQ(v.status, "untrusted"); // one good signer does not make the mail valid
}

TEST_F(SmimeTest, ACutOrEmptySignatureIsInvalidAndNothingCrashes)
{
    std::string entity = splitMessage(signedInvoice()).entity;
    std::size_t sig = entity.find("Signature\r\n\r\n");
    ASSERT_NE(sig, std::string::npos);
    std::string cut = entity;
    cut.erase(sig + 400, 300); // a signature cut in its middle
    EXPECT_EQ(verifySigned(cut, trust(), "alice@example.ch", now).status, "invalid");
    EXPECT_THROW(verifySigned("Content-Type: text/plain\r\n\r\nhi\r\n", trust(), "a@b", now), SmimeError);
    EXPECT_THROW(verifySigned(entity.substr(0, entity.find("smime.p7s")), trust(), "a@b", now), SmimeError);
}

TEST_F(SmimeTest, EncryptedForOpensslInCbcAndGcmAndOpenedAgain)
{
    auto alice = cert("alice");
    auto bob = cert("bob");
    const std::string entity = splitMessage(invoice()).entity;
    for (Cipher cipher : {Cipher::Aes256Cbc, Cipher::Aes256Gcm}) {
        MessageParts parts = splitMessage(invoice());
        parts.entity = encryptEntity(entity, {bob.get(), alice.get()}, cipher);
        write("enc.eml", joinMessage(parts));
        EXPECT_EQ(run("openssl cms -decrypt -in enc.eml -recip bob.pem -inkey bob.key -out plain.txt"), 0)
            << file("out.txt");
        EXPECT_EQ(file("plain.txt"), entity);
        auto aliceKey = key("alice");
        Decryption d = decryptEntity(parts.entity, alice.get(), aliceKey.get());
        EXPECT_EQ(d.entity, entity);
        EXPECT_EQ(d.integrityProtected, cipher == Cipher::Aes256Gcm);
    }
    write("entity.txt", entity);
    ASSERT_EQ(run("openssl cms -encrypt -aes256 -in entity.txt -binary -crlfeol -out theirs.eml bob.pem"), 0);
    auto bobKey = key("bob");
    EXPECT_EQ(decryptEntity(splitMessage(file("theirs.eml")).entity, bob.get(), bobKey.get()).entity, entity);
    auto malloryKey = key("mallory");
    auto mallory = cert("mallory");
    try {
        decryptEntity(splitMessage(file("theirs.eml")).entity, mallory.get(), malloryKey.get());
        FAIL() << "mallory opened bob's mail";
    } catch (const SmimeError& e) {
        EXPECT_NE(std::string(e.what()).find("no recipient"), std::string::npos) << e.what();
    }
}

TEST_F(SmimeTest, SignThenEncryptAndABareLfIsRefused)
{
    auto alice = cert("alice");
    auto aliceKey = key("alice");
    const std::string entity = splitMessage(invoice()).entity;
    const std::string signedEntity = signEntity(entity, Signer{alice.get(), aliceKey.get(), {}});
    const std::string sealed = encryptEntity(signedEntity, {alice.get()}, Cipher::Aes256Cbc);
    Decryption d = decryptEntity(sealed, alice.get(), aliceKey.get());
    EXPECT_EQ(verifySigned(d.entity, trust(), "alice@example.ch", now).status, "valid");
    EXPECT_THROW(signEntity("Content-Type: text/plain\r\n\r\nzeile\nzwei\r\n", Signer{alice.get(), aliceKey.get(), {}}),
                 SmimeError);
    // The first bare line break is named, whichever kind it is.
    auto refusal = [&](const std::string& body) {
        try {
            signEntity("Content-Type: text/plain\r\n\r\n" + body, Signer{alice.get(), aliceKey.get(), {}});
        } catch (const SmimeError& e) {
            return std::string(e.what());
        }
        return std::string("signed");
    };
    EXPECT_NE(refusal("a\r\nb\rc\nd").find("bare CR at byte 32"), std::string::npos) << refusal("a\r\nb\rc\nd");
    EXPECT_NE(refusal("a\r\nb\nc\rd").find("bare LF at byte 32"), std::string::npos) << refusal("a\r\nb\nc\rd");
    EXPECT_NE(refusal("\r\nende\r").find("bare CR at byte 34"), std::string::npos) << refusal("\r\nende\r");
    EXPECT_EQ(refusal("a\r\nb\r\n"), "signed");
}

TEST_F(SmimeTest, BrokenBase64AndAFoldedLastHeaderNeitherThrowNorHang)
{
    std::string entity = splitMessage(signedInvoice()).entity;
    std::size_t sig = entity.find("Signature\r\n\r\n") + 13;
    entity.insert(sig + 10, "*!*");
    EXPECT_EQ(verifySigned(entity, trust(), "alice@example.ch", now).status, "invalid");
    MessageParts parts = splitMessage("Subject: a\r\n b");
    EXPECT_EQ(parts.outerHeaders, "Subject: a\r\n b");
}

TEST_F(SmimeTest, OurSignatureListsGcmAmongItsCapabilitiesAndOpensslsDoesNot)
{
    const auto listsGcm = [](const Verification& v) {
        const auto& c = v.signers.at(0).capabilities;
        return std::find(c.begin(), c.end(), kAes256GcmOid) != c.end();
    };
    Verification ours = verifySigned(splitMessage(signedInvoice()).entity, trust(), "alice@example.ch", now);
    ASSERT_EQ(ours.status, "valid") << ours.reason;
    EXPECT_TRUE(listsGcm(ours));
    EXPECT_NE(std::find(ours.signers[0].capabilities.begin(), ours.signers[0].capabilities.end(),
                        "2.16.840.1.101.3.4.1.42"),
              ours.signers[0].capabilities.end()); // AES-256-CBC, which every reader decrypts
    write("entity.txt", splitMessage(invoice()).entity);
    ASSERT_EQ(run("openssl cms -sign -in entity.txt -signer alice.pem -inkey alice.key -md sha256 -binary -crlfeol "
                  "-out theirs.eml"),
              0)
        << file("out.txt");
    Verification theirs = verifySigned(splitMessage(file("theirs.eml")).entity, trust(), "alice@example.ch", now);
    ASSERT_EQ(theirs.status, "valid") << theirs.reason;
    EXPECT_FALSE(theirs.signers[0].capabilities.empty());
    EXPECT_FALSE(listsGcm(theirs));
}

TEST_F(SmimeTest, SignedDataIsReadWithItsCertificatesTakenOutAndCachedAsOpensslWouldReadThem)
{
    write("entity.txt", splitMessage(invoice()).entity);
    ASSERT_EQ(run("openssl cms -sign -in entity.txt -signer alice.pem -inkey alice.key -certfile ca.pem -md sha256 "
                  "-binary -outform DER -out signature.der"),
              0)
        << file("out.txt");
    const std::string der = file("signature.der");
    std::string rest;
    std::vector<std::string_view> parts;
    ASSERT_TRUE(splitSignedDataCertificates(der, rest, parts));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(der.size() - rest.size(), parts[0].size() + parts[1].size() + 4); // the [0] set and its header
    SignedData first = readSignedData(der);
    ASSERT_TRUE(first.cms);
    ASSERT_EQ(sk_X509_num(first.certificates.get()), 2);
    std::set<std::string> subjects; // a DER SET OF keeps its own order
    for (int i = 0; i < 2; ++i) {
        X509* c = sk_X509_value(first.certificates.get(), i);
        EXPECT_TRUE(X509_cmp(c, cert("alice").get()) == 0 || X509_cmp(c, cert("ca").get()) == 0);
        char name[256];
        X509_NAME_oneline(X509_get_subject_name(c), name, sizeof name);
        subjects.insert(name);
    }
    EXPECT_EQ(subjects, (std::set<std::string>{"/CN=alice", "/CN=erpmail Test CA"}));
    // The structure without them is what OpenSSL reads, less the certificates.
    Certs inside(CMS_get1_certs(first.cms.get()));
    EXPECT_EQ(inside ? sk_X509_num(inside.get()) : 0, 0);
    EXPECT_EQ(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(first.cms.get())), 1);
    SignedData again = readSignedData(der);
    EXPECT_EQ(sk_X509_value(again.certificates.get(), 0), sk_X509_value(first.certificates.get(), 0)); // cached

    // BER with indefinite lengths (streamed) is read whole, as OpenSSL reads it.
    ASSERT_EQ(run("openssl cms -sign -in entity.txt -signer alice.pem -inkey alice.key -md sha256 -binary -stream "
                  "-outform DER -out streamed.der"),
              0)
        << file("out.txt");
    const std::string streamed = file("streamed.der");
    EXPECT_FALSE(splitSignedDataCertificates(streamed, rest, parts));
    SignedData whole = readSignedData(streamed);
    ASSERT_TRUE(whole.cms);
    EXPECT_EQ(sk_X509_num(whole.certificates.get()), 1);

    // A certificate that is none: OpenSSL's verdict on the whole, a structure it cannot read.
    std::string odd = der;
    ASSERT_TRUE(splitSignedDataCertificates(der, rest, parts));
    odd[static_cast<std::size_t>(parts[0].data() - der.data())] = '\x31';
    EXPECT_FALSE(readSignedData(odd).cms);
    std::string cut = der.substr(0, der.size() - 10);
    EXPECT_FALSE(readSignedData(cut).cms);
}

// A chain's verdict is kept with its trust store for its second only: the
// same signer later, with another store or another set of certificates is
// asked again; a certificate's facts are read once and are what the
// readers of each give.
TEST_F(SmimeTest, AChainVerdictHoldsForItsStoreItsCertificatesAndItsSecondOnly)
{
    const std::string entity = splitMessage(signedInvoice()).entity;
    X509_STORE* store = trust();
    const std::int64_t later = now + 20LL * 365 * 86400000; // alice has expired by then
    EXPECT_EQ(verifySigned(entity, store, "alice@example.ch", now).status, "valid");
    EXPECT_EQ(verifySigned(entity, store, "alice@example.ch", now).status, "valid");
    Verification expired = verifySigned(entity, store, "alice@example.ch", later);
    EXPECT_EQ(expired.status, "untrusted");
    EXPECT_NE(expired.reason.find("expired"), std::string::npos) << expired.reason;
    EXPECT_EQ(verifySigned(entity, store, "alice@example.ch", now).status, "valid");
    X509_STORE* empty = X509_STORE_new();
    EXPECT_EQ(verifySigned(entity, empty, "alice@example.ch", now).status, "untrusted");
    X509_STORE_free(empty);
    EXPECT_EQ(verifySigned(entity, store, "alice@example.ch", now).status, "valid");

    // Asked directly: the carried certificates are part of the question.
    Certificate alice = cert("alice"), ca = cert("ca"), evil = cert("evil-ca");
    X509_STORE* evilOnly = X509_STORE_new();
    X509_STORE_add_cert(evilOnly, evil.get());
    CertRefs none(sk_X509_new_null());
    CertRefs withCa(sk_X509_new_null());
    sk_X509_push(withCa.get(), ca.get());
    const std::time_t second = static_cast<std::time_t>(now / 1000);
    EXPECT_FALSE(verifyChain(evilOnly, alice.get(), none.get(), second).trusted);
    EXPECT_EQ(verifyChain(evilOnly, alice.get(), none.get(), second).error,
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    // The CA carried along does not make it trusted (it is no anchor), and is asked anew.
    const ChainVerdict carried = verifyChain(evilOnly, alice.get(), withCa.get(), second);
    EXPECT_FALSE(carried.trusted);
    EXPECT_EQ(carried.error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    X509_STORE_free(evilOnly);

    const CertificateFacts& facts = factsOf(alice.get());
    EXPECT_EQ(&facts, &factsOf(alice.get()));
    EXPECT_EQ(facts.der, erpmail::derOf(alice.get()));
    EXPECT_EQ(facts.pem, erpmail::pemOf(alice.get()));
    EXPECT_EQ(facts.fingerprint, erpmail::fingerprintOf(alice.get()));
    EXPECT_EQ(facts.info.subject, erpmail::X509Info::of(alice.get()).subject);
    EXPECT_EQ(facts.info.emails, (std::vector<std::string>{"alice@example.ch"}));
}
