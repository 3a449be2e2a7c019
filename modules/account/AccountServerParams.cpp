// The incoming and smtp blocks of mail.account.create and .update: their schema, their checks and defaults, and how
// they merge into the stored server settings.
#include "account/AccountServerParams.h"

#include "erpmail/OperationError.h"
#include "mime/HeaderSafety.h"

namespace erpmail {

using Poco::JSON::Object;

namespace {

// A secret goes on the wire as a protocol argument: CR or LF would end the
// command and start another (a POP3 password "pw\r\nDELE 1"), NUL cuts it.
std::optional<std::string> secretGiven(const Object::Ptr& block, const std::string& key, const std::string& field)
{
    if (!block->has(key)) return std::nullopt;
    if (block->isNull(key)) return std::string();
    std::string value = block->getValue<std::string>(key);
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
        throw invalidParam(field, field + " must not contain CR, LF or NUL");
    return value;
}

void checkHost(const std::string& field, const std::string& host)
{
    if (host.empty()) throw invalidParam(field, field + " is required");
    for (unsigned char c : host)
        if (c <= ' ' || c == '/' || c == '@' || c == 0x7f)
            throw invalidParam(field, field + " is not a host name or address");
}

int defaultIncomingPort(const std::string& protocol)
{
    if (protocol == "pop3") return 110;
    if (protocol == "pop3s") return 995;
    if (protocol == "imap") return 143;
    return 993; // imaps, m365
}

} // namespace

void requireNoControls(const std::string& field, const std::string& value)
{
    if (mime::hasControlCharacters(value))
        throw invalidParam(field, field + " must not contain line breaks or other control characters");
}

Object::Ptr mergeIncomingParams(const Object::Ptr& given, const Object::Ptr& previous, SecretChanges& secrets)
{
    Object::Ptr in = new Object(*previous);
    for (const auto& [key, value] : *given)
        if (key != "password" && key != "oauth2") in->set(key, value);
    const std::string protocol = in->optValue<std::string>("protocol", "");
    if (protocol.empty()) throw invalidParam("incoming.protocol", "incoming.protocol is required");
    if (protocol == "m365") {
        if (!in->has("host")) in->set("host", "outlook.office365.com");
        in->set("auth", "oauth2"); // Microsoft 365 takes no passwords over IMAP
    }
    const std::string auth = in->optValue<std::string>("auth", "password");
    in->set("auth", auth);
    if (auth == "oauth2") {
        // OAuth 2.0 (RFC 6749 refresh-token grant): the settings are kept,
        // the refresh token and client secret are sealed with the passwords.
        Object::Ptr oauth = in->has("oauth2") ? Object::Ptr(new Object(*in->getObject("oauth2"))) : Object::Ptr(new Object);
        Object::Ptr givenOauth = given->has("oauth2") ? given->getObject("oauth2") : Object::Ptr(new Object);
        for (const auto& [key, value] : *givenOauth)
            if (key != "refresh_token" && key != "client_secret") oauth->set(key, value);
        if (protocol == "m365") {
            const std::string tenant = oauth->optValue<std::string>("tenant", "organizations");
            requireNoControls("incoming.oauth2.tenant", tenant);
            oauth->set("tenant", tenant);
            if (!oauth->has("token_url"))
                oauth->set("token_url", "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token");
            if (!oauth->has("scope"))
                oauth->set("scope", "https://outlook.office365.com/IMAP.AccessAsUser.All "
                                    "https://outlook.office365.com/SMTP.Send offline_access");
        }
        const std::string tokenUrl = oauth->optValue<std::string>("token_url", "");
        if (tokenUrl.rfind("https://", 0) != 0)
            throw invalidParam("incoming.oauth2.token_url", "the OAuth token endpoint must be an https:// address");
        requireNoControls("incoming.oauth2.token_url", tokenUrl);
        if (oauth->optValue<std::string>("client_id", "").empty())
            throw invalidParam("incoming.oauth2.client_id", "give the client id the application is registered under");
        requireNoControls("incoming.oauth2.client_id", oauth->optValue<std::string>("client_id", ""));
        requireNoControls("incoming.oauth2.scope", oauth->optValue<std::string>("scope", ""));
        in->set("oauth2", oauth);
        if (auto token = secretGiven(givenOauth, "refresh_token", "incoming.oauth2.refresh_token"))
            secrets.oauthRefreshToken = token;
        if (auto secret = secretGiven(givenOauth, "client_secret", "incoming.oauth2.client_secret"))
            secrets.oauthClientSecret = secret;
    } else {
        in->remove("oauth2");
    }
    checkHost("incoming.host", in->optValue<std::string>("host", ""));
    const bool implicitTls = protocol == "pop3s" || protocol == "imaps" || protocol == "m365";
    // A protocol change brings its own default port unless a port was given.
    if (!given->has("port") && (given->has("protocol") || !in->has("port")))
        in->set("port", defaultIncomingPort(protocol));
    // Plain POP3 and IMAP always upgrade with STARTTLS; a new protocol brings its own default.
    std::string security = "tls";
    if (!implicitTls) {
        security = given->has("security")    ? given->getValue<std::string>("security")
                   : given->has("protocol") ? std::string("starttls")
                                            : in->optValue<std::string>("security", "starttls");
        if (security != "starttls")
            throw invalidParam("incoming.security",
                               "incoming mail needs TLS: POP3 and IMAP on their plain ports must use STARTTLS");
    }
    in->set("security", security);
    const bool imap = protocol == "imap" || protocol == "imaps" || protocol == "m365";
    if (imap) {
        std::string folder = in->optValue<std::string>("folder", "INBOX");
        if (folder.empty()) folder = "INBOX";
        requireNoControls("incoming.folder", folder);
        in->set("folder", folder);
    } else {
        in->remove("folder");
    }
    const std::string user = in->optValue<std::string>("user", "");
    requireNoControls("incoming.user", user);
    Object::Ptr leave = in->has("leave_on_server") ? in->getObject("leave_on_server") : nullptr;
    if (!leave) {
        leave = new Object;
        leave->set("mode", "never");
    }
    const std::string mode = leave->optValue<std::string>("mode", "never");
    if (mode == "days") {
        if (!leave->has("days")) throw invalidParam("incoming.leave_on_server.days", "give the number of days to keep copies");
    } else {
        leave->remove("days");
    }
    in->set("leave_on_server", leave);
    if (auto password = secretGiven(given, "password", "incoming.password")) secrets.incomingPassword = password;
    return in;
}

Object::Ptr withMicrosoftSmtpDefaults(const Object::Ptr& previous)
{
    Object::Ptr out = new Object(*previous);
    if (!out->has("host")) out->set("host", "smtp.office365.com");
    if (!out->has("security")) out->set("security", "starttls");
    if (!out->has("port")) out->set("port", 587);
    return out;
}

Object::Ptr mergeSmtpParams(const Object::Ptr& given, const Object::Ptr& previous, SecretChanges& secrets)
{
    Object::Ptr out = new Object(*previous);
    for (const auto& [key, value] : *given)
        if (key != "password") out->set(key, value);
    checkHost("smtp.host", out->optValue<std::string>("host", ""));
    const std::string security = out->optValue<std::string>("security", "starttls");
    out->set("security", security);
    if (!given->has("port") && (given->has("security") || !out->has("port")))
        out->set("port", security == "tls" ? 465 : security == "none" ? 25 : 587);
    const bool requiresPassword = out->optValue<bool>("requires_password", true);
    out->set("requires_password", requiresPassword);
    if (security == "none" && requiresPassword)
        throw invalidParam("smtp.security", "a password is never sent without TLS: choose starttls or tls, or turn "
                                            "off requires_password for this server");
    requireNoControls("smtp.user", out->optValue<std::string>("user", ""));
    if (auto password = secretGiven(given, "password", "smtp.password")) secrets.smtpPassword = password;
    return out;
}

const char* serverParamsSchema()
{
    return R"(
  "incoming":{"type":["object","null"],"additionalProperties":false,"properties":{
     "protocol":{"enum":["pop3","pop3s","imap","imaps","m365"]},
     "host":{"type":"string","maxLength":253},
     "port":{"type":"integer","minimum":1,"maximum":65535},
     "security":{"enum":["starttls","tls"]},
     "folder":{"type":"string","minLength":1,"maxLength":200},
     "user":{"type":"string","maxLength":320},
     "password":{"type":["string","null"],"maxLength":1024},
     "auth":{"enum":["password","oauth2"]},
     "oauth2":{"type":"object","additionalProperties":false,"properties":{
        "token_url":{"type":"string","maxLength":2048},
        "client_id":{"type":"string","maxLength":256},
        "tenant":{"type":"string","maxLength":256},
        "scope":{"type":"string","maxLength":1024},
        "refresh_token":{"type":["string","null"],"maxLength":16384},
        "client_secret":{"type":["string","null"],"maxLength":1024}}},
     "ca_file":{"type":"string","maxLength":4096},
     "ca":{"type":"string","maxLength":1048576},
     "leave_on_server":{"type":"object","additionalProperties":false,"required":["mode"],"properties":{
        "mode":{"enum":["never","days","forever"]},
        "days":{"type":"integer","minimum":1,"maximum":3650}}}}},
  "smtp":{"type":["object","null"],"additionalProperties":false,"properties":{
     "host":{"type":"string","maxLength":253},
     "port":{"type":"integer","minimum":1,"maximum":65535},
     "security":{"enum":["starttls","tls","none"]},
     "requires_password":{"type":"boolean"},
     "user":{"type":"string","maxLength":320},
     "password":{"type":["string","null"],"maxLength":1024},
     "ca_file":{"type":"string","maxLength":4096},
     "ca":{"type":"string","maxLength":1048576}}})";
}

} // namespace erpmail
