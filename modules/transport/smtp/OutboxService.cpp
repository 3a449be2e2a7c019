#include "transport/smtp/OutboxService.h"

#include "erpmail/Base64.h"
#include "erpmail/ServerFile.h"
#include "mime/HeaderSafety.h"
#include "mime/MessageComposer.h"
#include "store/OutboxRepository.h"
#include "transport/common/ServerProbe.h"
#include "transport/oauth/OAuthTokens.h"

#include <Poco/Environment.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/Process.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <climits>
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

const char* outcomeName(SmtpOutcome::Kind kind)
{
    switch (kind) {
    case SmtpOutcome::Kind::Sent: return "accepted";
    case SmtpOutcome::Kind::Permanent: return "refused_permanent";
    case SmtpOutcome::Kind::Temporary: break;
    }
    return "refused_temporary";
}

std::vector<std::string> envelopeRecipients(const store::OutboxEntry& e)
{
    Poco::JSON::Parser parser;
    auto to = parser.parse(e.envelopeTo).extract<Array::Ptr>();
    std::vector<std::string> out;
    for (std::size_t r = 0; r < to->size(); ++r)
        out.push_back(to->getElement<std::string>(static_cast<unsigned>(r)));
    return out;
}

/// Each recipient's outcome: what earlier attempts recorded, overlaid with `answers`.
std::map<std::string, std::string> outcomesOf(const store::OutboxEntry& e,
                                              const std::vector<store::OutboxRecipient>& answers = {})
{
    std::map<std::string, std::string> out;
    for (const auto* list : {&e.recipients, &answers})
        for (const auto& r : *list)
            out[r.address] = r.outcome;
    return out;
}

/// The recipients a (next) attempt goes to: those neither accepted nor refused for good.
std::vector<std::string> outstandingRecipients(const store::OutboxEntry& e,
                                               const std::vector<store::OutboxRecipient>& answers = {})
{
    const auto settled = outcomesOf(e, answers);
    std::vector<std::string> out;
    for (auto& address : envelopeRecipients(e)) {
        auto it = settled.find(address);
        if (it == settled.end() || it->second == "refused_temporary") out.push_back(std::move(address));
    }
    return out;
}

/// Each envelope recipient with its outcome so far ("pending" before any answer).
Array::Ptr recipientOutcomesJson(const store::OutboxEntry& e)
{
    std::map<std::string, const store::OutboxRecipient*> known;
    for (const auto& r : e.recipients)
        known[r.address] = &r;
    Array::Ptr out = new Array;
    for (const auto& address : envelopeRecipients(e)) {
        Object::Ptr o = new Object;
        o->set("address", address);
        auto it = known.find(address);
        if (it == known.end()) {
            o->set("outcome", "pending");
        } else {
            o->set("outcome", it->second->outcome);
            o->set("code", it->second->code);
            o->set("answer", it->second->answer);
            o->set("attempt", it->second->attempt);
        }
        out->add(o);
    }
    return out;
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
    o->set("recipient_outcomes", recipientOutcomesJson(e));
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
             "e_printing":{"type":"boolean"}}})",
         permission::Use, bind(&OutboxService::send)},
        {"mail.outbox.list",
         "Queued, sending, sent, failed and cancelled mail with attempts, the server's last answer and each "
         "recipient's outcome",
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
         "Tests an account's servers with the sessions that send and fetch: connect, TLS, greeting, capabilities, "
         "STARTTLS, login, the incoming folder (select or STAT) and optionally the sender (MAIL FROM); each step "
         "reported",
         R"({"type":"object","additionalProperties":false,"required":["id"],"properties":{
             "id":{"type":"string","minLength":1,"maxLength":36},"check_sender":{"type":"boolean"}}})",
         permission::Use, bind(&OutboxService::accountTest)},
    };
}

void OutboxService::start()
{
    // The host says whether it runs long enough for background work
    // (erp.host.background); erpmail.outbox.worker overrides it.
    settings_.worker =
        configFlag(context_, "erpmail.outbox.worker", configFlag(context_, "erp.host.background", true));
    settings_.pollMs = configInt(context_, "erpmail.outbox.poll_ms", 1000, 50, INT_MAX);
    settings_.leaseSeconds = configInt(context_, "erpmail.outbox.lease_seconds", 300, 1, INT_MAX);
    settings_.maxAttempts = configInt(context_, "erpmail.outbox.max_attempts", 8, 1, INT_MAX);
    settings_.retryBaseSeconds = configInt(context_, "erpmail.outbox.retry_base_seconds", 60, 0, INT_MAX);
    settings_.batch = configInt(context_, "erpmail.outbox.batch", 200, 1, 10000);
    settings_.connections = configInt(context_, "erpmail.smtp.connections", 2, 1, 32);
    settings_.timeoutSeconds = configInt(context_, "erpmail.smtp.timeout_seconds", 60, 1, 3600);
    auto wait = [&](const char* name, int fallback) {
        return configInt(context_, std::string("erpmail.smtp.") + name + "_timeout_seconds", fallback, 1, 86400);
    };
    settings_.timeouts.greeting = wait("greeting", 300);
    settings_.timeouts.mail = wait("mail", 300);
    settings_.timeouts.rcpt = wait("rcpt", 300);
    settings_.timeouts.data = wait("data", 120);
    settings_.timeouts.dataBlock = wait("data_block", 180);
    settings_.timeouts.dataEnd = wait("data_end", 600);
    settings_.recordRetrySeconds = configInt(context_, "erpmail.outbox.record_retry_seconds", 900, 0, 86400);
    settings_.maxMessageMb = configInt(context_, "erpmail.send.max_message_mb", 64, 1, 2048);
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

transport::SmtpSettings OutboxService::smtpSettingsOf(const store::AccountRecord& account, bool buyToken)
{
    auto server = parseStoredObject(account.serverSettings);
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
        if (s.authenticate && transport::usesOAuth(in)) {
            if (credentials.oauthRefreshToken.empty()) throw missingPassword(account, "incoming.oauth2.refresh_token");
            // An access token opens the mailbox too: it goes only to the
            // SMTP server the refresh token was entered with.
            if (!credentials.incomingLentToSmtp)
                throw missingPassword(account, "incoming.oauth2.refresh_token for its SMTP server",
                                      "the SMTP server changed after the refresh token was entered, and its access "
                                      "tokens stay with the servers it was given for");
            if (buyToken) {
                try {
                    s.oauthToken = transport::accessTokenFor(context_, accounts_, account, in);
                } catch (const transport::OAuthError& e) {
                    // The mail stays queued for the next pass; the log says why it waits.
                    context_.log(ERP_LOG_WARNING, "erpmail.outbox",
                                 "account " + account.label + ": no OAuth access token for SMTP: " + e.what());
                    throw OperationError("unavailable", "account '" + account.label + "': " + e.what());
                }
                s.tokenRefused = [this, id = account.id] { transport::forgetAccessToken(accounts_, id); };
            }
        } else {
            if (s.authenticate && !credentials.incomingLentToSmtp && !credentials.incomingPassword.empty())
                throw missingPassword(account, "incoming.password for its SMTP server",
                                      "the SMTP server changed after the incoming password was entered, and that "
                                      "password stays with the server it was given for");
            s.password = credentials.incomingPassword;
            if (s.authenticate && s.password.empty()) throw missingPassword(account, "incoming.password");
        }
    } else if (s.authenticate && s.password.empty()) {
        throw missingPassword(account, "smtp.password");
    }
    s.timeoutSeconds = settings_.timeoutSeconds;
    s.timeouts = settings_.timeouts;
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
    smtpSettingsOf(account, false); // fails now, not in the worker, when SMTP is missing

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
                auto meta = parseStoredObject(document->metaJson);
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
    entry.envelopeTo = toJson(recipients);
    entry.raw = std::move(composed.raw);
    entry.documentLinks = p->has("documents") ? toJson(p->getArray("documents")) : "[]";
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

/// Renews the claims the lanes hold while their transfers run (every third
/// of the lease), so that a slow server's mail is not taken over and sent
/// again by another sender.
class ClaimKeeper {
public:
    using Claims = std::vector<std::pair<std::int64_t, std::string>>;
    ClaimKeeper(std::function<void(const Claims&)> renew, std::chrono::milliseconds every)
        : renew_(std::move(renew)), every_(every), thread_([this] { loop(); })
    {
    }
    ~ClaimKeeper()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    ClaimKeeper(const ClaimKeeper&) = delete;
    ClaimKeeper& operator=(const ClaimKeeper&) = delete;

    void hold(const store::OutboxEntry& entry)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        held_[entry.id] = entry.claimToken.value_or("");
    }
    void release(std::int64_t id)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        held_.erase(id);
    }

private:
    void loop()
    {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!wake_.wait_for(lock, every_, [&] { return done_; })) {
            Claims claims(held_.begin(), held_.end());
            if (claims.empty()) continue;
            lock.unlock();
            renew_(claims);
            lock.lock();
        }
    }

    std::function<void(const Claims&)> renew_;
    std::chrono::milliseconds every_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::int64_t, std::string> held_;
    bool done_ = false;
    std::thread thread_; ///< last: starts once the rest is set up
};

} // namespace

void OutboxService::renewClaims(const store::AccountRecord& account,
                                const std::vector<std::pair<std::int64_t, std::string>>& claims)
{
    try {
        auto lease = accounts_.mailbox(account);
        store::OutboxRepository outbox(*lease);
        const std::int64_t until = context_.host().nowMs() + settings_.leaseSeconds * 1000LL;
        for (const auto& [id, token] : claims)
            if (!outbox.renewClaim(id, token, until))
                context_.log(ERP_LOG_WARNING, "erpmail.outbox",
                             "the claim on outbox entry " + std::to_string(id) + " was taken over by another sender");
    } catch (const std::exception& e) {
        context_.log(ERP_LOG_WARNING, "erpmail.outbox", std::string("could not renew claims: ") + e.what());
    }
}

DeliveryReport OutboxService::deliverDue(const std::vector<store::AccountRecord>& only)
{
    DeliveryReport report;
    std::vector<store::AccountRecord> accounts = only.empty() ? accounts_.allAccounts() : only;
    std::map<std::string, bool> released;
    for (const auto& account : accounts) {
        if (!account.online) continue; // nothing is sent from an offline account
        if (!parseStoredObject(account.serverSettings)->has("smtp")) continue;
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
    ClaimKeeper keeper([&](const ClaimKeeper::Claims& claims) { renewClaims(account, claims); },
                       std::chrono::milliseconds(std::max(100, settings_.leaseSeconds * 1000 / 3)));
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
            keeper.hold(*entry);
            SmtpOutcome outcome;
            try {
                const std::vector<std::string> recipients = outstandingRecipients(*entry);
                if (recipients.empty()) {
                    outcome = {SmtpOutcome::Kind::Permanent, 0, "no recipient is left to send to", {}};
                } else {
                    if (!connection || !connection->usable())
                        connection = std::make_unique<transport::SmtpConnection>(smtp);
                    outcome = connection->send(entry->envelopeFrom, recipients, entry->raw);
                }
            } catch (const transport::SmtpSetupError& e) {
                outcome = e.outcome();
                connection.reset();
            }
            const bool more = done + 1 < settings_.batch;
            const bool copied = record(account, *entry, outcome, report, more ? &claimed : nullptr, passStart);
            keeper.release(entry->id);
            // The next mail, claimed with this one's record, is renewed from
            // now on: the copier below may keep the lane waiting.
            if (claimed) keeper.hold(*claimed);
            if (copied) copier.add(std::move(entry->raw));
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
    store::OutboxEntry& entry = claimed.front();
    // Only an earlier attempt can have recorded outcomes.
    if (entry.attempts > 1) entry.recipients = std::move(store::OutboxRepository(db).recipients({entry.id})[entry.id]);
    return std::move(entry);
}

bool OutboxService::record(const store::AccountRecord& account, const store::OutboxEntry& entry,
                           const SmtpOutcome& outcome, DeliveryReport& report,
                           std::optional<store::OutboxEntry>* next, std::int64_t passStart)
{
    const std::int64_t now = context_.host().nowMs();
    // This attempt's answers over what earlier attempts recorded.
    std::vector<store::OutboxRecipient> answers;
    for (const auto& r : outcome.recipients)
        answers.push_back({r.address, outcomeName(r.kind), r.code, r.answer, entry.attempts, now});
    bool reachedBefore = false;
    for (const auto& r : entry.recipients)
        reachedBefore = reachedBefore || r.outcome == "accepted";
    const std::vector<std::string> left = outstandingRecipients(entry, answers);
    std::vector<std::string> accepted;
    Array::Ptr refused = new Array;
    for (const auto& r : answers)
        if (r.outcome == "accepted") accepted.push_back(r.address);
    for (const auto& r : answers) {
        if (r.outcome == "accepted") continue;
        Object::Ptr o = new Object;
        o->set("address", r.address);
        o->set("outcome", r.outcome);
        o->set("answer", r.answer);
        refused->add(o);
    }
    const bool reached = !accepted.empty();
    const bool permanent = outcome.kind == SmtpOutcome::Kind::Permanent;
    const bool lastTry = entry.attempts >= settings_.maxAttempts;
    // A permanent outcome without recipients' answers (a refused sender, a failed login) stands for all of them.
    const bool retry = !left.empty() && !lastTry && !(permanent && outcome.recipients.empty());
    const std::string state = retry ? "queued" : reachedBefore || reached ? "sent" : "failed";
    const std::string event = reached ? "mail.sent" : retry ? "" : "mail.failed";
    const std::string token = entry.claimToken.value_or("");

    Object::Ptr payload = new Object;
    payload->set("account", account.id);
    payload->set("outbox_id", entry.id);
    payload->set("message_id", entry.messageId);
    // mail.sent: who got it now; mail.failed: who never will.
    Array::Ptr recipients = new Array;
    if (reached) {
        for (const auto& address : accepted)
            recipients->add(address);
    } else {
        auto outcomes = outcomesOf(entry, answers);
        for (const auto& address : envelopeRecipients(entry))
            if (outcomes[address] != "accepted") recipients->add(address);
    }
    Poco::JSON::Parser p2;
    payload->set("recipients", recipients);
    payload->set("refused", refused);
    payload->set("retrying", retry);
    payload->set("documents", p2.parse(entry.documentLinks));
    payload->set("answer", outcome.answer);
    payload->set("attempts", entry.attempts);
    if (event == "mail.failed") payload->set("permanent", permanent);

    // The sent mark, the sent copy and the event commit together, after the
    // 250, and only while the claim is this attempt's.
    auto commit = [&]() -> bool {
        auto lease = accounts_.mailbox(account);
        store::OutboxRepository outbox(*lease);
        store::Transaction tx(*lease);
        bool marked;
        if (state == "queued") {
            const std::int64_t backoff = std::min<std::int64_t>(
                3600, static_cast<std::int64_t>(settings_.retryBaseSeconds) << std::min(entry.attempts - 1, 12));
            marked = outbox.markRetry(entry.id, token, outcome.answer, now + std::max<std::int64_t>(1, backoff * 1000));
        } else if (state == "sent") {
            marked = outbox.markSent(entry.id, token, outcome.answer);
        } else {
            marked = outbox.markFailed(entry.id, token, outcome.answer);
        }
        if (!marked) return false; // rolled back
        outbox.recordRecipients(entry.id, answers);
        if (reached && !reachedBefore)
            accounts_.storeMessage(*lease, account, entry.raw, "sent", "out", entry.documentLinks);
        if (!event.empty()) context_.recordEvent(*lease, event, account.id, payload);
        std::optional<store::OutboxEntry> following;
        if (next && reached) following = claimNext(*lease, account, passStart);
        tx.commit();
        if (next) *next = std::move(following);
        return true;
    };
    bool marked = false;
    const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(settings_.recordRetrySeconds);
    for (std::chrono::milliseconds pause(250);; pause = std::min(pause * 2, std::chrono::milliseconds(30000))) {
        try {
            marked = commit();
            break;
        } catch (const std::exception& e) {
            // A mail that reached anyone is recorded or it would go out again: retried
            // for as long as erpmail.outbox.record_retry_seconds, its claim renewed meanwhile.
            const bool again = reached && std::chrono::steady_clock::now() + pause < giveUp;
            context_.log(ERP_LOG_ERROR, "erpmail.outbox",
                         "could not record the outcome of " + entry.messageId + ": " + e.what() +
                             (again ? "; trying again" : ""));
            if (!again) return false;
            std::this_thread::sleep_for(pause);
        }
    }
    if (!marked) {
        context_.log(ERP_LOG_ERROR, "erpmail.outbox",
                     "the claim on " + entry.messageId + " was taken over by another sender; this sender's outcome (" +
                         outcome.answer + ") is not recorded");
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
    if (event.empty()) return false;
    return reached && !reachedBefore;
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
        store::OutboxRepository outbox(*lease);
        auto part = outbox.list(ids, p->optValue<std::string>("state", ""), 0, page * size);
        std::vector<std::int64_t> outboxIds;
        for (const auto& e : part)
            outboxIds.push_back(e.id);
        auto outcomes = outbox.recipients(outboxIds);
        for (auto& e : part)
            e.recipients = std::move(outcomes[e.id]);
        rows.insert(rows.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
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
    auto server = parseStoredObject(account.serverSettings);
    Object::Ptr result = new Object;
    bool ok = true;
    // Each side runs the session class and settings that send or fetch use.
    if (server->has("smtp")) {
        auto settings = smtpSettingsOf(account);
        StepReport report;
        settings.report = &report;
        std::optional<transport::SmtpSetupError> refused;
        try {
            transport::SmtpConnection connection(settings);
            if (settings.authenticate)
                report.note("logged in as " + settings.user + " with AUTH " + connection.authMechanism());
            report.mechanism = connection.authMechanism();
            if (request.params->optValue<bool>("check_sender", false) && account.senderEmail) {
                report.begin("mail_from");
                auto accepted = connection.checkSender(*account.senderEmail);
                report.note(accepted.kind == SmtpOutcome::Kind::Sent ? "<" + *account.senderEmail + "> accepted"
                                                                     : accepted.answer,
                            accepted.answer);
                if (accepted.kind != SmtpOutcome::Kind::Sent) throw transport::SmtpSetupError(accepted);
            }
            report.succeed();
            connection.quit();
        } catch (const transport::SmtpSetupError& e) {
            report.fail(e.what());
            refused = e;
        }
        Object::Ptr smtp = report.toJson();
        if (refused) {
            smtp->set("error", std::string(refused->what()));
            smtp->set("temporary", refused->outcome().kind == SmtpOutcome::Kind::Temporary);
        }
        ok = ok && report.ok();
        result->set("smtp", smtp);
    }
    if (server->has("incoming")) {
        StepReport report;
        transport::runReported(report, [&] { accounts_.testIncomingLogin(account, report); });
        ok = ok && report.ok();
        result->set("incoming", report.toJson());
    }
    result->set("ok", ok);
    return result;
}

} // namespace erpmail
