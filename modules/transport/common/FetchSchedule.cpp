#include "transport/common/FetchSchedule.h"

#include "transport/common/FetchLease.h"

#include "mime/MessageParser.h"

#include <Poco/JSON/Parser.h>

namespace erpmail::transport {

std::size_t maxMessageBytes(Context& context)
{
    return static_cast<std::size_t>(configInt(context, "erpmail.fetch.max_message_mb", 256, 1, 2048)) * 1024 * 1024;
}

std::size_t readLimitBytes(Context& context)
{
    return maxMessageBytes(context) / 16 * 17;
}

TooLargeMail describeTooLarge(std::string id, std::int64_t size, std::string_view header)
{
    TooLargeMail mail{std::move(id), size, {}, {}};
    mime::ParsedMessage parsed = mime::parseMessage(std::string(header) + "\r\n");
    // Shown in logs and forms: a line break decoded from the header would
    // forge another line there.
    auto oneLine = [](std::string s) {
        for (auto& c : s)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
        return s;
    };
    mail.from = oneLine(mime::formatAddresses(parsed.from));
    mail.subject = oneLine(parsed.subject);
    return mail;
}

void FetchSchedule::start(Context& context, std::function<void()> fetchAll)
{
    if (!configFlag(context, "erp.host.background", true)) return;
    const int interval = configInt(context, "erpmail.fetch.interval_seconds", 300, 1, 7 * 86400);
    worker_.emplace(context, "erpmail.fetch", "scheduled fetch failed");
    worker_->start(PeriodicWorker::FirstRound::AtOnce, std::move(fetchAll), std::chrono::seconds(interval));
}

void FetchSchedule::stop() noexcept
{
    if (worker_) worker_->stop();
}

void recordReceived(Context& context, store::Connection& connection, const std::string& accountId,
                    const StoredMessage& stored)
{
    Poco::JSON::Object::Ptr event = new Poco::JSON::Object;
    event->set("account", accountId);
    event->set("id", stored.id);
    event->set("subject", stored.subject);
    event->set("from", stored.from);
    Poco::JSON::Parser parser;
    event->set("documents", parser.parse(stored.documentLinks));
    context.recordEvent(connection, "mail.received", accountId, event);
}

FetchReport runFetch(Context& context, MessageStore& messages, const store::AccountRecord& account,
                     const std::string& folder, const char* component, const FetchBody& body)
{
    static const std::string owner = leaseOwnerName();
    auto lease = messages.mailbox(account);
    store::FetchStateRepository state(*lease);
    if (!takeFetchLease(state, account.id, folder, owner, context.host().nowMs()))
        throw OperationError("conflict", "account '" + account.label + "' is being fetched already");
    FetchReport report;
    std::vector<StoredMessage> stored;
    try {
        report = body(*lease, state, stored);
        // The outcome and the lease's release in one commit (a resync with
        // nothing new writes twice: the lease, then this).
        store::Transaction done(*lease);
        state.recordSuccess(account.id, folder, context.host().nowMs());
        if (report.tooLarge) {
            const int count = static_cast<int>(report.tooLarge->size());
            if (state.recordTooLarge(account.id, folder, count) != count && count > 0) {
                std::string which;
                for (const auto& t : *report.tooLarge)
                    which += (which.empty() ? "" : "; ") + std::to_string(t.size) + " bytes from " + t.from + " '" +
                             t.subject + "'";
                context.log(ERP_LOG_WARNING, component,
                            "account " + account.label + ": " + std::to_string(count) +
                                " mail(s) larger than erpmail.fetch.max_message_mb left on the server: " + which);
            }
        }
        state.releaseLease(account.id, folder, owner);
        done.commit();
    } catch (const std::exception& e) {
        std::string reason = e.what();
        try {
            state.recordFailure(account.id, folder, reason);
            state.releaseLease(account.id, folder, owner);
        } catch (const std::exception&) {
            // The database is failing too; the lease expires by itself.
        }
        context.deliverEvents(*lease); // of the mail committed before the failure
        context.log(ERP_LOG_WARNING, component, "fetch of account " + account.label + " failed: " + reason);
        if (const auto* op = dynamic_cast<const OperationError*>(&e)) throw *op;
        throw OperationError("unavailable", "fetching account '" + account.label + "' failed: " + reason);
    }
    context.deliverEvents(*lease);
    return report;
}

bool readyToDeleteOnServer(Context& context, store::Connection& connection, const store::AccountRecord& account,
                           const char* component)
{
    if (connection.flushToDisk()) return true;
    context.log(ERP_LOG_WARNING, component, "account " + account.label + ": the database could not be flushed to disk; "
                                            "nothing is deleted on the server this time");
    return false;
}

void fetchAllHandled(Context& context, AccountDirectory& accounts, MailFetcher& fetcher, const char* component)
{
    for (const auto& account : accounts.allAccounts()) {
        if (!account.online) continue;
        const AccountSettings settings = AccountSettings::of(account);
        if (!fetcher.handles(settings)) continue;
        try {
            fetcher.fetch(account, settings);
        } catch (const std::exception& e) {
            context.log(ERP_LOG_WARNING, component, std::string("scheduled fetch: ") + e.what());
        }
    }
}

} // namespace erpmail::transport
