// The attachment rule of retention: large attachments taken out of a stored
// message, each replaced by a placeholder that says what it was and why.
#pragma once

#include "store/RetentionRepository.h"

#include <cstdint>
#include <string>
#include <vector>

namespace erpmail::retention {

/// The attachments planned to go from one message.
struct Removal {
    std::int64_t messageId = 0;
    std::vector<store::ExpiringAttachment> attachments;
};

/// Takes the planned attachments out of one message: its raw form without
/// them, each with a placeholder, and each attachment row without bytes, in
/// one transaction (write == false: only counts what would go). Returns the
/// bytes removed and adds to `removed`; `skipped` counts attachments not
/// found in the raw form, which keep their bytes.
std::int64_t removeAttachments(store::Connection& c, const std::string& accountId, const Removal& removal,
                               std::int64_t nowMs, const std::string& reason, bool write, std::int64_t& removed,
                               std::int64_t& skipped);

} // namespace erpmail::retention
