// Plain rows as the repositories read and write them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

struct AccountRecord {
    std::string id;
    std::string label;
    std::string owner;
    std::string kind; ///< "personal" or "public"
    std::string databaseId;
    std::optional<std::string> senderName;
    std::optional<std::string> senderEmail;
    bool online = true;
    std::optional<std::string> offlineReason;
    std::optional<std::int64_t> offlineSinceMs;
    std::optional<std::string> offlineBy; ///< who set it offline; unset when it went by itself
    bool alwaysSignature = false;
    std::optional<std::string> signature;
    bool contactsSync = false;
    bool ePrinting = false;
    std::optional<std::string> visibilityGroup;
    std::vector<std::string> visibleTo;
    std::string serverSettings = "{}";    ///< JSON, without secrets
    std::string retentionSettings = "{}"; ///< JSON
    std::optional<std::string> locale;    ///< text blocks' formats (BCP 47); unset: the installation's
    std::optional<std::string> secrets;   ///< sealed by the account module
    std::int64_t createdAtMs = 0;
    std::int64_t updatedAtMs = 0;
};

/// Who asks: the repositories apply visibility in their queries.
struct Viewer {
    std::string user;
    bool admin = false;
};

struct AttachmentRecord {
    int ordinal = 0;
    std::optional<std::string> fileName;         ///< safe to use as a file name (mime::safeFileName)
    std::optional<std::string> originalFileName; ///< as the mail named it
    std::string contentType;
    std::optional<std::string> contentId;
    std::int64_t size = 0;
    std::string bytes; ///< empty when only metadata was read
    bool removed = false;
    std::optional<std::int64_t> removedAtMs;   ///< when the retention rules removed its bytes
    std::optional<std::string> removedReason; ///< the rule that removed them, in words
};

struct MessageRecord {
    std::int64_t id = 0;
    std::string accountId;
    std::string direction = "in"; ///< "in" or "out"
    std::string state = "pending"; ///< pending, archived, trash, sent
    bool personal = false;
    std::string folder;
    std::optional<std::int64_t> imapUidValidity, imapUid;
    std::optional<std::string> pop3Uidl;
    std::optional<std::string> messageId, inReplyTo, references;
    std::optional<std::string> subject, from, to, cc;
    std::optional<std::int64_t> dateMs;
    std::int64_t receivedAtMs = 0;
    std::optional<std::string> bodyText, bodyHtml;
    std::string raw;
    std::int64_t rawSize = 0;
    std::optional<std::string> contentSha256;
    std::optional<std::string> parseWarning;
    std::string documentLinks = "[]";
    std::vector<AttachmentRecord> attachments;
};

/// Where an incoming message came from; its keys make a second copy impossible.
struct MessageOrigin {
    std::string folder;
    std::optional<std::int64_t> uidValidity, uid; ///< IMAP
    std::optional<std::string> uidl;              ///< POP3
};

struct AddressRecord {
    std::string accountId;
    std::string email;
    std::optional<std::string> displayName;
    std::int64_t lastSeenMs = 0;
};

} // namespace erpmail::store
