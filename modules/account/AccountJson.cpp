// Accounts as operations see them: the params of create and update checked
// and merged into the stored form, and the account as operations answer it.
#include "account/AccountJson.h"

#include "account/AccountServerParams.h"

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

std::optional<std::string> optionalText(const Object::Ptr& params, const std::string& key)
{
    if (!params->has(key) || params->isNull(key)) return std::nullopt;
    return params->getValue<std::string>(key);
}

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
           serverParamsSchema() + "}}";
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
            server->set("incoming", mergeIncomingParams(p->getObject("incoming"), previousOf("incoming"), secrets));
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
            server->set("smtp", mergeSmtpParams(p->getObject("smtp"), previous, secrets));
        }
    } else if (m365 && p->has("incoming") && !server->has("smtp")) {
        server->set("smtp", mergeSmtpParams(new Object, withMicrosoftSmtpDefaults(new Object), secrets));
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
