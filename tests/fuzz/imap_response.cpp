// The IMAP response reader as a session reads it from its socket: the
// tokenizer with quoted strings, lists and literals, untagged and tagged
// responses, the response codes of status lines and FETCH items. The input
// is everything the server sends, one response after the other.
#include "ScriptServer.h"

#include "transport/imap/ImapSession.h"
#include "transport/imap/ImapSyntax.h"
#include "transport/imap/MailboxName.h"

#include <string>
#include <vector>

using namespace erpmail::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const ImapSettings settings; // the limits a session has
    erpmail::fuzz::ScriptServer server(data, size);
    LineChannel channel("mail.erpmail.test", 143, Security::None, TlsSettings{}, Poco::Timespan(5, 0),
                        settings.maxLineBytes, server.connector());
    try {
        for (;;) {
            std::string line;
            std::vector<ImapToken> tokens = readImapResponse(channel, settings.maxLiteralBytes, line);
            if (tokens.size() < 2) continue;
            for (const char* code : {"UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"}) {
                try {
                    imapResponseCode(line, code);
                } catch (const ProtocolError&) {
                }
            }
            if (tokens.size() > 2 && (tokens[2].value == "FETCH" || tokens[2].value == "EXISTS")) {
                try {
                    imapNumber(tokens[1].value);
                } catch (const ProtocolError&) {
                }
                FetchedItems items = fetchedItems(tokens);
                (void)items;
            }
            if (tokens[1].value == "LIST")
                for (const auto& token : tokens)
                    (void)decodeMailboxName(token.value);
        }
    } catch (const ProtocolError&) {
    } catch (const ConnectError&) {
    }
    return 0;
}
