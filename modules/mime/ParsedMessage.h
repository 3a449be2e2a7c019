// A message as erpmail stores and shows it: decoded headers, bodies,
// attachments and the addresses it names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::mime {

struct Address {
    std::string name;  ///< display name, decoded to UTF-8 (may be empty)
    std::string email; ///< addr-spec, lower-cased domain kept as written
};

struct Attachment {
    std::string fileName;         ///< safeFileName() of originalFileName, may be empty
    std::string originalFileName; ///< decoded (RFC 2231 / RFC 2047) as the mail names it, may be empty
    std::string contentType; ///< "application/pdf"
    std::string contentId;   ///< without angle brackets, may be empty
    std::string bytes;       ///< transfer encoding removed
};

struct ParsedMessage {
    std::string subject;
    std::vector<Address> from, to, cc, replyTo;
    std::optional<std::int64_t> dateMs; ///< the Date header, UTC
    std::string messageId;              ///< without angle brackets
    std::string inReplyTo;              ///< without angle brackets
    std::string references;             ///< as written, unfolded
    std::string text;                   ///< first text/plain body, UTF-8
    std::string html;                   ///< first text/html body, UTF-8
    std::vector<Attachment> attachments;
    /// Set when the message broke a limit, could not be parsed, or had to be
    /// read otherwise than it is written (a header cut, a missing blank line
    /// or boundary, an invalid Content-Type); several are joined by "; ".
    /// The raw message is always stored as it came.
    std::string warning;

    /// Every address the message names (From, To, Cc, Reply-To), once each.
    std::vector<Address> allAddresses() const;
};

} // namespace erpmail::mime
