#include "transport/common/FetchLease.h"

#include <Poco/Environment.h>
#include <Poco/Process.h>

#include <cerrno>
#include <signal.h>

namespace erpmail::transport {

namespace {

// Only a process of this machine can be known to be gone.
bool ownerIsGone(const std::string& holder, const std::string& me)
{
    const auto colon = holder.rfind(':'), myColon = me.rfind(':');
    if (colon == std::string::npos || myColon == std::string::npos) return false;
    if (holder.substr(0, colon) != me.substr(0, myColon)) return false;
    int pid = 0;
    try {
        pid = std::stoi(holder.substr(colon + 1));
    } catch (const std::exception&) {
        return false;
    }
    return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

} // namespace

std::string leaseOwnerName()
{
    return Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id());
}

bool takeFetchLease(store::FetchStateRepository& state, const std::string& accountId, const std::string& folder,
                    const std::string& owner, std::int64_t nowMs)
{
    const std::int64_t until = nowMs + 15 * 60 * 1000;
    if (state.acquireLease(accountId, folder, owner, nowMs, until)) return true;
    auto holder = state.leaseOwner(accountId, folder);
    return holder && ownerIsGone(*holder, owner) && state.takeOverLease(accountId, folder, *holder, owner, until);
}

} // namespace erpmail::transport
