// Composes outgoing messages with GMime 3.
#pragma once

#include "mime/ParsedMessage.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail::mime {

/// A value that cannot go into a message: a line break in a header value
/// (header injection), an invalid address, no recipient. field names it
/// ("subject", "to[1]", "attachments[0].file_name").
class CompositionError : public std::invalid_argument {
public:
    CompositionError(std::string field, const std::string& message)
        : std::invalid_argument(message), field_(std::move(field))
    {
    }
    const std::string& field() const { return field_; }

private:
    std::string field_;
};

struct OutgoingAttachment {
    std::string fileName;
    std::string contentType = "application/octet-stream";
    std::string bytes;
};

struct OutgoingMessage {
    Address from;
    std::vector<Address> to, cc, bcc;
    std::string subject;
    std::string text; ///< empty: no text part
    std::string html; ///< empty: no HTML part
    std::vector<OutgoingAttachment> attachments;
    std::string messageId; ///< without angle brackets; generated when empty
    std::int64_t dateMs = 0;
    std::vector<std::pair<std::string, std::string>> extraHeaders; ///< e.g. X-Erpmail-Documents
    /// Text bodies in quoted-printable even where 7bit would do, so that no
    /// relay rewraps a line or strips a trailing space: for a signed mail.
    bool relaySafe = false;
};

struct ComposedMessage {
    std::string raw;                     ///< CRLF line ends, no Bcc header
    std::string messageId;               ///< without angle brackets
    std::string envelopeFrom;
    std::vector<std::string> recipients; ///< to, cc and bcc addresses, once each
    std::string subject;                 ///< as written, not encoded
};

/// The text in canonical form: bare LF and bare CR become CRLF.
std::string toCrlf(const std::string& text);

/// Checks and composes. Subject and display names become RFC 2047 words
/// (never splitting a UTF-8 sequence), file names RFC 2231 parameters,
/// bodies quoted-printable or base64 as their content needs;
/// multipart/alternative for text and HTML, multipart/mixed with
/// attachments; Date, Message-ID and MIME-Version are set; bare LF in
/// bodies becomes CRLF. Throws CompositionError.
ComposedMessage composeMessage(const OutgoingMessage& message);

/// A new Message-ID for a sender's domain: "<random>@<domain>" without brackets.
std::string newMessageId(const std::string& senderAddress);

} // namespace erpmail::mime
