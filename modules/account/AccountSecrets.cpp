// The secrets of an account in their sealed JSON form, and what they are
// bound to.
#include "account/AccountSecrets.h"

#include "account/AccountJson.h"
#include "account/SecretBox.h"
#include "erpmail/Context.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cctype>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

AccountSecrets::~AccountSecrets()
{
    wipe(oauthAccessToken); // the credentials wipe themselves
}

bool AccountSecrets::empty() const
{
    return incomingPassword.empty() && smtpPassword.empty() && oauthRefreshToken.empty() && oauthClientSecret.empty() &&
           oauthAccessToken.empty();
}

std::string AccountSecrets::toJson() const
{
    Object::Ptr o = new Object;
    o->set("incoming_password", incomingPassword);
    o->set("smtp_password", smtpPassword);
    if (!oauthRefreshToken.empty()) o->set("oauth_refresh_token", oauthRefreshToken);
    if (!oauthClientSecret.empty()) o->set("oauth_client_secret", oauthClientSecret);
    if (!oauthAccessToken.empty()) {
        o->set("oauth_access_token", oauthAccessToken);
        o->set("oauth_access_valid_until_ms", oauthAccessValidUntilMs);
    }
    o->set("incoming_lent_to_smtp", incomingLentToSmtp);
    return erpmail::toJson(o);
}

AccountSecrets AccountSecrets::fromJson(const std::string& text)
{
    AccountSecrets s;
    if (text.empty()) return s;
    auto o = parseStoredObject(text);
    s.incomingPassword = o->optValue<std::string>("incoming_password", "");
    s.smtpPassword = o->optValue<std::string>("smtp_password", "");
    s.oauthRefreshToken = o->optValue<std::string>("oauth_refresh_token", "");
    s.oauthClientSecret = o->optValue<std::string>("oauth_client_secret", "");
    s.oauthAccessToken = o->optValue<std::string>("oauth_access_token", "");
    s.oauthAccessValidUntilMs = o->optValue<std::int64_t>("oauth_access_valid_until_ms", 0);
    s.incomingLentToSmtp = o->optValue<bool>("incoming_lent_to_smtp", true); // sealed before the flag: as it was
    return s;
}

void AccountSecrets::take(const SecretChanges& changes)
{
    if (changes.incomingPassword) incomingPassword = *changes.incomingPassword;
    if (changes.smtpPassword) smtpPassword = *changes.smtpPassword;
    if (changes.oauthRefreshToken) oauthRefreshToken = *changes.oauthRefreshToken;
    if (changes.oauthClientSecret) oauthClientSecret = *changes.oauthClientSecret;
}

SecretBindings secretBindingsOf(const std::string& serverSettings)
{
    auto server = parseStoredObject(serverSettings);
    auto lower = [](std::string s) {
        for (auto& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    auto canonical = [](std::initializer_list<Poco::Dynamic::Var> parts) {
        Array::Ptr a = new Array;
        for (const auto& p : parts)
            a->add(p);
        return toJson(a);
    };
    SecretBindings b;
    if (server->has("incoming")) {
        auto in = server->getObject("incoming");
        b.incoming = canonical({"incoming", in->optValue<std::string>("protocol", ""),
                                lower(in->optValue<std::string>("host", "")), in->optValue<int>("port", 0),
                                in->optValue<std::string>("user", "")});
        auto oauth = in->has("oauth2") ? in->getObject("oauth2") : Object::Ptr(new Object);
        b.oauth = canonical(
            {b.incoming, oauth->optValue<std::string>("token_url", ""), oauth->optValue<std::string>("client_id", "")});
    }
    if (server->has("smtp")) {
        auto smtp = server->getObject("smtp");
        b.smtpServer =
            canonical({"smtp", lower(smtp->optValue<std::string>("host", "")), smtp->optValue<int>("port", 0)});
        b.smtp = canonical({b.smtpServer, smtp->optValue<std::string>("user", "")});
        b.smtpBorrows =
            smtp->optValue<bool>("requires_password", true) && smtp->optValue<std::string>("user", "").empty();
    }
    return b;
}

std::string secretsAssociatedData(const std::string& accountId, const std::string& serverSettings)
{
    const SecretBindings b = secretBindingsOf(serverSettings);
    return "erpmail.account-secrets.2\n" + accountId + "\n" + b.oauth + "\n" + b.smtp;
}

} // namespace erpmail
