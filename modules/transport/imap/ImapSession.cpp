// The commands of a logged-in IMAP session: SELECT, IDLE, SEARCH, FETCH,
// deleting, folders and APPEND.
#include "transport/imap/ImapSession.h"

#include "transport/common/ServerText.h"
#include "transport/imap/MailboxName.h"

#include <Poco/Timestamp.h>

#include <algorithm>
#include <cstdint>

namespace erpmail::transport {

ImapSession::~ImapSession()
{
    if (channel_) channel_->close();
}

std::string ImapSession::nextTag()
{
    return "E" + std::to_string(++tag_);
}

bool ImapSession::hasCapability(const std::string& name) const
{
    return std::find(capabilities_.begin(), capabilities_.end(), upperCase(name)) != capabilities_.end();
}

std::vector<ImapToken> ImapSession::readResponse(std::string& firstLine)
{
    return readImapResponse(*channel_, settings_.maxLiteralBytes, firstLine);
}

std::string ImapSession::awaitTagged(const std::string& tag, const std::string& what,
                                     const std::function<void(const std::string&, std::vector<ImapToken>&)>& onOther)
{
    for (;;) {
        std::string line;
        auto tokens = readResponse(line);
        if (tokens.empty()) continue;
        if (tokens[0].value == tag) {
            if (tokens.size() < 2 || upperCase(tokens[1].value) != "OK")
                throw ProtocolError("IMAP " + what + " failed: " + serverText(line));
            return line;
        }
        if (onOther) onOther(line, tokens);
    }
}

std::string ImapSession::command(const std::string& text,
                                 const std::function<void(const std::string&, std::vector<ImapToken>&)>& onUntagged)
{
    const std::string tag = nextTag();
    channel_->writeLine(tag + " " + text);
    return awaitTagged(tag, text.substr(0, text.find(' ')), [&](const std::string&, std::vector<ImapToken>& tokens) {
        if (tokens[0].value != "*" || tokens.size() < 2 || !onUntagged) return;
        // "* CAPABILITY ...", "* 3 EXISTS", "* 5 FETCH (...)": the kind is the first word that is not a number.
        std::string kind = upperCase(tokens[1].value);
        if (tokens.size() > 2 && std::all_of(kind.begin(), kind.end(), ::isdigit)) kind = upperCase(tokens[2].value);
        onUntagged(kind, tokens);
    });
}

SelectedFolder ImapSession::select(const std::string& folder, bool readOnly)
{
    SelectedFolder f;
    const std::string tag = nextTag();
    // RFC 7162: with CONDSTORE the folder reports HIGHESTMODSEQ, which
    // moves with every change in it.
    const bool condstore = hasCapability("CONDSTORE");
    channel_->writeLine(tag + (readOnly ? " EXAMINE " : " SELECT ") + imapMailbox(folder) + (condstore ? " (CONDSTORE)" : ""));
    awaitTagged(tag, "SELECT of folder '" + folder + "'", [&](const std::string& line, std::vector<ImapToken>& tokens) {
        if (auto v = imapResponseCode(line, "UIDVALIDITY")) f.uidValidity = static_cast<std::uint32_t>(v);
        if (auto v = imapResponseCode(line, "UIDNEXT")) f.uidNext = static_cast<std::uint32_t>(v);
        if (auto v = imapResponseCode(line, "HIGHESTMODSEQ")) f.highestModSeq = v;
        if (tokens.size() == 3 && upperCase(tokens[2].value) == "EXISTS") f.exists = imapNumber(tokens[1].value);
    });
    if (f.uidValidity == 0) throw ProtocolError("IMAP folder '" + folder + "' has no UIDVALIDITY");
    return f;
}

bool ImapSession::idle(Poco::Timespan maxWait, const std::function<bool()>& shouldStop)
{
    if (!hasCapability("IDLE")) throw ProtocolError("IMAP server " + settings_.host + " does not offer IDLE");
    const std::string tag = nextTag();
    channel_->writeLine(tag + " IDLE");
    const std::string go = channel_->readLine();
    if (go.rfind("+", 0) != 0) throw ProtocolError("IMAP IDLE refused: " + serverText(go));
    bool arrived = false;
    const Poco::Timestamp started;
    while (!arrived && !started.isElapsed(maxWait.totalMicroseconds()) && !shouldStop()) {
        if (!channel_->waitReadable(Poco::Timespan(0, 500000))) continue;
        std::string line;
        auto tokens = readResponse(line);
        if (tokens.size() >= 3 && tokens[0].value == "*" && upperCase(tokens[2].value) == "EXISTS") arrived = true;
        if (!tokens.empty() && tokens[0].value == "*" && tokens.size() >= 2 && upperCase(tokens[1].value) == "BYE")
            throw ConnectError("IMAP server " + settings_.host + " ended the IDLE session: " + serverText(line));
    }
    channel_->writeLine("DONE");
    awaitTagged(tag, "IDLE");
    return arrived;
}

std::vector<std::uint32_t> ImapSession::uidSearch(const std::string& criteria)
{
    std::vector<std::uint32_t> uids;
    command("UID SEARCH " + criteria, [&](const std::string& kind, std::vector<ImapToken>& tokens) {
        if (kind != "SEARCH") return;
        for (std::size_t i = 2; i < tokens.size(); ++i) uids.push_back(imapNumber(tokens[i].value));
    });
    std::sort(uids.begin(), uids.end());
    return uids;
}

std::vector<std::uint32_t> ImapSession::uidSearchAll()
{
    return uidSearch("ALL");
}

std::vector<std::uint32_t> ImapSession::uidSearchLarger(std::uint64_t bytes)
{
    return uidSearch("LARGER " + std::to_string(bytes));
}

void ImapSession::fetchHeaders(const std::vector<std::uint32_t>& uids,
                               const std::function<void(std::uint32_t, std::int64_t, std::string)>& sink)
{
    for (const auto& set : uidSets(uids)) {
        command("UID FETCH " + set + " (UID RFC822.SIZE BODY.PEEK[HEADER])",
                [&](const std::string& kind, std::vector<ImapToken>& tokens) {
            if (kind != "FETCH") return;
            FetchedItems items = fetchedItems(tokens);
            if (items.uid) sink(items.uid, items.size, std::move(items.body).value_or(std::string()));
        });
    }
}

std::vector<std::string> ImapSession::uidSets(std::vector<std::uint32_t> uids, std::size_t maxBytes)
{
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    std::vector<std::string> sets;
    std::string current;
    for (std::size_t i = 0; i < uids.size();) {
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
        std::string range = std::to_string(uids[i]) + (j > i ? ":" + std::to_string(uids[j]) : "");
        if (!current.empty() && current.size() + 1 + range.size() > maxBytes) {
            sets.push_back(current);
            current.clear();
        }
        current += (current.empty() ? "" : ",") + range;
        i = j + 1;
    }
    if (!current.empty()) sets.push_back(current);
    return sets;
}

void ImapSession::fetchBodies(const std::vector<std::uint32_t>& uids,
                              const std::function<void(std::uint32_t, std::string)>& sink)
{
    // Every command goes out first; the answers are read in order (pipelining).
    std::vector<std::string> tags;
    std::string batch;
    for (const auto& set : uidSets(uids)) {
        tags.push_back(nextTag());
        batch += tags.back() + " UID FETCH " + set + " (UID BODY.PEEK[])\r\n";
    }
    channel_->write(batch);
    for (const auto& tag : tags) {
        awaitTagged(tag, "UID FETCH", [&](const std::string&, std::vector<ImapToken>& tokens) {
            if (tokens.size() < 4 || tokens[0].value != "*" || upperCase(tokens[2].value) != "FETCH") return;
            FetchedItems items = fetchedItems(tokens);
            if (items.uid && items.body) sink(items.uid, std::move(*items.body));
        });
    }
}

void ImapSession::deleteUids(const std::vector<std::uint32_t>& uids)
{
    if (uids.empty()) return;
    if (!hasCapability("UIDPLUS")) {
        // Without UID EXPUNGE an EXPUNGE would also remove mail another
        // client flagged; RFC 6851 MOVE takes exactly these to the Trash.
        if (!hasCapability("MOVE"))
            throw ProtocolError("IMAP server " + settings_.host + " offers neither UIDPLUS nor MOVE: erpmail cannot "
                                "remove exactly the stored messages there; set the account to leave copies on the server");
        const std::string trash = trashFolder();
        for (const auto& set : uidSets(uids)) command("UID MOVE " + set + " " + imapMailbox(trash));
        return;
    }
    for (const auto& set : uidSets(uids)) {
        command("UID STORE " + set + " +FLAGS.SILENT (\\Deleted)");
        command("UID EXPUNGE " + set);
    }
}

std::vector<ImapFolder> ImapSession::listFolders()
{
    std::vector<ImapFolder> folders;
    const std::string list = hasCapability("SPECIAL-USE") ? "LIST \"\" \"*\" RETURN (SPECIAL-USE)" : "LIST \"\" \"*\"";
    command(list, [&](const std::string& kind, std::vector<ImapToken>& tokens) {
        // * LIST (\HasNoChildren \Sent) "/" Sent
        if (kind != "LIST" || tokens.size() < 5 || tokens[2].kind != ImapToken::Kind::Open) return;
        ImapFolder folder;
        std::size_t i = 3;
        for (; i < tokens.size() && tokens[i].kind != ImapToken::Kind::Close; ++i) {
            const std::string flag = upperCase(tokens[i].value);
            if (flag == "\\NOSELECT" || flag == "\\NONEXISTENT") folder.selectable = false;
            else if (flag.rfind("\\HAS", 0) != 0 && flag != "\\MARKED" && flag != "\\UNMARKED")
                folder.specialUse.push_back(tokens[i].value);
        }
        if (i + 2 >= tokens.size()) return;
        folder.delimiter = upperCase(tokens[i + 1].value) == "NIL" && tokens[i + 1].kind == ImapToken::Kind::Atom
                               ? std::string()
                               : tokens[i + 1].value;
        folder.name = decodeMailboxName(tokens[i + 2].value);
        folders.push_back(std::move(folder));
    });
    return folders;
}

std::string ImapSession::specialFolder(const std::string& use, const std::vector<std::string>& usualNames)
{
    std::vector<std::string> names;
    std::string special;
    for (const auto& folder : listFolders()) {
        for (const auto& flag : folder.specialUse)
            if (special.empty() && upperCase(flag) == use) special = folder.name;
        names.push_back(folder.name);
    }
    if (!special.empty()) return special;
    for (const auto& usual : usualNames)
        if (std::find(names.begin(), names.end(), usual) != names.end()) return usual;
    command("CREATE " + imapMailbox(usualNames.front()));
    return usualNames.front();
}

std::string ImapSession::sentFolder()
{
    return specialFolder("\\SENT", {"Sent", "Sent Items", "Sent Messages", "Gesendet", "Gesendete Elemente", "INBOX.Sent"});
}

std::string ImapSession::trashFolder()
{
    return specialFolder("\\TRASH", {"Trash", "Deleted Items", "Deleted Messages", "Papierkorb", "INBOX.Trash"});
}

void ImapSession::append(const std::string& folder, const std::string& raw)
{
    const std::string tag = nextTag();
    const bool nonSync = hasCapability("LITERAL+");
    channel_->writeLine(tag + " APPEND " + imapMailbox(folder) + " (\\Seen) {" + std::to_string(raw.size()) +
                        (nonSync ? "+}" : "}"));
    if (!nonSync) {
        std::string go = channel_->readLine();
        if (go.rfind("+", 0) != 0) throw ProtocolError("IMAP APPEND refused: " + serverText(go));
    }
    channel_->write(raw);
    channel_->writeLine("");
    awaitTagged(tag, "APPEND to '" + folder + "'");
}

void ImapSession::appendMany(const std::string& folder, const std::vector<std::string>& raws)
{
    if (raws.size() < 2 || !hasCapability("MULTIAPPEND")) {
        for (const auto& raw : raws) append(folder, raw);
        return;
    }
    // One command, one literal per message: the server takes the folder's
    // lock and writes its index once for the whole run.
    const std::string tag = nextTag();
    const bool nonSync = hasCapability("LITERAL+");
    std::string line = tag + " APPEND " + imapMailbox(folder);
    for (const auto& raw : raws) {
        line += " (\\Seen) {" + std::to_string(raw.size()) + (nonSync ? "+}" : "}");
        channel_->writeLine(line);
        line.clear();
        if (!nonSync) {
            std::string go = channel_->readLine();
            if (go.rfind("+", 0) != 0) throw ProtocolError("IMAP APPEND refused: " + serverText(go));
        }
        channel_->write(raw);
    }
    channel_->writeLine("");
    awaitTagged(tag, "APPEND of " + std::to_string(raws.size()) + " messages to '" + folder + "'");
}

void ImapSession::logout()
{
    try {
        command("LOGOUT");
    } catch (const std::exception&) {
        // The server may close first; the session is over either way.
    }
    channel_->close();
    channel_.reset();
}

} // namespace erpmail::transport
