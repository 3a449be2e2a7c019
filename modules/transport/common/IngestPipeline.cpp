#include "transport/common/IngestPipeline.h"

#include <chrono>
#include <utility>

namespace erpmail::transport {

namespace {

std::size_t sizeOf(const PreparedMessage& m)
{
    // Measured in place: value_or() would copy each body to count it.
    std::size_t n = m.record.raw.size() + (m.record.bodyText ? m.record.bodyText->size() : 0) +
                    (m.record.bodyHtml ? m.record.bodyHtml->size() : 0);
    for (const auto& a : m.record.attachments) n += a.bytes.size();
    return n;
}

} // namespace

IngestPipeline::IngestPipeline(MessageStore& messages, const store::AccountRecord& account, store::Connection& db,
                               StoreStep store, AfterCommit afterCommit)
    : IngestPipeline(messages, account, db, std::move(store), std::move(afterCommit), Limits{})
{
}

IngestPipeline::IngestPipeline(MessageStore& messages, const store::AccountRecord& account, store::Connection& db,
                               StoreStep store, AfterCommit afterCommit, Limits limits)
    : messages_(messages), account_(account), db_(db), store_(std::move(store)), afterCommit_(std::move(afterCommit)),
      limits_(limits)
{
    // In a SQLite database in WAL mode, bulk ingest commits without waiting
    // for the disk (safe against a crash of the process, not of the
    // machine); a fetch that deletes on the server calls
    // Connection::flushToDisk() first.
    if (db_.walMode()) {
        store::Statement sync(db_, "PRAGMA synchronous");
        sync.execute();
        if (sync.fetch()) syncBefore_ = sync.intOr(1, 2);
        sync.close();
        db_.execute("PRAGMA synchronous = NORMAL");
        try {
            checkpointDb_.emplace(messages_.mailbox(account_));
            db_.execute("PRAGMA wal_autocheckpoint = 0");
            checkpointer_ = std::thread([this] { checkpointLoop(); });
        } catch (const std::exception&) {
            checkpointDb_.reset(); // the writer checkpoints itself
        }
    }
    parser_ = std::thread([this] { parseLoop(); });
    writer_ = std::thread([this] { writeLoop(); });
}

IngestPipeline::~IngestPipeline()
{
    stop();
}

void IngestPipeline::fail(std::exception_ptr error)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = error;
    rawReady_.notify_all();
    rawSpace_.notify_all();
    preparedReady_.notify_all();
    preparedSpace_.notify_all();
}

void IngestPipeline::throwIfFailed()
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
}

// A full queue takes more only once it has drained to half (or is empty):
// the two threads then hand over runs of mail instead of waking each other
// for every single one.
template <typename T>
bool IngestPipeline::fits(const Queue<T>& q, std::size_t size) const
{
    return q.items.empty() || q.bytes + size <= limits_.queuedBytes;
}

template <typename T>
bool IngestPipeline::drained(const Queue<T>& q, std::size_t size) const
{
    return q.items.empty() || q.bytes + size <= limits_.queuedBytes / 2;
}

void IngestPipeline::push(std::string raw, store::MessageOrigin origin)
{
    const std::size_t size = raw.size();
    std::unique_lock<std::mutex> lock(mutex_);
    if (!fits(raw_, size)) rawSpace_.wait(lock, [&] { return error_ || drained(raw_, size); });
    if (error_) std::rethrow_exception(error_);
    const bool wasEmpty = raw_.items.empty();
    raw_.items.push_back({std::move(raw), std::move(origin)});
    raw_.bytes += size;
    lock.unlock();
    if (wasEmpty) rawReady_.notify_one();
}

void IngestPipeline::parseLoop()
{
    try {
        for (;;) {
            Raw next;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                rawReady_.wait(lock, [&] { return error_ || !raw_.items.empty() || raw_.closed; });
                if (error_ || raw_.items.empty()) break;
                next = std::move(raw_.items.front());
                raw_.items.pop_front();
                raw_.bytes -= next.raw.size();
                if (drained(raw_, 0)) rawSpace_.notify_one();
            }
            PreparedMessage m = messages_.prepareMessage(account_, std::move(next.raw), "pending", "in", "[]", next.origin);
            const std::size_t size = sizeOf(m);
            std::unique_lock<std::mutex> lock(mutex_);
            if (!fits(prepared_, size))
                preparedSpace_.wait(lock, [&] { return error_ || drained(prepared_, size); });
            if (error_) break;
            const bool wasEmpty = prepared_.items.empty();
            prepared_.items.push_back(std::move(m));
            prepared_.bytes += size;
            if (wasEmpty) preparedReady_.notify_one();
        }
    } catch (...) {
        fail(std::current_exception());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    prepared_.closed = true;
    preparedReady_.notify_one();
}

void IngestPipeline::writeLoop()
{
    std::optional<store::Transaction> tx;
    std::vector<StoredMessage> pending;
    std::size_t txMessages = 0, txBytes = 0;
    auto commit = [&] {
        tx->commit();
        tx.reset();
        checkpoint();
        txMessages = txBytes = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto& s : pending) stored_.push_back(std::move(s));
            pending.clear();
        }
        if (afterCommit_) afterCommit_(db_);
    };
    try {
        for (;;) {
            PreparedMessage m;
            std::size_t size = 0;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                if (tx && prepared_.items.empty() && !prepared_.closed) {
                    // Caught up with the parser: commit unless more follows at once.
                    preparedReady_.wait_for(lock, std::chrono::milliseconds(20),
                                            [&] { return error_ || !prepared_.items.empty() || prepared_.closed; });
                }
                if (error_) break;
                if (tx && prepared_.items.empty()) {
                    lock.unlock();
                    commit();
                    lock.lock();
                }
                preparedReady_.wait(lock, [&] { return error_ || !prepared_.items.empty() || prepared_.closed; });
                if (error_ || prepared_.items.empty()) break;
                m = std::move(prepared_.items.front());
                prepared_.items.pop_front();
                size = sizeOf(m);
                prepared_.bytes -= size;
                if (drained(prepared_, 0)) preparedSpace_.notify_one();
            }
            if (!tx) tx.emplace(db_);
            if (auto s = store_(db_, m)) pending.push_back(std::move(*s));
            ++txMessages;
            txBytes += size;
            if (txMessages >= limits_.commitMessages || txBytes >= limits_.commitBytes) commit();
        }
        bool failed = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            failed = static_cast<bool>(error_);
        }
        if (tx && !failed) commit();
    } catch (...) {
        fail(std::current_exception());
    }
    tx.reset(); // rolls back what did not commit
}

void IngestPipeline::checkpointLoop()
{
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            checkpointDue_.wait(lock, [&] { return checkpointWanted_ || checkpointerStop_; });
            if (!checkpointWanted_) return;
            checkpointWanted_ = false;
        }
        try {
            store::Statement st(**checkpointDb_, "PRAGMA wal_checkpoint(PASSIVE)");
            st.execute();
            st.close();
        } catch (const std::exception&) {
            // A checkpoint that fails leaves the log longer; the next one copies it.
        }
    }
}

void IngestPipeline::checkpoint()
{
    // A passive checkpoint after every commit keeps the write-ahead log at
    // about one transaction, where SQLite's automatic one lets it grow to
    // 1000 pages and copies them in one go; it runs on a connection and a
    // thread of its own so that the writer goes on while the log is copied
    // and synced.
    if (!db_.walMode()) return;
    if (checkpointDb_) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            checkpointWanted_ = true;
        }
        checkpointDue_.notify_one();
        return;
    }
    store::Statement st(db_, "PRAGMA wal_checkpoint(PASSIVE)");
    st.execute();
    st.close();
}

void IngestPipeline::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        raw_.closed = true;
    }
    rawReady_.notify_one();
    if (parser_.joinable()) parser_.join();
    if (writer_.joinable()) writer_.join();
    const bool ownCheckpointer = checkpointer_.joinable();
    if (ownCheckpointer) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            checkpointerStop_ = true;
        }
        checkpointDue_.notify_one();
        checkpointer_.join();
        checkpointDb_.reset();
    }
    // The connection goes back to the pool with its synchronous setting and
    // SQLite's automatic checkpoint again.
    const std::optional<int> sync = std::exchange(syncBefore_, std::nullopt);
    try {
        if (ownCheckpointer) db_.execute("PRAGMA wal_autocheckpoint = 1000");
        if (sync) db_.execute("PRAGMA synchronous = " + std::to_string(*sync));
    } catch (const std::exception&) {
        // The connection is failing; the pool drops it.
    }
}

void IngestPipeline::finish()
{
    stop();
    throwIfFailed();
}

} // namespace erpmail::transport
