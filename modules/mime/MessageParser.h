// Parses raw RFC 5322 / MIME messages with GMime 3.
#pragma once

#include "mime/ParsedMessage.h"

#include <string_view>

namespace erpmail::mime {

struct ParseLimits {
    int maxDepth = 100;                     ///< multipart nesting
    int maxParts = 10000;                   ///< MIME parts in all
    std::size_t maxHeaderBytes = 64 * 1024; ///< one header field
    bool attachmentBytes = true;            ///< false: attachments' names and types only
};

/// Decodes a message. Never throws for malformed input: what cannot be read
/// is left empty and `warning` says why; text is always valid UTF-8
/// (undecodable bytes become U+FFFD).
ParsedMessage parseMessage(std::string_view raw, const ParseLimits& limits = {});

/// Joins addresses as "Name <a@b>, c@d" for display.
std::string formatAddresses(const std::vector<Address>& addresses);

} // namespace erpmail::mime
