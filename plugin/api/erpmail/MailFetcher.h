// What a receiving transport offers the account module: fetching one
// account's new mail into its database. Each call gets the account's server
// settings parsed once by the caller (AccountSettings::of).
#pragma once

#include "erpmail/AccountSettings.h"
#include "erpmail/StepReport.h"
#include "store/Records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

/// A mail left on the server because it is larger than the installation's
/// limit (erpmail.fetch.max_message_mb), described from its header.
struct TooLargeMail {
    std::string id; ///< POP3 unique id or IMAP UID
    std::int64_t size = 0;
    std::string from;
    std::string subject;
};

struct FetchReport {
    int fetched = 0;         ///< mails stored by this fetch
    int deletedOnServer = 0; ///< mails the server deleted (all of them stored before)
    int onServer = 0;        ///< mails on the server when the fetch began
    /// Left on the server for their size; unset when the fetch did not look
    /// (an IMAP resync that found nothing new).
    std::optional<std::vector<TooLargeMail>> tooLarge;
};

class MailFetcher {
public:
    virtual ~MailFetcher() = default;
    /// True when the account's incoming protocol is this fetcher's.
    virtual bool handles(const AccountSettings& settings) const = 0;
    /// Fetches now. Throws OperationError: conflict while another fetch of
    /// the account runs, unavailable when the server cannot be used.
    virtual FetchReport fetch(const store::AccountRecord& account, const AccountSettings& settings) = 0;
    /// Optional: keeps copies of mails the account sent in the server's Sent
    /// folder (IMAP). Throws with a reason when the server refuses.
    virtual void appendToSent(const store::AccountRecord&, const AccountSettings&, const std::vector<std::string>& /*raws*/)
    {
    }
    /// The account test: signs in with the session and settings a fetch
    /// uses, then looks at the mail it would fetch (select, stat), each
    /// step in `report`, and out. Throws with the reason (OperationError
    /// when nothing was tried); the step that was running then is open.
    virtual void testLogin(const store::AccountRecord& account, const AccountSettings& settings, StepReport& report) = 0;
};

} // namespace erpmail
