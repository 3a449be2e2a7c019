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

std::vector<EventRecord> EventRepository::pending(int limit)
{
    std::string sql = "SELECT id, event_id, type, account_id, payload, recorded_at_ms FROM mail_events"
                      " ORDER BY id LIMIT ?";
    if (c_.dialect() == Dialect::PostgreSQL && c_.inTransaction()) sql += " FOR UPDATE SKIP LOCKED";
    Statement st(c_, sql);
    st.bindInt(1, limit);
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
    return out;
}

std::int64_t EventRepository::remove(const std::vector<std::int64_t>& ids)
{
    if (ids.empty()) return 0;
    Statement st(c_, "DELETE FROM mail_events WHERE id IN (" + placeholders(ids.size()) + ")");
    for (std::size_t i = 0; i < ids.size(); ++i)
        st.bindInt(static_cast<int>(i) + 1, ids[i]);
    return st.execute();
}

} // namespace erpmail::store
