// IMAP's syntax as this client reads and writes it: responses split into
// tokens with their literals, the numbers and codes in them, quoted strings.
#include "transport/imap/ImapSyntax.h"

#include "transport/common/ServerText.h"
#include "transport/imap/MailboxName.h"

#include <algorithm>
#include <string_view>

namespace erpmail::transport {

namespace {

bool allDigits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
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

} // namespace

std::string imapQuoted(const std::string& s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '\r' || c == '\n') throw ProtocolError("a user name or password with a line break cannot be sent");
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string imapMailbox(const std::string& utf8)
{
    return imapQuoted(encodeMailboxName(utf8));
}

// A larger value would wrap to another UID; it ends the session instead.
std::uint32_t imapNumber(const std::string& s)
{
    if (!allDigits(s)) throw ProtocolError("expected a number, got '" + serverText(s, 40) + "'");
    if (s.size() > 10 || std::stoull(s) > UINT32_MAX)
        throw ProtocolError("IMAP server sent the number " + serverText(s, 40) + ", over 2^32-1 (RFC 3501)");
    return static_cast<std::uint32_t>(std::stoull(s));
}

FetchedItems fetchedItems(std::vector<ImapToken>& tokens)
{
    FetchedItems items;
    for (std::size_t i = 3; i + 1 < tokens.size(); ++i) {
        const std::string name = upperCase(tokens[i].value);
        if (name == "UID")
            items.uid = imapNumber(tokens[++i].value);
        else if (name == "RFC822.SIZE")
            items.size = imapNumber(tokens[++i].value);
        else if (name.rfind("BODY[", 0) == 0) {
            ImapToken& body = tokens[++i];
            // NIL is no mail: the server has no body to give for it.
            if (body.kind == ImapToken::Kind::Literal || body.kind == ImapToken::Kind::String)
                items.body = std::move(body.value);
        }
    }
    return items;
}

std::uint64_t imapResponseCode(const std::string& line, const std::string& name)
{
    auto pos = line.find("[" + name + " ");
    if (pos == std::string::npos) return 0;
    const std::string digits = line.substr(pos + name.size() + 2, line.find(']', pos) - pos - name.size() - 2);
    if (name != "HIGHESTMODSEQ") return imapNumber(digits); // UIDVALIDITY and UIDNEXT are 32-bit
    if (!allDigits(digits) || digits.size() > 19 || std::stoull(digits) > static_cast<std::uint64_t>(INT64_MAX))
        throw ProtocolError("expected a number below 2^63 in [" + name + "], got '" + serverText(digits, 40) + "'");
    return std::stoull(digits);
}

std::vector<ImapToken> readImapResponse(LineChannel& channel, std::size_t maxLiteralBytes, std::string& firstLine)
{
    std::vector<ImapToken> tokens;
    std::string line = channel.readLine();
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
                if (n > maxLiteralBytes)
                    throw ProtocolError("IMAP literal of " + std::to_string(n) + " bytes exceeds the limit of " +
                                        std::to_string(maxLiteralBytes));
                tokens.push_back({ImapToken::Kind::Literal, channel.readExactly(static_cast<std::size_t>(n))});
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
        line = channel.readLine(); // the response goes on after the literal
    }
}

} // namespace erpmail::transport
