// Receiving over IMAP and IMAPS.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The IMAP module: the IMAP fetcher behind mail.fetch, the scheduled fetch
/// and IDLE push of online accounts, mail.imap.probe and mail.imap.folders.
std::unique_ptr<Module> makeImapModule(Context& context, AccountAccess& accounts);

} // namespace erpmail
