// How the SMTP connection reads replies from a server that breaks off.
#include "transport/smtp/SmtpConnection.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace erpmail::transport;

// A server that greets with the first line of a multi-line reply ("220-")
// and closes. Poco's DialogSocket::receiveStatusMessage() then loops for
// ever, receiving nothing and appending a line break each time (found by
// tests/fuzz/smtp_reply; regression input corpus/smtp_reply/regression-
// multiline-reply-cut). The connection reads its replies with its own
// bounded reader, and the cut reply ends it with an error.
TEST(SmtpConnection, MultiLineGreetingCutOffEndsTheConnection)
{
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
    std::thread server([&listener] {
        Poco::Net::StreamSocket client = listener.acceptConnection();
        client.sendBytes("220-", 4);
        client.close();
    });
    struct Outcome {
        std::atomic<bool> done{false};
        std::string error;
    };
    auto outcome = std::make_shared<Outcome>();
    SmtpSettings settings;
    settings.host = "127.0.0.1";
    settings.port = listener.address().port();
    settings.security = Security::None;
    settings.authenticate = false;
    settings.timeoutSeconds = 2;
    settings.timeouts.greeting = 2;
    // Detached: if the connection hangs, the test fails instead of hanging too.
    std::thread([outcome, settings] {
        try {
            SmtpConnection connection(settings);
        } catch (const SmtpSetupError& e) {
            outcome->error = e.what();
        }
        outcome->done = true;
    }).detach();
    for (int i = 0; i < 100 && !outcome->done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.join();
    EXPECT_TRUE(outcome->done) << "the connection still waits for the rest of a reply the server ended";
    EXPECT_FALSE(outcome->error.empty()) << "the connection was made although the greeting broke off";
}
