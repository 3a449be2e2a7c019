// Poco's SMTP session with access to what it keeps protected: the EHLO
// reply, the individual AUTH mechanisms, and the socket for the final reply.
#pragma once

#include "transport/smtp/SmtpReplyReader.h"

#include <Poco/Net/SecureSMTPClientSession.h>

#include <string>
#include <vector>

namespace erpmail::transport {

class SmtpSession : public Poco::Net::SecureSMTPClientSession {
public:
    using SecureSMTPClientSession::loginUsingCRAMMD5;
    using SecureSMTPClientSession::loginUsingLogin;
    using SecureSMTPClientSession::loginUsingPlain;
    using SecureSMTPClientSession::SecureSMTPClientSession;
    using SecureSMTPClientSession::socket;

    /// A command and its reply, read by readReply (hides Poco's).
    int sendCommand(const std::string& command, std::string& response)
    {
        socket().sendMessage(command);
        return readReply(socket(), response);
    }
    int sendCommand(const std::string& command, const std::string& arg, std::string& response)
    {
        socket().sendMessage(command, arg);
        return readReply(socket(), response);
    }

    /// Reads the greeting (Poco's open() would keep it to itself); throws
    /// SMTPException unless it is positive. Returns its text.
    std::string greet();
    /// EHLO, HELO when the server does not know EHLO; the capabilities.
    std::vector<std::string> ehlo(const std::string& name);
    /// QUIT, then the connection is closed.
    void goodbye();
    /// Whether the server has sent anything beyond its last reply, in the
    /// dialog's buffer or on the socket; looks without waiting.
    bool hasUnreadBytes();
};

} // namespace erpmail::transport
