// The send path's third stage: a secured mail goes into its account's
// outbox, due at once, and mail.send answers.
#pragma once

#include "transport/smtp/Compose.h"
#include "transport/smtp/Secure.h"

#include <Poco/JSON/Object.h>

#include <vector>

namespace erpmail {

/// Puts the secured mail into the outbox of `account`'s database, due at
/// its date, with the host documents it concerns (the request's
/// "documents"). The composed mail gives its Message-ID and envelope; the
/// outbox keeps the wire bytes. Returns mail.send's answer: the outbox id,
/// the account, the Message-ID, status "queued" and the recipients. Throws
/// StoreError, and OperationError(unavailable) when the database is gone.
Poco::JSON::Object::Ptr queue(const SendPath& path, const store::AccountRecord& account, const Request& request,
                              const ComposedMail& composed, SecuredMessage secured);

/// A mail composed and secured, with the request it was made for.
struct ReadyMail {
    Request request;
    ComposedMail composed;
    SecuredMessage secured;
};

/// queue() for many mails of one account, in one transaction: all are
/// queued, or none. Returns mail.send's answer for each, in order.
std::vector<Poco::JSON::Object::Ptr> queueAll(const SendPath& path, const store::AccountRecord& account,
                                              std::vector<ReadyMail>& mails);

} // namespace erpmail
