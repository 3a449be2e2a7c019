#include "transport/pop3/Pop3Fetcher.h"

#include "store/FetchStateRepository.h"
#include "transport/common/FetchLease.h"
#include "transport/common/FetchSchedule.h"
#include "transport/common/IngestPipeline.h"
#include "transport/pop3/Pop3Session.h"
#include "transport/oauth/OAuthTokens.h"

#include <exception>
#include <set>

namespace erpmail {

namespace {

constexpr const char* kFolder = "POP3";

} // namespace

bool Pop3Fetcher::handles(const AccountSettings& settings) const
{
    return settings.incoming && settings.incoming->receivesOverPop3();
}

Pop3Fetcher::Pop3Fetcher(Context& context, SecretStore& secrets, MessageStore& messages)
    : context_(context), secrets_(secrets), messages_(messages)
{
}

std::unique_ptr<transport::Pop3Session> Pop3Fetcher::open(const store::AccountRecord& account,
                                                          const IncomingSettings& incoming, StepReport* report)
{
    auto settings = transport::incomingLogin<transport::Pop3Settings>(context_, secrets_, account, incoming, 995);
    settings.maxMessageBytes = transport::readLimitBytes(context_);
    settings.report = report;
    return transport::signIn<transport::Pop3Session, transport::Pop3AuthError>(secrets_, account.id, settings);
}

void Pop3Fetcher::testLogin(const store::AccountRecord& account, const AccountSettings& settings, StepReport& report)
{
    if (!handles(settings)) throw invalidParam("account", "account '" + account.label + "' does not receive over POP3");
    auto session = open(account, *settings.incoming, &report);
    report.begin("stat");
    const auto [count, octets] = session->stat();
    report.note(std::to_string(count) + " messages, " + std::to_string(octets) + " bytes");
    report.succeed();
    session->quit();
}

FetchReport Pop3Fetcher::fetch(const store::AccountRecord& account, const AccountSettings& settings)
{
    if (!handles(settings)) throw invalidParam("account", "account '" + account.label + "' does not receive over POP3");
    const IncomingSettings& incoming = *settings.incoming;
    const std::string& mode = incoming.leaveMode;
    const std::int64_t keepMs = incoming.keepOnServerMs();

    return transport::runFetch(context_, messages_, account, kFolder, "erpmail.pop3",
                               [&](store::Connection& db, store::FetchStateRepository& state,
                                   std::vector<StoredMessage>& stored) {
        FetchReport report;
        const bool keepsForever = mode == "forever";
        std::exception_ptr quitError;
        auto opened = open(account, incoming);
        transport::Pop3Session& session = *opened;
        state.recordLogin(account.id, kFolder, context_.host().nowMs());
        const auto list = session.uidl();
        report.onServer = static_cast<int>(list.size());
        std::set<std::string> onServer;
        for (const auto& [n, uid] : list) onServer.insert(uid);
        state.forgetExcept(account.id, onServer);
        auto seen = state.seenUidls(account.id);

        std::vector<int> fresh;
        std::vector<const std::string*> freshIds;
        for (const auto& item : list)
            if (!seen.count(item.second)) {
                fresh.push_back(item.first);
                freshIds.push_back(&item.second);
            }
        // A mail over the size limit stays on the server, reported with its
        // header (TOP), instead of failing every fetch of the account.
        report.tooLarge.emplace();
        if (!fresh.empty()) {
            const auto sizes = session.list();
            const auto limit = static_cast<std::int64_t>(transport::maxMessageBytes(context_));
            std::vector<int> fitting;
            std::vector<const std::string*> fittingIds;
            for (std::size_t i = 0; i < fresh.size(); ++i) {
                auto size = sizes.find(fresh[i]);
                if (size != sizes.end() && size->second > limit) {
                    report.tooLarge->push_back(
                        transport::describeTooLarge(*freshIds[i], size->second, session.top(fresh[i], 0)));
                    continue;
                }
                fitting.push_back(fresh[i]);
                fittingIds.push_back(freshIds[i]);
            }
            fresh.swap(fitting);
            freshIds.swap(fittingIds);
        }
        {
            // Each message, its "seen" mark and its mail.received commit together.
            transport::IngestPipeline pipeline(messages_, account, db,
                                               [&](store::Connection& c, PreparedMessage& m) -> std::optional<StoredMessage> {
                StoredMessage s = messages_.storePrepared(c, m);
                state.markSeen(account.id, *m.record.pop3Uidl, m.record.receivedAtMs);
                transport::recordReceived(context_, c, account.id, s);
                return s;
            },
            [this](store::Connection& c) { context_.deliverEvents(c); });
            session.retrieve(fresh, [&](std::size_t i, std::string raw) {
                pipeline.push(std::move(raw), store::MessageOrigin{kFolder, std::nullopt, std::nullopt, *freshIds[i]});
            });
            // An account that leaves its mail on the server for ever needs
            // nothing more from it: the server's work at QUIT (flags,
            // index) runs while the last mails are stored.
            if (keepsForever) {
                try {
                    session.quit();
                } catch (...) {
                    quitError = std::current_exception();
                }
            }
            pipeline.finish();
            stored = pipeline.stored();
        }
        report.fetched = static_cast<int>(stored.size());
        if (quitError) std::rethrow_exception(quitError);
        if (keepsForever) return report;
        seen = state.seenUidls(account.id);

        // Only what is committed here may go on the server.
        std::vector<int> doomed;
        std::set<std::string> doomedIds;
        const std::int64_t now = context_.host().nowMs();
        for (const auto& [number, uid] : list) {
            auto it = seen.find(uid);
            if (it == seen.end()) continue;
            const bool expired = mode == "never" || (mode == "days" && it->second + keepMs <= now);
            if (!expired) continue;
            doomed.push_back(number);
            doomedIds.insert(uid);
        }
        if (!doomed.empty() && !transport::readyToDeleteOnServer(context_, db, account, "erpmail.pop3")) {
            doomed.clear();
            doomedIds.clear();
        }
        session.markDeleted(doomed);
        session.quit(); // the server deletes now, not before
        state.markDeletedOnServer(account.id, doomedIds);
        report.deletedOnServer = static_cast<int>(doomed.size());
        return report;
    });
}

} // namespace erpmail
