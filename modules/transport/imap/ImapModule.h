// Receiving over IMAP and IMAPS.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Authorizer.h"
#include "erpmail/Context.h"
#include "erpmail/FetcherRegistry.h"
#include "erpmail/MessageStore.h"
#include "erpmail/Module.h"
#include "erpmail/SecretStore.h"

#include <memory>

namespace erpmail {

/// The IMAP module: the IMAP fetcher behind mail.fetch, the scheduled fetch
/// and IDLE push of online accounts, mail.imap.probe and mail.imap.folders.
/// Besides what POP3 takes, it asks the authorizer who may list an account's
/// folders.
std::unique_ptr<Module> makeImapModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer,
                                       SecretStore& secrets, MessageStore& messages, FetcherRegistry& fetchers);

} // namespace erpmail
