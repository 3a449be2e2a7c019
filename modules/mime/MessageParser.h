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

/// A received attachment's name made safe to save under: only its last
/// path component (after any "/" or "\\", and without a drive such as
/// "C:"), without control characters (C0, DEL, C1) or the invisible marks
/// that reorder text (U+202A..U+202E, U+2066..U+2069), trimmed of spaces.
/// "." and ".." become empty. `name` is valid UTF-8.
std::string safeFileName(std::string_view name);

/// Joins addresses as "Name <a@b>, c@d, Name" for display (a name without an
/// address stands alone).
std::string formatAddresses(const std::vector<Address>& addresses);

} // namespace erpmail::mime
