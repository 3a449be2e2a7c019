// The send path's last stage: the host hears what became of a mail,
// mail.sent or mail.failed, from an event recorded with the mail's state.
#pragma once

#include "transport/smtp/Record.h"

namespace erpmail {

/// Records the event of one attempt in `db`, inside the transaction that
/// records the attempt: mail.sent naming the recipients it reached now,
/// mail.failed naming those it never will; nothing while the mail waits for
/// a retry. The payload carries the outbox id, the Message-ID, the refused
/// recipients, the server's answer, the attempts and the host documents.
/// Throws StoreError.
void recordAnnouncement(const SendPath& path, store::Connection& db, const store::AccountRecord& account,
                        const store::OutboxEntry& entry, const transport::SmtpOutcome& outcome, const Verdict& verdict);

/// Hands the events recorded in the account's database to the host: what
/// this pass recorded, and what a pass that crashed left. Throws
/// OperationError(unavailable) when the database is gone.
void announce(const SendPath& path, const store::AccountRecord& account);

} // namespace erpmail
