// One commit for the records of several lanes: with a rollback journal each
// commit waits for the disk, and lanes that record at the same moment share
// that wait instead of queueing for SQLite's write lock one by one.
#pragma once

#include "store/Odbc.h"
#include "transport/smtp/SendPath.h"

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

namespace erpmail {

/// Commits the records of one account's lanes together. A lane whose record
/// comes while another lane's commit is under way waits for it, and then
/// one of the waiting lanes writes all their records in one transaction;
/// when that fails, each record is written in a transaction of its own, so
/// that one failing record leaves the others to commit.
class GroupCommit {
public:
    /// Writes one record on the connection, inside the shared transaction;
    /// returns false when it wrote nothing (its claim was taken over).
    using Write = std::function<bool(store::Connection&)>;

    GroupCommit(const SendPath& path, const store::AccountRecord& account);
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    /// Runs `write` in a transaction shared with the records of the lanes
    /// that come meanwhile, and returns once that transaction has
    /// committed: what `write` returned. Throws what `write` threw, or what
    /// opening or committing the transaction threw.
    bool run(const Write& write);

private:
    struct Job {
        const Write* write = nullptr;
        bool done = false;
        bool wrote = false;
        std::exception_ptr error;
    };
    void commit(const std::vector<Job*>& batch);

    const SendPath& path_;
    const store::AccountRecord& account_;
    std::mutex mutex_;
    std::condition_variable committed_;
    std::vector<Job*> waiting_;
    bool committing_ = false;
};

} // namespace erpmail
