// Header values as mailers really write them: RFC 2047 encoded words,
// parameters and addresses that GMime reads wrongly or not at all.
#pragma once

#include "mime/ParsedMessage.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace erpmail::mime {

/// `bytes` in `charset` as UTF-8. Bytes the charset cannot decode become
/// U+FFFD one by one, so nothing silently disappears; an unknown charset is
/// read as UTF-8. Initialises GMime's charset tables when needed.
std::string charsetToUtf8(std::string bytes, std::string charset);

/// An unstructured header value or a parameter value, as written (folded or
/// not), with its RFC 2047 encoded words decoded to UTF-8. The bytes of
/// adjacent encoded words in one charset are decoded together, so a
/// character split across two words (even B words, each padded on its own,
/// or a B word followed by a Q word) comes out whole. White space between
/// encoded words is dropped (RFC 2047 §6.2); an encoded word need not stand
/// apart from the text around it. Text that is not encoded is taken as
/// UTF-8, invalid bytes as U+FFFD.
std::string decodeHeaderText(std::string_view raw);

/// The raw header text with each run of adjacent encoded words of one
/// charset written as a single Q word holding all their bytes, unfolded: a
/// structured header (an address list) that GMime then parses keeps the
/// characters split between words.
std::string joinEncodedWords(std::string_view raw);

/// The value of the parameter `name` (ASCII case-insensitive) of a raw
/// header value such as `attachment; filename="a b.pdf"`: unquoted, but not
/// decoded. RFC 2231 forms (`name*`, `name*0`) are other parameters.
std::optional<std::string> headerParameter(std::string_view value, std::string_view name);

/// Whether the header value has the parameter in an RFC 2231 form
/// (`name*=`, `name*0=`, `name*0*=`).
bool hasExtendedParameter(std::string_view value, std::string_view name);

/// The mailboxes of an address header that is not valid RFC 5322, read as a
/// person would: "MAILER DAEMON <>" is the name "MAILER DAEMON" without an
/// address, "Big Bug bb@bug.com" is "Big Bug" at bb@bug.com. Comma-separated
/// entries are read one by one; blank text gives none.
std::vector<Address> lenientAddresses(std::string_view decoded);

} // namespace erpmail::mime
