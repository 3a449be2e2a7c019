#include "retention/MaintenanceRun.h"

#include "erpmail/FaultPoint.h"
#include "mime/AttachmentRemoval.h"
#include "retention/RetentionPolicy.h"
#include "store/MaintenanceRunRepository.h"
#include "store/MessageRepository.h"
#include "store/RetentionRepository.h"
#include "store/SecurityRepository.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <unordered_set>

namespace erpmail {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::int64_t kDayMs = 86400000;
constexpr int kPage = 1000; // candidates read per query
constexpr int kBatch = 200; // messages deleted per transaction

struct Tally {
    std::int64_t count = 0, bytes = 0, held = 0;
    Object::Ptr json(const char* what) const
    {
        Object::Ptr o = new Object;
        o->set(what, count);
        o->set("bytes", bytes);
        o->set("held", held);
        return o;
    }
};

std::string isoTime(std::int64_t ms)
{
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

// nowMs less `months` calendar months (UTC), the day kept or cut to the
// month's last.
std::int64_t monthsBefore(std::int64_t nowMs, int months)
{
    const std::time_t seconds = static_cast<std::time_t>(nowMs / 1000);
    std::tm t{};
    gmtime_r(&seconds, &t);
    int total = t.tm_year * 12 + t.tm_mon - months;
    t.tm_year = total / 12;
    t.tm_mon = total % 12;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int year = t.tm_year + 1900;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int last = t.tm_mon == 1 && leap ? 29 : days[t.tm_mon];
    if (t.tm_mday > last) t.tm_mday = last;
    return static_cast<std::int64_t>(timegm(&t)) * 1000 + nowMs % 1000;
}

// 1 January, 00:00 UTC, of the year `years` after the one of ms.
std::int64_t startOfYearAfter(std::int64_t ms, int years)
{
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm t{};
    gmtime_r(&seconds, &t);
    std::tm start{};
    start.tm_year = t.tm_year + years;
    start.tm_mday = 1;
    return static_cast<std::int64_t>(timegm(&start)) * 1000;
}

double maxFraction(Context& context)
{
    auto v = context.host().config("erpmail.retention.max_fraction");
    if (!v) return 0.5;
    try {
        std::string text = *v;
        const bool percent = !text.empty() && text.back() == '%';
        if (percent) text.pop_back();
        double d = std::stod(text);
        if (percent || d > 1) d /= 100;
        if (d > 0 && d <= 1) return d;
    } catch (const std::exception&) {
        // the default below
    }
    return 0.5;
}

// Which messages a legal hold keeps: the host answers for their document
// links (ABI 1.1 documents_on_hold); a host without it, the rule of
// erpmail.retention.keep_linked_days (by default 10 years after the end of
// the year the message was stored in).
class HoldCheck {
public:
    HoldCheck(Context& context, std::int64_t nowMs) : context_(context), nowMs_(nowMs)
    {
        if (context.host().config("erpmail.retention.keep_linked_days"))
            keepDays_ = configInt(context, "erpmail.retention.keep_linked_days", 0, 0, 3650000);
    }

    std::vector<bool> held(const std::vector<store::ExpiringMessage>& messages) const
    {
        std::vector<bool> out(messages.size(), false);
        Poco::JSON::Parser parser;
        Array::Ptr asked = new Array;
        std::vector<std::pair<std::size_t, std::size_t>> spans(messages.size(), {0, 0}); // links of message i
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (messages[i].documentLinks == "[]" || messages[i].documentLinks.empty()) continue;
            Array::Ptr links;
            try {
                links = parser.parse(messages[i].documentLinks).extract<Array::Ptr>();
            } catch (const std::exception&) {
                out[i] = true; // links it cannot read: kept, to be safe
                continue;
            }
            parser.reset();
            if (!links || links->size() == 0) continue;
            if (!context_.host().answersLegalHolds()) {
                out[i] = keptByRule(messages[i].storedAtMs);
                continue;
            }
            spans[i] = {asked->size(), asked->size() + links->size()};
            for (std::size_t k = 0; k < links->size(); ++k)
                asked->add(links->get(static_cast<unsigned>(k)));
        }
        if (asked->size() == 0) return out;
        std::ostringstream text;
        asked->stringify(text);
        auto answer = context_.host().documentsOnHold(text.str());
        auto flags = parser.parse(answer.value_or("[]")).extract<Array::Ptr>();
        if (!flags || flags->size() != asked->size())
            throw erp::sdk::HostError("host documents_on_hold answered " + std::to_string(flags ? flags->size() : 0) +
                                      " flags for " + std::to_string(asked->size()) + " documents");
        for (std::size_t i = 0; i < messages.size(); ++i)
            for (std::size_t k = spans[i].first; k < spans[i].second; ++k)
                if (flags->get(static_cast<unsigned>(k)).convert<bool>()) out[i] = true;
        return out;
    }

private:
    bool keptByRule(std::int64_t storedAtMs) const
    {
        const std::int64_t until = keepDays_ >= 0 ? storedAtMs + keepDays_ * kDayMs : startOfYearAfter(storedAtMs, 11);
        return nowMs_ < until;
    }

    Context& context_;
    std::int64_t nowMs_;
    std::int64_t keepDays_ = -1;
};

struct Removal {
    std::int64_t messageId = 0;
    std::vector<store::ExpiringAttachment> attachments;
};

std::string placeholderText(const store::AttachmentRecord& a, const std::string& sha256, std::int64_t nowMs,
                            const std::string& reason)
{
    return "This attachment was removed by the retention rules of erpmail.\n"
           "File name: " +
           a.originalFileName.value_or(a.fileName.value_or("")) + "\nContent type: " + a.contentType +
           "\nSize: " + std::to_string(a.size) + " bytes\nSHA-256: " + sha256 + "\nRemoved: " + isoTime(nowMs) +
           "\nReason: " + reason + "\n";
}

// Takes the planned attachments out of one message: its raw form without
// them, each with a placeholder, and each attachment row without bytes, in
// one transaction (write == false: only counts what would go). Returns the
// bytes removed; `skipped` counts attachments not found in the raw form,
// which keep their bytes.
std::int64_t removeAttachments(store::Connection& c, const std::string& accountId, const Removal& removal,
                               std::int64_t nowMs, const std::string& reason, bool write, std::int64_t& removed,
                               std::int64_t& skipped)
{
    std::optional<store::Transaction> tx;
    if (write) tx.emplace(c);
    store::MessageRepository messages(c);
    auto message = messages.get(accountId, removal.messageId, true);
    if (!message) return 0;
    auto stored = messages.attachments(removal.messageId, true);
    std::vector<mime::PartRemoval> parts;
    std::vector<const store::AttachmentRecord*> rows;
    for (const auto& planned : removal.attachments)
        for (const auto& a : stored)
            if (a.ordinal == planned.ordinal && !a.removed) {
                const std::string sha = mime::sha256Of(a.bytes);
                parts.push_back({sha, placeholderText(a, sha, nowMs, reason), false});
                rows.push_back(&a);
            }
    auto raw = mime::removeParts(message->raw, parts);
    std::int64_t bytes = 0, here = 0;
    store::RetentionRepository repository(c);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!raw || !parts[i].done) {
            ++skipped;
            continue;
        }
        // Another host's run may have taken it meanwhile: then it counts there.
        if (write &&
            !repository.markAttachmentRemoved(removal.messageId, rows[i]->ordinal, nowMs, parts[i].sha256, reason))
            continue;
        ++here;
        bytes += rows[i]->size;
    }
    removed += here;
    if (write) {
        if (raw && here) {
            repository.replaceRaw(accountId, removal.messageId, *raw);
            // The rewritten form no longer matches its signature: the result
            // found when it was stored stays, and says it came before.
            store::SecurityRepository(c).markVerifiedBeforeAttachmentRemoval(removal.messageId);
        }
        tx->commit();
        crashPoint("retention-batch");
    }
    return bytes;
}

} // namespace

Object::Ptr MaintenanceRun::runAccount(const store::AccountRecord& account, const MaintenanceOptions& options,
                                       std::int64_t nowMs)
{
    const auto started = std::chrono::steady_clock::now();
    Object::Ptr report = new Object;
    report->set("account", account.id);
    report->set("label", account.label);
    report->set("database", account.databaseId);
    auto finish = [&](const std::string& outcome, const std::string& message) {
        report->set("outcome", outcome);
        if (!message.empty()) report->set("message", message);
        report->set("duration_ms", static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                 std::chrono::steady_clock::now() - started)
                                                                 .count()));
        return report;
    };
    RetentionPolicy policy;
    try {
        policy = RetentionPolicy::fromJson(parseObject(account.retentionSettings));
    } catch (const std::exception& e) {
        return finish("failed", std::string("its stored retention rules cannot be read: ") + e.what());
    }
    report->set("policy", policy.toJson());
    if (!policy.emptyTrashAfterDays && !policy.attachmentsAfterDays && !policy.deleteMessagesAfterMonths)
        return finish("no_rules", "the account has no retention rules");
    if (!account.online) return finish("offline", "the account is offline; nothing was touched");

    try {
        auto lease = accounts_.mailbox(account);
        store::Connection& c = *lease;
        store::RetentionRepository repository(c);
        HoldCheck holds(context_, nowMs);
        Tally trash, old, attachments;
        std::vector<std::int64_t> deletions;
        std::unordered_set<std::int64_t> planned, kept;

        if (!options.dryRun && policy.emptyTrashAfterDays) repository.stampUntimedTrash(account.id, nowMs);
        auto plan = [&](auto&& page, Tally& tally) {
            store::PageMark mark;
            for (;;) {
                auto batch = page(mark);
                if (batch.empty()) break;
                mark = {batch.back().key, batch.back().id, true};
                auto held = holds.held(batch);
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    if (planned.count(batch[i].id)) continue;
                    if (held[i]) {
                        ++tally.held;
                        kept.insert(batch[i].id);
                        continue;
                    }
                    planned.insert(batch[i].id);
                    deletions.push_back(batch[i].id);
                    ++tally.count;
                    tally.bytes += batch[i].rawSize;
                }
                if (batch.size() < static_cast<std::size_t>(kPage)) break;
            }
        };
        if (policy.emptyTrashAfterDays) {
            const std::int64_t cutoff = nowMs - *policy.emptyTrashAfterDays * kDayMs;
            plan([&](const store::PageMark& m) { return repository.trashedBy(account.id, cutoff, m, kPage); }, trash);
        }
        if (policy.deleteMessagesAfterMonths) {
            const std::int64_t cutoff = monthsBefore(nowMs, *policy.deleteMessagesAfterMonths);
            plan([&](const store::PageMark& m) { return repository.storedBy(account.id, cutoff, m, kPage); }, old);
        }
        std::vector<Removal> removals;
        const std::int64_t minBytes = static_cast<std::int64_t>(policy.attachmentsLargerThanKb.value_or(0)) * 1024;
        if (policy.attachmentsAfterDays) {
            const std::int64_t cutoff = nowMs - *policy.attachmentsAfterDays * kDayMs;
            std::int64_t after = 0;
            for (;;) {
                auto batch = repository.withLargeAttachments(account.id, minBytes, cutoff, after, kPage);
                if (batch.empty()) break;
                after = batch.back().id;
                auto held = holds.held(batch);
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    if (planned.count(batch[i].id)) continue;
                    if (held[i]) {
                        ++attachments.held;
                        kept.insert(batch[i].id);
                        continue;
                    }
                    removals.push_back({batch[i].id, repository.largeAttachments(batch[i].id, minBytes)});
                }
                if (batch.size() < static_cast<std::size_t>(kPage)) break;
            }
        }

        const double fraction = maxFraction(context_);
        const int floor = configInt(context_, "erpmail.retention.cap_floor", 10, 0, 1000000);
        const auto size = static_cast<std::int64_t>(deletions.size());
        // Counted only when the floor does not decide: a count costs the whole mailbox.
        std::int64_t total = 0;
        if (size > floor) {
            total = store::MessageRepository(c).countForAccount(account.id);
            report->set("messages_before", total);
        }
        const auto allowed = std::max<std::int64_t>(floor, static_cast<std::int64_t>(std::floor(fraction * total)));
        bool capped = size > allowed && !options.confirmLarge;

        std::int64_t skipped = 0;
        const std::string reason = policy.attachmentsLargerThanKb
                                       ? "attachments larger than " + std::to_string(*policy.attachmentsLargerThanKb) +
                                             " kB are removed " + std::to_string(*policy.attachmentsAfterDays) +
                                             " days after the message was stored"
                                       : "";
        if (!capped) {
            if (!options.dryRun) {
                for (std::size_t i = 0; i < deletions.size(); i += kBatch) {
                    std::vector<std::int64_t> ids(
                        deletions.begin() + static_cast<std::ptrdiff_t>(i),
                        deletions.begin() + static_cast<std::ptrdiff_t>(std::min(deletions.size(), i + kBatch)));
                    store::Transaction tx(c);
                    repository.deleteMessages(account.id, ids);
                    tx.commit();
                    crashPoint("retention-batch");
                }
            }
            for (const auto& removal : removals)
                attachments.bytes += removeAttachments(c, account.id, removal, nowMs, reason, !options.dryRun,
                                                       attachments.count, skipped);
            if (!options.dryRun) repository.giveBackFreeSpace();
        }

        Object::Ptr rules = new Object;
        rules->set("trash", trash.json("messages"));
        rules->set("attachments", attachments.json("attachments"));
        rules->set("old_messages", old.json("messages"));
        report->set("rules", rules);
        report->set("held", static_cast<std::int64_t>(kept.size()));
        report->set("skipped", skipped);
        report->set("deleted", capped ? 0 : size);
        if (capped) {
            char percent[16];
            std::snprintf(percent, sizeof percent, "%g%%", fraction * 100);
            return finish("capped", "the rules would delete " + std::to_string(size) + " of " + std::to_string(total) +
                                        " messages, more than erpmail.retention.max_fraction (" + percent +
                                        ") allows; nothing was changed. Check the host's clock and the "
                                        "rules; an admin goes ahead with confirm_large");
        }
        return finish(options.dryRun ? "dry_run" : "done", "");
    } catch (const OperationError& e) {
        return finish(e.code() == "unavailable" ? "offline" : "failed", e.what());
    } catch (const store::DatabaseUnavailable& e) {
        // Gone mid-run: what committed stays, the next run finishes the job.
        accounts_.takeOffline(account, e.what());
        return finish("offline", std::string("its database went away during the run: ") + e.what());
    } catch (const std::exception& e) {
        context_.log(ERP_LOG_WARNING, "erpmail.retention", "account '" + account.label + "': " + e.what());
        return finish("failed", e.what());
    }
}

Object::Ptr MaintenanceRun::run(const std::vector<store::AccountRecord>& accounts, const MaintenanceOptions& options)
{
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t nowMs = context_.host().nowMs();
    const std::string systemId = context_.systemDatabaseId();
    context_.databases().acquire(systemId, store::Scope::Mailbox); // its event table
    auto system = context_.databases().acquire(systemId, store::Scope::System);
    store::MaintenanceRunRepository runs(*system);
    store::MaintenanceRunRecord record;
    record.startedAtMs = nowMs;
    record.startedBy = options.startedBy;
    record.dryRun = options.dryRun;
    record.id = runs.start(record);

    Array::Ptr results = new Array, brief = new Array;
    Tally totals;
    std::int64_t skipped = 0;
    bool capped = false, failed = false;
    for (const auto& account : accounts) {
        Object::Ptr result = runAccount(account, options, nowMs);
        const std::string outcome = result->getValue<std::string>("outcome");
        capped |= outcome == "capped";
        failed |= outcome == "failed";
        if (auto rules = result->getObject("rules")) {
            for (const char* rule : {"trash", "old_messages"}) {
                auto r = rules->getObject(rule);
                if (outcome != "capped") {
                    totals.count += r->getValue<std::int64_t>("messages");
                    totals.bytes += r->getValue<std::int64_t>("bytes");
                }
            }
            auto a = rules->getObject("attachments");
            if (outcome != "capped") totals.bytes += a->getValue<std::int64_t>("bytes");
            totals.held += result->getValue<std::int64_t>("held");
            skipped += result->getValue<std::int64_t>("skipped");
        }
        runs.recordAccount({record.id, account.id, outcome, toJson(result)});
        results->add(result);
        Object::Ptr line = new Object;
        line->set("account", account.id);
        line->set("outcome", outcome);
        line->set("deleted", result->optValue<std::int64_t>("deleted", 0));
        line->set("held", result->optValue<std::int64_t>("held", 0));
        brief->add(line);
    }

    record.finishedAtMs = context_.host().nowMs();
    record.durationMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    record.outcome = failed ? "failed" : capped ? "capped" : "done";
    Object::Ptr summary = new Object;
    summary->set("messages", totals.count);
    summary->set("bytes", totals.bytes);
    summary->set("held", totals.held);
    summary->set("skipped", skipped);
    summary->set("accounts", static_cast<std::int64_t>(accounts.size()));
    record.summary = toJson(summary);

    Object::Ptr report = new Object;
    report->set("run_id", record.id);
    report->set("dry_run", options.dryRun);
    report->set("started_by", options.startedBy);
    report->set("started_at_ms", record.startedAtMs);
    report->set("duration_ms", record.durationMs);
    report->set("outcome", record.outcome);
    report->set("totals", summary);
    report->set("accounts", results);
    {
        store::Transaction tx(*system);
        runs.finish(record);
        Object::Ptr event = new Object;
        event->set("run_id", record.id);
        event->set("dry_run", options.dryRun);
        event->set("outcome", record.outcome);
        event->set("started_by", options.startedBy);
        event->set("totals", summary);
        event->set("accounts", brief);
        context_.recordEvent(*system, "mail.maintenance.done", "", event);
        tx.commit();
    }
    context_.deliverEvents(*system);
    return report;
}

} // namespace erpmail
