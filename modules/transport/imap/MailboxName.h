// IMAP mailbox names on the wire: modified UTF-7 (RFC 3501 section 5.1.3).
#pragma once

#include <string>

namespace erpmail::transport {

/// "Entwürfe" -> "Entw&APw-rfe", "a&b" -> "a&-b". Printable ASCII stays as
/// it is; everything else goes as modified base64 of UTF-16. Throws
/// ProtocolError when the name is not valid UTF-8.
std::string encodeMailboxName(const std::string& utf8);

/// The reverse: "Entw&APw-rfe" -> "Entwürfe". A name that is not valid
/// modified UTF-7 (an unterminated shift, bad base64, a lone surrogate,
/// ASCII inside a shift) is returned as it came, so that it can still be
/// selected by the bytes the server gave.
std::string decodeMailboxName(const std::string& wire);

} // namespace erpmail::transport
