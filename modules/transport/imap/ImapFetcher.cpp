#include "transport/imap/ImapFetcher.h"

#include "account/Ingest.h"
#include "store/FetchStateRepository.h"
#include "store/MessageRepository.h"
#include "transport/common/FetchLease.h"
#include "transport/common/FetchSchedule.h"
#include "transport/imap/ImapSession.h"

#include <Poco/JSON/Parser.h>

#include <set>

namespace erpmail {

namespace {


} // namespace

ImapFetcher::ImapFetcher(Context& context, AccountAccess& accounts)
    : context_(context), accounts_(accounts)
{
}

bool ImapFetcher::handles(const store::AccountRecord& account) const
{
    auto in = transport::incomingSettings(account);
    const std::string protocol = in ? in->optValue<std::string>("protocol", "") : "";
    return protocol == "imap" || protocol == "imaps";
}

transport::ImapSettings ImapFetcher::settingsOf(const store::AccountRecord& account)
{
    auto in = transport::incomingSettings(account);
    if (!in || !handles(account)) throw invalidParam("account", "account '" + account.label + "' does not receive over IMAP");
    transport::ImapSettings settings;
    settings.host = in->optValue<std::string>("host", "");
    settings.port = in->optValue<unsigned>("port", 993);
    settings.security = transport::parseSecurity(in->optValue<std::string>("security", "tls"));
    settings.tls.caFile = in->optValue<std::string>("ca_file", "");
    settings.user = in->optValue<std::string>("user", "");
    settings.password = accounts_.credentials(account).incomingPassword;
    return settings;
}

void ImapFetcher::appendToSent(const store::AccountRecord& account, const std::vector<std::string>& raws)
{
    transport::ImapSession session(settingsOf(account));
    const std::string folder = session.sentFolder();
    for (const auto& raw : raws) session.append(folder, raw);
    session.logout();
}

FetchReport ImapFetcher::fetch(const store::AccountRecord& account)
{
    auto in = transport::incomingSettings(account);
    transport::ImapSettings settings = settingsOf(account);
    const std::string folder = in->optValue<std::string>("folder", "INBOX");
    auto leave = in->getObject("leave_on_server");
    const std::string mode = leave ? leave->optValue<std::string>("mode", "never") : "never";
    const std::int64_t keepMs = leave ? leave->optValue<std::int64_t>("days", 0) * 86400000LL : 0;

    return transport::runFetch(context_, accounts_, account, folder, "erpmail.imap",
                               [&](store::Connection& db, store::FetchStateRepository& state,
                                   std::vector<StoredMessage>& stored) {
        FetchReport report;
        store::MessageRepository messages(db);
        transport::ImapSession session(settings);
        state.recordLogin(account.id, folder, context_.host().nowMs());
        const auto selected = session.select(folder);
        const std::int64_t validity = selected.uidValidity;
        // Nothing new arrived (same UIDVALIDITY and UIDNEXT), and nothing can
        // be due for deletion (copies are kept forever, or the folder is
        // empty): SELECT alone settles it, even without CONDSTORE.
        auto last = state.get(account.id, folder);
        if (last && last->uidValidity == validity && last->uidNext == static_cast<std::int64_t>(selected.uidNext) &&
            !last->lastError && (mode == "forever" || selected.exists == 0)) {
            report.onServer = static_cast<int>(selected.exists);
            session.logout();
            return report;
        }
        const auto onServer = session.uidSearchAll();
        report.onServer = static_cast<int>(onServer.size());
        const auto have = messages.imapUids(account.id, folder, validity);
        std::vector<std::uint32_t> fresh;
        for (auto uid : onServer)
            if (!have.count(uid)) fresh.push_back(uid);

        constexpr std::size_t kBatch = 50;
        for (std::size_t i = 0; i < fresh.size(); i += kBatch) {
            std::vector<std::uint32_t> uids(fresh.begin() + static_cast<std::ptrdiff_t>(i),
                                            fresh.begin() + static_cast<std::ptrdiff_t>(std::min(fresh.size(), i + kBatch)));
            store::Transaction tx(db);
            session.fetchBodies(uids, [&](std::uint32_t uid, std::string body) {
                // After a UIDVALIDITY change the same bytes are the same mail: re-key, do not duplicate.
                if (auto existing = messages.findInFolderByHash(account.id, folder, sha256Hex(body), validity)) {
                    messages.rekeyImap(*existing, validity, uid);
                    return;
                }
                store::MessageOrigin origin{folder, validity, uid, std::nullopt};
                stored.push_back(accounts_.storeMessage(db, account, body, "pending", "in", "[]", origin));
                ++report.fetched;
            });
            tx.commit();
        }
        state.recordImapState(account.id, folder, validity, selected.uidNext);

        // Only what is committed here may go on the server.
        std::vector<std::uint32_t> doomed;
        if (mode != "forever") {
            auto committed = messages.imapUids(account.id, folder, validity,
                                               mode == "days" ? std::optional<std::int64_t>(context_.host().nowMs() - keepMs)
                                                              : std::nullopt);
            for (auto uid : onServer)
                if (committed.count(uid)) doomed.push_back(uid);
        }
        session.deleteUids(doomed);
        report.deletedOnServer = static_cast<int>(doomed.size());
        session.logout();
        return report;
    });
}

void ImapFetcher::fetchAll()
{
    transport::fetchAllHandled(context_, accounts_, *this, "erpmail.imap");
}

} // namespace erpmail
