// The system's trusted CAs, read when a chain needs them.
#include "erpmail/SystemTrust.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <dirent.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace erpmail {

namespace {

// Whether `dir` holds the hashed names ("5ad8a5d6.0") that OpenSSL looks
// certificates up by; Debian's /etc/ssl/certs does.
bool hasHashedCertificates(const std::string& dir)
{
    DIR* d = opendir(dir.c_str());
    if (!d) return false;
    bool found = false;
    while (const dirent* e = found ? nullptr : readdir(d)) {
        const std::string_view name(e->d_name);
        found = name.size() >= 10 && name[8] == '.' && std::isdigit(static_cast<unsigned char>(name[9])) &&
                name.substr(0, 8).find_first_not_of("0123456789abcdef") == std::string_view::npos;
    }
    closedir(d);
    return found;
}

// The certificates of the system's CA bundle (SSL_CERT_FILE, else
// OpenSSL's default file), parsed once per process and only when a chain
// needs a CA that nothing else supplied.
const std::vector<X509*>& bundleCertificates()
{
    static const std::vector<X509*> certificates = [] {
        std::vector<X509*> out;
        const char* env = std::getenv(X509_get_default_cert_file_env());
        const std::string path = env && *env ? env : X509_get_default_cert_file();
        if (BIO* bio = BIO_new_file(path.c_str(), "r")) {
            while (X509* cert = PEM_read_bio_X509_AUX(bio, nullptr, nullptr, nullptr)) out.push_back(cert);
            BIO_free(bio);
        }
        ERR_clear_error();
        return out;
    }();
    return certificates;
}

// OpenSSL asks a store's lookups only for a subject its own certificates
// (an account's ca, say) do not hold.
int lookUpInBundle(X509_LOOKUP* lookup, X509_LOOKUP_TYPE type, const X509_NAME* name, X509_OBJECT* found)
{
    if (type != X509_LU_X509) return 0;
    int ok = 0;
    for (X509* cert : bundleCertificates()) {
        if (X509_NAME_cmp(X509_get_subject_name(cert), name) != 0) continue;
        X509_STORE_add_cert(X509_LOOKUP_get_store(lookup), cert); // cached for the next chain
        // The caller takes its own reference of what a lookup finds (as
        // OpenSSL's file and directory lookups expect), so none is kept here.
        if (!ok && X509_OBJECT_set1_X509(found, cert)) {
            X509_free(cert);
            ok = 1;
        }
    }
    ERR_clear_error();
    return ok;
}

X509_LOOKUP_METHOD* bundleLookup()
{
    static X509_LOOKUP_METHOD* method = [] {
        X509_LOOKUP_METHOD* m = X509_LOOKUP_meth_new("erpmail CA bundle, read when needed");
        if (m) X509_LOOKUP_meth_set_get_by_subject(m, &lookUpInBundle);
        return m;
    }();
    return method;
}

// The system's trusted CAs. Parsing the whole bundle file at every
// connection would slow each one down, so a hashed directory is read
// lazily, only the certificates a chain names, and the bundle is read only
// when a chain needs it, once per process. SSL_CERT_FILE names a bundle on purpose: then
// it comes first, and SSL_CERT_DIR (or the default directory) after it.
} // namespace

void trustSystemCertificates(X509_STORE* store)
{
    static const bool bundleFirst = [] {
        const char* file = std::getenv(X509_get_default_cert_file_env());
        return file && *file;
    }();
    static const std::string dir = [] {
        const char* env = std::getenv(X509_get_default_cert_dir_env());
        const std::string d = env && *env ? env : X509_get_default_cert_dir();
        return hasHashedCertificates(d) ? d : std::string();
    }();
    const bool dirFirst = !bundleFirst && !dir.empty();
    if (dirFirst) X509_STORE_load_path(store, dir.c_str());
    if (!bundleLookup() || !X509_STORE_add_lookup(store, bundleLookup())) X509_STORE_set_default_paths(store);
    if (!dirFirst && !dir.empty()) X509_STORE_load_path(store, dir.c_str());
    ERR_clear_error();
}

} // namespace erpmail
