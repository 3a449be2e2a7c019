// From a raw message to the record an account's database keeps: parsed,
// with its attachments and the SHA-256 of its bytes.
#pragma once

#include "mime/MessageParser.h"
#include "store/Records.h"

#include <string>

namespace erpmail {

/// Parses raw and fills a record: decoded headers, bodies, attachments,
/// SHA-256 of the raw bytes, and any parse warning. The raw bytes are kept
/// exactly as given (moved into the record, not copied).
store::MessageRecord recordFromRaw(std::string raw, const std::string& accountId, bool personal,
                                   std::int64_t nowMs, mime::ParsedMessage* parsed = nullptr,
                                   const mime::ParseLimits& limits = {});

/// Lower-case hex SHA-256.
std::string sha256Hex(const std::string& bytes);

} // namespace erpmail
