#include "transport/imap/ImapPush.h"

#include "transport/common/FetchSchedule.h"
#include "transport/imap/ImapSession.h"

#include <chrono>

namespace erpmail {

namespace {

constexpr const char* kComponent = "erpmail.imap";

std::string fingerprint(const store::AccountRecord& account)
{
    return account.serverSettings + '\n' + account.secrets.value_or("");
}

} // namespace

ImapPush::ImapPush(Context& context, AccountDirectory& accounts, ImapFetcher& fetcher)
    : context_(context), accounts_(accounts), fetcher_(fetcher)
{
}

void ImapPush::start()
{
    if (!configFlag(context_, "erp.host.background", true) || !configFlag(context_, "erpmail.imap.idle", true)) return;
    const int rescanSeconds = configInt(context_, "erpmail.imap.idle_rescan_seconds", 30, 1, 86400);
    stopping_ = false;
    supervisor_ = std::thread([this, rescanSeconds] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                rescan();
            } catch (const std::exception& e) {
                context_.log(ERP_LOG_WARNING, kComponent, std::string("IDLE: cannot list the accounts: ") + e.what());
            }
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(rescanSeconds), [this] { return stopping_; });
        }
    });
}

void ImapPush::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        for (auto& [id, w] : watchers_) w->stopping = true;
    }
    wake_.notify_all();
    if (supervisor_.joinable()) supervisor_.join();
    for (auto& [id, w] : watchers_)
        if (w->thread.joinable()) w->thread.join();
    watchers_.clear();
}

void ImapPush::rescan()
{
    std::map<std::string, std::pair<store::AccountRecord, AccountSettings>> wanted;
    for (auto& account : accounts_.allAccounts()) {
        if (!account.online) continue;
        AccountSettings settings = AccountSettings::of(account);
        if (fetcher_.handles(settings)) wanted.emplace(account.id, std::make_pair(std::move(account), std::move(settings)));
    }
    // Stop watchers of accounts gone, offline or changed; start the missing ones.
    for (auto it = watchers_.begin(); it != watchers_.end();) {
        auto want = wanted.find(it->first);
        if (want != wanted.end() && fingerprint(want->second.first) == it->second->fingerprint) {
            ++it;
            continue;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            it->second->stopping = true;
        }
        wake_.notify_all();
        if (it->second->thread.joinable()) it->second->thread.join();
        it = watchers_.erase(it);
    }
    for (auto& [id, target] : wanted) {
        if (watchers_.count(id)) continue;
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        auto w = std::make_unique<Watcher>();
        w->fingerprint = fingerprint(target.first);
        Watcher& self = *w;
        w->thread = std::thread([this, target = target, &self] { watch(target.first, target.second, self); });
        watchers_.emplace(id, std::move(w));
    }
}

bool ImapPush::pause(Watcher& self, int seconds)
{
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(seconds), [&] { return self.stopping.load(); });
    return !self.stopping;
}

void ImapPush::fetchNow(const store::AccountRecord& account, const AccountSettings& settings, Watcher& self)
{
    // Another fetch of the account may be running (the schedule, a user's
    // mail.fetch); it may have begun before this mail arrived, so try again.
    for (int attempt = 0; attempt < 10 && !self.stopping; ++attempt) {
        try {
            fetcher_.fetch(account, settings);
            return;
        } catch (const OperationError& e) {
            if (e.code() != "conflict") return; // logged and recorded in the account's status
        } catch (const std::exception&) {
            return;
        }
        if (!pause(self, 2)) return;
    }
}

void ImapPush::watch(store::AccountRecord account, AccountSettings settings, Watcher& self)
{
    int backoff = 5;
    while (!self.stopping) {
        try {
            auto opened = fetcher_.open(account, settings);
            transport::ImapSession& session = *opened;
            if (!session.hasCapability("IDLE")) {
                context_.log(ERP_LOG_INFO, kComponent, "account " + account.label +
                                                           ": the server offers no IDLE; mail is fetched on the interval");
                session.logout();
                while (pause(self, 3600)) {
                }
                return;
            }
            session.select(ImapFetcher::folderOf(settings), true);
            fetchNow(account, settings, self); // whatever came before IDLE began
            backoff = 5;
            while (!self.stopping)
                if (session.idle(Poco::Timespan(25 * 60, 0), [&] { return self.stopping.load(); }))
                    fetchNow(account, settings, self);
            session.logout();
        } catch (const std::exception& e) {
            context_.log(ERP_LOG_WARNING, kComponent, "IDLE on account " + account.label + " stopped: " + e.what() +
                                                          "; trying again in " + std::to_string(backoff) + " s");
            if (!pause(self, backoff)) return;
            backoff = std::min(backoff * 2, 300);
        }
    }
}

} // namespace erpmail
