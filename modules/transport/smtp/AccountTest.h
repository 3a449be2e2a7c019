// mail.account.test: an account's servers tried with the sessions that send
// and fetch, each step reported.
#pragma once

#include "transport/smtp/SendPath.h"

#include <Poco/JSON/Object.h>

namespace erpmail {

/// mail.account.test: signs in to the account's SMTP server as sending does
/// (and, with "check_sender", offers its sender in MAIL FROM), and to its
/// incoming server as a fetch does; each side's steps, and whether all
/// went well. Forbidden to whom may not change the account.
Poco::JSON::Object::Ptr testAccount(const SendPath& path, const Request& request);

} // namespace erpmail
