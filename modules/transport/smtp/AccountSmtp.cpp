// An account's SMTP server settings and credentials, read from what the
// account stores, the way every SMTP session of erpmail signs in.
#include "transport/smtp/AccountSmtp.h"

#include "erpmail/AccountSettings.h"
#include "transport/oauth/OAuthTokens.h"

namespace erpmail {

transport::SmtpSettings smtpSettingsOf(const SendPath& path, const store::AccountRecord& account, bool buyToken)
{
    const AccountSettings settings = AccountSettings::of(account);
    if (!settings.smtp) throw invalidParam("account", "account '" + account.label + "' has no SMTP server");
    const SmtpSettings& smtp = *settings.smtp;
    transport::SmtpSettings s;
    s.host = smtp.host;
    s.port = smtp.port;
    s.security = transport::parseSecurity(smtp.security);
    s.tls.caFile = smtp.caFile;
    s.tls.caPem = smtp.caPem;
    s.authenticate = smtp.requiresPassword;
    AccountCredentials credentials = path.accounts.secrets.credentials(account);
    s.user = smtp.user;
    s.password = credentials.smtpPassword;
    if (s.user.empty()) {
        // "Server requires password": the incoming credentials, unless SMTP has its own.
        const IncomingSettings in = settings.incoming.value_or(IncomingSettings{});
        s.user = in.user;
        if (s.authenticate && in.usesOAuth()) {
            if (credentials.oauthRefreshToken.empty()) throw missingPassword(account, "incoming.oauth2.refresh_token");
            // An access token opens the mailbox too: it goes only to the
            // SMTP server the refresh token was entered with.
            if (!credentials.incomingLentToSmtp)
                throw missingPassword(account, "incoming.oauth2.refresh_token for its SMTP server",
                                      "the SMTP server changed after the refresh token was entered, and its access "
                                      "tokens stay with the servers it was given for");
            if (buyToken) {
                try {
                    s.oauthToken = transport::accessTokenFor(path.context, path.accounts.secrets, account, in);
                } catch (const transport::OAuthError& e) {
                    // The mail stays queued for the next pass; the log says why it waits.
                    path.context.log(ERP_LOG_WARNING, "erpmail.outbox",
                                     "account " + account.label + ": no OAuth access token for SMTP: " + e.what());
                    throw OperationError("unavailable", "account '" + account.label + "': " + e.what());
                }
                s.tokenRefused = [&secrets = path.accounts.secrets, id = account.id] {
                    transport::forgetAccessToken(secrets, id);
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
