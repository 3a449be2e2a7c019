// An account's SMTP server and how to sign in there, as sending and the
// account test use them.
#pragma once

#include "transport/smtp/SendPath.h"

namespace erpmail {

/// The account's SMTP server and how to sign in there. SMTP without a user
/// of its own signs in as the incoming side does: its password, or its
/// OAuth access token (bought now unless `buyToken` is false). Throws
/// OperationError: invalid_params without an SMTP server, unavailable
/// without the password or token it needs.
transport::SmtpSettings smtpSettingsOf(const SendPath& path, const store::AccountRecord& account, bool buyToken = true);

} // namespace erpmail
