// Fetches an account's IMAP folder into its database: new UIDs only, keyed by
// (folder, UIDVALIDITY, UID); after a UIDVALIDITY change the stored copies are
// re-keyed by content, not fetched twice; expunged on the server only after
// the commit, as the leave-copies rule says.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/MailFetcher.h"
#include "transport/imap/ImapSession.h"

#include <memory>

namespace erpmail {

class ImapFetcher : public MailFetcher {
public:
    ImapFetcher(Context& context, AccountAccess& accounts);
    bool handles(const store::AccountRecord& account) const override;
    FetchReport fetch(const store::AccountRecord& account) override;
    void appendToSent(const store::AccountRecord& account, const std::vector<std::string>& raws) override;
    void testLogin(const store::AccountRecord& account, StepReport& report) override;
    void fetchAll();
    /// The account's IMAP server settings with its password opened, or an
    /// OAuth access token (bought now if none is cached). Throws OAuthError.
    transport::ImapSettings settingsOf(const store::AccountRecord& account);
    /// A logged-in session; a refused OAuth token is forgotten. With a
    /// report, its steps go there.
    std::unique_ptr<transport::ImapSession> open(const store::AccountRecord& account, StepReport* report = nullptr);
    /// The folder the account receives from ("INBOX" unless configured).
    static std::string folderOf(const store::AccountRecord& account);

private:
    Context& context_;
    AccountAccess& accounts_;
};

} // namespace erpmail
