#include "transport/smtp/SmtpSession.h"

#include <Poco/Net/NetException.h>

#include <sstream>

namespace erpmail::transport {

namespace {

std::vector<std::string> ehloLines(const std::string& response)
{
    // Poco joins the lines of a multi-line reply with "\n", each still "250-..."/"250 ...".
    std::vector<std::string> out;
    std::istringstream in(response);
    bool first = true;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > 4)
            line = line.substr(4);
        else
            line.clear();
        if (first) {
            first = false; // the greeting line names the server
            continue;
        }
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

} // namespace

std::string SmtpSession::greet()
{
    std::string response;
    const int status = readReply(socket(), response);
    if (!isPositiveCompletion(status)) throw Poco::Net::SMTPException("the server is not ready", response, status);
    return response;
}

std::vector<std::string> SmtpSession::ehlo(const std::string& name)
{
    std::string response;
    int status = sendCommand("EHLO", name, response);
    if (isPermanentNegative(status)) status = sendCommand("HELO", name, response);
    if (!isPositiveCompletion(status)) throw Poco::Net::SMTPException("EHLO refused", response, status);
    return ehloLines(response);
}

void SmtpSession::goodbye()
{
    std::string response;
    sendCommand("QUIT", response);
    socket().close();
}

bool SmtpSession::hasUnreadBytes()
{
    Poco::Net::DialogSocket& dialog = socket();
    dialog.setBlocking(false);
    int next = -1; // what peek() answers when nothing has come
    try {
        next = dialog.peek();
    } catch (...) {
        dialog.setBlocking(true);
        throw;
    }
    dialog.setBlocking(true);
    return next >= 0;
}

} // namespace erpmail::transport
