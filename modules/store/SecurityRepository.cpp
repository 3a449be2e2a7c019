#include "store/SecurityRepository.h"

namespace erpmail::store {

void SecurityRepository::put(const SecurityRecord& r)
{
    // Kept statements: every signed mail that comes in writes one.
    Statement& drop = c_.prepared("DELETE FROM message_security WHERE message_id = ?");
    drop.bindInt(1, r.messageId);
    drop.execute();
    drop.close();
    Statement& st = c_.prepared("INSERT INTO message_security (message_id, kind, status, reason, signers,"
                                " verified_at_ms, verified_before_attachment_removal) VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.bindInt(1, r.messageId).bindText(2, r.kind).bindText(3, r.status).bindOptionalText(4, r.reason);
    st.bindText(5, r.signers).bindInt(6, r.verifiedAtMs).bindInt(7, r.verifiedBeforeAttachmentRemoval ? 1 : 0);
    st.execute();
    st.close();
}

std::optional<SecurityRecord> SecurityRepository::find(const std::string& accountId, std::int64_t messageId)
{
    Statement st(c_, "SELECT s.kind, s.status, s.reason, s.signers, s.verified_at_ms,"
                     " s.verified_before_attachment_removal FROM message_security s"
                     " JOIN messages m ON m.id = s.message_id WHERE m.account_id = ? AND s.message_id = ?");
    st.bindText(1, accountId).bindInt(2, messageId);
    st.execute();
    if (!st.fetch()) return std::nullopt;
    SecurityRecord r;
    r.messageId = messageId;
    r.kind = st.textOr(1);
    r.status = st.textOr(2);
    r.reason = st.getText(3);
    r.signers = st.textOr(4, "[]");
    r.verifiedAtMs = st.intOr(5, 0);
    r.verifiedBeforeAttachmentRemoval = st.intOr(6, 0) != 0;
    return r;
}

void SecurityRepository::markVerifiedBeforeAttachmentRemoval(std::int64_t messageId)
{
    Statement st(c_, "UPDATE message_security SET verified_before_attachment_removal = 1"
                     " WHERE message_id = ? AND status = 'valid'");
    st.bindInt(1, messageId);
    st.execute();
}

} // namespace erpmail::store
