// The send path's fourth stage: queued mail goes to the account's SMTP
// server over a few connections (lanes), one claimed mail at a time.
#pragma once

#include "transport/smtp/SendPath.h"

#include <vector>

namespace erpmail {

/// What one delivery pass recorded.
struct DeliveryReport {
    int sent = 0, retrying = 0, failed = 0;
};

/// One delivery pass over the mail due of the given accounts (every
/// account when empty): offline accounts and those without SMTP are
/// passed over, the claims of senders that stopped are released, each
/// account's mail goes out over erpmail.smtp.connections lanes of at most
/// erpmail.outbox.batch mails, each attempt is recorded, and the events
/// are announced to the host after the account's mail. An account whose
/// database or token is unavailable is passed over; other errors throw.
DeliveryReport deliverDue(const SendPath& path, const std::vector<store::AccountRecord>& only = {});

} // namespace erpmail
