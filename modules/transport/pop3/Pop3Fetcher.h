// Fetches an account's POP3 maildrop into its database, then deletes on the
// server what the account's "leave copies" rule allows, and only what is
// committed locally.
#pragma once

#include "erpmail/AccountSettings.h"
#include "erpmail/Context.h"
#include "erpmail/MailFetcher.h"
#include "erpmail/MessageStore.h"
#include "erpmail/SecretStore.h"
#include "transport/pop3/Pop3Session.h"

#include <memory>

namespace erpmail {

class Pop3Fetcher : public MailFetcher {
public:
    Pop3Fetcher(Context& context, SecretStore& secrets, MessageStore& messages);
    /// One fetch. Throws OperationError: conflict when another fetch of the
    /// account runs, unavailable when the server cannot be reached or
    /// refuses the login (the account's status records why).
    FetchReport fetch(const store::AccountRecord& account, const AccountSettings& settings) override;
    /// True when the account receives over POP3 or POP3S.
    bool handles(const AccountSettings& settings) const override;
    void testLogin(const store::AccountRecord& account, const AccountSettings& settings, StepReport& report) override;

private:
    /// A logged-in session (an OAuth token bought first if the account uses
    /// one; a refused token is forgotten).
    std::unique_ptr<transport::Pop3Session> open(const store::AccountRecord& account, const IncomingSettings& incoming,
                                                 StepReport* report = nullptr);

    Context& context_;
    SecretStore& secrets_;
    MessageStore& messages_;
};

} // namespace erpmail
