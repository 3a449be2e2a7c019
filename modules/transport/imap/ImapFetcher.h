// Fetches an account's IMAP folder into its database: new UIDs only, keyed by
// (folder, UIDVALIDITY, UID); after a UIDVALIDITY change the stored copies are
// re-keyed by content, not fetched twice; expunged on the server only after
// the commit, as the leave-copies rule says.
#pragma once

#include "erpmail/AccountSettings.h"
#include "erpmail/Context.h"
#include "erpmail/MailFetcher.h"
#include "erpmail/MessageStore.h"
#include "erpmail/SecretStore.h"
#include "transport/imap/ImapSession.h"

#include <memory>

namespace erpmail {

class ImapFetcher : public MailFetcher {
public:
    ImapFetcher(Context& context, SecretStore& secrets, MessageStore& messages);
    bool handles(const AccountSettings& settings) const override;
    FetchReport fetch(const store::AccountRecord& account, const AccountSettings& settings) override;
    void appendToSent(const store::AccountRecord& account, const AccountSettings& settings,
                      const std::vector<std::string>& raws) override;
    void testLogin(const store::AccountRecord& account, const AccountSettings& settings, StepReport& report) override;
    /// The account's IMAP server settings with its password opened, or an
    /// OAuth access token (bought now if none is cached). Throws OAuthError,
    /// and OperationError(invalid_params) when the account does not receive
    /// over IMAP.
    transport::ImapSettings settingsOf(const store::AccountRecord& account, const AccountSettings& settings);
    /// A logged-in session; a refused OAuth token is forgotten. With a
    /// report, its steps go there.
    std::unique_ptr<transport::ImapSession> open(const store::AccountRecord& account, const AccountSettings& settings,
                                                 StepReport* report = nullptr);
    /// The folder the account receives from ("INBOX" unless configured).
    static std::string folderOf(const AccountSettings& settings);

private:
    Context& context_;
    SecretStore& secrets_;
    MessageStore& messages_;
};

} // namespace erpmail
