#include "transport/imap/ImapModule.h"

#include "transport/common/FetchSchedule.h"
#include "transport/common/ServerProbe.h"
#include "transport/imap/ImapFetcher.h"
#include "transport/imap/ImapPush.h"

namespace erpmail {

namespace {

// The goodbye is no step: a rude one changes none of the answers.
void probeImap(const transport::ProbeRequest& request, StepReport& report)
{
    transport::ImapSession session(transport::probeSettings<transport::ImapSettings>(request, report));
    report.succeed();
    session.logout();
}

class ImapModule : public Module {
public:
    ImapModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer, SecretStore& secrets,
               MessageStore& messages, FetcherRegistry& fetchers)
        : context_(context), accounts_(accounts), authorizer_(authorizer), fetchers_(fetchers),
          fetcher_(context, secrets, messages), push_(context, accounts, fetcher_)
    {
    }
    /// Joins the workers only: the account module may be gone by now.
    ~ImapModule() override
    {
        push_.stop();
        schedule_.stop();
    }
    std::string id() const override { return "transport.imap"; }
    std::string summary() const override { return "Receiving over IMAP and IMAPS"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Offers the IMAP fetcher to mail.fetch and, in long-running hosts,
    /// fetches online IMAP accounts every erpmail.fetch.interval_seconds and
    /// keeps those whose server offers IDLE idling for new mail.
    void start() override;
    void stop() noexcept override;

private:
    Poco::JSON::Object::Ptr folders(const Request& request);

    Context& context_;
    AccountDirectory& accounts_;
    Authorizer& authorizer_;
    FetcherRegistry& fetchers_;
    ImapFetcher fetcher_;
    transport::FetchSchedule schedule_;
    ImapPush push_;
};


} // namespace

std::vector<Operation> ImapModule::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Imap, "mail.imap.probe",
                                      "Tests an IMAP server: connect, TLS (verified), greeting, CAPABILITY; each step reported",
                                      probeImap),
            {"mail.imap.folders",
             "An IMAP account's folders on its server, with their special use (\\Sent, \\Trash, ...): the folder "
             "picker of the account's server settings",
             R"({"type":"object","additionalProperties":false,"required":["account"],
                 "properties":{"account":{"type":"string","minLength":1,"maxLength":36}}})",
             permission::Use, [this](const Request& r) { return folders(r); }}};
}

Poco::JSON::Object::Ptr ImapModule::folders(const Request& request)
{
    auto account = accounts_.requireVisible(request.params->getValue<std::string>("account"), request);
    if (!authorizer_.allows(account, request, AccountRight::Configure))
        throw OperationError("forbidden", "only who may change account '" + account.label + "' may list its folders");
    std::vector<transport::ImapFolder> listed;
    AccountSettings settings;
    try {
        settings = AccountSettings::of(account);
        auto session = fetcher_.open(account, settings);
        listed = session->listFolders();
        session->logout();
    } catch (const OperationError&) {
        throw;
    } catch (const std::exception& e) {
        throw OperationError("unavailable", "listing the folders of account '" + account.label + "' failed: " + e.what());
    }
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& f : listed) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("name", f.name);
        o->set("delimiter", f.delimiter);
        o->set("selectable", f.selectable);
        Poco::JSON::Array::Ptr uses = new Poco::JSON::Array;
        for (const auto& u : f.specialUse) uses->add(u);
        o->set("special_use", uses);
        items->add(o);
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("account", account.id);
    result->set("folders", items);
    result->set("receiving_from", ImapFetcher::folderOf(settings));
    return result;
}

void ImapModule::start()
{
    fetchers_.registerFetcher(&fetcher_);
    schedule_.start(context_, [this] { transport::fetchAllHandled(context_, accounts_, fetcher_, "erpmail.imap"); });
    push_.start();
}

void ImapModule::stop() noexcept
{
    push_.stop();
    fetchers_.unregisterFetcher(&fetcher_);
    schedule_.stop();
}

std::unique_ptr<Module> makeImapModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer,
                                       SecretStore& secrets, MessageStore& messages, FetcherRegistry& fetchers)
{
    return std::make_unique<ImapModule>(context, accounts, authorizer, secrets, messages, fetchers);
}

} // namespace erpmail
