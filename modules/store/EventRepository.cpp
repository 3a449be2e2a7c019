#include "store/EventRepository.h"

namespace erpmail::store {

void EventRepository::record(const EventRecord& e)
{
    Statement& st = c_.prepared("INSERT INTO mail_events (event_id, type, account_id, payload, recorded_at_ms)"
                                " VALUES (?, ?, ?, ?, ?)");
    st.bindText(1, e.eventId).bindText(2, e.type).bindText(3, e.accountId).bindText(4, e.payload);
    st.bindInt(5, e.recordedAtMs);
    st.execute();
}

bool EventRepository::unclaimed(std::int64_t nowMs)
{
    Statement& st = c_.prepared("SELECT 1 FROM mail_events WHERE claimed_until_ms IS NULL OR claimed_until_ms < ?"
                                " LIMIT 1");
    st.bindInt(1, nowMs);
    st.execute();
    const bool any = st.fetch();
    st.close();
    return any;
}

std::vector<EventRecord> EventRepository::claim(const std::string& token, std::int64_t nowMs, std::int64_t untilMs,
                                               int limit)
{
    // The outer condition again, so that PostgreSQL, having waited for a row
    // another claimer just took, sees the new claim and leaves the row.
    std::string sql = "UPDATE mail_events SET claim_token = ?, claimed_until_ms = ?"
                      " WHERE (claimed_until_ms IS NULL OR claimed_until_ms < ?) AND id IN"
                      " (SELECT id FROM mail_events WHERE claimed_until_ms IS NULL OR claimed_until_ms < ?"
                      " ORDER BY id LIMIT ?";
    if (c_.dialect() == Dialect::PostgreSQL) sql += " FOR UPDATE SKIP LOCKED";
    sql += ")";
    Statement& update = c_.prepared(sql);
    update.bindText(1, token).bindInt(2, untilMs).bindInt(3, nowMs).bindInt(4, nowMs).bindInt(5, limit);
    if (update.execute() == 0) return {};
    Statement& st = c_.prepared("SELECT id, event_id, type, account_id, payload, recorded_at_ms FROM mail_events"
                                " WHERE claim_token = ? ORDER BY id");
    st.bindText(1, token);
    st.execute();
    std::vector<EventRecord> out;
    while (st.fetch()) {
        EventRecord e;
        e.id = st.intOr(1, 0);
        e.eventId = st.textOr(2);
        e.type = st.textOr(3);
        e.accountId = st.textOr(4);
        e.payload = st.textOr(5, "{}");
        e.recordedAtMs = st.intOr(6, 0);
        out.push_back(std::move(e));
    }
    st.close();
    return out;
}

std::int64_t EventRepository::removeClaimed(const std::string& token)
{
    Statement& st = c_.prepared("DELETE FROM mail_events WHERE claim_token = ?");
    st.bindText(1, token);
    return st.execute();
}

} // namespace erpmail::store
