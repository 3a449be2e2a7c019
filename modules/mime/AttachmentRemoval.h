// Rewrites a stored message without some of its attachments' bytes: each
// goes, and a small text/plain part that describes it takes its place.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace erpmail::mime {

/// One attachment to take out of a message.
struct PartRemoval {
    std::string sha256;      ///< hex SHA-256 of the attachment's decoded bytes, as stored
    std::string placeholder; ///< UTF-8 text of the part that takes its place
    bool done = false;       ///< set by removeParts() once replaced
};

/// The message `raw` with each part whose decoded content has the SHA-256
/// of a removal replaced by a text/plain; charset=utf-8 part holding its
/// placeholder (headers and every other part stay as they were; lines end
/// in CRLF). Each removal replaces one part; those whose part was not found
/// keep done == false. nullopt when GMime cannot read the message at all,
/// or when more of its lines begin like a boundary ("--") than
/// parseMessage() reads parts (ParseLimits::maxParts + 1).
std::optional<std::string> removeParts(std::string_view raw, std::vector<PartRemoval>& removals);

/// Hex SHA-256 of bytes.
std::string sha256Of(std::string_view bytes);

} // namespace erpmail::mime
