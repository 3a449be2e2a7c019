// An IMAP4rev1 client session: what erpmail needs to fetch a folder.
#pragma once

#include "transport/common/SessionStart.h"
#include "transport/imap/ImapSyntax.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace erpmail::transport {

/// An IMAP session's settings: port 993 for Tls, 143 for StartTls; an
/// oauthToken logs in with AUTHENTICATE XOAUTH2.
struct ImapSettings : SessionSettings {
    ImapSettings() : SessionSettings(993, 8 * 1024 * 1024) {}
    std::size_t maxLiteralBytes = 256 * 1024 * 1024; ///< a larger literal ends the session, unread
};

/// The IMAP server refused the login, or offers no way erpmail may log in.
class ImapAuthError : public LoginRefused {
public:
    using LoginRefused::LoginRefused;
};

struct SelectedFolder {
    std::uint32_t uidValidity = 0;
    std::uint32_t uidNext = 0;
    std::uint32_t exists = 0;
    std::uint64_t highestModSeq = 0; ///< 0 without CONDSTORE (or NOMODSEQ)
};

/// A folder as LIST shows it, its name decoded from modified UTF-7.
struct ImapFolder {
    std::string name;                    ///< UTF-8: "Entwürfe"
    std::string delimiter;               ///< "/" or "." ; empty for a flat namespace
    std::vector<std::string> specialUse; ///< RFC 6154 attributes as sent: "\\Sent", "\\Trash", ...
    bool selectable = true;              ///< false for \\Noselect and \\NonExistent
};

class ImapSession {
public:
    /// Connects, checks the greeting (PREAUTH over a connection that must
    /// become TLS ends it), asks CAPABILITY (again after STARTTLS), logs in:
    /// AUTHENTICATE PLAIN when offered (with SASL-IR when offered), else
    /// LOGIN, unless the server announces LOGINDISABLED: then it throws
    /// ImapAuthError and sends no password. With settings.report, each phase
    /// (connect, greeting, capabilities, starttls, login) is a step there.
    explicit ImapSession(const ImapSettings& settings);
    ~ImapSession();

    /// Folder names are UTF-8 here and modified UTF-7 on the wire (RFC 3501 5.1.3).
    /// SELECT (or, read-only, EXAMINE) of a folder; with CONDSTORE when offered.
    SelectedFolder select(const std::string& folder, bool readOnly = false);
    /// RFC 2177 IDLE on the selected folder until the server reports new
    /// mail (EXISTS), `maxWait` passes, or shouldStop() turns true (asked
    /// every half second); then DONE. True when new mail arrived.
    bool idle(Poco::Timespan maxWait, const std::function<bool()>& shouldStop);
    /// UIDs of the messages larger than `bytes` (SEARCH LARGER).
    std::vector<std::uint32_t> uidSearchLarger(std::uint64_t bytes);
    /// Size and header of each message, handed to sink (uid, size, header).
    void fetchHeaders(const std::vector<std::uint32_t>& uids,
                      const std::function<void(std::uint32_t, std::int64_t, std::string)>& sink);
    std::vector<std::uint32_t> uidSearchAll();
    /// UID FETCH BODY.PEEK[] of the uids, in UID sets under 10 KB, pipelined;
    /// each body goes to sink as it arrives.
    void fetchBodies(const std::vector<std::uint32_t>& uids,
                     const std::function<void(std::uint32_t uid, std::string body)>& sink);
    /// Flags the uids \Deleted and removes exactly them (UID EXPUNGE, UIDPLUS);
    /// on a server without UIDPLUS, moves them to the Trash (UID MOVE, RFC 6851).
    void deleteUids(const std::vector<std::uint32_t>& uids);
    void logout();
    /// The folder marked \Sent (RFC 6154 SPECIAL-USE), else one with a usual
    /// name ("Sent", "Sent Items", "Gesendet", ...); created as "Sent" when none exists.
    std::string sentFolder();
    /// The folder marked \Trash, else one with a usual name; created as "Trash" when none exists.
    std::string trashFolder();
    /// Every folder (LIST "" "*", with RETURN (SPECIAL-USE) when offered).
    std::vector<ImapFolder> listFolders();
    /// Stores a message in a folder, flagged \Seen.
    void append(const std::string& folder, const std::string& raw);
    /// Stores messages in a folder, flagged \Seen: in one MULTIAPPEND command
    /// (RFC 3502, all or none) where the server offers it, else one by one.
    void appendMany(const std::string& folder, const std::vector<std::string>& raws);

    bool hasCapability(const std::string& name) const;

    /// Splits uids into sets ("1:5,9,12:14") of at most maxBytes characters.
    static std::vector<std::string> uidSets(std::vector<std::uint32_t> uids, std::size_t maxBytes = 9000);

private:
    std::vector<std::uint32_t> uidSearch(const std::string& criteria);
    std::string nextTag();
    /// Reads one response: its tokens, literals included.
    std::vector<ImapToken> readResponse(std::string& firstLine);
    /// Sends a command and reads to its tagged completion, which it returns;
    /// untagged responses go to onUntagged. Throws on NO or BAD.
    std::string command(const std::string& text,
                        const std::function<void(const std::string&, std::vector<ImapToken>&)>& onUntagged = {});
    /// CAPABILITY: kept upper case for hasCapability(); returns them as sent.
    std::vector<std::string> readCapabilities(const std::string& line);
    /// readCapabilities() as a step of the report.
    void reportCapabilities();
    /// LOGIN, with user and password as quoted strings, or as literals when 8-bit.
    std::string login(const std::string& user, const std::string& password);
    /// The folder marked `use` (upper case, "\\SENT"), else the first of
    /// usualNames that exists, else usualNames.front() created.
    std::string specialFolder(const std::string& use, const std::vector<std::string>& usualNames);
    /// Reads responses until `tag` completes and returns that line; throws unless it is OK. Every
    /// other response (its first line and tokens) goes to onOther.
    std::string awaitTagged(const std::string& tag, const std::string& what,
                            const std::function<void(const std::string&, std::vector<ImapToken>&)>& onOther = {});

    ImapSettings settings_;
    StepReport unreported_;
    StepReport* report_;
    std::unique_ptr<LineChannel> channel_;
    std::vector<std::string> capabilities_;
    int tag_ = 0;
};

} // namespace erpmail::transport
