#include "transport/common/FetchSchedule.h"

#include <Poco/JSON/Parser.h>

namespace erpmail::transport {

void FetchSchedule::start(Context& context, std::function<void()> fetchAll)
{
    auto background = context.host().config("erp.host.background");
    if (background && (*background == "no" || *background == "off")) return;
    int interval = 300;
    if (auto v = context.host().config("erpmail.fetch.interval_seconds")) {
        try {
            interval = std::max(1, std::stoi(*v));
        } catch (const std::exception&) {
            // keep the default
        }
    }
    stopping_ = false;
    worker_ = std::thread([this, interval, fetchAll = std::move(fetchAll)] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            fetchAll();
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(interval), [this] { return stopping_; });
        }
    });
}

void FetchSchedule::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void announceReceived(Context& context, const std::string& accountId, const std::vector<StoredMessage>& stored)
{
    for (const auto& m : stored) {
        Poco::JSON::Object::Ptr event = new Poco::JSON::Object;
        event->set("account", accountId);
        event->set("id", m.id);
        event->set("subject", m.subject);
        event->set("from", m.from);
        Poco::JSON::Parser parser;
        event->set("documents", parser.parse(m.documentLinks));
        context.emit("mail.received", event);
    }
}

} // namespace erpmail::transport
