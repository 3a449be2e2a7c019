// One maintenance run: each account's retention rules planned, capped and
// applied, and the run recorded and announced.
#include "retention/MaintenanceRun.h"

#include "erpmail/FaultPoint.h"
#include "retention/AttachmentPurge.h"
#include "retention/LegalHold.h"
#include "retention/RetentionCalendar.h"
#include "retention/RetentionPolicy.h"
#include "store/MaintenanceRunRepository.h"
#include "store/MessageRepository.h"
#include "store/RetentionRepository.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

namespace erpmail {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

using retention::kDayMs;
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
        auto lease = messages_.mailbox(account);
        store::Connection& c = *lease;
        store::RetentionRepository repository(c);
        retention::HoldCheck holds(context_, nowMs);
        Tally trash, old, attachments;
        std::vector<std::int64_t> deletions;
        std::unordered_set<std::int64_t> planned, kept;

        if (!options.dryRun && policy.emptyTrashAfterDays) repository.stampUntimedTrash(account.id, nowMs);
        // Reads candidates page by page (`page` answers the page after the
        // one it answered before): a message planned by an earlier rule is
        // passed over, one under a hold is kept, the others go to `take`.
        auto sweep = [&](auto&& page, Tally& tally, auto&& take) {
            for (;;) {
                auto batch = page();
                if (batch.empty()) break;
                auto held = holds.held(batch);
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    if (planned.count(batch[i].id)) continue;
                    if (held[i]) {
                        ++tally.held;
                        kept.insert(batch[i].id);
                        continue;
                    }
                    take(batch[i]);
                }
                if (batch.size() < static_cast<std::size_t>(kPage)) break;
            }
        };
        auto byMark = [](auto&& fetch) {
            return [fetch, mark = store::PageMark{}]() mutable {
                auto batch = fetch(mark);
                if (!batch.empty()) mark = {batch.back().key, batch.back().id, true};
                return batch;
            };
        };
        auto deleteInto = [&](Tally& tally) {
            return [&planned, &deletions, t = &tally](const auto& row) {
                planned.insert(row.id);
                deletions.push_back(row.id);
                ++t->count;
                t->bytes += row.rawSize;
            };
        };
        if (policy.emptyTrashAfterDays) {
            const std::int64_t cutoff = nowMs - *policy.emptyTrashAfterDays * kDayMs;
            sweep(byMark([&](const store::PageMark& m) { return repository.trashedBy(account.id, cutoff, m, kPage); }),
                  trash, deleteInto(trash));
        }
        if (policy.deleteMessagesAfterMonths) {
            const std::int64_t cutoff = retention::monthsBefore(nowMs, *policy.deleteMessagesAfterMonths);
            sweep(byMark([&](const store::PageMark& m) { return repository.storedBy(account.id, cutoff, m, kPage); }),
                  old, deleteInto(old));
        }
        std::vector<retention::Removal> removals;
        const std::int64_t minBytes = static_cast<std::int64_t>(policy.attachmentsLargerThanKb.value_or(0)) * 1024;
        if (policy.attachmentsAfterDays) {
            const std::int64_t cutoff = nowMs - *policy.attachmentsAfterDays * kDayMs;
            std::int64_t after = 0;
            sweep(
                [&] {
                    auto batch = repository.withLargeAttachments(account.id, minBytes, cutoff, after, kPage);
                    if (!batch.empty()) after = batch.back().id;
                    return batch;
                },
                attachments,
                [&](const auto& row) { removals.push_back({row.id, repository.largeAttachments(row.id, minBytes)}); });
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
                attachments.bytes += retention::removeAttachments(c, account.id, removal, nowMs, reason,
                                                                  !options.dryRun, attachments.count, skipped);
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
        messages_.takeOffline(account, e.what());
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
    auto system = context_.systemWithEvents();
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
