// Delivering queued mail: a pass over the accounts, and for each account
// lanes that claim a mail, send it over SMTP and hand the outcome on to be
// recorded.
#include "transport/smtp/Deliver.h"

#include "erpmail/AccountSettings.h"
#include "transport/smtp/AccountSmtp.h"
#include "transport/smtp/Announce.h"
#include "transport/smtp/Claims.h"
#include "transport/smtp/OutboxEntries.h"
#include "transport/smtp/Record.h"
#include "transport/smtp/SentCopies.h"

#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace erpmail {

namespace {

using transport::SmtpOutcome;

/// One account's share of a pass: its lanes, and what they share.
class AccountPass {
public:
    AccountPass(const SendPath& path, const store::AccountRecord& account, DeliveryReport& report);
    /// Runs the lanes to their end.
    void run();

private:
    void lane();
    /// Sends the mail to the recipients still outstanding over the lane's
    /// connection, set up again when it is gone; a connection that cannot be
    /// set up is dropped, and its outcome stands for the mail.
    SmtpOutcome attempt(std::unique_ptr<transport::SmtpConnection>& connection, const store::OutboxEntry& entry);
    void count(Recorded::Kind kind);

    const SendPath& path_;
    const store::AccountRecord& account_;
    const transport::SmtpSettings smtp_;
    /// Mail due when the pass began; a retry scheduled during it waits for the next pass.
    const std::int64_t passStart_;
    SentCopier copier_;
    ClaimKeeper keeper_;
    GroupCommit group_;
    DeliveryReport& report_;
    std::mutex reportMutex_;
};

} // namespace

DeliveryReport deliverDue(const SendPath& path, const std::vector<store::AccountRecord>& only)
{
    DeliveryReport report;
    std::vector<store::AccountRecord> accounts = only.empty() ? path.accounts.directory.allAccounts() : only;
    std::map<std::string, bool> released;
    for (const auto& account : accounts) {
        if (!account.online) continue; // nothing is sent from an offline account
        if (!AccountSettings::of(account).smtp) continue;
        try {
            if (!released[account.databaseId]) {
                released[account.databaseId] = true;
                releaseExpiredClaims(path, account);
            }
            AccountPass(path, account, report).run();
            announce(path, account);
        } catch (const OperationError& e) {
            if (e.code() != "unavailable") throw;
            // mailbox() has set the account offline; the others carry on.
        }
    }
    return report;
}

namespace {

AccountPass::AccountPass(const SendPath& path, const store::AccountRecord& account, DeliveryReport& report)
    : path_(path), account_(account), smtp_(smtpSettingsOf(path, account)), passStart_(path.context.host().nowMs()),
      copier_(path, account), keeper_(path, account), group_(path, account), report_(report)
{
}

void AccountPass::run()
{
    std::vector<std::thread> threads;
    for (int i = 1; i < path_.settings.connections; ++i)
        threads.emplace_back([this] { lane(); });
    lane();
    for (auto& t : threads)
        t.join();
    copier_.finish();
}

void AccountPass::lane()
{
    // Each lane claims one mail at a time, so "sending" in the outbox means
    // "on the wire": after a crash, at most one mail per lane goes out twice.
    std::unique_ptr<transport::SmtpConnection> connection;
    // After a sent mail, the next one is claimed in the commit that
    // records it: with a rollback journal each commit waits for the disk,
    // and the lanes' records share their commits (GroupCommit).
    std::optional<store::OutboxEntry> claimed;
    const int batch = path_.settings.batch;
    for (int done = 0; done < batch; ++done) {
        std::optional<store::OutboxEntry> entry = std::exchange(claimed, std::nullopt);
        if (!entry) {
            try {
                auto lease = path_.accounts.messages.mailbox(account_);
                entry = claimNext(path_, *lease, account_, passStart_);
            } catch (const std::exception& e) {
                path_.context.log(ERP_LOG_ERROR, "erpmail.outbox", std::string("cannot claim mail: ") + e.what());
                return;
            }
        }
        if (!entry) return;
        keeper_.hold(*entry);
        const SmtpOutcome outcome = attempt(connection, *entry);
        const bool more = done + 1 < batch;
        const Recorded recorded = record(path_, group_, account_, *entry, outcome, passStart_, more ? &claimed : nullptr);
        count(recorded.kind);
        keeper_.release(entry->id);
        // The next mail, claimed with this one's record, is renewed from
        // now on: the copier below may keep the lane waiting.
        if (claimed) keeper_.hold(*claimed);
        if (recorded.sentCopyStored) copier_.add(std::move(entry->raw));
        // A server that cannot be reached now will not be reached by the next mail either.
        if (!connection && outcome.kind != SmtpOutcome::Kind::Sent) return;
    }
}

SmtpOutcome AccountPass::attempt(std::unique_ptr<transport::SmtpConnection>& connection,
                                 const store::OutboxEntry& entry)
{
    try {
        const std::vector<std::string> recipients = outstandingRecipients(entry);
        if (recipients.empty()) return {SmtpOutcome::Kind::Permanent, 0, "no recipient is left to send to", {}};
        if (!connection || !connection->usable()) connection = std::make_unique<transport::SmtpConnection>(smtp_);
        return connection->send(entry.envelopeFrom, recipients, entry.raw);
    } catch (const transport::SmtpSetupError& e) {
        connection.reset();
        return e.outcome();
    }
}

void AccountPass::count(Recorded::Kind kind)
{
    std::lock_guard<std::mutex> lock(reportMutex_);
    switch (kind) {
    case Recorded::Kind::Sent: ++report_.sent; break;
    case Recorded::Kind::Failed: ++report_.failed; break;
    case Recorded::Kind::Retrying: ++report_.retrying; break;
    case Recorded::Kind::NotRecorded: break;
    }
}

} // namespace

} // namespace erpmail
