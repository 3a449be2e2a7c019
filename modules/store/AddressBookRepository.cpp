#include "store/AddressBookRepository.h"

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <chrono>

namespace erpmail::store {

void AddressBookRepository::collect(const AddressCertificate& a)
{
    const std::string email = Poco::toLower(a.email);
    // The newest mail says what the sender's client reads now.
    // Kept statements: every validly signed mail that comes in asks them.
    Statement& seen = c_.prepared("UPDATE address_certificates SET collected_at_ms = ?, message_id = ?,"
                                  " capabilities = ? WHERE account_id = ? AND email = ? AND fingerprint = ?");
    seen.bindInt(1, a.collectedAtMs).bindOptionalInt(2, a.messageId).bindOptionalText(3, a.capabilities);
    seen.bindText(4, accountId_).bindText(5, email).bindText(6, a.fingerprint);
    const std::int64_t changed = seen.execute();
    seen.close();
    if (changed > 0) return;
    Statement& st = c_.prepared("INSERT INTO address_certificates (account_id, email, fingerprint, subject,"
                                " not_before_ms, not_after_ms, der, collected_at_ms, message_id, capabilities)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bindText(1, accountId_).bindText(2, email).bindText(3, a.fingerprint).bindText(4, a.subject);
    st.bindInt(5, a.notBeforeMs).bindInt(6, a.notAfterMs).bindBlob(7, a.der).bindInt(8, a.collectedAtMs);
    st.bindOptionalInt(9, a.messageId).bindOptionalText(10, a.capabilities);
    st.execute();
    st.close();
}

std::optional<CertificateDer> AddressBookRepository::certificateFor(const std::string& email, std::int64_t nowMs)
{
    Statement st(c_, "SELECT der FROM address_certificates WHERE account_id = ? AND email = ?"
                     " AND not_before_ms <= ? AND not_after_ms > ? ORDER BY not_before_ms DESC, id DESC");
    st.bindText(1, accountId_).bindText(2, Poco::toLower(email)).bindInt(3, nowMs).bindInt(4, nowMs);
    st.execute();
    if (!st.fetch()) return std::nullopt;
    auto der = st.getBlob(1);
    st.close();
    return der;
}

std::optional<CertificateDer> AddressBookRepository::certificateFor(const std::string& email)
{
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return certificateFor(email, now);
}

std::vector<AddressCertificate> AddressBookRepository::certificatesOf(const std::string& email)
{
    return list(email);
}

std::vector<AddressCertificate> AddressBookRepository::list(const std::optional<std::string>& email)
{
    Statement st(c_,
                 std::string("SELECT email, fingerprint, subject, not_before_ms, not_after_ms, der, collected_at_ms,"
                             " message_id, capabilities FROM address_certificates WHERE account_id = ?") +
                     (email ? " AND email = ?" : "") + " ORDER BY email, not_before_ms DESC, id DESC");
    st.bindText(1, accountId_);
    if (email) st.bindText(2, Poco::toLower(*email));
    st.execute();
    std::vector<AddressCertificate> out;
    while (st.fetch()) {
        AddressCertificate a;
        a.email = st.textOr(1);
        a.fingerprint = st.textOr(2);
        a.subject = st.textOr(3);
        a.notBeforeMs = st.intOr(4, 0);
        a.notAfterMs = st.intOr(5, 0);
        a.der = st.getBlob(6).value_or("");
        a.collectedAtMs = st.intOr(7, 0);
        a.messageId = st.getInt(8);
        a.capabilities = st.getText(9);
        out.push_back(std::move(a));
    }
    return out;
}

std::optional<std::string> AddressBookRepository::capabilitiesOf(const std::string& email,
                                                                const std::string& fingerprint)
{
    Statement st(c_, "SELECT capabilities FROM address_certificates WHERE account_id = ? AND email = ?"
                     " AND fingerprint = ?");
    st.bindText(1, accountId_).bindText(2, Poco::toLower(email)).bindText(3, fingerprint);
    st.execute();
    if (!st.fetch()) return std::nullopt;
    auto capabilities = st.getText(1);
    st.close();
    return capabilities;
}

bool listsCapability(const std::optional<std::string>& capabilities, const std::string& oid)
{
    if (!capabilities) return false;
    const Poco::StringTokenizer oids(*capabilities, " ", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    return std::find(oids.begin(), oids.end(), oid) != oids.end();
}

} // namespace erpmail::store
