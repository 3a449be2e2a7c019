// Reading a MIME entity byte for byte, as S/MIME needs it: a signature
// holds over the exact bytes of a part, which a MIME library that rebuilds
// parts may change.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace erpmail::smime {

/// The header block of an entity (unfolded, one field per item) and where its body starts.
struct Headers {
    std::vector<std::pair<std::string, std::string>> fields; ///< name as written, value unfolded
    std::size_t bodyAt = 0;
};

Headers readHeaders(const std::string& entity);
/// The first field of that name (case-insensitive), or empty.
std::string field(const Headers& headers, const std::string& name);
/// A parameter of a structured header value (boundary="…"), or empty.
std::string parameter(const std::string& value, const std::string& name);
/// "type/subtype" of a Content-Type value, lower case.
std::string mediaType(const std::string& contentType);

/// Where `needle` first occurs in `text` at or after `from`, or npos.
/// Unlike std::string_view::find, which stops at every CR of a body when
/// it looks for a boundary line, glibc's memmem passes over the lines.
std::size_t findText(std::string_view text, std::string_view needle, std::size_t from = 0);
/// True when every CR of `text` is followed by an LF and every LF follows a
/// CR: the canonical form S/MIME signs. One pass, 16 bytes at a time.
bool crlfOnly(std::string_view text);

/// The parts of a multipart entity in CRLF form, each exactly as written
/// between its boundaries, at most `maxParts`. Empty when the entity is no
/// multipart or its boundary never occurs.
std::vector<std::string> multipartParts(const std::string& entity, std::size_t maxParts);

} // namespace erpmail::smime
