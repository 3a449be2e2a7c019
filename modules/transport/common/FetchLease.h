// One fetch of an account folder at a time, across processes and hosts.
#pragma once

#include "store/FetchStateRepository.h"

#include <string>

namespace erpmail::transport {

/// "node:pid" of this process, the name on its leases.
std::string leaseOwnerName();

/// Takes the fetch lease of (account, folder) for 15 minutes. A lease held by
/// a process of this machine that no longer runs (it died mid-fetch) is taken
/// over at once. Returns false when another live fetcher holds it.
bool takeFetchLease(store::FetchStateRepository& state, const std::string& accountId, const std::string& folder,
                    const std::string& owner, std::int64_t nowMs);

} // namespace erpmail::transport
