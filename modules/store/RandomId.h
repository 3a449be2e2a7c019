// Random identifiers for rows, events and claims.
#pragma once

#include <string>

namespace erpmail::store {

/// A version 4 UUID in its 36-character text form, from OpenSSL's random
/// generator (Poco's opens /dev/urandom for each one, three system calls
/// per received mail's event).
std::string randomUuid();

} // namespace erpmail::store
