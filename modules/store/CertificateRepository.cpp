#include "store/CertificateRepository.h"

#include "store/Rows.h"
#include "store/SqlText.h"

namespace erpmail::store {

namespace {

constexpr const char* kColumns = "id, owner, fingerprint, subject, issuer, emails, not_after_ms, der, chain_der,"
                                 " sealed_key, key_uri, created_at_ms, created_by, sealed_pin";

} // namespace

void CertificateRepository::insert(const CertificateRecord& c)
{
    Statement st(c_, std::string("INSERT INTO certificates (") + kColumns +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bindText(1, c.id).bindText(2, c.owner).bindText(3, c.fingerprint).bindText(4, c.subject).bindText(5, c.issuer);
    st.bindText(6, "," + joinCommaList(c.emails) + ",").bindInt(7, c.notAfterMs).bindBlob(8, c.der);
    st.bindOptionalBlob(9, c.chainDer).bindOptionalBlob(10, c.sealedKey);
    st.bindOptionalText(11, c.keyUri).bindInt(12, c.createdAtMs).bindText(13, c.createdBy);
    st.bindOptionalBlob(14, c.sealedPin);
    st.execute();
}

bool CertificateRepository::remove(const std::string& id)
{
    return deleteById(c_, "certificates", id);
}

std::optional<CertificateRecord> CertificateRepository::find(const std::string& id)
{
    return firstOf(select("id = ?", {id}));
}

std::optional<CertificateRecord> CertificateRepository::findByFingerprint(const std::string& owner,
                                                                         const std::string& fingerprint)
{
    return firstOf(select("owner = ? AND fingerprint = ?", {owner, fingerprint}));
}

std::vector<CertificateRecord> CertificateRepository::list(const std::string& owner,
                                                          const std::optional<std::string>& email)
{
    if (!email) return select("owner = ?", {owner});
    // Stored as ",a@x,b@y,": one address matches only as a whole.
    return select("owner = ? AND emails LIKE ? ESCAPE '!'", {owner, likeContaining("," + *email + ",")});
}

std::vector<CertificateRecord> CertificateRepository::expiringBefore(std::int64_t beforeMs)
{
    return select("not_after_ms < ?", {}, beforeMs);
}

std::vector<CertificateRecord> CertificateRepository::withSealedKeys()
{
    return select("sealed_key IS NOT NULL", {});
}

std::int64_t CertificateRepository::countWithSealedKeys()
{
    Statement st(c_, "SELECT COUNT(*) FROM certificates WHERE sealed_key IS NOT NULL OR sealed_pin IS NOT NULL");
    st.execute();
    return st.fetch() ? st.intOr(1, 0) : 0;
}

void CertificateRepository::setSealedKey(const std::string& id, const std::string& sealed)
{
    Statement st(c_, "UPDATE certificates SET sealed_key = ? WHERE id = ?");
    st.bindBlob(1, sealed).bindText(2, id);
    st.execute();
}

std::vector<CertificateRecord> CertificateRepository::withSealedPins()
{
    return select("sealed_pin IS NOT NULL", {});
}

void CertificateRepository::setTokenKey(const std::string& id, const std::string& keyUri, const std::string& sealedPin)
{
    Statement st(c_, "UPDATE certificates SET key_uri = ?, sealed_pin = ? WHERE id = ?");
    st.bindText(1, keyUri).bindBlob(2, sealedPin).bindText(3, id);
    st.execute();
}

void CertificateRepository::setSealedPin(const std::string& id, const std::string& sealedPin)
{
    Statement st(c_, "UPDATE certificates SET sealed_pin = ? WHERE id = ?");
    st.bindBlob(1, sealedPin).bindText(2, id);
    st.execute();
}

std::vector<std::string> CertificateRepository::usedBy(const std::string& certificateId)
{
    Statement st(c_, "SELECT account_id FROM account_certificates WHERE signing_id = ? OR encryption_id = ?"
                     " ORDER BY account_id");
    st.bindText(1, certificateId).bindText(2, certificateId);
    st.execute();
    std::vector<std::string> out;
    while (st.fetch()) out.push_back(st.textOr(1));
    return out;
}

AccountCertificates CertificateRepository::ofAccount(const std::string& accountId)
{
    Statement st(c_, "SELECT signing_id, encryption_id, always_sign, always_encrypt, cipher FROM account_certificates"
                     " WHERE account_id = ?");
    st.bindText(1, accountId);
    st.execute();
    AccountCertificates out;
    if (st.fetch()) {
        out.signingId = st.getText(1);
        out.encryptionId = st.getText(2);
        out.alwaysSign = st.intOr(3, 0) != 0;
        out.alwaysEncrypt = st.intOr(4, 0) != 0;
        out.cipher = st.textOr(5);
    }
    return out;
}

void CertificateRepository::setOfAccount(const std::string& accountId, const AccountCertificates& s)
{
    Statement drop(c_, "DELETE FROM account_certificates WHERE account_id = ?");
    drop.bindText(1, accountId);
    drop.execute();
    Statement st(c_, "INSERT INTO account_certificates (account_id, signing_id, encryption_id, always_sign,"
                     " always_encrypt, cipher) VALUES (?, ?, ?, ?, ?, ?)");
    st.bindText(1, accountId).bindOptionalText(2, s.signingId).bindOptionalText(3, s.encryptionId);
    st.bindInt(4, s.alwaysSign ? 1 : 0).bindInt(5, s.alwaysEncrypt ? 1 : 0).bindText(6, s.cipher);
    st.execute();
}

bool CertificateRepository::noteExpiryNotice(const std::string& certificateId, std::int64_t day, std::int64_t nowMs)
{
    Statement known(c_, "SELECT 1 FROM certificate_expiry_notices WHERE certificate_id = ? AND day = ?");
    known.bindText(1, certificateId).bindInt(2, day);
    known.execute();
    if (known.fetch()) return false;
    Statement st(c_, "INSERT INTO certificate_expiry_notices (certificate_id, day, recorded_at_ms) VALUES (?, ?, ?)");
    st.bindText(1, certificateId).bindInt(2, day).bindInt(3, nowMs);
    st.execute();
    return true;
}

std::vector<CertificateRecord> CertificateRepository::select(const std::string& where,
                                                            const std::vector<std::string>& texts,
                                                            std::optional<std::int64_t> number)
{
    Statement st(c_, std::string("SELECT ") + kColumns + " FROM certificates WHERE " + where + " ORDER BY subject, id");
    int pos = 1;
    for (const auto& t : texts) st.bindText(pos++, t);
    if (number) st.bindInt(pos++, *number);
    st.execute();
    std::vector<CertificateRecord> out;
    while (st.fetch()) {
        CertificateRecord c;
        c.id = st.textOr(1);
        c.owner = st.textOr(2);
        c.fingerprint = st.textOr(3);
        c.subject = st.textOr(4);
        c.issuer = st.textOr(5);
        c.emails = splitCommaList(st.textOr(6));
        c.notAfterMs = st.intOr(7, 0);
        c.der = st.getBlob(8).value_or("");
        c.chainDer = st.getBlob(9);
        c.sealedKey = st.getBlob(10);
        c.keyUri = st.getText(11);
        c.createdAtMs = st.intOr(12, 0);
        c.createdBy = st.textOr(13);
        c.sealedPin = st.getBlob(14);
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace erpmail::store
