// Finding the recipients' certificates in the stores: the plugin's, the
// acting user's, and (where it is kept) the account's address book.
#include "transport/smtp/RecipientCertificates.h"

#include "certificate/CertificateFiles.h"
#include "certificate/CertificateUse.h"
#include "erpmail/OperationError.h"
#include "store/AddressBookRepository.h"
#include "store/CertificateRepository.h"

#include <Poco/String.h>

namespace erpmail {

namespace {

// The newest of `records` that may encrypt to `email` now.
std::optional<RecipientCertificate> newestUsable(const std::vector<store::CertificateRecord>& records,
                                                 const std::string& email, std::int64_t nowMs)
{
    std::optional<RecipientCertificate> best;
    std::int64_t bestNotAfter = 0;
    for (const auto& r : records) {
        smime::Certificate c(certificateFromDer(r.der));
        if (!c || !unusableBecause(c.get(), email, CertificatePurpose::Encryption, nowMs).empty()) continue;
        if (best && r.notAfterMs <= bestNotAfter) continue;
        bestNotAfter = r.notAfterMs;
        best = RecipientCertificate{email, std::move(c), std::nullopt};
    }
    return best;
}

// The certificates collected from the recipient's validly signed mail, in
// the account's own database: the newest that may encrypt to them now.
std::optional<RecipientCertificate> fromAddressBook(const SendPath& path, const store::AccountRecord& account,
                                                    const std::string& email, std::int64_t nowMs)
{
    auto mailbox = path.accounts.messages.mailbox(account);
    for (const auto& collected : store::AddressBookRepository(*mailbox, account.id).certificatesOf(email)) {
        smime::Certificate c(certificateFromDer(collected.der));
        if (c && unusableBecause(c.get(), email, CertificatePurpose::Encryption, nowMs).empty())
            return RecipientCertificate{email, std::move(c), std::nullopt};
    }
    return std::nullopt;
}

// Whether the SMIMECapabilities of the recipient's signed mail that brought
// this certificate list AES-256-GCM: what their client says it reads, not
// where the certificate was found. A certificate never seen with a signed
// mail of theirs does not say so.
bool readsGcm(const SendPath& path, const store::AccountRecord& account, const std::string& email, X509* certificate)
{
    auto mailbox = path.accounts.messages.mailbox(account);
    const auto listed =
        store::AddressBookRepository(*mailbox, account.id).capabilitiesOf(email, fingerprintOf(certificate));
    return store::listsCapability(listed, smime::kAes256GcmOid);
}

} // namespace

std::vector<RecipientCertificate> recipientCertificates(const SendPath& path, const Request& request,
                                                        const store::AccountRecord& account,
                                                        const std::vector<std::string>& emails)
{
    const std::int64_t now = path.context.host().nowMs();
    std::vector<RecipientCertificate> out;
    std::vector<std::string> missing;
    auto system = path.context.databases().acquire(path.context.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    for (const auto& address : emails) {
        const std::string email = Poco::toLower(address);
        std::vector<store::CertificateRecord> stored = certificates.list("", email);
        for (auto& r : certificates.list(request.user, email)) stored.push_back(std::move(r));
        auto found = newestUsable(stored, email, now);
        if (!found) found = fromAddressBook(path, account, email, now);
        if (found) {
            found->acceptsGcm = readsGcm(path, account, email, found->certificate.get());
            out.push_back(std::move(*found));
        }
        else
            missing.push_back(address);
    }
    if (!missing.empty())
        throw invalidParam("encrypt", "the mail cannot be encrypted: no valid certificate for " +
                                          Poco::cat(std::string(", "), missing.begin(), missing.end()) +
                                          "; import one, or send it unencrypted");
    return out;
}

} // namespace erpmail
