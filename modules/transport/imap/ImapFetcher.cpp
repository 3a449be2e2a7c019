#include "transport/imap/ImapFetcher.h"

#include "store/FetchStateRepository.h"
#include "store/MessageRepository.h"
#include "transport/common/FetchLease.h"
#include "transport/common/FetchSchedule.h"
#include "transport/common/IngestPipeline.h"
#include "transport/imap/ImapSession.h"
#include "transport/oauth/OAuthTokens.h"

#include <algorithm>
#include <iterator>
#include <set>

namespace erpmail {

ImapFetcher::ImapFetcher(Context& context, SecretStore& secrets, MessageStore& messages)
    : context_(context), secrets_(secrets), messages_(messages)
{
}

bool ImapFetcher::handles(const AccountSettings& settings) const
{
    return settings.incoming && settings.incoming->receivesOverImap();
}

transport::ImapSettings ImapFetcher::settingsOf(const store::AccountRecord& account, const AccountSettings& settings)
{
    if (!handles(settings)) throw invalidParam("account", "account '" + account.label + "' does not receive over IMAP");
    auto imap = transport::incomingLogin<transport::ImapSettings>(context_, secrets_, account, *settings.incoming, 993);
    imap.maxLiteralBytes = transport::readLimitBytes(context_); // larger mail is found by SEARCH LARGER first
    return imap;
}

std::unique_ptr<transport::ImapSession> ImapFetcher::open(const store::AccountRecord& account,
                                                          const AccountSettings& settings, StepReport* report)
{
    auto imap = settingsOf(account, settings);
    imap.report = report;
    return transport::signIn<transport::ImapSession, transport::ImapAuthError>(secrets_, account.id, imap);
}

void ImapFetcher::testLogin(const store::AccountRecord& account, const AccountSettings& settings, StepReport& report)
{
    auto session = open(account, settings, &report);
    const std::string folder = folderOf(settings);
    report.begin("select");
    const auto selected = session->select(folder, true); // EXAMINE: the test changes no \Recent flag
    report.note(folder + ": " + std::to_string(selected.exists) + " messages, UIDVALIDITY " +
                std::to_string(selected.uidValidity));
    report.succeed();
    session->logout();
}

std::string ImapFetcher::folderOf(const AccountSettings& settings)
{
    return settings.incoming ? settings.incoming->folder : "INBOX";
}

void ImapFetcher::appendToSent(const store::AccountRecord& account, const AccountSettings& settings,
                               const std::vector<std::string>& raws)
{
    auto session = open(account, settings);
    const std::string folder = session->sentFolder();
    session->appendMany(folder, raws);
    session->logout();
}

FetchReport ImapFetcher::fetch(const store::AccountRecord& account, const AccountSettings& settings)
{
    if (!handles(settings)) throw invalidParam("account", "account '" + account.label + "' does not receive over IMAP");
    const std::string folder = folderOf(settings);
    const std::string& mode = settings.incoming->leaveMode;
    const std::int64_t keepMs = settings.incoming->keepOnServerMs();

    return transport::runFetch(context_, messages_, account, folder, "erpmail.imap",
                               [&](store::Connection& db, store::FetchStateRepository& state,
                                   std::vector<StoredMessage>& stored) {
        FetchReport report;
        store::MessageRepository messages(db);
        auto opened = open(account, settings);
        transport::ImapSession& session = *opened;
        state.recordLogin(account.id, folder, context_.host().nowMs());
        const auto selected = session.select(folder);
        const std::int64_t validity = selected.uidValidity;
        // Nothing new arrived (same UIDVALIDITY and UIDNEXT; with CONDSTORE
        // also the same HIGHESTMODSEQ), and no copy left on the server is due
        // for deletion yet: SELECT alone settles it, one round trip.
        const std::int64_t now = context_.host().nowMs();
        const std::optional<std::int64_t> modSeq =
            selected.highestModSeq ? std::optional<std::int64_t>(static_cast<std::int64_t>(selected.highestModSeq))
                                   : std::nullopt;
        auto last = state.get(account.id, folder);
        if (last && !last->lastError && last->uidValidity == validity &&
            last->uidNext == static_cast<std::int64_t>(selected.uidNext) &&
            (!modSeq || !last->highestModSeq || last->highestModSeq == modSeq) &&
            (mode == "forever" || selected.exists == 0 || !last->nextDeleteMs || now < *last->nextDeleteMs)) {
            report.onServer = static_cast<int>(selected.exists);
            session.logout();
            return report;
        }
        const auto onServer = session.uidSearchAll();
        report.onServer = static_cast<int>(onServer.size());
        // What is new is what was never fetched, whatever became of the message here since.
        const auto seen = state.imapSeen(account.id, folder, validity);
        std::vector<std::uint32_t> fresh;
        for (auto uid : onServer)
            if (!seen.count(uid)) fresh.push_back(uid);
        // A mail over the size limit stays on the server, reported with its
        // header, instead of failing every fetch of the account.
        report.tooLarge.emplace();
        if (!fresh.empty()) {
            auto larger = session.uidSearchLarger(transport::maxMessageBytes(context_));
            std::vector<std::uint32_t> skipped;
            std::set_intersection(fresh.begin(), fresh.end(), larger.begin(), larger.end(), std::back_inserter(skipped));
            if (!skipped.empty()) {
                session.fetchHeaders(skipped, [&](std::uint32_t uid, std::int64_t size, std::string header) {
                    report.tooLarge->push_back(transport::describeTooLarge(std::to_string(uid), size, header));
                });
                std::vector<std::uint32_t> fitting;
                std::set_difference(fresh.begin(), fresh.end(), skipped.begin(), skipped.end(), std::back_inserter(fitting));
                fresh.swap(fitting);
            }
        }

        // Mail fetched under another UIDVALIDITY: after a change on the
        // server the same bytes are the same mail, re-keyed (or, when its
        // message is gone here, only marked fetched), not stored again.
        const bool rekeying = state.imapSeenUnderOtherValidity(account.id, folder, validity);
        {
            transport::IngestPipeline pipeline(messages_, account, db,
                                               [&](store::Connection& c, PreparedMessage& m) -> std::optional<StoredMessage> {
                const std::int64_t uid = *m.record.imapUid;
                const std::optional<std::string> sha = m.record.contentSha256;
                state.markImapSeen(account.id, folder, validity, uid, sha, m.record.receivedAtMs);
                if (rekeying && sha && state.imapSeenElsewhere(account.id, folder, *sha, validity)) {
                    if (auto existing = messages.findInFolderByHash(account.id, folder, *sha, validity))
                        messages.rekeyImap(*existing, validity, uid);
                    return std::nullopt;
                }
                StoredMessage s = messages_.storePrepared(c, m);
                transport::recordReceived(context_, c, account.id, s);
                return s;
            },
            [this](store::Connection& c) { context_.deliverEvents(c); });
            session.fetchBodies(fresh, [&](std::uint32_t uid, std::string body) {
                pipeline.push(std::move(body), store::MessageOrigin{folder, validity, uid, std::nullopt});
            });
            pipeline.finish();
            stored = pipeline.stored();
        }
        report.fetched = static_cast<int>(stored.size());
        // Only what is committed here may go on the server.
        std::vector<std::uint32_t> doomed;
        std::optional<std::int64_t> nextDelete;
        const std::int64_t stillNow = context_.host().nowMs();
        const auto fetched = state.imapSeen(account.id, folder, validity);
        if (mode != "forever") {
            const auto& received = fetched;
            for (auto uid : onServer) {
                auto it = received.find(uid);
                if (it == received.end()) continue;
                const std::int64_t due = mode == "days" ? it->second + keepMs : it->second;
                if (due <= stillNow) doomed.push_back(uid);
                else if (!nextDelete || due < *nextDelete) nextDelete = due;
            }
        }
        if (!doomed.empty() && !transport::readyToDeleteOnServer(context_, db, account, "erpmail.imap")) {
            doomed.clear();
            nextDelete = stillNow; // due again at the next fetch
        }
        session.deleteUids(doomed);
        report.deletedOnServer = static_cast<int>(doomed.size());
        std::vector<std::int64_t> gone; // UIDs are never given again under one UIDVALIDITY
        for (const auto& entry : fetched)
            if (!std::binary_search(onServer.begin(), onServer.end(), static_cast<std::uint32_t>(entry.first)))
                gone.push_back(entry.first);
        state.forgetImap(account.id, folder, validity, gone);
        // Recorded last: a fetch that failed before here starts over in full.
        // Our own expunge moved HIGHESTMODSEQ; the value before it says nothing then.
        state.recordImapState(account.id, folder, validity, selected.uidNext, doomed.empty() ? modSeq : std::nullopt,
                              nextDelete);
        session.logout();
        return report;
    });
}

} // namespace erpmail
