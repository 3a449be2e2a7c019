// A sender's hold on the mail it sends: claiming the next due mail,
// renewing claims while transfers run, releasing the claims of senders
// that stopped.
#pragma once

#include "store/OutboxRepository.h"
#include "transport/smtp/SendPath.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace erpmail {

/// Claims the account's next mail due at `passStart` for this sender until
/// the lease runs out, if there is one, with what earlier attempts recorded
/// of its recipients. Inside a transaction of the caller's on `db`, the
/// claim commits with it. Throws StoreError.
std::optional<store::OutboxEntry> claimNext(const SendPath& path, store::Connection& db,
                                            const store::AccountRecord& account, std::int64_t passStart);

/// Puts the mail of senders whose claims expired (they stopped) in the
/// account's database back into the queue, and says so in the log: a claim
/// counts as expired erpmail.outbox.record_retry_seconds after its lease.
void releaseExpiredClaims(const SendPath& path, const store::AccountRecord& account);

/// Renews the claims one account's lanes hold while their transfers run
/// (every third of the lease), so that a slow server's mail is not taken
/// over and sent again by another sender.
class ClaimKeeper {
public:
    ClaimKeeper(const SendPath& path, const store::AccountRecord& account);
    ~ClaimKeeper();
    ClaimKeeper(const ClaimKeeper&) = delete;
    ClaimKeeper& operator=(const ClaimKeeper&) = delete;

    /// Renews the entry's claim from now on.
    void hold(const store::OutboxEntry& entry);
    /// Stops renewing the claim on outbox entry `id`.
    void release(std::int64_t id);

private:
    void loop();
    /// Extends the given claims (outbox id, token); logs what it cannot.
    void renew(const std::map<std::int64_t, std::string>& claims);

    const SendPath& path_;
    const store::AccountRecord& account_;
    std::chrono::milliseconds every_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::int64_t, std::string> held_;
    bool done_ = false;
    std::thread thread_; ///< last: starts once the rest is set up
};

} // namespace erpmail
