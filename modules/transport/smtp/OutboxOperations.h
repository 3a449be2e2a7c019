// The outbox as a person sees it: mail.outbox.list, .retry, .cancel and
// .process.
#pragma once

#include "transport/smtp/SendPath.h"

#include <Poco/JSON/Object.h>

namespace erpmail {

/// mail.outbox.list: the outbox mail of the named account, else of every
/// account the request may see, newest first, one page of them, each with
/// its attempts, the server's last answer and each recipient's outcome.
Poco::JSON::Object::Ptr listOutbox(const SendPath& path, const Request& request);

/// mail.outbox.retry: queues a failed or cancelled mail again, due now, for
/// the recipients it has not reached; conflict otherwise. The caller wakes
/// the worker.
Poco::JSON::Object::Ptr retryOutboxEntry(const SendPath& path, const Request& request);

/// mail.outbox.cancel: cancels a queued or failed mail; conflict otherwise.
Poco::JSON::Object::Ptr cancelOutboxEntry(const SendPath& path, const Request& request);

/// mail.outbox.process: one delivery pass over the due mail of the named
/// account, else of every account the request may see, and its counts.
Poco::JSON::Object::Ptr processOutbox(const SendPath& path, const Request& request);

} // namespace erpmail
