// Sent copies on the account's server: what one account's delivery pass
// sent goes to the server's Sent folder, in runs, beside the sending.
#pragma once

#include "transport/smtp/SendPath.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace erpmail {

/// Copies sent mail to the server's Sent folder while the lanes send: in
/// runs of about 8 MiB, from a thread of its own, so a long outbox pass
/// holds little; a lane waits only when 24 MiB are waiting. A copy that
/// fails is logged: the mail went out and its copy is stored in erpmail.
class SentCopier {
public:
    SentCopier(const SendPath& path, const store::AccountRecord& account);
    ~SentCopier() { finish(); }
    SentCopier(const SentCopier&) = delete;
    SentCopier& operator=(const SentCopier&) = delete;

    /// Takes a sent mail's bytes for the next run; waits while too many wait.
    void add(std::string raw);
    /// Copies what is left and waits for the thread.
    void finish();

private:
    static constexpr std::size_t kRun = 8 * 1024 * 1024, kMaxWaiting = 3 * kRun;

    void loop();
    void keepOnServer(const std::vector<std::string>& raws);

    const SendPath& path_;
    const store::AccountRecord& account_;
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    std::vector<std::string> raws_;
    std::size_t bytes_ = 0;
    bool done_ = false;
    std::thread thread_; ///< last: starts once the rest is set up
};

} // namespace erpmail
