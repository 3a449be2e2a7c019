// What the stages of the send path share: the host's services, the
// accounts, the outbox settings and this sender's name on its claims.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/SecretSealer.h"
#include "transport/smtp/SmtpConnection.h"
#include "transport/smtp/SmtpModule.h"

#include <string>

namespace erpmail {

struct OutboxSettings {
    bool worker = true;               ///< erpmail.outbox.worker (on|off), else erp.host.background
    int pollMs = 1000;                ///< erpmail.outbox.poll_ms
    int leaseSeconds = 300;           ///< erpmail.outbox.lease_seconds: a dead sender's claim expires
    int maxAttempts = 8;              ///< erpmail.outbox.max_attempts
    int retryBaseSeconds = 60;        ///< erpmail.outbox.retry_base_seconds, doubled per attempt, at most 1 h
    int batch = 200;                  ///< erpmail.outbox.batch: mails per connection and pass
    int connections = 2;              ///< erpmail.smtp.connections per account
    int timeoutSeconds = 60;          ///< erpmail.smtp.timeout_seconds: connect, TLS, EHLO, AUTH, RSET
    transport::SmtpTimeouts timeouts; ///< erpmail.smtp.{greeting,mail,rcpt,data,data_block,data_end}_timeout_seconds
    int recordRetrySeconds = 900;     ///< erpmail.outbox.record_retry_seconds: how long a sent mail's record is retried
    int maxMessageMb = 64;            ///< erpmail.send.max_message_mb: the largest mail mail.send composes
};

/// Reads the outbox settings from the host's configuration; a value that is
/// unset or out of range falls back to its default or its bound.
OutboxSettings readOutboxSettings(const Context& context);

struct SendPath {
    Context& context;
    SendAccounts accounts;
    OutboxSettings settings;
    std::string owner;              ///< this process's name on its claims: host, process id and a random part
    SecretSealer* sealer = nullptr; ///< opens the signing keys; none: nothing is signed
};

/// A name for this process's claims that no other sender on the same
/// database shares.
std::string newClaimOwner();

} // namespace erpmail
