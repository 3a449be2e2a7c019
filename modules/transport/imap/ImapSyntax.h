// IMAP's syntax as this client reads and writes it (RFC 3501 section 9):
// responses split into tokens with their literals, the numbers and response
// codes in them, and quoted strings for commands.
#pragma once

#include "transport/common/LineChannel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::transport {

/// One token of a response: an atom or number, a quoted string, a literal,
/// or a parenthesis.
struct ImapToken {
    enum class Kind { Atom, String, Literal, Open, Close };
    Kind kind = Kind::Atom;
    std::string value;
};

/// Reads one response from the channel: its tokens, literals included (the
/// response goes on after each). `firstLine` gets the response's first line.
/// Throws ProtocolError for a literal over maxLiteralBytes (left unread).
std::vector<ImapToken> readImapResponse(LineChannel& channel, std::size_t maxLiteralBytes, std::string& firstLine);

/// An RFC 3501 number: digits, at most 2^32-1 (UIDs, counts, sizes). Throws
/// ProtocolError otherwise.
std::uint32_t imapNumber(const std::string& s);

/// The number in "[NAME 123]" of a status line, or 0. HIGHESTMODSEQ may
/// reach 2^63-1, the others 2^32-1; throws ProtocolError beyond.
std::uint64_t imapResponseCode(const std::string& line, const std::string& name);

/// A quoted string (RFC 3501 section 4.3). Throws ProtocolError for a line
/// break, which no quoted string can carry.
std::string imapQuoted(const std::string& s);

/// A folder's name as the server knows it: modified UTF-7, quoted.
std::string imapMailbox(const std::string& utf8);

/// The items of a "* n FETCH (...)" response that this client asks for.
struct FetchedItems {
    std::uint32_t uid = 0;
    std::int64_t size = 0;
    std::optional<std::string> body;
};

/// The FETCH items of a response's tokens; the literal of BODY[...] is
/// moved out of the tokens.
FetchedItems fetchedItems(std::vector<ImapToken>& tokens);

} // namespace erpmail::transport
