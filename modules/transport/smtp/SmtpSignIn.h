// Signing in to an SMTP server: the mechanism chosen from what the server
// offers, and the exchange that runs it.
#pragma once

#include "transport/smtp/SmtpConnection.h"

#include <string>
#include <vector>

namespace erpmail::transport {

class SmtpSession;

/// The mechanism the account signs in with at this server: with
/// settings.oauthToken XOAUTH2, else OAUTHBEARER; without it PLAIN, LOGIN or
/// CRAM-MD5, the first one offered. Throws SmtpSetupError (permanent) when
/// the server offers none of them; `where` names the server there.
std::string chooseSignIn(const std::vector<std::string>& capabilities, const SmtpSettings& settings,
                         const std::string& where);

/// Signs in with `mechanism` (as chooseSignIn named it). Throws
/// Poco::Net::SMTPException with the server's words; a token the server
/// refuses for good (5xx) calls settings.tokenRefused first.
void signIn(SmtpSession& session, const std::string& mechanism, const SmtpSettings& settings);

} // namespace erpmail::transport
