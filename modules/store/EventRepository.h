// The events of an account's database that the host has not been handed
// yet: each is written in the transaction of the state it reports, and
// deleted in the transaction that hands it over.
#pragma once

#include "store/Odbc.h"

#include <string>
#include <vector>

namespace erpmail::store {

struct EventRecord {
    std::int64_t id = 0; ///< order of recording within the database
    std::string eventId; ///< stable across deliveries (a UUID)
    std::string type;    ///< "mail.sent", "mail.failed", "mail.received"
    std::string accountId;
    std::string payload; ///< JSON object, event_id included
    std::int64_t recordedAtMs = 0;
};

class EventRepository {
public:
    explicit EventRepository(Connection& connection) : c_(connection) {}

    /// Records an event; in the caller's transaction when one is open.
    /// Throws ConstraintViolation for an event_id recorded already.
    void record(const EventRecord& event);

    /// Up to `limit` recorded events, oldest first. Inside a transaction on
    /// PostgreSQL the rows are locked, and rows another transaction holds
    /// are skipped.
    std::vector<EventRecord> pending(int limit);

    /// Deletes the events with these ids; returns how many were deleted.
    std::int64_t remove(const std::vector<std::int64_t>& ids);

private:
    Connection& c_;
};

} // namespace erpmail::store
