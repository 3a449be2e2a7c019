// The copier that puts sent mail into the server's Sent folder, apart from
// the lanes so that a slow IMAP server does not hold the sending.
#include "transport/smtp/SentCopies.h"

namespace erpmail {

SentCopier::SentCopier(const SendPath& path, const store::AccountRecord& account)
    : path_(path), account_(account), thread_([this] { loop(); })
{
}

void SentCopier::add(std::string raw)
{
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return bytes_ < kMaxWaiting; });
    bytes_ += raw.size();
    raws_.push_back(std::move(raw));
    if (bytes_ >= kRun) ready_.notify_one();
}

void SentCopier::finish()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void SentCopier::loop()
{
    for (;;) {
        std::vector<std::string> run;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            ready_.wait(lock, [&] { return done_ || bytes_ >= kRun; });
            if (raws_.empty()) return;
            run.swap(raws_);
            bytes_ = 0;
        }
        space_.notify_all();
        keepOnServer(run);
    }
}

void SentCopier::keepOnServer(const std::vector<std::string>& raws)
{
    if (raws.empty()) return;
    try {
        path_.accounts.sentCopies.keepSentOnServer(account_, raws);
    } catch (const std::exception& e) {
        // The mails went out and their copies are stored here; only the server's Sent folder lacks them.
        path_.context.log(ERP_LOG_WARNING, "erpmail.outbox",
                          "could not copy " + std::to_string(raws.size()) + " sent mail(s) of account " +
                              account_.label + " to the server's Sent folder: " + e.what());
    }
}

} // namespace erpmail
