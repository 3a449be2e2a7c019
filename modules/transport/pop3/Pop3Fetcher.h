// Fetches an account's POP3 maildrop into its database, then deletes on the
// server what the account's "leave copies" rule allows, and only what is
// committed locally.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/MailFetcher.h"
#include "transport/pop3/Pop3Session.h"

#include <memory>

#include <Poco/JSON/Object.h>

namespace erpmail {

class Pop3Fetcher : public MailFetcher {
public:
    Pop3Fetcher(Context& context, AccountAccess& accounts);
    /// One fetch. Throws OperationError: conflict when another fetch of the
    /// account runs, unavailable when the server cannot be reached or
    /// refuses the login (the account's status records why).
    FetchReport fetch(const store::AccountRecord& account) override;
    bool handles(const store::AccountRecord& account) const override;
    void testLogin(const store::AccountRecord& account, StepReport& report) override;
    /// Every online POP3 account, one after another; failures are logged.
    void fetchAll();

private:
    /// A logged-in session (an OAuth token bought first if the account uses
    /// one; a refused token is forgotten).
    std::unique_ptr<transport::Pop3Session> open(const store::AccountRecord& account, StepReport* report = nullptr);

    Context& context_;
    AccountAccess& accounts_;
};

/// True when the account receives over POP3 or POP3S.
bool receivesOverPop3(const store::AccountRecord& account);

} // namespace erpmail
