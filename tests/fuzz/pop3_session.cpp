// A whole POP3 session against a server that says whatever the input says:
// greeting and CAPA, STAT, UIDL, LIST, TOP, RETR of every message (pipelined
// when PIPELINING is offered) with dot-unstuffing, DELE and QUIT, each step
// only when the one before succeeded.
#include "ScriptServer.h"

#include "transport/pop3/Pop3Session.h"

#include <string>
#include <vector>

using namespace erpmail::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    erpmail::fuzz::ScriptServer server(data, size);
    Pop3Settings settings;
    settings.host = "mail.erpmail.test";
    settings.connector = server.connector();
    settings.security = Security::None;
    settings.authenticate = false; // a login needs TLS, which a fuzz run cannot afford per input
    settings.timeoutSeconds = 5;
    try {
        Pop3Session session(settings);
        session.stat();
        std::vector<int> numbers;
        for (const auto& [number, uid] : session.uidl())
            if (numbers.size() < 64) numbers.push_back(number);
        session.list();
        if (!numbers.empty()) session.top(numbers.front(), 0);
        session.retrieve(numbers, [](std::size_t, const std::string&) {});
        session.markDeleted(numbers);
        session.quit();
    } catch (const ProtocolError&) {
    } catch (const ConnectError&) {
    }
    return 0;
}
