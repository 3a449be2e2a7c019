#include "transport/pop3/Pop3Module.h"

#include "transport/common/ServerProbe.h"

namespace erpmail {

std::vector<Operation> Pop3Module::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Pop3, "mail.pop3.probe",
                                      "Tests a POP3 server: connect, TLS (verified), greeting, CAPA; each step reported"),
            {"mail.fetch",
             "Fetches new mail of a POP3 account now, and deletes on the server only what is stored here, as the "
             "account's leave-copies rule says",
             R"({"type":"object","additionalProperties":false,"required":["account"],
                 "properties":{"account":{"type":"string","minLength":1,"maxLength":36}}})",
             permission::Use, [this](const Request& r) {
                 auto account = accounts_.requireOnline(r.params->getValue<std::string>("account"), r);
                 FetchReport report = fetcher_.fetch(account);
                 Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                 o->set("account", account.id);
                 o->set("fetched", report.fetched);
                 o->set("deleted_on_server", report.deletedOnServer);
                 o->set("on_server_before", report.onServer);
                 return o;
             }}};
}

void Pop3Module::start()
{
    auto background = context_.host().config("erp.host.background");
    if (background && (*background == "no" || *background == "off")) return;
    int interval = 300;
    if (auto v = context_.host().config("erpmail.fetch.interval_seconds")) {
        try {
            interval = std::max(1, std::stoi(*v));
        } catch (const std::exception&) {
            // keep the default
        }
    }
    stopping_ = false;
    worker_ = std::thread([this, interval] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            fetcher_.fetchAll();
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(interval), [this] { return stopping_; });
        }
    });
}

void Pop3Module::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

} // namespace erpmail
