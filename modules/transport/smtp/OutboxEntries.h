// What the send path reads out of an outbox entry: its envelope recipients,
// each one's outcome so far, and the host documents it concerns.
#pragma once

#include "store/OutboxRepository.h"
#include "transport/smtp/SmtpConnection.h"

#include <Poco/JSON/Array.h>

#include <map>
#include <string>
#include <vector>

namespace erpmail {

/// A recipient's outcome as the outbox records it: accepted,
/// refused_permanent or refused_temporary.
const char* outcomeName(transport::SmtpOutcome::Kind kind);

/// The envelope recipients, in the order they were queued.
std::vector<std::string> envelopeRecipients(const store::OutboxEntry& entry);

/// Each recipient's outcome: what earlier attempts recorded, overlaid with `answers`.
std::map<std::string, std::string> outcomesOf(const store::OutboxEntry& entry,
                                              const std::vector<store::OutboxRecipient>& answers = {});

/// The recipients a (next) attempt goes to: those neither accepted nor refused for good.
std::vector<std::string> outstandingRecipients(const store::OutboxEntry& entry,
                                               const std::vector<store::OutboxRecipient>& answers = {});

/// The host documents the mail concerns, as mail.send was given them.
Poco::JSON::Array::Ptr documentsOf(const store::OutboxEntry& entry);

} // namespace erpmail
