// Claims on outbox mail: one sender at a time sends a mail, and a mail
// whose sender stopped goes back to the queue.
#include "transport/smtp/Claims.h"

#include <algorithm>

namespace erpmail {

std::optional<store::OutboxEntry> claimNext(const SendPath& path, store::Connection& db,
                                            const store::AccountRecord& account, std::int64_t passStart)
{
    const std::int64_t now = path.context.host().nowMs();
    auto claimed = store::OutboxRepository(db).claimDue({account.id}, path.owner, passStart,
                                                        now + path.settings.leaseSeconds * 1000LL, 1);
    if (claimed.empty()) return std::nullopt;
    store::OutboxEntry& entry = claimed.front();
    // Only an earlier attempt can have recorded outcomes.
    if (entry.attempts > 1) entry.recipients = std::move(store::OutboxRepository(db).recipients({entry.id})[entry.id]);
    return std::move(entry);
}

void releaseExpiredClaims(const SendPath& path, const store::AccountRecord& account)
{
    auto lease = path.accounts.messages.mailbox(account);
    // A sender whose database failed after the server's 250 tries to record
    // it for recordRetrySeconds, and cannot renew its claim meanwhile: its
    // mail is taken back only once that time has passed too, or it would be
    // sent again.
    const std::int64_t now = path.context.host().nowMs();
    if (auto n = store::OutboxRepository(*lease).releaseExpired(now, now - path.settings.recordRetrySeconds * 1000LL);
        n > 0)
        path.context.log(ERP_LOG_WARNING, "erpmail.outbox",
                         std::to_string(n) + " mail(s) of a sender that stopped go back to the queue");
}

ClaimKeeper::ClaimKeeper(const SendPath& path, const store::AccountRecord& account)
    : path_(path), account_(account), every_(std::max(100, path.settings.leaseSeconds * 1000 / 3)),
      thread_([this] { loop(); })
{
}

ClaimKeeper::~ClaimKeeper()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void ClaimKeeper::hold(const store::OutboxEntry& entry)
{
    std::lock_guard<std::mutex> lock(mutex_);
    held_[entry.id] = entry.claimToken.value_or("");
}

void ClaimKeeper::release(std::int64_t id)
{
    std::lock_guard<std::mutex> lock(mutex_);
    held_.erase(id);
}

void ClaimKeeper::loop()
{
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, every_, [&] { return done_; })) {
        if (held_.empty()) continue;
        const auto claims = held_;
        lock.unlock();
        renew(claims);
        lock.lock();
    }
}

void ClaimKeeper::renew(const std::map<std::int64_t, std::string>& claims)
{
    try {
        auto lease = path_.accounts.messages.mailbox(account_);
        store::OutboxRepository outbox(*lease);
        const std::int64_t until = path_.context.host().nowMs() + path_.settings.leaseSeconds * 1000LL;
        for (const auto& [id, token] : claims)
            if (!outbox.renewClaim(id, token, until))
                path_.context.log(ERP_LOG_WARNING, "erpmail.outbox",
                                  "the claim on outbox entry " + std::to_string(id) +
                                      " was taken over by another sender");
    } catch (const std::exception& e) {
        path_.context.log(ERP_LOG_WARNING, "erpmail.outbox", std::string("could not renew claims: ") + e.what());
    }
}

} // namespace erpmail
