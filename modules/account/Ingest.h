// From a raw message to what an account's database keeps.
#pragma once

#include "mime/MessageParser.h"
#include "store/Odbc.h"
#include "store/Records.h"

#include <string>

namespace erpmail {

/// Parses raw and fills a record: decoded headers, bodies, attachments,
/// SHA-256 of the raw bytes, and any parse warning. The raw bytes are kept
/// exactly as given (moved into the record, not copied).
store::MessageRecord recordFromRaw(std::string raw, const std::string& accountId, bool personal,
                                   std::int64_t nowMs, mime::ParsedMessage* parsed = nullptr,
                                   const mime::ParseLimits& limits = {});

/// Stores the message and collects its addresses into the account's address
/// book, in one transaction; returns the message id.
std::int64_t storeMessage(store::Connection& connection, const store::MessageRecord& message,
                          const std::vector<mime::Address>& addresses, std::int64_t nowMs);

/// Lower-case hex SHA-256.
std::string sha256Hex(const std::string& bytes);

} // namespace erpmail
