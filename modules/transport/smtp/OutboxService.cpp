#include "transport/smtp/OutboxService.h"

#include "erpmail/Base64.h"
#include "erpmail/ServerFile.h"
#include "mime/HeaderSafety.h"
#include "mime/MessageComposer.h"
#include "store/OutboxRepository.h"
#include "transport/common/ServerProbe.h"

#include <Poco/Environment.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/Process.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace erpmail {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using transport::SmtpOutcome;

std::string stringify(const Poco::Dynamic::Var& v)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out);
    return out.str();
}

Object::Ptr parseStored(const std::string& text)
{
    Poco::JSON::Parser parser;
    return parser.parse(text.empty() ? "{}" : text).extract<Object::Ptr>();
}

std::vector<mime::Address> addressList(const Object::Ptr& params, const std::string& key)
{
    std::vector<mime::Address> out;
    if (!params->has(key)) return out;
    auto array = params->getArray(key);
    for (std::size_t i = 0; i < array->size(); ++i) {
        Var item = array->get(static_cast<unsigned>(i));
        const std::string field = key + "[" + std::to_string(i) + "]";
        if (item.isString()) {
            out.push_back({"", item.toString()});
        } else if (item.type() == typeid(Object::Ptr)) {
            auto o = item.extract<Object::Ptr>();
            if (!o->has("email")) throw invalidParam(field + ".email", field + " needs an email");
            out.push_back({o->optValue<std::string>("name", ""), o->getValue<std::string>("email")});
        } else {
            throw invalidParam(field, field + " must be an address or {\"email\",\"name\"}");
        }
    }
    return out;
}

int configInt(const Context& context, const std::string& key, int fallback)
{
    auto value = context.host().config(key);
    if (!value) return fallback;
    try {
        return std::stoi(*value);
    } catch (const std::exception&) {
        return fallback;
    }
}

Object::Ptr entryJson(const store::OutboxEntry& e)
{
    Object::Ptr o = new Object;
    o->set("id", e.id);
    o->set("account", e.accountId);
    o->set("message_id", e.messageId);
    o->set("state", e.state);
    o->set("attempts", e.attempts);
    o->set("next_attempt_ms", e.nextAttemptMs);
    o->set("last_answer", e.lastAnswer ? Var(*e.lastAnswer) : Var());
    Poco::JSON::Parser parser;
    o->set("recipients", parser.parse(e.envelopeTo));
    Poco::JSON::Parser parser2;
    o->set("documents", parser2.parse(e.documentLinks));
    o->set("created_by", e.createdBy);
    o->set("created_at_ms", e.createdAtMs);
    return o;
}

const char* kAddressItems = R"({"type":["string","object"]})";

} // namespace

OutboxService::OutboxService(Context& context, AccountAccess& accounts) : context_(context), accounts_(accounts)
{
    owner_ = Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id()) + ":" +
             Poco::UUIDGenerator::defaultGenerator().createRandom().toString().substr(0, 8);
}

OutboxService::~OutboxService()
{
    stop();
}

std::vector<Operation> OutboxService::operations()
{
    auto bind = [this](Object::Ptr (OutboxService::*fn)(const Request&)) {
        return [this, fn](const Request& r) { return (this->*fn)(r); };
    };
    const std::string addresses = std::string(R"({"type":"array","maxItems":1000,"items":)") + kAddressItems + "}";
    return {
        {"mail.send",
         "Queues a mail from an account (the caller's main account when none is named); answers at once with the "
         "Message-ID, and a worker sends it",
         R"({"type":"object","additionalProperties":false,"required":["to","subject"],"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},
             "to":)" + addresses + R"(,"cc":)" + addresses + R"(,"bcc":)" + addresses + R"(,
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
             "e_printing":{"type":"boolean"}}})",
         permission::Use, bind(&OutboxService::send)},
        {"mail.outbox.list", "Queued, sending, sent, failed and cancelled mail with attempts and the server's last answer",
         R"({"type":"object","additionalProperties":false,"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},
             "state":{"enum":["queued","sending","sent","failed","cancelled"]},
             "page":{"type":"integer","minimum":1,"maximum":1000000},
             "page_size":{"type":"integer","minimum":1,"maximum":500}}})",
         permission::Use, bind(&OutboxService::outboxList)},
        {"mail.outbox.retry", "Queues a failed or cancelled mail again, due now",
         R"({"type":"object","additionalProperties":false,"required":["account","id"],"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},"id":{"type":"integer","minimum":1}}})",
         permission::Use, bind(&OutboxService::outboxRetry)},
        {"mail.outbox.cancel", "Cancels a queued or failed mail",
         R"({"type":"object","additionalProperties":false,"required":["account","id"],"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},"id":{"type":"integer","minimum":1}}})",
         permission::Use, bind(&OutboxService::outboxCancel)},
        {"mail.outbox.process", "Delivers the due mail of the caller's accounts now, and reports counts",
         R"({"type":"object","additionalProperties":false,"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&OutboxService::outboxProcess)},
        {"mail.account.test",
         "Tests an account's servers as configured: connect, TLS, capabilities and login, for SMTP and incoming mail",
         R"({"type":"object","additionalProperties":false,"required":["id"],"properties":{
             "id":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&OutboxService::accountTest)},
    };
}

void OutboxService::start()
{
    // The host says whether it runs long enough for background work
    // (erp.host.background); erpmail.outbox.worker overrides it.
    auto worker = context_.host().config("erpmail.outbox.worker");
    if (!worker) worker = context_.host().config("erp.host.background");
    settings_.worker = !worker || (*worker != "off" && *worker != "no" && *worker != "0");
    settings_.pollMs = std::max(50, configInt(context_, "erpmail.outbox.poll_ms", 1000));
    settings_.leaseSeconds = std::max(1, configInt(context_, "erpmail.outbox.lease_seconds", 300));
    settings_.maxAttempts = std::max(1, configInt(context_, "erpmail.outbox.max_attempts", 8));
    settings_.retryBaseSeconds = std::max(0, configInt(context_, "erpmail.outbox.retry_base_seconds", 60));
    settings_.batch = std::clamp(configInt(context_, "erpmail.outbox.batch", 200), 1, 10000);
    settings_.connections = std::clamp(configInt(context_, "erpmail.smtp.connections", 2), 1, 32);
    settings_.timeoutSeconds = std::clamp(configInt(context_, "erpmail.smtp.timeout_seconds", 60), 1, 3600);
    settings_.maxMessageMb = std::clamp(configInt(context_, "erpmail.send.max_message_mb", 64), 1, 2048);
    if (!settings_.worker) return;
    stopping_ = false;
    worker_ = std::thread([this] { workerLoop(); });
}

void OutboxService::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void OutboxService::workerLoop()
{
    while (true) {
        try {
            deliverDue();
        } catch (const std::exception& e) {
            context_.log(ERP_LOG_ERROR, "erpmail.outbox", std::string("delivery pass failed: ") + e.what());
        }
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(settings_.pollMs), [this] { return stopping_ || pending_; });
        pending_ = false;
        if (stopping_) return;
    }
}

transport::SmtpSettings OutboxService::smtpSettingsOf(const store::AccountRecord& account)
{
    auto server = parseStored(account.serverSettings);
    if (!server->has("smtp")) throw invalidParam("account", "account '" + account.label + "' has no SMTP server");
    auto smtp = server->getObject("smtp");
    transport::SmtpSettings s;
    s.host = smtp->optValue<std::string>("host", "");
    s.port = smtp->optValue<unsigned>("port", 587);
    s.security = transport::parseSecurity(smtp->optValue<std::string>("security", "starttls"));
    s.tls.caFile = smtp->optValue<std::string>("ca_file", "");
    s.tls.caPem = smtp->optValue<std::string>("ca", "");
    s.authenticate = smtp->optValue<bool>("requires_password", true);
    AccountCredentials credentials = accounts_.credentials(account);
    s.user = smtp->optValue<std::string>("user", "");
    s.password = credentials.smtpPassword;
    if (s.user.empty()) {
        // "Server requires password": the incoming credentials, unless SMTP has its own.
        auto in = server->has("incoming") ? server->getObject("incoming") : Object::Ptr(new Object);
        s.user = in->optValue<std::string>("user", "");
        if (s.authenticate && !credentials.incomingLentToSmtp && !credentials.incomingPassword.empty())
            throw missingPassword(account, "incoming.password for its SMTP server",
                                  "the SMTP server changed after the incoming password was entered, and that "
                                  "password stays with the server it was given for");
        s.password = credentials.incomingPassword;
    }
    if (s.authenticate && s.password.empty())
        throw missingPassword(account,
                              smtp->optValue<std::string>("user", "").empty() ? "incoming.password" : "smtp.password");
    s.timeoutSeconds = settings_.timeoutSeconds;
    if (account.senderEmail) {
        auto at = account.senderEmail->rfind('@');
        if (at != std::string::npos) s.heloName = account.senderEmail->substr(at + 1);
    }
    return s;
}

Object::Ptr OutboxService::send(const Request& request)
{
    const auto& p = request.params;
    store::AccountRecord account;
    if (p->has("account")) {
        account = accounts_.requireOnline(p->getValue<std::string>("account"), request, AccountRight::Send);
    } else {
        auto main = accounts_.mainAccountOf(request.user);
        if (!main) throw invalidParam("account", "you own no account to send from; name one");
        account = accounts_.requireOnline(main->id, request, AccountRight::Send);
    }
    if (p->optValue<bool>("e_printing", false) && account.kind != "public")
        throw invalidParam("e_printing", "E-Printing sends for everyone and needs a public account, not '" +
                                             account.label + "'");
    if (!account.senderEmail) throw invalidParam("account", "account '" + account.label + "' has no sender e-mail");
    smtpSettingsOf(account); // fails now, not in the worker, when SMTP is missing

    mime::OutgoingMessage m;
    m.from = {account.senderName.value_or(""), *account.senderEmail};
    m.to = addressList(p, "to");
    m.cc = addressList(p, "cc");
    m.bcc = addressList(p, "bcc");
    m.subject = p->getValue<std::string>("subject");
    m.text = p->optValue<std::string>("text", "");
    m.html = p->optValue<std::string>("html", "");
    if (m.text.empty() && m.html.empty()) throw invalidParam("text", "give a text or an HTML body");
    if (account.alwaysSignature && account.signature && !account.signature->empty()) {
        if (!m.text.empty()) m.text += "\n-- \n" + *account.signature + "\n";
        if (!m.html.empty()) {
            std::string escaped;
            for (char c : *account.signature) {
                if (c == '<') escaped += "&lt;";
                else if (c == '>') escaped += "&gt;";
                else if (c == '&') escaped += "&amp;";
                else if (c == '\n') escaped += "<br>";
                else escaped += c;
            }
            m.html += "<p>-- <br>" + escaped + "</p>";
        }
    }
    // A few small document references can stand for many large documents:
    // the mail is capped as it is put together, not once it is built.
    const std::size_t maxMessage = static_cast<std::size_t>(settings_.maxMessageMb) << 20;
    auto tooLarge = [&](const std::string& field) {
        return invalidParam(field, "the mail would be larger than " + std::to_string(settings_.maxMessageMb) +
                                       " MiB (erpmail.send.max_message_mb)");
    };
    std::size_t composedBytes = m.text.size() + m.html.size();
    if (p->has("attachments")) {
        auto list = p->getArray("attachments");
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto a = list->getObject(static_cast<unsigned>(i));
            const std::string field = "attachments[" + std::to_string(i) + "]";
            mime::OutgoingAttachment out;
            const int sources = (a->has("document") ? 1 : 0) + (a->has("path") ? 1 : 0) + (a->has("base64") ? 1 : 0);
            if (sources != 1) throw invalidParam(field, field + " needs exactly one of document, path or base64");
            if (a->has("document")) {
                auto d = a->getObject("document");
                const std::string doctype = d->getValue<std::string>("doctype"), id = d->getValue<std::string>("id");
                auto document = context_.document(request, doctype, id, field + ".document");
                if (!document) throw invalidParam(field + ".document", "the host has no document " + doctype + " " + id);
                auto meta = parseStored(document->metaJson);
                out.bytes = std::move(document->bytes);
                out.fileName = meta->optValue<std::string>("file_name", doctype + "-" + id + ".pdf");
                out.contentType = meta->optValue<std::string>("content_type", "application/pdf");
            } else if (a->has("path")) {
                const std::string path = a->getValue<std::string>("path");
                out.bytes = readServerFileParam(request.userIsAdmin, path, kMaxMailFileBytes, field + ".path");
                out.fileName = Poco::Path(path).getFileName();
            } else {
                out.bytes = fromBase64Param(a->getValue<std::string>("base64"), field + ".base64");
                if (!a->has("file_name")) throw invalidParam(field + ".file_name", "a base64 attachment needs a file_name");
            }
            if (a->has("file_name")) out.fileName = a->getValue<std::string>("file_name");
            if (a->has("content_type")) out.contentType = a->getValue<std::string>("content_type");
            composedBytes += out.bytes.size() / 3 * 4;
            if (composedBytes > maxMessage) throw tooLarge(field);
            m.attachments.push_back(std::move(out));
        }
    }
    m.dateMs = context_.host().nowMs();

    mime::ComposedMessage composed;
    try {
        composed = mime::composeMessage(m);
    } catch (const mime::CompositionError& e) {
        throw invalidParam(e.field(), e.what());
    }
    if (composed.raw.size() > maxMessage) throw tooLarge(m.attachments.empty() ? "text" : "attachments");
    Array::Ptr recipients = new Array;
    for (const auto& r : composed.recipients) recipients->add(r);
    store::OutboxEntry entry;
    entry.accountId = account.id;
    entry.messageId = composed.messageId;
    entry.nextAttemptMs = m.dateMs;
    entry.envelopeFrom = composed.envelopeFrom;
    entry.envelopeTo = stringify(recipients);
    entry.raw = std::move(composed.raw);
    entry.documentLinks = p->has("documents") ? stringify(p->getArray("documents")) : "[]";
    entry.createdBy = request.user;
    entry.createdAtMs = m.dateMs;
    std::int64_t id;
    {
        auto lease = accounts_.mailbox(account);
        id = store::OutboxRepository(*lease).enqueue(entry);
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = true;
    }
    wake_.notify_all();
    context_.log(ERP_LOG_INFO, "erpmail.outbox",
                 request.user + " queued " + composed.messageId + " from account " + account.id);
    Object::Ptr o = new Object;
    o->set("id", id);
    o->set("account", account.id);
    o->set("message_id", composed.messageId);
    o->set("status", "queued");
    o->set("recipients", recipients);
    return o;
}

namespace {

/// Copies sent mail to the server's Sent folder while the lanes send: in
/// runs of about 8 MiB, from a thread of its own, so a long outbox pass
/// holds little; a lane waits only when 24 MiB are waiting.
class SentCopier {
public:
    explicit SentCopier(std::function<void(const std::vector<std::string>&)> copy)
        : copy_(std::move(copy)), thread_([this] { loop(); })
    {
    }
    ~SentCopier() { finish(); }
    SentCopier(const SentCopier&) = delete;
    SentCopier& operator=(const SentCopier&) = delete;

    void add(std::string raw)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        space_.wait(lock, [&] { return bytes_ < kMaxWaiting; });
        bytes_ += raw.size();
        raws_.push_back(std::move(raw));
        if (bytes_ >= kRun) ready_.notify_one();
    }

    /// Copies what is left and waits for the thread.
    void finish()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        ready_.notify_one();
        if (thread_.joinable()) thread_.join();
    }

private:
    static constexpr std::size_t kRun = 8 * 1024 * 1024, kMaxWaiting = 3 * kRun;

    void loop()
    {
        for (;;) {
            std::vector<std::string> run;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ready_.wait(lock, [&] { return done_ || bytes_ >= kRun; });
                if (raws_.empty()) return;
                run.swap(raws_);
                bytes_ = 0;
            }
            space_.notify_all();
            copy_(run);
        }
    }

    std::function<void(const std::vector<std::string>&)> copy_;
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    std::vector<std::string> raws_;
    std::size_t bytes_ = 0;
    bool done_ = false;
    std::thread thread_; ///< last: starts once the rest is set up
};

} // namespace

DeliveryReport OutboxService::deliverDue(const std::vector<store::AccountRecord>& only)
{
    DeliveryReport report;
    std::vector<store::AccountRecord> accounts = only.empty() ? accounts_.allAccounts() : only;
    std::map<std::string, bool> released;
    for (const auto& account : accounts) {
        if (!account.online) continue; // nothing is sent from an offline account
        if (!parseStored(account.serverSettings)->has("smtp")) continue;
        try {
            if (!released[account.databaseId]) {
                released[account.databaseId] = true;
                auto lease = accounts_.mailbox(account);
                if (auto n = store::OutboxRepository(*lease).releaseExpired(context_.host().nowMs()); n > 0)
                    context_.log(ERP_LOG_WARNING, "erpmail.outbox",
                                 std::to_string(n) + " mail(s) of a sender that stopped go back to the queue");
            }
            deliverAccount(account, report);
            // What this pass recorded, and what a crashed pass left.
            context_.deliverEvents(*accounts_.mailbox(account));
        } catch (const OperationError& e) {
            if (e.code() != "unavailable") throw;
            // mailbox() has set the account offline; the others carry on.
        }
    }
    return report;
}

void OutboxService::deliverAccount(const store::AccountRecord& account, DeliveryReport& report)
{
    transport::SmtpSettings smtp = smtpSettingsOf(account);
    // Each lane claims one mail at a time, so "sending" in the outbox means
    // "on the wire": after a crash, at most one mail per lane goes out twice.
    // Mail due when the pass began; a retry scheduled during it waits for the next pass.
    const std::int64_t passStart = context_.host().nowMs();
    SentCopier copier([&](const std::vector<std::string>& raws) { keepOnServer(account, raws); });
    auto lane = [&] {
        std::unique_ptr<transport::SmtpConnection> connection;
        // After a sent mail, the next one is claimed in the commit that
        // records it: one commit per mail, each of which, with a rollback
        // journal, waits for the disk.
        std::optional<store::OutboxEntry> claimed;
        for (int done = 0; done < settings_.batch; ++done) {
            std::optional<store::OutboxEntry> entry = std::exchange(claimed, std::nullopt);
            if (!entry) {
                try {
                    auto lease = accounts_.mailbox(account);
                    entry = claimNext(*lease, account, passStart);
                } catch (const std::exception& e) {
                    context_.log(ERP_LOG_ERROR, "erpmail.outbox", std::string("cannot claim mail: ") + e.what());
                    return;
                }
            }
            if (!entry) return;
            SmtpOutcome outcome;
            try {
                if (!connection || !connection->usable()) connection = std::make_unique<transport::SmtpConnection>(smtp);
                Poco::JSON::Parser parser;
                auto to = parser.parse(entry->envelopeTo).extract<Array::Ptr>();
                std::vector<std::string> recipients;
                for (std::size_t r = 0; r < to->size(); ++r) recipients.push_back(to->getElement<std::string>(static_cast<unsigned>(r)));
                outcome = connection->send(entry->envelopeFrom, recipients, entry->raw);
            } catch (const transport::SmtpSetupError& e) {
                outcome = e.outcome();
                connection.reset();
            }
            const bool more = done + 1 < settings_.batch;
            if (record(account, *entry, outcome, report, more ? &claimed : nullptr, passStart))
                copier.add(std::move(entry->raw));
            // A server that cannot be reached now will not be reached by the next mail either.
            if (!connection && outcome.kind != SmtpOutcome::Kind::Sent) return;
        }
    };
    std::vector<std::thread> threads;
    for (int i = 1; i < settings_.connections; ++i) threads.emplace_back(lane);
    lane();
    for (auto& t : threads) t.join();
    copier.finish();
}

void OutboxService::keepOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws)
{
    if (raws.empty()) return;
    try {
        accounts_.keepSentOnServer(account, raws);
    } catch (const std::exception& e) {
        // The mails went out and their copies are stored here; only the server's Sent folder lacks them.
        context_.log(ERP_LOG_WARNING, "erpmail.outbox", "could not copy " + std::to_string(raws.size()) +
                                                            " sent mail(s) of account " + account.label +
                                                            " to the server's Sent folder: " + e.what());
    }
}

std::optional<store::OutboxEntry> OutboxService::claimNext(store::Connection& db, const store::AccountRecord& account,
                                                           std::int64_t passStart)
{
    const std::int64_t now = context_.host().nowMs();
    auto claimed = store::OutboxRepository(db).claimDue({account.id}, owner_, passStart,
                                                        now + settings_.leaseSeconds * 1000LL, 1);
    if (claimed.empty()) return std::nullopt;
    return std::move(claimed.front());
}

bool OutboxService::record(const store::AccountRecord& account, const store::OutboxEntry& entry,
                           const SmtpOutcome& outcome, DeliveryReport& report,
                           std::optional<store::OutboxEntry>* next, std::int64_t passStart)
{
    const std::int64_t now = context_.host().nowMs();
    const bool permanent = outcome.kind == SmtpOutcome::Kind::Permanent;
    const bool lastTry = entry.attempts >= settings_.maxAttempts;
    std::string event;
    Object::Ptr payload = new Object;
    payload->set("account", account.id);
    payload->set("outbox_id", entry.id);
    payload->set("message_id", entry.messageId);
    Poco::JSON::Parser p1, p2;
    payload->set("recipients", p1.parse(entry.envelopeTo));
    payload->set("documents", p2.parse(entry.documentLinks));
    payload->set("answer", outcome.answer);
    payload->set("attempts", entry.attempts);
    try {
        auto lease = accounts_.mailbox(account);
        store::OutboxRepository outbox(*lease);
        if (outcome.kind == SmtpOutcome::Kind::Sent) {
            // The sent copy, the sent mark and mail.sent commit together, after the 250.
            store::Transaction tx(*lease);
            accounts_.storeMessage(*lease, account, entry.raw, "sent", "out", entry.documentLinks);
            outbox.markSent(entry.id, outcome.answer);
            context_.recordEvent(*lease, "mail.sent", account.id, payload);
            std::optional<store::OutboxEntry> following;
            if (next) following = claimNext(*lease, account, passStart);
            tx.commit();
            if (next) *next = std::move(following);
            event = "mail.sent";
        } else if (permanent || lastTry) {
            payload->set("permanent", permanent);
            store::Transaction tx(*lease);
            outbox.markFailed(entry.id, outcome.answer);
            context_.recordEvent(*lease, "mail.failed", account.id, payload);
            tx.commit();
            event = "mail.failed";
        } else {
            const std::int64_t backoff =
                std::min<std::int64_t>(3600, static_cast<std::int64_t>(settings_.retryBaseSeconds) << std::min(entry.attempts - 1, 12));
            outbox.markRetry(entry.id, outcome.answer, now + std::max<std::int64_t>(1, backoff * 1000));
        }
    } catch (const std::exception& e) {
        // The claim expires and the message goes out again: at worst twice, never lost.
        context_.log(ERP_LOG_ERROR, "erpmail.outbox", "could not record the outcome of " + entry.messageId + ": " + e.what());
        return false;
    }
    {
        std::lock_guard<std::mutex> lock(reportMutex_);
        if (event == "mail.sent") ++report.sent;
        else if (event == "mail.failed") ++report.failed;
        else ++report.retrying;
    }
    context_.log(event == "mail.sent" ? ERP_LOG_INFO : ERP_LOG_WARNING, "erpmail.outbox",
                 entry.messageId + (event.empty() ? " will be retried" : event == "mail.sent" ? " sent" : " failed") +
                     ": " + outcome.answer);
    return event == "mail.sent";
}

Object::Ptr OutboxService::outboxList(const Request& request)
{
    const auto& p = request.params;
    std::vector<store::AccountRecord> accounts;
    if (p->has("account")) accounts.push_back(accounts_.requireVisible(p->getValue<std::string>("account"), request));
    else accounts = accounts_.visibleAccounts(request);
    const std::int64_t page = p->optValue<std::int64_t>("page", 1), size = p->optValue<std::int64_t>("page_size", 100);
    std::map<std::string, std::vector<std::string>> byDatabase;
    std::map<std::string, store::AccountRecord> any;
    for (const auto& a : accounts) {
        if (!a.online) continue;
        byDatabase[a.databaseId].push_back(a.id);
        any.emplace(a.databaseId, a);
    }
    std::vector<store::OutboxEntry> rows;
    for (const auto& [db, ids] : byDatabase) {
        auto lease = accounts_.mailbox(any.at(db));
        auto part = store::OutboxRepository(*lease).list(ids, p->optValue<std::string>("state", ""), 0, page * size);
        rows.insert(rows.end(), part.begin(), part.end());
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.createdAtMs != b.createdAtMs ? a.createdAtMs > b.createdAtMs : a.id > b.id;
    });
    Array::Ptr items = new Array;
    for (std::size_t i = static_cast<std::size_t>((page - 1) * size); i < rows.size() && items->size() < static_cast<std::size_t>(size); ++i)
        items->add(entryJson(rows[i]));
    Object::Ptr o = new Object;
    o->set("items", items);
    return o;
}

Object::Ptr OutboxService::outboxRetry(const Request& request)
{
    auto account = accounts_.requireOnline(request.params->getValue<std::string>("account"), request, AccountRight::Send);
    const std::int64_t id = request.params->getValue<std::int64_t>("id");
    bool ok;
    {
        auto lease = accounts_.mailbox(account);
        ok = store::OutboxRepository(*lease).retry(id, account.id, context_.host().nowMs());
    }
    if (!ok) throw OperationError("conflict", "outbox entry " + std::to_string(id) + " is not failed or cancelled", "id");
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = true;
    }
    wake_.notify_all();
    Object::Ptr o = new Object;
    o->set("id", id);
    o->set("state", "queued");
    return o;
}

Object::Ptr OutboxService::outboxCancel(const Request& request)
{
    auto account = accounts_.requireOnline(request.params->getValue<std::string>("account"), request, AccountRight::Send);
    const std::int64_t id = request.params->getValue<std::int64_t>("id");
    bool ok;
    {
        auto lease = accounts_.mailbox(account);
        ok = store::OutboxRepository(*lease).cancel(id, account.id);
    }
    if (!ok) throw OperationError("conflict", "outbox entry " + std::to_string(id) + " is not queued or failed", "id");
    Object::Ptr o = new Object;
    o->set("id", id);
    o->set("state", "cancelled");
    return o;
}

Object::Ptr OutboxService::outboxProcess(const Request& request)
{
    std::vector<store::AccountRecord> accounts;
    if (request.params->has("account"))
        accounts.push_back(accounts_.requireOnline(request.params->getValue<std::string>("account"), request));
    else
        accounts = accounts_.visibleAccounts(request);
    if (accounts.empty()) throw OperationError("not_found", "you may use no account");
    DeliveryReport report = deliverDue(accounts);
    Object::Ptr o = new Object;
    o->set("sent", report.sent);
    o->set("retrying", report.retrying);
    o->set("failed", report.failed);
    return o;
}

Object::Ptr OutboxService::accountTest(const Request& request)
{
    auto account = accounts_.requireVisible(request.params->getValue<std::string>("id"), request);
    if (!accounts_.allows(account, request, AccountRight::Configure))
        throw OperationError("forbidden", "only who may change account '" + account.label + "' may test it");
    auto server = parseStored(account.serverSettings);
    Object::Ptr result = new Object;
    bool ok = true;
    if (server->has("smtp")) {
        Object::Ptr smtp = new Object;
        auto settings = smtpSettingsOf(account);
        try {
            transport::SmtpConnection connection(settings);
            smtp->set("ok", true);
            smtp->set("tls", connection.tlsDescription());
            smtp->set("authentication", connection.authMechanism().empty() ? Var() : Var(connection.authMechanism()));
            Array::Ptr caps = new Array;
            for (const auto& c : connection.capabilities()) caps->add(c);
            smtp->set("capabilities", caps);
            connection.quit();
        } catch (const transport::SmtpSetupError& e) {
            ok = false;
            smtp->set("ok", false);
            smtp->set("error", std::string(e.what()));
            smtp->set("temporary", e.outcome().kind == SmtpOutcome::Kind::Temporary);
        }
        result->set("smtp", smtp);
    }
    if (server->has("incoming")) {
        auto in = server->getObject("incoming");
        const std::string protocol = in->optValue<std::string>("protocol", "imaps");
        transport::ProbeRequest probe;
        probe.protocol = protocol.rfind("pop3", 0) == 0 ? transport::Protocol::Pop3 : transport::Protocol::Imap;
        probe.host = in->optValue<std::string>("host", "");
        probe.port = in->optValue<unsigned>("port", 993);
        probe.security = transport::parseSecurity(in->optValue<std::string>("security", "tls"));
        probe.tls.caFile = in->optValue<std::string>("ca_file", "");
        probe.tls.caPem = in->optValue<std::string>("ca", "");
        const bool oauth = in->optValue<std::string>("auth", "password") == "oauth2";
        if (!oauth) { // an OAuth login is tried below, the way a fetch logs in
            probe.user = in->optValue<std::string>("user", "");
            probe.password = accounts_.credentials(account).incomingPassword;
            if (!probe.user.empty() && probe.password.empty()) throw missingPassword(account, "incoming.password");
        }
        auto probed = transport::probeServer(probe);
        if (oauth && probed.ok) {
            transport::ProbeStep login{"login", false, "", 0};
            const auto started = std::chrono::steady_clock::now();
            try {
                accounts_.testIncomingLogin(account);
                login.ok = true;
                login.detail = "OAuth access token accepted (XOAUTH2)";
            } catch (const std::exception& e) {
                login.detail = e.what();
                probed.ok = false;
            }
            login.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
            probed.steps.push_back(login);
        }
        ok = ok && probed.ok;
        result->set("incoming", probed.toJson());
    }
    result->set("ok", ok);
    return result;
}

} // namespace erpmail
