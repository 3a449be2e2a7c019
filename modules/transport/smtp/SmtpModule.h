// Sending over SMTP: submission with STARTTLS, SMTPS, authentication.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/SecretSealer.h"

#include <memory>

namespace erpmail {

/// The SMTP module: mail.send and the outbox, its worker, mail.smtp.probe.
/// `sealer` opens the signing keys of the certificate stores; without one,
/// no mail is signed.
std::unique_ptr<Module> makeSmtpModule(Context& context, AccountAccess& accounts, SecretSealer* sealer);

} // namespace erpmail
