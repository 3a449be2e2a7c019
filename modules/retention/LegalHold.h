// Which messages a legal hold keeps from the retention rules: the host
// answers for their document links, or, on a host without that, a rule.
#pragma once

#include "erpmail/Context.h"
#include "store/RetentionRepository.h"

#include <cstdint>
#include <vector>

namespace erpmail::retention {

/// The host answers for the messages' document links (ABI 1.1
/// documents_on_hold); a host without it, the rule of
/// erpmail.retention.keep_linked_days (by default 10 years after the end of
/// the year the message was stored in).
class HoldCheck {
public:
    HoldCheck(Context& context, std::int64_t nowMs);

    /// One flag per message: true when it is kept. A message whose links
    /// cannot be read is kept. Throws HostError when the host's answer does
    /// not fit the question.
    std::vector<bool> held(const std::vector<store::ExpiringMessage>& messages) const;

private:
    bool keptByRule(std::int64_t storedAtMs) const;

    Context& context_;
    std::int64_t nowMs_;
    std::int64_t keepDays_ = -1;
};

} // namespace erpmail::retention
