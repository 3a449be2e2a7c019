// The certificate stores in the system database: the plugin's own (owner
// empty) and each user's personal one, and the certificates accounts use.
#pragma once

#include "store/Odbc.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

struct CertificateRecord {
    std::string id;
    std::string owner; ///< empty: the plugin's store
    std::string fingerprint; ///< SHA-256 of the DER, hex
    std::string subject;
    std::string issuer;
    std::vector<std::string> emails;
    std::int64_t notAfterMs = 0;
    std::string der;
    std::optional<std::string> chainDer; ///< the certificates sent along, DER one after another
    std::optional<std::string> sealedKey;
    std::optional<std::string> keyUri; ///< a key on a PKCS#11 token: its pkcs11: URI
    /// The token's PIN, sealed for certificatePinBinding(fingerprint).
    std::optional<std::string> sealedPin;
    std::int64_t createdAtMs = 0;
    std::string createdBy;
};

struct AccountCertificates {
    std::optional<std::string> signingId;
    std::optional<std::string> encryptionId;
    bool alwaysSign = false;
    bool alwaysEncrypt = false;
    std::string cipher = "cbc"; ///< cbc (EnvelopedData) or gcm (AuthEnvelopedData)
};

class CertificateRepository {
public:
    explicit CertificateRepository(Connection& connection) : c_(connection) {}

    /// ConstraintViolation when the store holds that certificate already.
    void insert(const CertificateRecord& certificate);
    bool remove(const std::string& id);
    std::optional<CertificateRecord> find(const std::string& id);
    std::optional<CertificateRecord> findByFingerprint(const std::string& owner, const std::string& fingerprint);
    /// One store's certificates by subject; with an e-mail, those issued to it.
    std::vector<CertificateRecord> list(const std::string& owner, const std::optional<std::string>& email);
    /// Certificates of any store that expire before `beforeMs`.
    std::vector<CertificateRecord> expiringBefore(std::int64_t beforeMs);
    /// Certificates whose private key is sealed in the store (a key rotation reseals them).
    std::vector<CertificateRecord> withSealedKeys();
    /// Certificates with a sealed key or a sealed token PIN.
    std::int64_t countWithSealedKeys();
    void setSealedKey(const std::string& id, const std::string& sealed);
    /// Certificates whose token PIN is sealed in the store.
    std::vector<CertificateRecord> withSealedPins();
    /// The key on a token: its URI and the sealed PIN.
    void setTokenKey(const std::string& id, const std::string& keyUri, const std::string& sealedPin);
    void setSealedPin(const std::string& id, const std::string& sealedPin);
    /// Accounts that use the certificate.
    std::vector<std::string> usedBy(const std::string& certificateId);

    AccountCertificates ofAccount(const std::string& accountId);
    void setOfAccount(const std::string& accountId, const AccountCertificates& selection);

    /// Notes that certificate.expiring was recorded for the certificate on
    /// `day` (days since the epoch); false when it was already.
    bool noteExpiryNotice(const std::string& certificateId, std::int64_t day, std::int64_t nowMs);

private:
    std::vector<CertificateRecord> select(const std::string& where, const std::vector<std::string>& texts,
                                          std::optional<std::int64_t> number = std::nullopt);

    Connection& c_;
};

} // namespace erpmail::store
