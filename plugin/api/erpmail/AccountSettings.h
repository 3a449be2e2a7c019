// An account's server settings as one typed value, read once from the JSON
// form the account module stores (AccountRecord::serverSettings), so that a
// fetch or a send does not parse that text again at every step.
#pragma once

#include "erpmail/Context.h"
#include "store/Records.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace erpmail {

/// The incoming server: where mail is fetched from and how to sign in.
struct IncomingSettings {
    std::string protocol; ///< pop3, pop3s, imap, imaps or m365
    std::string host;
    unsigned port = 0;            ///< 0: not stored; the protocol's default applies
    std::string security = "tls"; ///< tls or starttls
    std::string folder = "INBOX"; ///< IMAP: the folder mail is fetched from
    std::string user;
    std::string auth = "password"; ///< password or oauth2
    std::string caFile;            ///< a CA bundle trusted besides the system's
    std::string caPem;             ///< CA certificates given inline
    /// OAuth 2.0 (auth oauth2); the refresh token is sealed with the secrets.
    struct OAuth2 {
        std::string tokenUrl;
        std::string clientId;
        std::string scope;
    };
    std::optional<OAuth2> oauth2;
    /// The leave-copies rule: never, days (keep for `days`) or forever.
    std::string leaveMode = "never";
    std::int64_t leaveDays = 0;

    bool receivesOverImap() const { return protocol == "imap" || protocol == "imaps" || protocol == "m365"; }
    bool receivesOverPop3() const { return protocol.rfind("pop3", 0) == 0; }
    bool usesOAuth() const { return auth == "oauth2"; }
    /// How long a fetched mail stays on the server under the "days" rule.
    std::int64_t keepOnServerMs() const { return leaveDays * 86400000LL; }

    /// Reads the stored "incoming" block.
    static IncomingSettings fromJson(const Poco::JSON::Object& in)
    {
        IncomingSettings s;
        s.protocol = in.optValue<std::string>("protocol", "");
        s.host = in.optValue<std::string>("host", "");
        s.port = in.optValue<unsigned>("port", 0);
        s.security = in.optValue<std::string>("security", "tls");
        s.folder = in.optValue<std::string>("folder", "INBOX");
        s.user = in.optValue<std::string>("user", "");
        s.auth = in.optValue<std::string>("auth", "password");
        s.caFile = in.optValue<std::string>("ca_file", "");
        s.caPem = in.optValue<std::string>("ca", "");
        if (auto oauth = in.getObject("oauth2"))
            s.oauth2 = OAuth2{oauth->optValue<std::string>("token_url", ""),
                              oauth->optValue<std::string>("client_id", ""), oauth->optValue<std::string>("scope", "")};
        if (auto leave = in.getObject("leave_on_server")) {
            s.leaveMode = leave->optValue<std::string>("mode", "never");
            s.leaveDays = leave->optValue<std::int64_t>("days", 0);
        }
        return s;
    }
};

/// The SMTP server mail is sent through.
struct SmtpSettings {
    std::string host;
    unsigned port = 587;
    std::string security = "starttls"; ///< starttls, tls or none
    bool requiresPassword = true;
    std::string user; ///< empty: the incoming credentials are borrowed
    std::string caFile;
    std::string caPem;

    /// Reads the stored "smtp" block.
    static SmtpSettings fromJson(const Poco::JSON::Object& smtp)
    {
        SmtpSettings s;
        s.host = smtp.optValue<std::string>("host", "");
        s.port = smtp.optValue<unsigned>("port", 587);
        s.security = smtp.optValue<std::string>("security", "starttls");
        s.requiresPassword = smtp.optValue<bool>("requires_password", true);
        s.user = smtp.optValue<std::string>("user", "");
        s.caFile = smtp.optValue<std::string>("ca_file", "");
        s.caPem = smtp.optValue<std::string>("ca", "");
        return s;
    }
};

/// Both servers of an account; either may be absent.
struct AccountSettings {
    std::optional<IncomingSettings> incoming;
    std::optional<SmtpSettings> smtp;

    /// Parses the account's stored server settings. Throws Poco::Exception
    /// when the stored text is not a JSON object.
    static AccountSettings of(const store::AccountRecord& account)
    {
        const Poco::JSON::Object::Ptr server = parseStoredObject(account.serverSettings);
        AccountSettings s;
        if (auto in = server->getObject("incoming")) s.incoming = IncomingSettings::fromJson(*in);
        if (auto smtp = server->getObject("smtp")) s.smtp = SmtpSettings::fromJson(*smtp);
        return s;
    }
};

} // namespace erpmail
