// Sending: mail.send queues, a worker (or mail.outbox.process) delivers over
// SMTP, retries temporary failures with backoff, stores the sent copy and
// tells the host.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "store/OutboxRepository.h"
#include "transport/smtp/SmtpConnection.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace erpmail {

struct OutboxSettings {
    bool worker = true;           ///< erpmail.outbox.worker (on|off)
    int pollMs = 1000;            ///< erpmail.outbox.poll_ms
    int leaseSeconds = 300;       ///< erpmail.outbox.lease_seconds: a dead sender's claim expires
    int maxAttempts = 8;          ///< erpmail.outbox.max_attempts
    int retryBaseSeconds = 60;    ///< erpmail.outbox.retry_base_seconds, doubled per attempt, at most 1 h
    int batch = 200;              ///< erpmail.outbox.batch: mails per connection and pass
    int connections = 2;          ///< erpmail.smtp.connections per account
    int timeoutSeconds = 60;      ///< erpmail.smtp.timeout_seconds: connect, TLS, EHLO, AUTH, RSET
    transport::SmtpTimeouts timeouts; ///< erpmail.smtp.{greeting,mail,rcpt,data,data_block,data_end}_timeout_seconds
    int recordRetrySeconds = 900;     ///< erpmail.outbox.record_retry_seconds: how long a sent mail's record is retried
    int maxMessageMb = 64;        ///< erpmail.send.max_message_mb: the largest mail mail.send composes
};

struct DeliveryReport {
    int sent = 0, retrying = 0, failed = 0;
};

class OutboxService {
public:
    OutboxService(Context& context, AccountAccess& accounts);
    ~OutboxService();

    std::vector<Operation> operations();
    /// Reads the settings and starts the worker unless it is turned off.
    void start();
    /// Stops and joins the worker; messages in flight finish first.
    void stop() noexcept;

    /// One delivery pass over the due messages of the given accounts (all
    /// online accounts when empty).
    DeliveryReport deliverDue(const std::vector<store::AccountRecord>& only = {});

private:
    Poco::JSON::Object::Ptr send(const Request& request);
    Poco::JSON::Object::Ptr outboxList(const Request& request);
    Poco::JSON::Object::Ptr outboxRetry(const Request& request);
    Poco::JSON::Object::Ptr outboxCancel(const Request& request);
    Poco::JSON::Object::Ptr outboxProcess(const Request& request);
    Poco::JSON::Object::Ptr accountTest(const Request& request);

    /// The account's SMTP server and how to sign in there. SMTP without a
    /// user of its own signs in as the incoming side does: its password, or
    /// its OAuth access token (bought now unless `buyToken` is false).
    transport::SmtpSettings smtpSettingsOf(const store::AccountRecord& account, bool buyToken = true);
    void deliverAccount(const store::AccountRecord& account, DeliveryReport& report);
    /// Claims the account's next due mail for this sender, if there is one.
    std::optional<store::OutboxEntry> claimNext(store::Connection& db, const store::AccountRecord& account,
                                                std::int64_t passStart);
    /// Records one attempt: each recipient's outcome, the mail's state (only
    /// while the claim is still this attempt's) and, for a mail that reached
    /// a recipient, its sent copy; then tells the host. True when the sent
    /// copy was stored by this attempt. With `next`, a sent mail's record also
    /// claims the next due mail in the same commit.
    bool record(const store::AccountRecord& account, const store::OutboxEntry& entry,
                const transport::SmtpOutcome& outcome, DeliveryReport& report,
                std::optional<store::OutboxEntry>* next = nullptr, std::int64_t passStart = 0);
    void workerLoop();
    /// Extends the given claims (outbox id, token) of one account's database.
    void renewClaims(const store::AccountRecord& account,
                     const std::vector<std::pair<std::int64_t, std::string>>& claims);

    Context& context_;
    AccountAccess& accounts_;
    OutboxSettings settings_;
    std::string owner_; ///< this process's name on its claims
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool pending_ = false;
    std::thread worker_;
    std::mutex reportMutex_;
    /// Copies sent mails to the account's Sent folder on its server; logs
    /// a warning when that fails (the mails went out and are stored here).
    void keepOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws);
};

} // namespace erpmail
