// The events of an account's database that the host has not been handed
// yet: each is written in the transaction of the state it reports, claimed
// by the process that hands it over, and deleted once it has.
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

    /// Whether any recorded event is held by no claim at `nowMs`.
    bool unclaimed(std::int64_t nowMs);

    /// Claims up to `limit` recorded events that no claim holds at `nowMs`
    /// (none, or one that ran out) for `token` until `untilMs`, and returns
    /// them oldest first. No two claimers get the same event.
    std::vector<EventRecord> claim(const std::string& token, std::int64_t nowMs, std::int64_t untilMs, int limit);

    /// Deletes the events that `token` still holds; returns how many.
    std::int64_t removeClaimed(const std::string& token);

private:
    Connection& c_;
};

} // namespace erpmail::store
