// The receiving modules' fetchers that run here, found by account.
#pragma once

#include "erpmail/MailFetcher.h"
#include "erpmail/StepReport.h"
#include "store/Records.h"

namespace erpmail {

class FetcherRegistry {
public:
    virtual ~FetcherRegistry() = default;

    /// A receiving module offers its fetcher while it runs (start to stop).
    virtual void registerFetcher(MailFetcher* fetcher) = 0;
    virtual void unregisterFetcher(MailFetcher* fetcher) = 0;
    /// Signs in to the account's incoming server the way a fetch does (an
    /// OAuth token is bought first) and out again, each step in `report`
    /// (see MailFetcher::testLogin); throws with the reason.
    virtual void testIncomingLogin(const store::AccountRecord& account, StepReport& report) = 0;
};

} // namespace erpmail
