// Sending over SMTP: submission with STARTTLS, SMTPS, authentication.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The SMTP module: mail.send and the outbox, its worker, mail.smtp.probe.
std::unique_ptr<Module> makeSmtpModule(Context& context, AccountAccess& accounts);

} // namespace erpmail
