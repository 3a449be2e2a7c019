// Sending: the operations of the outbox and its worker. mail.send composes,
// secures and queues; the worker (or mail.outbox.process) delivers, records
// and announces, one stage a file (Compose, Secure, Queue, Deliver, Record,
// Announce).
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/PeriodicWorker.h"
#include "erpmail/SecretSealer.h"
#include "transport/smtp/SendPath.h"


namespace erpmail {

class OutboxService {
public:
    OutboxService(Context& context, SendAccounts accounts, SecretSealer* sealer);
    ~OutboxService();

    /// mail.send, mail.outbox.list/.retry/.cancel/.process and mail.account.test.
    std::vector<Operation> operations();
    /// Reads the settings and starts the worker unless it is turned off.
    void start();
    /// Stops and joins the worker; messages in flight finish first.
    void stop() noexcept;

private:
    /// mail.send: compose, secure, queue; the worker delivers.
    Poco::JSON::Object::Ptr send(const Request& request);
    /// Has the worker look at the outbox now rather than at its next poll.
    void wakeWorker();
    /// One pass of the worker over every account's due mail.
    void deliverRound();

    SendPath path_;
    PeriodicWorker worker_;
};

} // namespace erpmail
