// The account service's set-up (the secrets key) and its operation table.
#include "account/AccountService.h"

#include <Poco/JSON/Object.h>

namespace erpmail {

namespace {

const char* kIdOnly = R"({"type":"object","additionalProperties":false,"required":["id"],
                          "properties":{"id":{"type":"string","minLength":1,"maxLength":36}}})";

} // namespace

void AccountService::start()
{
    auto lease = system();
    const std::int64_t sealed = store::AccountRepository(*lease).countWithSecrets();
    // A new key only while nothing is sealed: one made after the old one was
    // lost would seal new passwords while the stored ones stay unreadable.
    secrets_ = std::make_unique<SecretBox>(keyFilePath(), sealed == 0);
    if (!secrets_->hasKey())
        context_.log(ERP_LOG_ERROR, "erpmail.account",
                     "the passwords of " + std::to_string(sealed) + " account(s) cannot be opened: " +
                         secrets_->problem() + ". Their mail is neither fetched nor sent until the key is restored");
}

std::string AccountService::keyFilePath() const
{
    const std::string configured = context_.host().config("erpmail.secrets.key_file").value_or("");
    if (configured.empty()) return SecretBox::defaultKeyPath(context_.host().dataFolder());
    return configured.front() == '/' ? configured : context_.host().dataFolder() + "/" + configured;
}

store::ConnectionLease AccountService::system()
{
    return context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
}

std::vector<Operation> AccountService::operations()
{
    auto bind = [this](Poco::JSON::Object::Ptr (AccountService::*fn)(const Request&)) {
        return [this, fn](const Request& r) { return (this->*fn)(r); };
    };
    return {
        {"mail.account.create", "Creates an e-mail account (owner defaults to the caller; only admins create for others)",
         accountParamsSchema(false), permission::Use, bind(&AccountService::create)},
        {"mail.account.get", "One account's settings, without passwords", kIdOnly, permission::Use,
         bind(&AccountService::get)},
        {"mail.account.list", "Accounts the caller may see, by label; the caller's main account is marked",
         R"({"type":"object","additionalProperties":false})", permission::Use, bind(&AccountService::list)},
        {"mail.account.update",
         "Changes an account's settings (personal: owner or admin; public: every user). Changing the database "
         "needs confirm_database_change",
         accountParamsSchema(true), permission::Use, bind(&AccountService::update)},
        {"mail.account.delete", "Deletes an account with all its messages (owner or admin; needs confirm)",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},"confirm":{"type":"boolean"}}})",
         permission::Use, bind(&AccountService::remove)},
        {"mail.account.set_owner", "Hands an account over to another user, with all its messages (owner or admin)",
         R"({"type":"object","additionalProperties":false,"required":["id","owner"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},
                           "owner":{"type":"string","minLength":1,"maxLength":100}}})",
         permission::Use, bind(&AccountService::setOwner)},
        {"mail.account.set_online", "Sets an account online (after checking its database) or offline (owner or admin)",
         R"({"type":"object","additionalProperties":false,"required":["id","online"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},"online":{"type":"boolean"}}})",
         permission::Use, bind(&AccountService::setOnline)},
        {"mail.account.main", "A user's main account: of the accounts they own, the one whose label comes first",
         R"({"type":"object","additionalProperties":false,
             "properties":{"user":{"type":"string","minLength":1,"maxLength":100}}})",
         permission::Use, bind(&AccountService::mainAccount)},
        {"mail.account.status",
         "An account's health: online (or since when, why and by whom offline), last successful fetch and last "
         "error, consecutive failures, when the password was last accepted, mails left on the server for their "
         "size, message and outbox counts",
         kIdOnly, permission::Use, bind(&AccountService::status)},
        {"mail.fetch",
         "Fetches an account's new mail now (POP3 or IMAP), and deletes on the server only what is stored here, as "
         "the account's leave-copies rule says; mail over erpmail.fetch.max_message_mb stays there and is reported",
         R"({"type":"object","additionalProperties":false,"required":["account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&AccountService::fetch)},
        {"mail.account.visibility_candidates",
         "Users to choose from when making an account visible, narrowed to a group",
         R"({"type":"object","additionalProperties":false,
             "properties":{"group":{"type":["string","null"],"maxLength":100}}})",
         permission::Use, bind(&AccountService::visibilityCandidates)},
    };
}

} // namespace erpmail
