// S/MIME of received mail when it is stored: verified once, the result kept
// beside the message, the valid signers' certificates collected into the
// address book of the account's database.
#include "account/AccountService.h"

#include "certificate/CertificateFiles.h"
#include "certificate/SecurityScan.h"
#include "certificate/X509Info.h"
#include "transport/common/Ingest.h"

#include <Poco/String.h>

namespace erpmail {

namespace {

using smime::SignerCheck;

/// Mails larger than this are stored with status error rather than checked.
constexpr std::size_t kMaxCheckedBytes = 64 * 1024 * 1024;

// The certificates of signers whose signature is valid: trusted, bound to
// the From address, holding over the content. Others could bring anyone's
// address with an attacker's key.
std::vector<store::AddressCertificate> validSignerCertificates(const smime::MessageSecurity& security,
                                                               std::int64_t nowMs)
{
    std::vector<store::AddressCertificate> out;
    for (const auto& s : security.signers) {
        const SignerCheck& c = s.check;
        if (c.status != "valid" || c.certificateDer.empty()) continue;
        std::optional<std::string> capabilities;
        if (!c.capabilities.empty())
            capabilities = Poco::cat(std::string(" "), c.capabilities.begin(), c.capabilities.end());
        for (const auto& email : c.emails)
            out.push_back({Poco::toLower(email), c.fingerprint, c.subject, c.notBeforeMs, c.notAfterMs,
                           c.certificateDer, nowMs, std::nullopt, capabilities});
    }
    return out;
}

} // namespace

void AccountService::checkSecurity(PreparedMessage& p, const std::string& fromEmail, bool showSignedContent)
{
    const std::string& raw = p.record.raw;
    if (!smime::mayHoldSmime(raw)) return;
    const std::int64_t now = context_.host().nowMs();
    store::SecurityRecord record;
    record.verifiedAtMs = now;
    if (raw.size() > kMaxCheckedBytes) {
        record.kind = "signed";
        record.status = "error";
        record.reason =
            "the mail is larger than " + std::to_string(kMaxCheckedBytes >> 20) + " MB; its S/MIME was not checked";
        p.security = record;
        return;
    }
    smime::TrustAnchors anchors;
    auto trust = [&]() -> X509_STORE* {
        if (!anchors) anchors = trust_.anchors();
        return anchors.get();
    };
    smime::MessageSecurity found;
    try {
        found = smime::scanMessage(raw, trust, fromEmail, now);
    } catch (const std::exception& e) {
        // Out of memory, say: the mail is stored all the same, and says why it was not checked.
        found.kind = "signed";
        found.status = "error";
        found.reason = std::string("the S/MIME structure could not be checked: ") + e.what();
    }
    if (found.kind.empty()) return;
    record.kind = found.kind;
    record.status = found.status;
    if (!found.reason.empty()) record.reason = found.reason;
    record.signers = smime::signersJson(found.signers);
    p.security = record;
    p.signerCertificates = validSignerCertificates(found, now);
    if (found.signedContent && showSignedContent) {
        // The reader sees what the signature carries, not the envelope around it.
        try {
            smime::MessageParts parts = smime::splitMessage(raw);
            parts.entity = smime::canonical(*found.signedContent);
            store::MessageRecord inner =
                recordFromRaw(smime::joinMessage(parts), p.record.accountId, p.record.personal, p.record.receivedAtMs);
            p.record.bodyText = std::move(inner.bodyText);
            p.record.bodyHtml = std::move(inner.bodyHtml);
            p.record.attachments = std::move(inner.attachments);
            p.summary.attachments = p.record.attachments.size();
        } catch (const std::exception&) {
            // Shown as it arrived.
        }
    }
}

void AccountService::storeSecurity(store::Connection& connection, const PreparedMessage& p)
{
    if (!p.security) return;
    store::SecurityRecord record = *p.security;
    record.messageId = p.summary.id;
    store::SecurityRepository(connection).put(record);
    store::AddressBookRepository book(connection, p.record.accountId);
    for (auto certificate : p.signerCertificates) {
        certificate.messageId = p.summary.id;
        book.collect(certificate);
    }
}

} // namespace erpmail
