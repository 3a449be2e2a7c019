// Overlaps the three kinds of work of a fetch: the caller's thread reads
// mail from the server, one thread parses it, one writes it to the account's
// database. Bounded queues between them keep memory flat. What the writer
// committed survives a crash of the process when finish() returns; before
// deleting anything on the server, the fetch flushes it to disk as well.
#pragma once

#include "erpmail/MessageStore.h"
#include "store/DatabaseRegistry.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace erpmail::transport {

class IngestPipeline {
public:
    /// Runs on the writer thread inside its open transaction: stores the
    /// message (and whatever must commit with it) and returns it, or
    /// returns nothing when the message needed no new row.
    using StoreStep = std::function<std::optional<StoredMessage>(store::Connection&, PreparedMessage&)>;

    struct Limits {
        // With a rollback journal each commit waits for the disk, so a
        // transaction holds a few hundred mails and the queues let the
        // reader and the parser go on meanwhile.
        std::size_t queuedBytes = 8 * 1024 * 1024; ///< per queue; one message always fits
        std::size_t commitMessages = 400;          ///< a transaction holds at most this many
        std::size_t commitBytes = 16 * 1024 * 1024;
    };

    /// Runs on the writer thread after each commit, outside any
    /// transaction: the host hears of mail as it is committed, not all at
    /// the end of a long fetch.
    using AfterCommit = std::function<void(store::Connection&)>;

    /// `db` belongs to the writer thread until finish() returns.
    IngestPipeline(MessageStore& messages, const store::AccountRecord& account, store::Connection& db,
                   StoreStep store, AfterCommit afterCommit, Limits limits);
    IngestPipeline(MessageStore& messages, const store::AccountRecord& account, store::Connection& db,
                   StoreStep store, AfterCommit afterCommit);
    /// Commits what was handed over and stops; errors are dropped here (a
    /// fetch that ends by an exception reports that one).
    ~IngestPipeline();
    IngestPipeline(const IngestPipeline&) = delete;
    IngestPipeline& operator=(const IngestPipeline&) = delete;

    /// Hands over one mail as received. Blocks while the queue is full;
    /// throws the first error of the parser or the writer.
    void push(std::string raw, store::MessageOrigin origin);
    /// Waits until everything handed over is committed; throws the first
    /// error of the parser or the writer (then the last batch is not
    /// committed, and it is fetched again next time).
    void finish();

    /// The messages stored, in commit order; complete after finish().
    const std::vector<StoredMessage>& stored() const { return stored_; }

private:
    struct Raw {
        std::string raw;
        store::MessageOrigin origin;
    };
    template <typename T>
    struct Queue {
        std::deque<T> items;
        std::size_t bytes = 0;
        bool closed = false;
    };

    template <typename T>
    bool fits(const Queue<T>& q, std::size_t size) const;
    template <typename T>
    bool drained(const Queue<T>& q, std::size_t size) const;
    void parseLoop();
    void writeLoop();
    void checkpoint();
    void checkpointLoop();
    void fail(std::exception_ptr error);
    void throwIfFailed();
    void stop() noexcept;

    MessageStore& messages_;
    store::AccountRecord account_;
    store::Connection& db_;
    StoreStep store_;
    AfterCommit afterCommit_;
    Limits limits_;

    std::mutex mutex_;
    std::condition_variable rawReady_, rawSpace_, preparedReady_, preparedSpace_;
    Queue<Raw> raw_;
    Queue<PreparedMessage> prepared_;
    std::exception_ptr error_;
    std::vector<StoredMessage> stored_;
    std::thread parser_;
    std::thread writer_;
    std::optional<int> syncBefore_; ///< the connection's synchronous setting, restored at the end
    /// In WAL mode: a connection of its own that copies the log into the
    /// database file while the writer goes on (see checkpoint()).
    std::optional<store::ConnectionLease> checkpointDb_;
    std::thread checkpointer_;
    std::condition_variable checkpointDue_;
    bool checkpointWanted_ = false, checkpointerStop_ = false;
};

} // namespace erpmail::transport
