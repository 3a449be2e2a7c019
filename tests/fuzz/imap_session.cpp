// A whole IMAP session against a server that says whatever the input says:
// greeting, CAPABILITY, then what a fetch does (SELECT with CONDSTORE,
// SEARCH, FETCH of headers and bodies, LIST, removal, APPEND, IDLE), each
// step only when the one before succeeded, as the fetcher runs them.
#include "ScriptServer.h"

#include "transport/imap/ImapSession.h"

#include <string>
#include <vector>

using namespace erpmail::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    erpmail::fuzz::ScriptServer server(data, size);
    ImapSettings settings;
    settings.host = "mail.erpmail.test";
    settings.connector = server.connector();
    settings.security = Security::None;
    settings.authenticate = false; // a login needs TLS, which a fuzz run cannot afford per input
    settings.timeoutSeconds = 5;
    try {
        ImapSession session(settings);
        session.hasCapability("UIDPLUS");
        session.select("INBOX");
        std::vector<std::uint32_t> uids = session.uidSearchAll();
        session.uidSearchLarger(1024);
        if (uids.size() > 64) uids.resize(64);
        session.fetchHeaders(uids, [](std::uint32_t, std::int64_t, const std::string&) {});
        session.fetchBodies(uids, [](std::uint32_t, const std::string&) {});
        session.listFolders();
        session.deleteUids(uids);
        session.sentFolder();
        session.appendMany("Sent", {"Subject: a\r\n\r\na\r\n", "Subject: b\r\n\r\nb\r\n"});
        session.idle(Poco::Timespan(0), [] { return true; });
        session.logout();
    } catch (const ProtocolError&) {
    } catch (const ConnectError&) {
    }
    return 0;
}
