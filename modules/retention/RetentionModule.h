// Retention: trash, large attachments and old messages are removed on schedule.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Authorizer.h"
#include "erpmail/Context.h"
#include "erpmail/MessageStore.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The retention module: mail.maintenance.run and .history, and the daily run.
/// It reads the accounts from the directory, asks the authorizer who may run
/// an account's rules and reaches their databases through the message store.
std::unique_ptr<Module> makeRetentionModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer,
                                            MessageStore& messages);

} // namespace erpmail
