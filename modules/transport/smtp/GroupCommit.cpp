// Group commits of the records of one account's lanes.
#include "transport/smtp/GroupCommit.h"

namespace erpmail {

GroupCommit::GroupCommit(const SendPath& path, const store::AccountRecord& account) : path_(path), account_(account)
{
}

bool GroupCommit::run(const Write& write)
{
    Job job;
    job.write = &write;
    std::unique_lock<std::mutex> lock(mutex_);
    waiting_.push_back(&job);
    while (!job.done) {
        if (committing_) {
            committed_.wait(lock);
            continue;
        }
        // This lane commits for all that wait, its own record among them.
        committing_ = true;
        std::vector<Job*> batch;
        batch.swap(waiting_);
        lock.unlock();
        commit(batch);
        lock.lock();
        for (Job* j : batch)
            j->done = true;
        committing_ = false;
        committed_.notify_all();
    }
    if (job.error) std::rethrow_exception(job.error);
    return job.wrote;
}

void GroupCommit::commit(const std::vector<Job*>& batch)
{
    auto together = [&](const std::vector<Job*>& jobs) {
        auto lease = path_.accounts.messages.mailbox(account_);
        store::Transaction tx(*lease);
        for (Job* j : jobs)
            j->wrote = (*j->write)(*lease);
        tx.commit();
    };
    try {
        together(batch);
        return;
    } catch (...) {
        if (batch.size() == 1) {
            batch.front()->error = std::current_exception();
            return;
        }
    }
    // One record failed the shared commit: each alone, so that only it fails.
    for (Job* j : batch) {
        try {
            together({j});
        } catch (...) {
            j->error = std::current_exception();
        }
    }
}

} // namespace erpmail
