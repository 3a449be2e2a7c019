#include "retention/RetentionModule.h"

#include "retention/MaintenanceRun.h"
#include "retention/MaintenanceSchedule.h"
#include "retention/RetentionPolicy.h"
#include "store/MaintenanceRunRepository.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace erpmail {

namespace {

class RetentionModule : public Module {
public:
    RetentionModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer, MessageStore& messages)
        : context_(context), accounts_(accounts), authorizer_(authorizer), messages_(messages),
          schedule_(context, accounts, messages)
    {
    }
    std::string id() const override { return "retention"; }
    std::string summary() const override { return "Retention rules: trash, large attachments, old messages"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Starts the daily run in a long-running host.
    void start() override { schedule_.start(); }
    void stop() noexcept override { schedule_.stop(); }

private:
    Poco::JSON::Object::Ptr run(const Request& request);
    Poco::JSON::Object::Ptr history(const Request& request);

    Context& context_;
    AccountDirectory& accounts_;
    Authorizer& authorizer_;
    MessageStore& messages_;
    MaintenanceSchedule schedule_;
};

} // namespace

std::unique_ptr<Module> makeRetentionModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer,
                                            MessageStore& messages)
{
    return std::make_unique<RetentionModule>(context, accounts, authorizer, messages);
}

std::vector<Operation> RetentionModule::operations()
{
    return {{"mail.retention.validate", "Checks a set of retention rules and says in words what they will delete",
             R"({"type":"object","additionalProperties":false,
                 "properties":{"empty_trash_after_days":{"type":["integer","null"]},
                               "attachments_larger_than_kb":{"type":["integer","null"]},
                               "attachments_after_days":{"type":["integer","null"]},
                               "delete_messages_after_months":{"type":["integer","null"]}}})",
             permission::Use,
             [](const Request& r) {
                 RetentionPolicy policy = RetentionPolicy::fromJson(r.params);
                 Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
                 result->set("policy", policy.toJson());
                 result->set("description", policy.describe());
                 return result;
             }},
            {"mail.maintenance.run",
             "Applies the retention rules now, to one account (its owner or an admin) or to every online account "
             "(admins); dry_run counts what would go. Only erpmail's database is touched, never a mail server",
             R"({"type":"object","additionalProperties":false,
                 "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                               "dry_run":{"type":"boolean"},
                               "confirm_large":{"type":"boolean"}}})",
             permission::Use, [this](const Request& r) { return run(r); }},
            {"mail.maintenance.history", "Past maintenance runs, newest first, with what each removed and kept",
             R"({"type":"object","additionalProperties":false,
                 "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                               "page":{"type":"integer","minimum":1,"maximum":1000000},
                               "page_size":{"type":"integer","minimum":1,"maximum":200}}})",
             permission::Use, [this](const Request& r) { return history(r); }}};
}

Poco::JSON::Object::Ptr RetentionModule::run(const Request& request)
{
    const auto& p = request.params;
    MaintenanceOptions options;
    options.dryRun = p->optValue<bool>("dry_run", false);
    options.confirmLarge = p->optValue<bool>("confirm_large", false);
    options.startedBy = request.user;
    if (options.confirmLarge && !request.userIsAdmin)
        throw OperationError("forbidden",
                             "only an admin (mail.admin) may confirm a run that deletes more than "
                             "erpmail.retention.max_fraction of an account",
                             "confirm_large");
    std::vector<store::AccountRecord> accounts;
    if (p->has("account")) {
        accounts.push_back(authorizer_.requireOnline(p->getValue<std::string>("account"), request, AccountRight::Own));
    } else {
        if (!request.userIsAdmin)
            throw OperationError("forbidden",
                                 "only an admin (mail.admin) runs maintenance for every account; name an account "
                                 "you own",
                                 "account");
        accounts = accounts_.allAccounts();
    }
    return MaintenanceRun(context_, messages_).run(accounts, options);
}

Poco::JSON::Object::Ptr RetentionModule::history(const Request& request)
{
    const auto& p = request.params;
    std::optional<std::string> accountId;
    if (p->has("account")) {
        accountId = accounts_.requireVisible(p->getValue<std::string>("account"), request).id;
    } else if (!request.userIsAdmin) {
        throw OperationError("forbidden", "only an admin (mail.admin) sees the runs of every account; name an account",
                             "account");
    }
    const std::int64_t page = p->optValue<std::int64_t>("page", 1), size = p->optValue<std::int64_t>("page_size", 20);
    auto lease = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::MaintenanceRunRepository runs(*lease);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& run : runs.list(accountId, (page - 1) * size, size)) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("run_id", run.id);
        o->set("started_at_ms", run.startedAtMs);
        o->set("finished_at_ms", run.finishedAtMs);
        o->set("duration_ms", run.durationMs);
        o->set("started_by", run.startedBy);
        o->set("dry_run", run.dryRun);
        o->set("outcome", run.outcome);
        if (!accountId) o->set("totals", parseObject(run.summary));
        Poco::JSON::Array::Ptr accounts = new Poco::JSON::Array;
        for (const auto& a : runs.accounts(run.id, accountId))
            accounts->add(parseObject(a.summary));
        o->set("accounts", accounts);
        items->add(o);
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("items", items);
    result->set("page", page);
    result->set("page_size", size);
    return result;
}

} // namespace erpmail
