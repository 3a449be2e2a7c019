// Receiving over POP3 and POP3S.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Context.h"
#include "erpmail/FetcherRegistry.h"
#include "erpmail/MessageStore.h"
#include "erpmail/Module.h"
#include "erpmail/SecretStore.h"

#include <memory>

namespace erpmail {

/// The POP3 module: the POP3 fetcher behind mail.fetch, the scheduled fetch
/// of online accounts and mail.pop3.probe.
/// It reads the accounts to fetch from the directory, signs in with their
/// secrets, stores into their mailboxes and offers its fetcher to the registry.
std::unique_ptr<Module> makePop3Module(Context& context, AccountDirectory& accounts, SecretStore& secrets,
                                       MessageStore& messages, FetcherRegistry& fetchers);

} // namespace erpmail
