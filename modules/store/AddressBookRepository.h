// The certificates the address book of an account's database collected
// from the valid signatures of incoming mail, for encrypting to their
// senders.
#pragma once

#include "store/Odbc.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

/// A certificate in DER form.
using CertificateDer = std::string;

struct AddressCertificate {
    std::string email; ///< lower case
    std::string fingerprint;
    std::string subject;
    std::int64_t notBeforeMs = 0, notAfterMs = 0;
    CertificateDer der;
    std::int64_t collectedAtMs = 0;
    std::optional<std::int64_t> messageId; ///< the mail it came with
    /// The SMIMECapabilities of the signature it came with: algorithm OIDs
    /// in dotted form, space-separated; unset when it listed none.
    std::optional<std::string> capabilities;
};

class AddressBookRepository {
public:
    AddressBookRepository(Connection& connection, std::string accountId)
        : c_(connection), accountId_(std::move(accountId))
    {
    }

    /// Keeps a signer's certificate for one of its addresses; a certificate
    /// seen again only records the newer mail.
    void collect(const AddressCertificate& certificate);
    /// The newest certificate for the address (case-insensitive) that is
    /// valid at `nowMs`.
    std::optional<CertificateDer> certificateFor(const std::string& email, std::int64_t nowMs);
    /// As above, valid now by the system clock.
    std::optional<CertificateDer> certificateFor(const std::string& email);
    /// Every certificate collected for the address, newest first.
    std::vector<AddressCertificate> certificatesOf(const std::string& email);
    /// Every certificate of the account's address book, by address and
    /// newest first; only the address's (case-insensitive) when given.
    std::vector<AddressCertificate> list(const std::optional<std::string>& email = std::nullopt);
    /// The capabilities kept with this certificate of the address; unset
    /// when it was not collected or its signature listed none.
    std::optional<std::string> capabilitiesOf(const std::string& email, const std::string& fingerprint);

private:
    Connection& c_;
    std::string accountId_;
};

/// Whether the space-separated OIDs of an AddressCertificate's
/// capabilities list `oid`.
bool listsCapability(const std::optional<std::string>& capabilities, const std::string& oid);

} // namespace erpmail::store
