// Sending over SMTP: submission with STARTTLS, SMTPS, authentication.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Authorizer.h"
#include "erpmail/Context.h"
#include "erpmail/FetcherRegistry.h"
#include "erpmail/MessageStore.h"
#include "erpmail/Module.h"
#include "erpmail/SecretSealer.h"
#include "erpmail/SecretStore.h"
#include "erpmail/SentCopies.h"

#include <memory>

namespace erpmail {

/// What the send path asks of the account module, each by its role.
struct SendAccounts {
    AccountDirectory& directory; ///< the accounts a user may see, a user's main account, every account
    Authorizer& authorizer;      ///< who may send from or configure an account
    SecretStore& secrets;        ///< SMTP passwords and OAuth tokens
    MessageStore& messages;      ///< each account's database and its local Sent copies
    SentCopies& sentCopies;      ///< Sent copies in the account's IMAP Sent folder
    FetcherRegistry& fetchers;   ///< the incoming sign-in of mail.account.test
};

/// The SMTP module: mail.send and the outbox, its worker, mail.smtp.probe.
/// `sealer` opens the signing keys of the certificate stores; without one,
/// no mail is signed.
std::unique_ptr<Module> makeSmtpModule(Context& context, SendAccounts accounts, SecretSealer* sealer);

} // namespace erpmail
