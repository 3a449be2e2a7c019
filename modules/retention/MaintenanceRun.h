// One maintenance run: the retention rules of each account applied to its
// database, in bounded batches, recorded in the system database and
// announced with mail.maintenance.done.
#pragma once

#include "erpmail/MessageStore.h"
#include "erpmail/OperationError.h"
#include "erpmail/Context.h"

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace erpmail {

struct MaintenanceOptions {
    bool dryRun = false;       ///< count what would go, change nothing
    bool confirmLarge = false; ///< go beyond erpmail.retention.max_fraction (an admin's decision)
    std::string startedBy;     ///< the user, or "schedule"
};

class MaintenanceRun {
public:
    /// Reaches each account's database through its mailbox, and takes an
    /// account whose database fails offline.
    MaintenanceRun(Context& context, MessageStore& messages) : context_(context), messages_(messages) {}

    /// Applies each account's rules (an offline account is left alone),
    /// records the run and its accounts, emits mail.maintenance.done and
    /// returns the report: per account and rule the messages (attachments)
    /// and bytes that went, or would go in a dry run, and those kept by a
    /// legal hold. Throws StoreError when the system database fails.
    Poco::JSON::Object::Ptr run(const std::vector<store::AccountRecord>& accounts, const MaintenanceOptions& options);

private:
    Poco::JSON::Object::Ptr runAccount(const store::AccountRecord& account, const MaintenanceOptions& options,
                                       std::int64_t nowMs);
    Context& context_;
    MessageStore& messages_;
};

} // namespace erpmail
