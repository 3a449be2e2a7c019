// Retention: trash, large attachments and old messages are removed on schedule.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The retention module: mail.maintenance.run and .history, and the daily run.
std::unique_ptr<Module> makeRetentionModule(Context& context, AccountAccess& accounts);

} // namespace erpmail
