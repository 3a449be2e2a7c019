// Receiving over POP3 and POP3S.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The POP3 module: the POP3 fetcher behind mail.fetch, the scheduled fetch
/// of online accounts and mail.pop3.probe.
std::unique_ptr<Module> makePop3Module(Context& context, AccountAccess& accounts);

} // namespace erpmail
