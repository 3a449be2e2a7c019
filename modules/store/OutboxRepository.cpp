#include "store/OutboxRepository.h"
#include "store/RandomId.h"


#include <optional>

namespace erpmail::store {

namespace {

constexpr const char* kColumns =
    "id, account_id, message_id, state, attempts, next_attempt_ms, last_answer, envelope_from, envelope_to,"
    " document_links, created_by, created_at_ms, claimed_by, claimed_until_ms, claim_token, subject";

OutboxEntry readRow(Statement& st, bool withRaw)
{
    OutboxEntry e;
    e.id = st.intOr(1, 0);
    e.accountId = st.textOr(2);
    e.messageId = st.textOr(3);
    e.state = st.textOr(4);
    e.attempts = static_cast<int>(st.intOr(5, 0));
    e.nextAttemptMs = st.intOr(6, 0);
    e.lastAnswer = st.getText(7);
    e.envelopeFrom = st.textOr(8);
    e.envelopeTo = st.textOr(9, "[]");
    e.documentLinks = st.textOr(10, "[]");
    e.createdBy = st.textOr(11);
    e.createdAtMs = st.intOr(12, 0);
    e.claimedBy = st.getText(13);
    e.claimedUntilMs = st.getInt(14);
    e.claimToken = st.getText(15);
    e.subject = st.getText(16);
    if (withRaw) e.raw = st.getBlob(17).value_or("");
    return e;
}

} // namespace

std::int64_t OutboxRepository::enqueue(const OutboxEntry& e)
{
    Statement st(c_, "INSERT INTO outbox (account_id, message_id, state, attempts, next_attempt_ms, envelope_from,"
                     " envelope_to, raw, document_links, created_by, created_at_ms, subject)"
                     " VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bindText(1, e.accountId).bindText(2, e.messageId).bindInt(3, e.nextAttemptMs).bindText(4, e.envelopeFrom);
    st.bindText(5, e.envelopeTo).bindBlob(6, e.raw).bindText(7, e.documentLinks).bindText(8, e.createdBy);
    st.bindInt(9, e.createdAtMs);
    st.bindOptionalText(10, e.subject);
    st.execute();
    return c_.lastInsertId();
}

std::vector<OutboxEntry> OutboxRepository::claimDue(const std::vector<std::string>& accountIds, const std::string& owner,
                                                    std::int64_t nowMs, std::int64_t untilMs, int limit)
{
    std::vector<OutboxEntry> claimed;
    if (accountIds.empty()) return claimed;
    // Its own transaction, or the caller's (whose commit then makes the claim).
    std::optional<Transaction> tx;
    if (!c_.inTransaction()) tx.emplace(c_);
    std::vector<std::int64_t> ids;
    {
        // PostgreSQL: rows another sender holds are skipped, not waited for.
        // SQLite: one writer at a time; the state check below decides.
        std::string sql = "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_ms <= ? AND account_id IN (" +
                          placeholders(accountIds.size()) + ") ORDER BY next_attempt_ms, id LIMIT ?";
        if (c_.dialect() == Dialect::PostgreSQL) sql += " FOR UPDATE SKIP LOCKED";
        Statement st(c_, sql);
        st.bindInt(1, nowMs);
        st.bindInt(st.bindTexts(2, accountIds), limit);
        st.execute();
        while (st.fetch()) ids.push_back(st.intOr(1, 0));
    }
    Statement claim(c_, "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_by = ?,"
                        " claimed_until_ms = ?, claim_token = ? WHERE id = ? AND state = 'queued'");
    std::vector<std::int64_t> won;
    for (auto id : ids) {
        const std::string token = randomUuid();
        claim.bindText(1, owner).bindInt(2, untilMs).bindText(3, token).bindInt(4, id);
        if (claim.execute() == 1) won.push_back(id);
    }
    if (tx) tx->commit();
    for (auto id : won)
        if (auto e = get(id, true)) claimed.push_back(std::move(*e));
    return claimed;
}

std::int64_t OutboxRepository::releaseExpired(std::int64_t nowMs, std::int64_t expiredBeforeMs)
{
    Statement st(c_, "UPDATE outbox SET state = 'queued', claimed_by = NULL, claimed_until_ms = NULL,"
                     " claim_token = NULL, next_attempt_ms = ? WHERE state = 'sending' AND claimed_until_ms < ?");
    st.bindInt(1, nowMs).bindInt(2, expiredBeforeMs);
    return st.execute();
}

bool OutboxRepository::renewClaim(std::int64_t id, const std::string& claimToken, std::int64_t untilMs)
{
    Statement st(c_, "UPDATE outbox SET claimed_until_ms = ? WHERE id = ? AND claim_token = ? AND state = 'sending'");
    st.bindInt(1, untilMs).bindInt(2, id).bindText(3, claimToken);
    return st.execute() == 1;
}

bool OutboxRepository::markSent(std::int64_t id, const std::string& claimToken, const std::string& answer)
{
    Statement st(c_, "UPDATE outbox SET state = 'sent', last_answer = ?, claimed_by = NULL, claimed_until_ms = NULL,"
                     " claim_token = NULL, raw = ? WHERE id = ? AND claim_token = ? AND state = 'sending'");
    // The sent copy lives in messages; the outbox keeps no second one.
    st.bindText(1, answer).bindBlob(2, "").bindInt(3, id).bindText(4, claimToken);
    return st.execute() == 1;
}

bool OutboxRepository::markRetry(std::int64_t id, const std::string& claimToken, const std::string& answer,
                                 std::int64_t nextAttemptMs)
{
    Statement st(c_,
                 "UPDATE outbox SET state = 'queued', last_answer = ?, next_attempt_ms = ?, claimed_by = NULL,"
                 " claimed_until_ms = NULL, claim_token = NULL WHERE id = ? AND claim_token = ? AND state = 'sending'");
    st.bindText(1, answer).bindInt(2, nextAttemptMs).bindInt(3, id).bindText(4, claimToken);
    return st.execute() == 1;
}

bool OutboxRepository::markFailed(std::int64_t id, const std::string& claimToken, const std::string& answer)
{
    Statement st(c_, "UPDATE outbox SET state = 'failed', last_answer = ?, claimed_by = NULL, claimed_until_ms = NULL,"
                     " claim_token = NULL WHERE id = ? AND claim_token = ? AND state = 'sending'");
    st.bindText(1, answer).bindInt(2, id).bindText(3, claimToken);
    return st.execute() == 1;
}

void OutboxRepository::recordRecipients(std::int64_t id, const std::vector<OutboxRecipient>& outcomes)
{
    // Kept statements: every sent mail records its recipients.
    Statement& remove = c_.prepared("DELETE FROM outbox_recipients WHERE outbox_id = ? AND address = ?");
    Statement& insert = c_.prepared("INSERT INTO outbox_recipients (outbox_id, address, outcome, code, answer,"
                                    " attempt, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : outcomes) {
        remove.bindInt(1, id).bindText(2, r.address);
        remove.execute();
        insert.bindInt(1, id).bindText(2, r.address).bindText(3, r.outcome).bindInt(4, r.code).bindText(5, r.answer);
        insert.bindInt(6, r.attempt).bindInt(7, r.updatedAtMs);
        insert.execute();
    }
}

std::map<std::int64_t, std::vector<OutboxRecipient>> OutboxRepository::recipients(const std::vector<std::int64_t>& ids)
{
    std::map<std::int64_t, std::vector<OutboxRecipient>> out;
    if (ids.empty()) return out;
    Statement st(c_, "SELECT outbox_id, address, outcome, code, answer, attempt, updated_at_ms FROM outbox_recipients"
                     " WHERE outbox_id IN (" +
                         placeholders(ids.size()) + ") ORDER BY outbox_id, address");
    int pos = 1;
    for (auto id : ids)
        st.bindInt(pos++, id);
    st.execute();
    while (st.fetch()) {
        const std::int64_t id = st.intOr(1, 0);
        OutboxRecipient r;
        r.address = st.textOr(2);
        r.outcome = st.textOr(3);
        r.code = static_cast<int>(st.intOr(4, 0));
        r.answer = st.textOr(5);
        r.attempt = static_cast<int>(st.intOr(6, 0));
        r.updatedAtMs = st.intOr(7, 0);
        out[id].push_back(std::move(r));
    }
    return out;
}

bool OutboxRepository::cancel(std::int64_t id, const std::string& accountId)
{
    Statement st(c_, "UPDATE outbox SET state = 'cancelled' WHERE id = ? AND account_id = ?"
                     " AND state IN ('queued', 'failed')");
    st.bindInt(1, id).bindText(2, accountId);
    return st.execute() == 1;
}

bool OutboxRepository::retry(std::int64_t id, const std::string& accountId, std::int64_t nowMs)
{
    // One commit: a lane that claimed the mail in between would still see the old refusals.
    std::optional<Transaction> tx;
    if (!c_.inTransaction()) tx.emplace(c_);
    Statement st(c_, "UPDATE outbox SET state = 'queued', next_attempt_ms = ? WHERE id = ? AND account_id = ?"
                     " AND state IN ('failed', 'cancelled')");
    st.bindInt(1, nowMs).bindInt(2, id).bindText(3, accountId);
    if (st.execute() != 1) return false;
    // A retry asked for by a person goes to every recipient who did not get the mail.
    Statement forget(c_, "DELETE FROM outbox_recipients WHERE outbox_id = ? AND outcome <> 'accepted'");
    forget.bindInt(1, id);
    forget.execute();
    if (tx) tx->commit();
    return true;
}

std::optional<OutboxEntry> OutboxRepository::get(std::int64_t id, bool withRaw)
{
    Statement st(c_, std::string("SELECT ") + kColumns + (withRaw ? ", raw" : "") + " FROM outbox WHERE id = ?");
    st.bindInt(1, id);
    st.execute();
    if (!st.fetch()) return std::nullopt;
    return readRow(st, withRaw);
}

std::vector<OutboxEntry> OutboxRepository::list(const std::vector<std::string>& accountIds, const std::string& state,
                                                std::int64_t offset, std::int64_t limit)
{
    std::vector<OutboxEntry> out;
    if (accountIds.empty()) return out;
    Statement st(c_, std::string("SELECT ") + kColumns + " FROM outbox WHERE account_id IN (" +
                         placeholders(accountIds.size()) + ") AND (? = '' OR state = ?)" +
                         " ORDER BY created_at_ms DESC, id DESC LIMIT ? OFFSET ?");
    const int pos = st.bindTexts(1, accountIds);
    st.bindText(pos, state).bindText(pos + 1, state).bindInt(pos + 2, limit).bindInt(pos + 3, offset);
    st.execute();
    while (st.fetch()) out.push_back(readRow(st, false));
    return out;
}

} // namespace erpmail::store
