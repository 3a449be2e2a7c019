// The typed error every operation may throw; the dispatcher turns it into
// the structured error of the C ABI.
#pragma once

#include <stdexcept>
#include <string>

namespace erpmail {

/// An operation failed in a way the caller can act on. code is one of the
/// ABI's error codes (invalid_params, forbidden, not_found, conflict,
/// unavailable, ...); field names the parameter at fault, if one is.
class OperationError : public std::runtime_error {
public:
    OperationError(std::string code, const std::string& message, std::string field = {})
        : std::runtime_error(message), code_(std::move(code)), field_(std::move(field))
    {
    }
    const std::string& code() const { return code_; }
    const std::string& field() const { return field_; }

private:
    std::string code_;
    std::string field_;
};

/// Shorthand for the most common case: one parameter is wrong.
inline OperationError invalidParam(const std::string& field, const std::string& message)
{
    return OperationError("invalid_params", message, field);
}

} // namespace erpmail
