#include "transport/smtp/SmtpReplyReader.h"

#include <Poco/Net/NetException.h>

namespace erpmail::transport {

namespace {

// DialogSocket's own line reader, which it keeps protected.
struct LineReader : Poco::Net::DialogSocket {
    static bool read(Poco::Net::DialogSocket& socket, std::string& line, std::size_t limit)
    {
        return (socket.*(&LineReader::receiveLine))(line, limit);
    }
};

} // namespace

int readReply(Poco::Net::DialogSocket& socket, std::string& response)
{
    constexpr int kMaxLines = 1000;
    constexpr std::size_t kMaxLine = 4096;
    response.clear();
    for (int n = 0; n < kMaxLines; ++n) {
        std::string line;
        if (!LineReader::read(socket, line, kMaxLine))
            throw Poco::Net::NetException("the server closed the connection within its reply");
        if (n > 0) response += '\n';
        response += line;
        const auto digit = [&](std::size_t i) { return line[i] >= '0' && line[i] <= '9'; };
        if (line.size() < 3 || !digit(0) || !digit(1) || !digit(2)) {
            if (n == 0) return 0;
            continue;
        }
        if (line.size() > 3 && line[3] == '-') continue;
        return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    }
    throw Poco::Net::NetException("the server's reply runs past 1000 lines");
}

} // namespace erpmail::transport
