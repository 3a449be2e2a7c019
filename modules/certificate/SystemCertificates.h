// The system's CA certificates, as the plugin store lists them.
#pragma once

#include "certificate/Smime.h"

#include <vector>

namespace erpmail {

/// The certificates of the bundle OpenSSL reads by default (SSL_CERT_FILE
/// overrides it); none when there is no readable bundle.
std::vector<smime::Certificate> systemCertificates();

} // namespace erpmail
