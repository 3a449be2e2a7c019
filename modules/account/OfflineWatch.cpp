#include "account/OfflineWatch.h"

namespace erpmail {

OfflineWatch::OfflineWatch(Context& context, AccountService& accounts)
    : context_(context), accounts_(accounts),
      worker_(context, "erpmail.account", "trying the databases of offline accounts")
{
}

void OfflineWatch::start()
{
    if (!configFlag(context_, "erp.host.background", true)) return;
    const int interval = accounts_.autoOnlineSeconds();
    if (interval <= 0) return;
    worker_.start(
        PeriodicWorker::FirstRound::AfterPause, [this] { accounts_.bringBackOnline(); },
        std::chrono::seconds(interval));
}

} // namespace erpmail
