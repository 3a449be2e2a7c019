// The attachment rule of retention: large attachments taken out of a stored
// message and replaced by placeholders, one message per transaction.
#include "retention/AttachmentPurge.h"

#include "erpmail/FaultPoint.h"
#include "mime/AttachmentRemoval.h"
#include "retention/RetentionCalendar.h"
#include "store/MessageRepository.h"
#include "store/SecurityRepository.h"

#include <optional>

namespace erpmail::retention {

namespace {

std::string placeholderText(const store::AttachmentRecord& a, const std::string& sha256, std::int64_t nowMs,
                            const std::string& reason)
{
    return "This attachment was removed by the retention rules of erpmail.\n"
           "File name: " +
           a.originalFileName.value_or(a.fileName.value_or("")) + "\nContent type: " + a.contentType +
           "\nSize: " + std::to_string(a.size) + " bytes\nSHA-256: " + sha256 + "\nRemoved: " + isoTime(nowMs) +
           "\nReason: " + reason + "\n";
}

} // namespace

std::int64_t removeAttachments(store::Connection& c, const std::string& accountId, const Removal& removal,
                               std::int64_t nowMs, const std::string& reason, bool write, std::int64_t& removed,
                               std::int64_t& skipped)
{
    std::optional<store::Transaction> tx;
    if (write) tx.emplace(c);
    store::MessageRepository messages(c);
    auto message = messages.get(accountId, removal.messageId, true);
    if (!message) return 0;
    auto stored = messages.attachments(removal.messageId, true);
    std::vector<mime::PartRemoval> parts;
    std::vector<const store::AttachmentRecord*> rows;
    for (const auto& planned : removal.attachments)
        for (const auto& a : stored)
            if (a.ordinal == planned.ordinal && !a.removed) {
                const std::string sha = mime::sha256Of(a.bytes);
                parts.push_back({sha, placeholderText(a, sha, nowMs, reason), false});
                rows.push_back(&a);
            }
    auto raw = mime::removeParts(message->raw, parts);
    std::int64_t bytes = 0, here = 0;
    store::RetentionRepository repository(c);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!raw || !parts[i].done) {
            ++skipped;
            continue;
        }
        // Another host's run may have taken it meanwhile: then it counts there.
        if (write &&
            !repository.markAttachmentRemoved(removal.messageId, rows[i]->ordinal, nowMs, parts[i].sha256, reason))
            continue;
        ++here;
        bytes += rows[i]->size;
    }
    removed += here;
    if (write) {
        if (raw && here) {
            repository.replaceRaw(accountId, removal.messageId, *raw);
            // The rewritten form no longer matches its signature: the result
            // found when it was stored stays, and says it came before.
            store::SecurityRepository(c).markVerifiedBeforeAttachmentRemoval(removal.messageId);
        }
        tx->commit();
        crashPoint("retention-batch");
    }
    return bytes;
}

} // namespace erpmail::retention
