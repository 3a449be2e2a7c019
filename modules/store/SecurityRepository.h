// What S/MIME verification found when a message was stored, in the
// account's database beside the message.
#pragma once

#include "store/Odbc.h"

#include <cstdint>
#include <optional>
#include <string>

namespace erpmail::store {

struct SecurityRecord {
    std::int64_t messageId = 0;
    std::string kind;   ///< signed, partly_signed, encrypted, partly_encrypted
    std::string status; ///< valid, invalid, untrusted, weak, error; for encrypted mail: encrypted
    std::optional<std::string> reason;
    std::string signers = "[]"; ///< JSON array: status, reason, subject, emails, digest, certificate_pem
    std::int64_t verifiedAtMs = 0;
    bool verifiedBeforeAttachmentRemoval = false;
};

class SecurityRepository {
public:
    explicit SecurityRepository(Connection& connection) : c_(connection) {}

    /// Records (or replaces) a message's result, in the caller's transaction.
    void put(const SecurityRecord& record);
    /// The result of the account's message, if it has one.
    std::optional<SecurityRecord> find(const std::string& accountId, std::int64_t messageId);
    /// Marks a valid result as found before retention rewrote the message
    /// without its attachments; other results stay as they are.
    void markVerifiedBeforeAttachmentRemoval(std::int64_t messageId);

private:
    Connection& c_;
};

} // namespace erpmail::store
