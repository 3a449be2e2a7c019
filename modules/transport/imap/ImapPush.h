// New mail within seconds: in long-running hosts, every online IMAP account
// whose server offers IDLE (RFC 2177) keeps one connection idling on its
// folder, and a fetch runs as soon as the server reports new mail. The
// interval schedule still runs beside it (and covers servers without IDLE).
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/AccountSettings.h"
#include "erpmail/Context.h"
#include "transport/imap/ImapFetcher.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace erpmail {

class ImapPush {
public:
    ImapPush(Context& context, AccountDirectory& accounts, ImapFetcher& fetcher);
    ~ImapPush() { stop(); }
    /// Starts watching, unless the host runs no background work or
    /// erpmail.imap.idle is "no". Accounts are looked at again every
    /// erpmail.imap.idle_rescan_seconds (default 30): new, changed, offline.
    void start();
    void stop() noexcept;

private:
    struct Watcher {
        std::string fingerprint; ///< the settings it was started with
        std::atomic<bool> stopping{false};
        std::atomic<bool> done{false};
        std::thread thread;
    };

    void rescan();
    void watch(store::AccountRecord account, AccountSettings settings, Watcher& self);
    /// Sleeps up to `seconds`, or less when stopping; false when stopping.
    bool pause(Watcher& self, int seconds);
    void fetchNow(const store::AccountRecord& account, const AccountSettings& settings, Watcher& self);

    Context& context_;
    AccountDirectory& accounts_;
    ImapFetcher& fetcher_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread supervisor_;
    std::map<std::string, std::unique_ptr<Watcher>> watchers_; ///< by account id
};

} // namespace erpmail
