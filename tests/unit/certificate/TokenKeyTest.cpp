#include "account/SecretBox.h"
#include "certificate/CertificateFiles.h"
#include "certificate/Smime.h"
#include "certificate/TokenKey.h"
#include "certificate/TokenPin.h"
#include "erpmail/OperationError.h"
#include "store/CertificateRepository.h"

#include <gtest/gtest.h>

#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

using namespace erpmail::smime;

namespace {

constexpr const char* kPin = "4711-Zug";
constexpr const char* kKeyUri = "pkcs11:token=erpmail-test;object=alice;type=private";

// A test CA and Alice's S/MIME certificate, whose key and certificate are
// then imported into a softhsm2 token in the test's own folder.
class TokenKeyTest : public ::testing::Test {
protected:
    static std::string dir;

    static void SetUpTestSuite()
    {
        char pattern[] = "/tmp/token-test.XXXXXX";
        dir = mkdtemp(pattern);
        const std::string script = R"(set -e
cd ")" + dir + R"("
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=erpmail Test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
printf 'subjectAltName=email:alice@example.ch\nextendedKeyUsage=emailProtection\nkeyUsage=digitalSignature\n' > alice.ext
q openssl req -newkey rsa:2048 -nodes -keyout alice.key -out alice.csr -subj "/CN=Alice"
q openssl x509 -req -in alice.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out alice.pem -days 365 -extfile alice.ext
")" ERPMAIL_FIXTURES_DIR R"(/softhsm_token.sh" "$PWD/hsm" erpmail-test ")" +
                                   kPin + R"(" alice.key alice.pem alice
)";
        std::ofstream(dir + "/make.sh") << script;
        ASSERT_EQ(std::system(("bash " + dir + "/make.sh").c_str()), 0);
        setenv("SOFTHSM2_CONF", (dir + "/hsm/softhsm2.conf").c_str(), 1);
        setTokenModule(kDefaultTokenModule);
    }
    static void TearDownTestSuite() { std::system(("rm -rf " + dir).c_str()); }

    static std::string file(const std::string& name)
    {
        std::ifstream in(dir + "/" + name, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static int run(const std::string& command)
    {
        return std::system(("cd " + dir + " && " + command + " >out.txt 2>&1").c_str());
    }
    static std::string invoice()
    {
        return "From: Alice <alice@example.ch>\r\nTo: kunde@example.com\r\nSubject: Rechnung 2026-0042\r\n"
               "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BCezi, anbei die Rechnung.\r\n";
    }
    static TokenError::Kind failure(const std::string& uri, const std::string& pin, std::string& message)
    {
        try {
            openTokenKey(uri, pin);
        } catch (const TokenError& e) {
            message = e.what();
            return e.kind();
        }
        ADD_FAILURE() << uri << " opened";
        return TokenError::Kind::Unavailable;
    }
};

std::string TokenKeyTest::dir;

} // namespace

TEST_F(TokenKeyTest, AWrongPinIsRefusedBeforeAndAfterTheTokenWasOpened)
{
    std::string message;
    EXPECT_EQ(failure(kKeyUri, "0000-Zug", message), TokenError::Kind::Pin);
    EXPECT_NE(message.find("refused the PIN"), std::string::npos) << message;
    EXPECT_EQ(message.find("0000"), std::string::npos) << "the PIN is in the message";
    ASSERT_TRUE(openTokenKey(kKeyUri, kPin));
    // The token stays logged in now and would take any PIN.
    EXPECT_EQ(failure(kKeyUri, "0000-Zug", message), TokenError::Kind::Pin);
    EXPECT_EQ(message.find("0000"), std::string::npos) << message;
}

TEST_F(TokenKeyTest, SignedWithTheKeyOnTheTokenOpensslVerifiesIt)
{
    PrivateKey key = openTokenKey(kKeyUri, kPin);
    Certificate certificate = openTokenCertificate("pkcs11:token=erpmail-test;object=alice;type=cert", kPin);
    ASSERT_TRUE(key && certificate);
    FILE* f = std::fopen((dir + "/alice.pem").c_str(), "r");
    Certificate issued(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    EXPECT_EQ(X509_cmp(certificate.get(), issued.get()), 0); // the certificate on the token is Alice's
    MessageParts parts = splitMessage(invoice());
    parts.entity = signEntity(parts.entity, Signer{certificate.get(), key.get(), {}});
    std::ofstream(dir + "/signed.eml", std::ios::binary) << joinMessage(parts);
    EXPECT_EQ(run("openssl cms -verify -in signed.eml -CAfile ca.pem -purpose smimesign -out content.txt"), 0)
        << file("out.txt");
    EXPECT_EQ(file("content.txt"), splitMessage(invoice()).entity);
}

TEST_F(TokenKeyTest, ThreadsSignThroughTheTokenAtOnce)
{
    Certificate certificate = openTokenCertificate(kKeyUri, kPin);
    std::vector<std::string> signatures(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < signatures.size(); ++i)
        threads.emplace_back([&, i] {
            try {
                PrivateKey key = openTokenKey(kKeyUri, kPin);
                signatures[i] = signEntity(splitMessage(invoice()).entity, Signer{certificate.get(), key.get(), {}});
            } catch (const std::exception& e) {
                signatures[i] = std::string("failed: ") + e.what();
            }
        });
    for (auto& t : threads)
        t.join();
    for (const auto& s : signatures)
        EXPECT_EQ(s.rfind("Content-Type: multipart/signed", 0), 0u) << s.substr(0, 200);
}

TEST_F(TokenKeyTest, NoSuchKeyAPinInTheUriAndAMissingModuleAreClearErrors)
{
    std::string message;
    EXPECT_EQ(failure("pkcs11:token=erpmail-test;object=bob", kPin, message), TokenError::Kind::Object);
    EXPECT_NE(message.find("object=bob"), std::string::npos) << message;
    EXPECT_EQ(failure("pkcs11:token=no-such-token;object=alice", kPin, message), TokenError::Kind::Object);
    EXPECT_EQ(failure(std::string(kKeyUri) + "?pin-value=" + kPin, kPin, message), TokenError::Kind::Object);
    EXPECT_NE(message.find("give the PIN apart"), std::string::npos) << message;
    EXPECT_EQ(failure("file:///etc/passwd", kPin, message), TokenError::Kind::Object);
    setTokenModule("/usr/lib/no-such-pkcs11-module.so");
    EXPECT_EQ(failure(kKeyUri, kPin, message), TokenError::Kind::Unavailable);
    EXPECT_NE(message.find("no-such-pkcs11-module.so"), std::string::npos) << message;
    setTokenModule(kDefaultTokenModule);
    EXPECT_TRUE(openTokenKey(kKeyUri, kPin));
}

namespace {

// Seals as the host's secrets do: AES-256-GCM, bound to what it is for.
class BoxSealer : public erpmail::SecretSealer {
public:
    explicit BoxSealer(const std::string& keyPath) : box_(keyPath, true) {}
    std::string sealSecret(const std::string& secret, const std::string& boundTo) override
    {
        return box_.seal(secret, boundTo);
    }
    std::string openSecret(const std::string& sealed, const std::string& boundTo) override
    {
        return box_.open(sealed, boundTo, boundTo);
    }

private:
    erpmail::SecretBox box_;
};

} // namespace

TEST_F(TokenKeyTest, AStoredCertificateOpensItsTokenKeyOnlyWithThePinSealedForIt)
{
    BoxSealer sealer(dir + "/secrets.key");
    Certificate certificate = openTokenCertificate(kKeyUri, kPin);
    erpmail::store::CertificateRecord record;
    record.id = "c1";
    record.fingerprint = erpmail::fingerprintOf(certificate.get());
    record.keyUri = tokenObjectUri(kKeyUri);
    record.sealedPin = sealer.sealSecret(kPin, erpmail::certificatePinBinding(record.fingerprint));
    PrivateKey key = erpmail::openCertificateTokenKey(record, sealer);
    ASSERT_TRUE(key);
    EXPECT_EQ(X509_check_private_key(certificate.get(), key.get()), 1);

    auto refusal = [&](const erpmail::store::CertificateRecord& r) {
        try {
            erpmail::openCertificateTokenKey(r, sealer);
        } catch (const erpmail::OperationError& e) {
            EXPECT_EQ(e.code(), "unavailable");
            return std::string(e.what());
        }
        ADD_FAILURE() << "the key opened";
        return std::string();
    };
    erpmail::store::CertificateRecord other = record;
    other.sealedPin = sealer.sealSecret(kPin, erpmail::certificateKeyBinding(record.fingerprint));
    EXPECT_NE(refusal(other).find("does not open"), std::string::npos); // sealed for the key, not the PIN
    other.sealedPin = sealer.sealSecret("0000-Zug", erpmail::certificatePinBinding(record.fingerprint));
    const std::string changed = refusal(other);
    EXPECT_NE(changed.find("import the certificate again"), std::string::npos) << changed;
    EXPECT_EQ(changed.find("0000"), std::string::npos) << changed;
    other.keyUri.reset();
    EXPECT_NE(refusal(other).find("no private key on a token"), std::string::npos);
}
