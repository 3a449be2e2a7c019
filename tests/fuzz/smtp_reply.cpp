// The SMTP reply reader of a delivery: the greeting, EHLO's multi-line reply
// and its capabilities, then one mail (MAIL FROM, two RCPT TO, DATA, the
// final reply with its enhanced status code), a sender check and QUIT,
// against a server that says whatever the input says.
#include "ScriptServer.h"

#include "transport/smtp/SmtpConnection.h"

#include <string>
#include <vector>

using namespace erpmail::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // The server closes after the input, as a hostile one may at any point
    // of a reply (Poco's own reader looped for ever on "220-" and the end;
    // the connection reads its replies itself since).
    erpmail::fuzz::ScriptServer server(data, size);
    SmtpSettings settings;
    settings.host = "mail.erpmail.test";
    settings.connector = server.connector();
    settings.security = Security::None;
    settings.authenticate = false; // a login needs TLS, which a fuzz run cannot afford per input
    settings.timeoutSeconds = 5;
    settings.timeouts = {5, 5, 5, 5, 5, 5};
    try {
        SmtpConnection connection(settings);
        (void)connection.capabilities();
        connection.send("bob@erpmail.test", {"alice@erpmail.test", "refused@erpmail.test"},
                        "Subject: Rechnung\r\n\r\nGuten Tag\r\n.\r\n..\r\n");
        if (connection.usable()) connection.checkSender("bob@erpmail.test");
        connection.quit();
    } catch (const SmtpSetupError&) {
    }
    return 0;
}
