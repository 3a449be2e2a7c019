// An account's retention rules and their validation.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

namespace erpmail {

/// Each rule is off when empty.
struct RetentionPolicy {
    std::optional<int> emptyTrashAfterDays;         ///< 1..3650
    std::optional<int> attachmentsLargerThanKb;     ///< 1..10485760 (10 GiB), with attachmentsAfterDays
    std::optional<int> attachmentsAfterDays;        ///< 1..3650, with attachmentsLargerThanKb
    std::optional<int> deleteMessagesAfterMonths;   ///< 1..1200

    /// Reads and checks the JSON form (keys as in toJson()); throws
    /// OperationError(invalid_params) naming the field `prefix`.key at fault.
    static RetentionPolicy fromJson(const Poco::JSON::Object::Ptr& json, const std::string& prefix = {});
    Poco::JSON::Object::Ptr toJson() const;
    /// One sentence per active rule, for admins.
    std::string describe() const;
};

} // namespace erpmail
