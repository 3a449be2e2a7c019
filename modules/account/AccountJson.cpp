// Accounts as operations see them: the params of create and update checked
// and merged into the stored form, and the account as operations answer it.
#include "account/AccountJson.h"

#include "erpmail/Context.h"
#include "erpmail/OperationError.h"
#include "mime/HeaderSafety.h"
#include "retention/RetentionPolicy.h"
#include "transport/common/Tls.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace erpmail {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

void requireNoControls(const std::string& field, const std::string& value)
{
    if (mime::hasControlCharacters(value))
        throw invalidParam(field, field + " must not contain line breaks or other control characters");
}

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

std::optional<std::string> optionalText(const Object::Ptr& params, const std::string& key)
{
    if (!params->has(key) || params->isNull(key)) return std::nullopt;
    return params->getValue<std::string>(key);
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

// Merges and checks the incoming server block; returns the stored form.
Object::Ptr incomingSettings(const Object::Ptr& given, const Object::Ptr& previous, SecretChanges& secrets)
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

// Microsoft 365's submission server (SMTP AUTH with XOAUTH2 after STARTTLS)
// wherever the settings say nothing else.
Object::Ptr withMicrosoftSmtpDefaults(const Object::Ptr& previous)
{
    Object::Ptr out = new Object(*previous);
    if (!out->has("host")) out->set("host", "smtp.office365.com");
    if (!out->has("security")) out->set("security", "starttls");
    if (!out->has("port")) out->set("port", 587);
    return out;
}

Object::Ptr smtpSettings(const Object::Ptr& given, const Object::Ptr& previous, SecretChanges& secrets)
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

const char* kServerSchemaParts = R"(
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

} // namespace

std::string accountParamsSchema(bool forUpdate)
{
    std::string required = forUpdate ? R"("required":["id"],)" : R"("required":["label"],)";
    std::string idProperty = forUpdate ? R"("id":{"type":"string","minLength":1,"maxLength":36},
  "confirm_database_change":{"type":"boolean"},"discard_unreadable_secrets":{"type":"boolean"},)"
                                       : R"("owner":{"type":"string","minLength":1,"maxLength":100},)";
    return R"({"type":"object","additionalProperties":false,)" + required + R"("properties":{)" + idProperty + R"(
  "label":{"type":"string","minLength":1,"maxLength":200},
  "kind":{"enum":["personal","public"]},
  "database":{"type":"string","minLength":1,"maxLength":100},
  "sender_name":{"type":["string","null"],"maxLength":200},
  "sender_email":{"type":["string","null"],"maxLength":254},
  "e_printing":{"type":"boolean"},
  "always_signature":{"type":"boolean"},
  "signature":{"type":["string","null"],"maxLength":100000},
  "contacts_sync":{"type":"boolean"},
  "retention":{"type":"object"},
  "locale":{"type":["string","null"],"pattern":"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$"},
  "visibility":{"type":"object","additionalProperties":false,"properties":{
     "group":{"type":["string","null"],"maxLength":100},
     "users":{"type":"array","maxItems":10000,"items":{"type":"string","minLength":1,"maxLength":100}}}},)" +
           kServerSchemaParts + "}}";
}

void applyAccountParams(const Object::Ptr& p, const HostDirectory& directory, store::AccountRecord& a,
                        SecretChanges& secrets)
{
    if (p->has("owner")) {
        const std::string owner = p->getValue<std::string>("owner");
        if (!directory.users.count(owner)) throw invalidParam("owner", "owner '" + owner + "' is not a user of the host");
        a.owner = owner;
    }
    if (a.owner.empty()) throw invalidParam("owner", "owner is required");
    if (p->has("label")) {
        a.label = p->getValue<std::string>("label");
        requireNoControls("label", a.label);
        if (a.label.find_first_not_of(" \t") == std::string::npos) throw invalidParam("label", "label is required");
    }
    if (p->has("kind")) a.kind = p->getValue<std::string>("kind");
    if (a.kind.empty()) a.kind = "personal";
    if (p->has("database")) {
        const std::string db = p->getValue<std::string>("database");
        if (!directory.databases.count(db))
            throw invalidParam("database", "the host has no database '" + db + "'");
        a.databaseId = db;
    }
    if (p->has("sender_name")) {
        a.senderName = optionalText(p, "sender_name");
        if (a.senderName) requireNoControls("sender_name", *a.senderName);
    }
    if (p->has("sender_email")) {
        a.senderEmail = optionalText(p, "sender_email");
        if (a.senderEmail && !a.senderEmail->empty() && !mime::isValidMailbox(*a.senderEmail))
            throw invalidParam("sender_email", "sender_email '" + *a.senderEmail + "' is not a valid e-mail address");
        if (a.senderEmail && a.senderEmail->empty()) a.senderEmail.reset();
    }
    if (p->has("e_printing")) a.ePrinting = p->getValue<bool>("e_printing");
    if (a.ePrinting && a.kind != "public")
        throw invalidParam(p->has("e_printing") ? "e_printing" : "kind",
                           "E-Printing sends documents for everyone and needs a public account");
    if (p->has("always_signature")) a.alwaysSignature = p->getValue<bool>("always_signature");
    if (p->has("signature")) a.signature = optionalText(p, "signature");
    if (p->has("contacts_sync")) a.contactsSync = p->getValue<bool>("contacts_sync");
    if (p->has("locale")) a.locale = optionalText(p, "locale");
    if (p->has("retention"))
        a.retentionSettings = toJson(RetentionPolicy::fromJson(p->getObject("retention"), "retention").toJson());

    if (p->has("visibility")) {
        auto v = p->getObject("visibility");
        if (v->has("group")) {
            auto group = optionalText(v, "group");
            if (group && *group != "*" && !directory.groups.count(*group))
                throw invalidParam("visibility.group", "the host has no user group '" + *group + "'");
            a.visibilityGroup = group;
        }
        if (v->has("users")) {
            auto users = v->getArray("users");
            std::set<std::string> unique;
            for (std::size_t i = 0; i < users->size(); ++i) {
                std::string u = users->getElement<std::string>(static_cast<unsigned>(i));
                if (!directory.users.count(u))
                    throw invalidParam("visibility.users[" + std::to_string(i) + "]",
                                       "'" + u + "' is not a user of the host");
                unique.insert(u);
            }
            a.visibleTo.assign(unique.begin(), unique.end());
        }
    }

    Object::Ptr server = parseStoredObject(a.serverSettings);
    auto previousOf = [&](const char* block) {
        return server->has(block) ? server->getObject(block) : Object::Ptr(new Object);
    };
    if (p->has("incoming")) {
        if (p->isNull("incoming")) {
            server->remove("incoming");
            secrets.incomingPassword = "";
        } else {
            server->set("incoming", incomingSettings(p->getObject("incoming"), previousOf("incoming"), secrets));
        }
    }
    const bool m365 =
        server->has("incoming") && server->getObject("incoming")->optValue<std::string>("protocol", "") == "m365";
    if (p->has("smtp")) {
        if (p->isNull("smtp")) {
            server->remove("smtp");
            secrets.smtpPassword = "";
        } else {
            Object::Ptr previous = previousOf("smtp");
            if (m365) previous = withMicrosoftSmtpDefaults(previous);
            server->set("smtp", smtpSettings(p->getObject("smtp"), previous, secrets));
        }
    } else if (m365 && p->has("incoming") && !server->has("smtp")) {
        server->set("smtp", smtpSettings(new Object, withMicrosoftSmtpDefaults(new Object), secrets));
    }
    a.serverSettings = toJson(server);
}

void checkTrustAnchorParams(const Object::Ptr& params, const std::string& serverSettings, bool userIsAdmin)
{
    Object::Ptr stored = parseStoredObject(serverSettings);
    for (const std::string block : {"incoming", "smtp"}) {
        if (!params->has(block) || params->isNull(block)) continue;
        const Object::Ptr before = stored->has(block) ? stored->getObject(block) : Object::Ptr(new Object);
        transport::TlsSettings ignored;
        transport::readTrustAnchorParams(*params->getObject(block), block + ".", userIsAdmin, ignored,
                                         before->optValue<std::string>("ca_file", ""));
    }
}

Object::Ptr accountToJson(const store::AccountRecord& a, const std::optional<AccountSecrets>& secrets, bool isMain,
                          bool canChange)
{
    Object::Ptr o = new Object;
    o->set("id", a.id);
    o->set("label", a.label);
    o->set("owner", a.owner);
    o->set("kind", a.kind);
    o->set("database", a.databaseId);
    o->set("sender_name", a.senderName ? Poco::Dynamic::Var(*a.senderName) : Poco::Dynamic::Var());
    o->set("sender_email", a.senderEmail ? Poco::Dynamic::Var(*a.senderEmail) : Poco::Dynamic::Var());
    o->set("e_printing", a.ePrinting);
    o->set("online", a.online);
    o->set("offline_reason", a.offlineReason ? Poco::Dynamic::Var(*a.offlineReason) : Poco::Dynamic::Var());
    o->set("always_signature", a.alwaysSignature);
    o->set("signature", a.signature ? Poco::Dynamic::Var(*a.signature) : Poco::Dynamic::Var());
    o->set("contacts_sync", a.contactsSync);
    o->set("retention", parseStoredObject(a.retentionSettings));
    o->set("locale", a.locale ? Poco::Dynamic::Var(*a.locale) : Poco::Dynamic::Var());
    Object::Ptr visibility = new Object;
    visibility->set("group", a.visibilityGroup ? Poco::Dynamic::Var(*a.visibilityGroup) : Poco::Dynamic::Var());
    Array::Ptr users = new Array;
    for (const auto& u : a.visibleTo) users->add(u);
    visibility->set("users", users);
    o->set("visibility", visibility);
    // null: the stored secrets do not open (see mail.account.status)
    auto isSet = [&](std::string AccountSecrets::*field) {
        return secrets ? Poco::Dynamic::Var(!((*secrets).*field).empty()) : Poco::Dynamic::Var();
    };
    Object::Ptr server = parseStoredObject(a.serverSettings);
    if (server->has("incoming")) {
        Object::Ptr in = server->getObject("incoming");
        in->set("password_set", isSet(&AccountSecrets::incomingPassword));
        if (in->has("oauth2")) {
            in->getObject("oauth2")->set("refresh_token_set", isSet(&AccountSecrets::oauthRefreshToken));
            in->getObject("oauth2")->set("client_secret_set", isSet(&AccountSecrets::oauthClientSecret));
        }
        o->set("incoming", in);
    } else {
        o->set("incoming", Poco::Dynamic::Var());
    }
    if (server->has("smtp")) {
        Object::Ptr smtp = server->getObject("smtp");
        const bool ownCredentials = !smtp->optValue<std::string>("user", "").empty();
        smtp->set("password_set", isSet(&AccountSecrets::smtpPassword));
        // Not after its server changed while it borrowed the incoming password: that stays with the old server.
        smtp->set("uses_incoming_credentials", smtp->optValue<bool>("requires_password", true) && !ownCredentials &&
                                                   (!secrets || secrets->incomingLentToSmtp));
        o->set("smtp", smtp);
    } else {
        o->set("smtp", Poco::Dynamic::Var());
    }
    o->set("main", isMain);
    o->set("can_change", canChange);
    o->set("created_at_ms", a.createdAtMs);
    o->set("updated_at_ms", a.updatedAtMs);
    return o;
}

} // namespace erpmail
