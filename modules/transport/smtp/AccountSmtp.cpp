// An account's SMTP server settings and credentials, read from what the
// account stores, the way every SMTP session of erpmail signs in.
#include "transport/smtp/AccountSmtp.h"

#include "transport/oauth/OAuthTokens.h"

namespace erpmail {

using Poco::JSON::Object;

transport::SmtpSettings smtpSettingsOf(const SendPath& path, const store::AccountRecord& account, bool buyToken)
{
    auto server = parseStoredObject(account.serverSettings);
    if (!server->has("smtp")) throw invalidParam("account", "account '" + account.label + "' has no SMTP server");
    auto smtp = server->getObject("smtp");
    transport::SmtpSettings s;
    s.host = smtp->optValue<std::string>("host", "");
    s.port = smtp->optValue<unsigned>("port", 587);
    s.security = transport::parseSecurity(smtp->optValue<std::string>("security", "starttls"));
    s.tls.caFile = smtp->optValue<std::string>("ca_file", "");
    s.tls.caPem = smtp->optValue<std::string>("ca", "");
    s.authenticate = smtp->optValue<bool>("requires_password", true);
    AccountCredentials credentials = path.accounts.credentials(account);
    s.user = smtp->optValue<std::string>("user", "");
    s.password = credentials.smtpPassword;
    if (s.user.empty()) {
        // "Server requires password": the incoming credentials, unless SMTP has its own.
        auto in = server->has("incoming") ? server->getObject("incoming") : Object::Ptr(new Object);
        s.user = in->optValue<std::string>("user", "");
        if (s.authenticate && transport::usesOAuth(in)) {
            if (credentials.oauthRefreshToken.empty()) throw missingPassword(account, "incoming.oauth2.refresh_token");
            // An access token opens the mailbox too: it goes only to the
            // SMTP server the refresh token was entered with.
            if (!credentials.incomingLentToSmtp)
                throw missingPassword(account, "incoming.oauth2.refresh_token for its SMTP server",
                                      "the SMTP server changed after the refresh token was entered, and its access "
                                      "tokens stay with the servers it was given for");
            if (buyToken) {
                try {
                    s.oauthToken = transport::accessTokenFor(path.context, path.accounts, account, in);
                } catch (const transport::OAuthError& e) {
                    // The mail stays queued for the next pass; the log says why it waits.
                    path.context.log(ERP_LOG_WARNING, "erpmail.outbox",
                                     "account " + account.label + ": no OAuth access token for SMTP: " + e.what());
                    throw OperationError("unavailable", "account '" + account.label + "': " + e.what());
                }
                s.tokenRefused = [&accounts = path.accounts, id = account.id] {
                    transport::forgetAccessToken(accounts, id);
                };
            }
        } else {
            if (s.authenticate && !credentials.incomingLentToSmtp && !credentials.incomingPassword.empty())
                throw missingPassword(account, "incoming.password for its SMTP server",
                                      "the SMTP server changed after the incoming password was entered, and that "
                                      "password stays with the server it was given for");
            s.password = credentials.incomingPassword;
            if (s.authenticate && s.password.empty()) throw missingPassword(account, "incoming.password");
        }
    } else if (s.authenticate && s.password.empty()) {
        throw missingPassword(account, "smtp.password");
    }
    s.timeoutSeconds = path.settings.timeoutSeconds;
    s.timeouts = path.settings.timeouts;
    if (account.senderEmail) {
        auto at = account.senderEmail->rfind('@');
        if (at != std::string::npos) s.heloName = account.senderEmail->substr(at + 1);
    }
    return s;
}

} // namespace erpmail
