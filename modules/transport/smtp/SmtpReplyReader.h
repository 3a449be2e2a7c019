// Reading an SMTP server's replies with bounds of our own: Poco's reader
// loops for ever on a connection that ends within a multi-line reply.
#pragma once

#include <Poco/Net/DialogSocket.h>

#include <string>

namespace erpmail::transport {

/// One reply of one line or several (RFC 5321 section 4.2.1), at most 1,000
/// lines of 4,096 bytes, its lines joined by LF as Poco joins them. Returns
/// its code, or 0 when its first line has none. Throws NetException when the
/// connection ends within the reply or the reply runs past its bounds.
int readReply(Poco::Net::DialogSocket& socket, std::string& response);

} // namespace erpmail::transport
