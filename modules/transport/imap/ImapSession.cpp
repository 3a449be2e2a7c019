#include "transport/imap/ImapSession.h"

#include "erpmail/Base64.h"
#include "transport/common/ServerText.h"

#include <Poco/Timestamp.h>

#include "transport/imap/MailboxName.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

namespace erpmail::transport {

namespace {

std::string upper(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string quoted(const std::string& s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '\r' || c == '\n') throw ProtocolError("a user name or password with a line break cannot be sent");
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// A folder's name as the server knows it: modified UTF-7, quoted.
std::string mailbox(const std::string& utf8)
{
    return quoted(encodeMailboxName(utf8));
}

bool allDigits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

// RFC 3501 number: digits, at most 2^32-1 (UIDs, counts, sizes). A larger
// value would wrap to another UID; it ends the session instead.
std::uint32_t number(const std::string& s)
{
    if (!allDigits(s)) throw ProtocolError("expected a number, got '" + serverText(s, 40) + "'");
    if (s.size() > 10 || std::stoull(s) > UINT32_MAX)
        throw ProtocolError("IMAP server sent the number " + serverText(s, 40) + ", over 2^32-1 (RFC 3501)");
    return static_cast<std::uint32_t>(std::stoull(s));
}

// The size of a literal "{N}" or "{N+}" (RFC 7888) that ends the line at
// `open`, or nullopt when the braces are text ("quota at {90%}"). N must fit
// in 63 bits (RFC 9051).
std::optional<std::uint64_t> literalSize(const std::string& line, std::size_t open)
{
    if (line.back() != '}' || line.size() - open < 3) return std::nullopt;
    std::string_view digits(line.data() + open + 1, line.size() - open - 2);
    if (digits.back() == '+') digits.remove_suffix(1);
    if (!allDigits(digits)) return std::nullopt;
    if (digits.size() > 19 || std::stoull(std::string(digits)) > static_cast<std::uint64_t>(INT64_MAX))
        throw ProtocolError("IMAP literal of " + std::string(digits) + " bytes is over 2^63-1");
    return std::stoull(std::string(digits));
}

// The items of a "* n FETCH (...)" response that this client asks for;
// the literal of BODY[...] is moved out of the tokens.
struct FetchedItems {
    std::uint32_t uid = 0;
    std::int64_t size = 0;
    std::optional<std::string> body;
};

FetchedItems fetchedItems(std::vector<ImapToken>& tokens)
{
    FetchedItems items;
    for (std::size_t i = 3; i + 1 < tokens.size(); ++i) {
        const std::string name = upper(tokens[i].value);
        if (name == "UID") items.uid = number(tokens[++i].value);
        else if (name == "RFC822.SIZE") items.size = number(tokens[++i].value);
        else if (name.rfind("BODY[", 0) == 0) {
            ImapToken& body = tokens[++i];
            // NIL is no mail: the server has no body to give for it.
            if (body.kind == ImapToken::Kind::Literal || body.kind == ImapToken::Kind::String)
                items.body = std::move(body.value);
        }
    }
    return items;
}

// The number in "[NAME 123]" of a status line, or 0.
std::uint64_t responseCode(const std::string& line, const std::string& name)
{
    auto pos = line.find("[" + name + " ");
    if (pos == std::string::npos) return 0;
    const std::string digits = line.substr(pos + name.size() + 2, line.find(']', pos) - pos - name.size() - 2);
    if (name != "HIGHESTMODSEQ") return number(digits); // UIDVALIDITY and UIDNEXT are 32-bit
    if (!allDigits(digits) || digits.size() > 19 || std::stoull(digits) > static_cast<std::uint64_t>(INT64_MAX))
        throw ProtocolError("expected a number below 2^63 in [" + name + "], got '" + serverText(digits, 40) + "'");
    return std::stoull(digits);
}

} // namespace

ImapSession::ImapSession(const ImapSettings& settings)
    : settings_(settings), report_(settings.report ? settings.report : &unreported_)
{
    report_->begin(settings.security == Security::Tls ? "connect+tls" : "connect");
    channel_ = std::make_unique<LineChannel>(settings.host, settings.port, settings.security, settings.tls,
                                             Poco::Timespan(settings.timeoutSeconds, 0), settings.maxLineBytes);
    report_->tls = channel_->tlsDescription();
    report_->note(settings.host + ":" + std::to_string(settings.port) +
                  (channel_->tls() ? " (" + report_->tls + ")" : ""));
    report_->begin("greeting");
    std::string greeting = channel_->readLine();
    if (greeting.rfind("* PREAUTH", 0) == 0 && settings.security != Security::Tls)
        throw ProtocolError("IMAP server greeted with PREAUTH on a connection that must be upgraded to TLS; "
                            "refusing the session");
    if (greeting.rfind("* OK", 0) != 0 && greeting.rfind("* PREAUTH", 0) != 0)
        throw ProtocolError("IMAP server greeted: " + serverText(greeting));
    report_->greeting = serverText(greeting.substr(2));
    report_->note(report_->greeting, report_->greeting);
    reportCapabilities();
    if (settings.security == Security::StartTls) {
        report_->begin("starttls");
        if (!hasCapability("STARTTLS"))
            throw ProtocolError("IMAP server " + settings.host + " does not offer STARTTLS, which this account requires");
        const std::string agreed = command("STARTTLS");
        channel_->upgradeToTls(); // refuses bytes that came before the handshake
        report_->tls = channel_->tlsDescription();
        report_->note(report_->tls, serverText(agreed));
        capabilities_.clear();
        reportCapabilities();
    }
    if (!settings.authenticate) return;
    report_->begin("login");
    if (!channel_->tls()) throw ProtocolError("a password is never sent without TLS");
    std::string answer;
    try {
        if (!settings.oauthToken.empty()) {
            report_->mechanism = "XOAUTH2";
            const std::string tag = nextTag();
            channel_->writeLine(tag + " AUTHENTICATE XOAUTH2 " +
                                toBase64("user=" + settings.user + "\x01" "auth=Bearer " + settings.oauthToken + "\x01\x01"));
            // A refusal may come as a continuation carrying its details first;
            // an empty answer ends the exchange (then the tagged NO follows).
            for (int continuations = 0;;) {
                const std::string line = channel_->readLine();
                if (line.rfind("+", 0) == 0) {
                    if (++continuations > 2)
                        throw ProtocolError("the server keeps asking during XOAUTH2: " + serverText(line));
                    channel_->writeLine("");
                    continue;
                }
                if (line.rfind(tag + " ", 0) != 0) continue;
                if (upper(line.substr(tag.size() + 1, 2)) != "OK") throw ProtocolError(serverText(line));
                answer = line;
                break;
            }
        } else if (hasCapability("AUTH=PLAIN")) {
            report_->mechanism = "PLAIN";
            const std::string response =
                toBase64(std::string(1, '\0') + settings.user + std::string(1, '\0') + settings.password);
            if (hasCapability("SASL-IR")) {
                answer = command("AUTHENTICATE PLAIN " + response);
            } else { // the response follows the server's "+" (RFC 3501 section 6.2.2)
                const std::string tag = nextTag();
                channel_->writeLine(tag + " AUTHENTICATE PLAIN");
                const std::string go = channel_->readLine();
                if (go.rfind("+", 0) != 0) throw ProtocolError(serverText(go));
                channel_->writeLine(response);
                answer = awaitTagged(tag, "AUTHENTICATE");
            }
        } else if (hasCapability("LOGINDISABLED")) {
            // RFC 3501 section 6.2.3: the client must not send LOGIN then.
            throw ImapAuthError("IMAP server " + settings.host + ":" + std::to_string(settings.port) +
                                " does not allow LOGIN (LOGINDISABLED) and offers no AUTHENTICATE mechanism erpmail "
                                "knows (AUTH=PLAIN, or XOAUTH2 with OAuth); erpmail did not log in and no password "
                                "was sent");
        } else {
            report_->mechanism = "LOGIN";
            answer = login(settings.user, settings.password);
        }
    } catch (const ProtocolError& e) {
        throw ImapAuthError(std::string("IMAP login as ") + settings.user + " refused: " + e.what());
    }
    report_->note("logged in as " + settings.user + " with " +
                      (report_->mechanism == "LOGIN" ? std::string("LOGIN") : "AUTHENTICATE " + report_->mechanism),
                  serverText(answer));
    capabilities_.clear();
    readCapabilities(""); // they may change after login
}

std::string ImapSession::login(const std::string& user, const std::string& password)
{
    // RFC 3501 4.3: a quoted string is 7-bit; 8-bit names and passwords go as
    // literals, non-synchronizing with LITERAL+ (RFC 7888).
    const bool nonSync = hasCapability("LITERAL+");
    const std::string tag = nextTag();
    std::string line = tag + " LOGIN";
    for (const std::string* arg : {&user, &password}) {
        const bool ascii = std::all_of(arg->begin(), arg->end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
        if (ascii) {
            line += " " + quoted(*arg);
            continue;
        }
        line += " {" + std::to_string(arg->size()) + (nonSync ? "+}" : "}");
        channel_->writeLine(line);
        if (!nonSync) {
            const std::string go = channel_->readLine();
            if (go.rfind("+", 0) != 0) throw ProtocolError(serverText(go));
        }
        line = *arg; // the command goes on after the literal's bytes
    }
    channel_->writeLine(line);
    return awaitTagged(tag, "LOGIN");
}

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
    return std::find(capabilities_.begin(), capabilities_.end(), upper(name)) != capabilities_.end();
}

std::vector<std::string> ImapSession::readCapabilities(const std::string&)
{
    std::vector<std::string> offered;
    command("CAPABILITY", [&](const std::string& kind, std::vector<ImapToken>& tokens) {
        if (kind != "CAPABILITY") return;
        for (std::size_t i = 2; i < tokens.size(); ++i) {
            capabilities_.push_back(upper(tokens[i].value));
            offered.push_back(tokens[i].value);
        }
    });
    return offered;
}

void ImapSession::reportCapabilities()
{
    report_->begin("capabilities");
    report_->capabilities = readCapabilities("");
    std::string joined;
    for (const auto& c : report_->capabilities)
        joined += (joined.empty() ? "" : " ") + c;
    report_->note(serverText(joined, 2000));
}

std::vector<ImapToken> ImapSession::readResponse(std::string& firstLine)
{
    std::vector<ImapToken> tokens;
    std::string line = channel_->readLine();
    firstLine = line;
    for (;;) {
        std::size_t i = 0;
        bool literalFollows = false;
        while (i < line.size()) {
            char c = line[i];
            if (c == ' ') {
                ++i;
            } else if (c == '(') {
                tokens.push_back({ImapToken::Kind::Open, "("});
                ++i;
            } else if (c == ')') {
                tokens.push_back({ImapToken::Kind::Close, ")"});
                ++i;
            } else if (c == '"') {
                std::string value;
                ++i;
                while (i < line.size() && line[i] != '"') {
                    if (line[i] == '\\' && i + 1 < line.size()) ++i;
                    value += line[i++];
                }
                ++i;
                tokens.push_back({ImapToken::Kind::String, value});
            } else if (c == '{' && literalSize(line, i)) {
                const std::uint64_t n = *literalSize(line, i);
                if (n > settings_.maxLiteralBytes)
                    throw ProtocolError("IMAP literal of " + std::to_string(n) + " bytes exceeds the limit of " +
                                        std::to_string(settings_.maxLiteralBytes));
                tokens.push_back({ImapToken::Kind::Literal, channel_->readExactly(static_cast<std::size_t>(n))});
                literalFollows = true;
                break;
            } else {
                std::size_t start = i;
                while (i < line.size() && line[i] != ' ' && line[i] != '(' && line[i] != ')') {
                    if (line[i] == '[') { // BODY[...] may hold spaces and parentheses
                        auto close = line.find(']', i);
                        i = close == std::string::npos ? line.size() : close + 1;
                        continue;
                    }
                    ++i;
                }
                tokens.push_back({ImapToken::Kind::Atom, line.substr(start, i - start)});
            }
        }
        if (!literalFollows) return tokens;
        line = channel_->readLine(); // the response goes on after the literal
    }
}

std::string ImapSession::awaitTagged(const std::string& tag, const std::string& what,
                                     const std::function<void(const std::string&, std::vector<ImapToken>&)>& onOther)
{
    for (;;) {
        std::string line;
        auto tokens = readResponse(line);
        if (tokens.empty()) continue;
        if (tokens[0].value == tag) {
            if (tokens.size() < 2 || upper(tokens[1].value) != "OK")
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
        std::string kind = upper(tokens[1].value);
        if (tokens.size() > 2 && std::all_of(kind.begin(), kind.end(), ::isdigit)) kind = upper(tokens[2].value);
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
    channel_->writeLine(tag + (readOnly ? " EXAMINE " : " SELECT ") + mailbox(folder) + (condstore ? " (CONDSTORE)" : ""));
    awaitTagged(tag, "SELECT of folder '" + folder + "'", [&](const std::string& line, std::vector<ImapToken>& tokens) {
        if (auto v = responseCode(line, "UIDVALIDITY")) f.uidValidity = static_cast<std::uint32_t>(v);
        if (auto v = responseCode(line, "UIDNEXT")) f.uidNext = static_cast<std::uint32_t>(v);
        if (auto v = responseCode(line, "HIGHESTMODSEQ")) f.highestModSeq = v;
        if (tokens.size() == 3 && upper(tokens[2].value) == "EXISTS") f.exists = number(tokens[1].value);
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
        if (tokens.size() >= 3 && tokens[0].value == "*" && upper(tokens[2].value) == "EXISTS") arrived = true;
        if (!tokens.empty() && tokens[0].value == "*" && tokens.size() >= 2 && upper(tokens[1].value) == "BYE")
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
        for (std::size_t i = 2; i < tokens.size(); ++i) uids.push_back(number(tokens[i].value));
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
            if (tokens.size() < 4 || tokens[0].value != "*" || upper(tokens[2].value) != "FETCH") return;
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
        for (const auto& set : uidSets(uids)) command("UID MOVE " + set + " " + mailbox(trash));
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
            const std::string flag = upper(tokens[i].value);
            if (flag == "\\NOSELECT" || flag == "\\NONEXISTENT") folder.selectable = false;
            else if (flag.rfind("\\HAS", 0) != 0 && flag != "\\MARKED" && flag != "\\UNMARKED")
                folder.specialUse.push_back(tokens[i].value);
        }
        if (i + 2 >= tokens.size()) return;
        folder.delimiter = upper(tokens[i + 1].value) == "NIL" && tokens[i + 1].kind == ImapToken::Kind::Atom
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
            if (special.empty() && upper(flag) == use) special = folder.name;
        names.push_back(folder.name);
    }
    if (!special.empty()) return special;
    for (const auto& usual : usualNames)
        if (std::find(names.begin(), names.end(), usual) != names.end()) return usual;
    command("CREATE " + mailbox(usualNames.front()));
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
    channel_->writeLine(tag + " APPEND " + mailbox(folder) + " (\\Seen) {" + std::to_string(raw.size()) +
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
    std::string line = tag + " APPEND " + mailbox(folder);
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
