// The outbox's wiring: its operations, its worker, and mail.send's walk
// through the first three stages of the send path.
#include "transport/smtp/OutboxService.h"

#include "transport/smtp/AccountTest.h"
#include "transport/smtp/Bulk.h"
#include "transport/smtp/Compose.h"
#include "transport/smtp/Deliver.h"
#include "transport/smtp/OutboxOperations.h"
#include "transport/smtp/Protection.h"
#include "transport/smtp/Queue.h"

#include <chrono>

namespace erpmail {

using Poco::JSON::Object;

namespace {

const char* kAddressItems = R"({"type":["string","object"]})";

} // namespace

OutboxService::OutboxService(Context& context, SendAccounts accounts, SecretSealer* sealer)
    : path_{context, accounts, OutboxSettings{}, newClaimOwner(), sealer},
      worker_(context, "erpmail.outbox", "delivery pass failed")
{
}

OutboxService::~OutboxService()
{
    stop();
}

std::vector<Operation> OutboxService::operations()
{
    // Every handler but mail.send's is a function of the send path's shared state.
    auto bind = [this](Object::Ptr (*fn)(const SendPath&, const Request&)) {
        return [this, fn](const Request& r) { return fn(path_, r); };
    };
    const std::string addresses = std::string(R"({"type":"array","maxItems":1000,"items":)") + kAddressItems + "}";
    return {
        {"mail.send",
         "Queues a mail from an account (the caller's main account when none is named), written or filled from a "
         "text block and the first of its documents; answers at once with the Message-ID, and a worker sends it",
         R"({"type":"object","additionalProperties":false,"required":["to"],"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},
             "textblock":{"type":"string","minLength":1,"maxLength":200},
             "signature":{"type":"boolean"},
             "to":)" +
             addresses + R"(,"cc":)" + addresses + R"(,"bcc":)" + addresses + R"(,
             "subject":{"type":"string","maxLength":998},
             "text":{"type":"string","maxLength":10000000},
             "html":{"type":"string","maxLength":10000000},
             "attachments":{"type":"array","maxItems":100,"items":{"type":"object","additionalProperties":false,
                "properties":{"document":{"type":"object","required":["doctype","id"],"additionalProperties":false,
                                          "properties":{"doctype":{"type":"string"},"id":{"type":"string"}}},
                              "path":{"type":"string","maxLength":4096},
                              "base64":{"type":"string","maxLength":200000000},
                              "file_name":{"type":"string","maxLength":255},
                              "content_type":{"type":"string","maxLength":255}}}},
             "documents":{"type":"array","maxItems":100,"items":{"type":"object","required":["doctype","id"],
                "additionalProperties":false,"properties":{"doctype":{"type":"string","minLength":1,"maxLength":100},
                                                           "id":{"type":"string","minLength":1,"maxLength":200}}}},
             "e_printing":{"type":"boolean"},
             "sign":{"type":"boolean"},
             "encrypt":{"type":"boolean"}}})",
         permission::Use, [this](const Request& r) { return send(r); }},
        {"mail.send.bulk",
         "Queues one mail per host document from one text block (for example 300 reminders) in one call: each is "
         "filled and checked first; the answer lists the documents that failed and why, and the others are queued",
         bulkSchema(addresses), permission::Use,
         [this](const Request& r) {
             Object::Ptr answer = sendBulk(path_, r);
             wakeWorker();
             return answer;
         }},
        {"mail.outbox.list",
         "Queued, sending, sent, failed and cancelled mail with attempts, the server's last answer and each "
         "recipient's outcome",
         R"({"type":"object","additionalProperties":false,"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},
             "state":{"enum":["queued","sending","sent","failed","cancelled"]},
             "page":{"type":"integer","minimum":1,"maximum":1000000},
             "page_size":{"type":"integer","minimum":1,"maximum":500}}})",
         permission::Use, bind(&listOutbox)},
        {"mail.outbox.retry", "Queues a failed or cancelled mail again, due now",
         R"({"type":"object","additionalProperties":false,"required":["account","id"],"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},"id":{"type":"integer","minimum":1}}})",
         permission::Use,
         [this](const Request& r) {
             auto answer = retryOutboxEntry(path_, r);
             wakeWorker();
             return answer;
         }},
        {"mail.outbox.cancel", "Cancels a queued or failed mail",
         R"({"type":"object","additionalProperties":false,"required":["account","id"],"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},"id":{"type":"integer","minimum":1}}})",
         permission::Use, bind(&cancelOutboxEntry)},
        {"mail.outbox.process", "Delivers the due mail of the caller's accounts now, and reports counts",
         R"({"type":"object","additionalProperties":false,"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&processOutbox)},
        {"mail.account.test",
         "Tests an account's servers with the sessions that send and fetch: connect, TLS, greeting, capabilities, "
         "STARTTLS, login, the incoming folder (select or STAT) and optionally the sender (MAIL FROM); each step "
         "reported",
         R"({"type":"object","additionalProperties":false,"required":["id"],"properties":{
             "id":{"type":"string","minLength":1,"maxLength":36},"check_sender":{"type":"boolean"}}})",
         permission::Use, bind(&testAccount)},
    };
}

void OutboxService::start()
{
    path_.settings = readOutboxSettings(path_.context);
    if (!path_.settings.worker) return;
    worker_.start(PeriodicWorker::FirstRound::AtOnce, [this] { deliverRound(); },
                  std::chrono::milliseconds(path_.settings.pollMs));
}

void OutboxService::stop() noexcept
{
    worker_.stop();
}

Object::Ptr OutboxService::send(const Request& request)
{
    const store::AccountRecord account = senderAccount(path_, request);
    const Protection protection = protectionFor(path_, request, account);
    ComposedMail composed = compose(path_, request, account, protection.relaySafe());
    SecuredMessage secured = protect(path_, request, account, protection, composed);
    Object::Ptr answer = queue(path_, account, request, composed, std::move(secured));
    wakeWorker();
    return answer;
}

void OutboxService::wakeWorker()
{
    worker_.wake();
}

void OutboxService::deliverRound()
{
    try {
        deliverDue(path_);
    } catch (const std::exception& e) {
        // An error, not the worker's warning: no mail goes out until it is mended.
        path_.context.log(ERP_LOG_ERROR, "erpmail.outbox", std::string("delivery pass failed: ") + e.what());
    }
}

} // namespace erpmail
