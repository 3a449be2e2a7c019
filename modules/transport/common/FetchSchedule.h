// Scheduled fetching for a receiving module, and what it tells the host.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Context.h"
#include "erpmail/MailFetcher.h"
#include "erpmail/MessageStore.h"
#include "erpmail/OperationError.h"
#include "erpmail/PeriodicWorker.h"
#include "store/FetchStateRepository.h"

#include <functional>
#include <optional>

namespace erpmail::transport {

/// Runs fetchAll every erpmail.fetch.interval_seconds (default 300) on its
/// own thread, in hosts that run background work (erp.host.background).
class FetchSchedule {
public:
    ~FetchSchedule() { stop(); }
    void start(Context& context, std::function<void()> fetchAll);
    void stop() noexcept;

private:
    std::optional<PeriodicWorker> worker_;
};


/// The largest mail a fetch retrieves (erpmail.fetch.max_message_mb,
/// default 256 MB); a larger one stays on the server and is reported.
std::size_t maxMessageBytes(Context& context);

/// What a session reads of one mail before it gives up: the limit with a
/// sixteenth to spare, since the sizes a server announces may be slightly
/// off. A mail that claimed to fit and runs beyond it ends the session.
std::size_t readLimitBytes(Context& context);

/// A mail left on the server for its size, described from its header.
TooLargeMail describeTooLarge(std::string id, std::int64_t size, std::string_view header);

/// Records the mail.received event of a stored mail, with its document
/// links, in the transaction that stores it (see Context::recordEvent).
void recordReceived(Context& context, store::Connection& connection, const std::string& accountId,
                    const StoredMessage& stored);

/// The protocol part of a fetch: talks to the server, stores through
/// `connection`, records in `state`, collects what it stored.
using FetchBody = std::function<FetchReport(store::Connection& connection, store::FetchStateRepository& state,
                                            std::vector<StoredMessage>& stored)>;

/// The frame of every fetch: the lease of (account, folder), the status
/// (success, or failure with its reason and the count of failures in a
/// row), the lease released, and the events recorded in the account's
/// database handed to the host (mail.received for what was stored). Throws
/// OperationError: conflict while another fetch runs, unavailable when the
/// body failed.
FetchReport runFetch(Context& context, MessageStore& messages, const store::AccountRecord& account,
                     const std::string& folder, const char* component, const FetchBody& body);

/// Before mail is deleted on the server: flushes what the fetch stored to
/// disk. False (logged) when that could not be done; then nothing may be
/// deleted this time.
bool readyToDeleteOnServer(Context& context, store::Connection& connection, const store::AccountRecord& account,
                           const char* component);

/// Fetches every online account the fetcher handles, each with its settings
/// parsed once; failures are logged.
void fetchAllHandled(Context& context, AccountDirectory& accounts, MailFetcher& fetcher, const char* component);

} // namespace erpmail::transport
