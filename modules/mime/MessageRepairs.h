// Repairs of the bytes of broken mail before or while GMime reads it: header
// fields over the limit cut, missing blank lines after header blocks put
// back, a multipart's boundary found in its body.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace erpmail::mime {

/// The text without white space (std::isspace) at either end.
std::string_view trimmed(std::string_view s);

/// The message with each top-level header field over `limit` bytes cut to
/// it (at a character boundary), so that the rest of the message is still
/// read, and a warning for each; empty when none is over.
std::string cutLongHeaders(std::string_view raw, std::size_t limit, std::vector<std::string>& warnings);

/// Where a header block runs into its content without the blank line: the
/// first line GMime skipped as not a header field (`notHeaders`, offsets),
/// when no header field follows it in the block (a line starting with "--"
/// always starts content: a boundary or text). Offsets into `bytes`,
/// ascending.
std::vector<std::size_t> missingBlankLines(std::string_view bytes, std::vector<std::size_t> notHeaders);

/// Where the (most + 1)-th line that begins with "--" starts, or npos when
/// no more lines than `most` do. Each part of a multipart begins at such a
/// line, so the bytes before it hold at most `most` parts.
std::size_t delimiterLinesEnd(std::string_view bytes, std::size_t most);

/// The input with a blank line (CRLF or LF, as the line uses) put in at each
/// offset of `missing` (ascending).
std::string withBlankLines(std::string_view input, const std::vector<std::size_t>& missing);

/// A boundary a multipart's body uses although its header does not say so
/// (missing, or cut short): the first "--x" line, when "--x" recurs; empty
/// when there is none.
std::string boundaryInBody(std::string_view body);

} // namespace erpmail::mime
