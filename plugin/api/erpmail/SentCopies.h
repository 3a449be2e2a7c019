// Copies of sent mail on the account's own server.
#pragma once

#include "store/Records.h"

#include <string>
#include <vector>

namespace erpmail {

class SentCopies {
public:
    virtual ~SentCopies() = default;

    /// Copies sent mails to the server's Sent folder when the account's
    /// receiving transport keeps one (IMAP); a no-op otherwise.
    virtual void keepSentOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws) = 0;
};

} // namespace erpmail
