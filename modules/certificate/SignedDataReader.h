// Reading a received CMS SignedData with the certificates it carries.
// OpenSSL 3.0 builds its whole chain of key decoders anew for every
// certificate it parses (openssl#19119, cached only from 3.2 on), which
// costs more than checking the signature itself. A sender's certificate
// comes again with each of their mails, so the certificates are taken out
// of the DER before OpenSSL parses the rest, and are read through a small
// cache of certificates seen before, keyed by their exact DER bytes.
#pragma once

#include "certificate/CmsHandles.h"

#include <string>
#include <string_view>
#include <vector>

namespace erpmail::smime {

struct SignedData {
    Cms cms;           ///< null when the DER is no CMS structure (corrupt or cut)
    Certs certificates; ///< every certificate the structure carries
};

/// Parses a CMS ContentInfo. When it is SignedData in DER whose
/// certificates are all X.509 certificates, those come from the cache and
/// the rest is parsed without them; otherwise (BER with indefinite lengths,
/// other certificate formats, anything unexpected) it is parsed whole, as
/// OpenSSL reads it. Either way `certificates` holds what it carries.
SignedData readSignedData(const std::string& der);

/// The DER of ContentInfo `der` without its SignedData's certificates, and
/// the DER of each of them; false when `der` is not SignedData in that
/// simple form. For readSignedData() and its tests.
bool splitSignedDataCertificates(std::string_view der, std::string& rest, std::vector<std::string_view>& certificates);

} // namespace erpmail::smime
