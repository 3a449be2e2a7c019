// Text a server sent: made safe to quote in a log line or an error message,
// and its keywords compared without regard to case.
#pragma once

#include <string>
#include <string_view>

namespace erpmail::transport {

/// A server's words (an SMTP reply, an IMAP NO/BAD line, a POP3 -ERR, an
/// OAuth error_description) as one line that can be quoted anywhere: CR,
/// LF and tab become "\r", "\n" and "\t", every other control character
/// (and DEL) "\xNN", so a line break in it can never forge a log line or a
/// second error. Cut at a UTF-8 boundary after `maxBytes` bytes, with "...".
std::string serverText(std::string_view text, std::size_t maxBytes = 300);

/// `text` with its ASCII letters in upper case: a server's keywords
/// (capabilities, status words, response kinds) are case-insensitive.
std::string upperCase(std::string text);

} // namespace erpmail::transport
