// The plugin store's view of the system's CA bundle, the one OpenSSL reads by default.
#include "certificate/SystemCertificates.h"

#include "certificate/CertificateFiles.h"

#include <openssl/x509.h>

#include <Poco/Environment.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>

namespace erpmail {

std::vector<smime::Certificate> systemCertificates()
{
    std::string bundle = Poco::Environment::get(X509_get_default_cert_file_env(), X509_get_default_cert_file());
    std::vector<smime::Certificate> out;
    try {
        Poco::FileInputStream in(bundle);
        std::string pem;
        Poco::StreamCopier::copyToString(in, pem);
        CertificateFile file = readCertificateFile(pem, std::nullopt, "bundle");
        out.push_back(std::move(file.leaf));
        for (auto& c : file.chain) out.push_back(std::move(c));
    } catch (const std::exception&) {
        // no bundle, no system store
    }
    return out;
}

} // namespace erpmail
