#include "certificate/SignedDataReader.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <mutex>
#include <unordered_map>

namespace erpmail::smime {

namespace {

// One DER element: its tag (low-number form only), where its content starts
// and how long it is.
struct Element {
    unsigned char tag = 0;
    std::size_t contentAt = 0;
    std::size_t length = 0;
    std::size_t end() const { return contentAt + length; }
};

// The element at `at` within der[0, limit); false for a high tag number, an
// indefinite or non-minimal length, or one that runs past the limit.
bool elementAt(std::string_view der, std::size_t at, std::size_t limit, Element& e)
{
    if (at + 2 > limit) return false;
    e.tag = static_cast<unsigned char>(der[at]);
    if ((e.tag & 0x1f) == 0x1f) return false;
    const auto first = static_cast<unsigned char>(der[at + 1]);
    std::size_t length = 0, header = 2;
    if (first < 0x80) {
        length = first;
    } else {
        const std::size_t bytes = first & 0x7f;
        if (bytes == 0 || bytes > 4 || at + 2 + bytes > limit) return false;
        for (std::size_t i = 0; i < bytes; ++i) length = (length << 8) | static_cast<unsigned char>(der[at + 2 + i]);
        if (length < 0x80 || (bytes > 1 && length < (std::size_t(1) << (8 * (bytes - 1))))) return false;
        header += bytes;
    }
    e.contentAt = at + header;
    e.length = length;
    return e.end() <= limit;
}

std::string header(unsigned char tag, std::size_t length)
{
    std::string h(1, static_cast<char>(tag));
    if (length < 0x80) {
        h += static_cast<char>(length);
        return h;
    }
    std::string bytes;
    for (std::size_t n = length; n; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
    h += static_cast<char>(0x80 | bytes.size());
    return h + bytes;
}

// id-signedData, 1.2.840.113549.1.7.2, as a DER OBJECT IDENTIFIER.
constexpr std::string_view kSignedDataOid("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 11);

// The certificates seen before, by their DER; emptied when it grows past its size.
class CertificateCache {
public:
    X509* get(std::string_view der)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = byDer_.find(std::string(der));
        if (it != byDer_.end()) {
            X509_up_ref(it->second.get());
            return it->second.get();
        }
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        Certificate parsed(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
        if (!parsed || p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) return nullptr;
        if (byDer_.size() >= kSize) byDer_.clear();
        X509* certificate = parsed.get();
        X509_up_ref(certificate);
        byDer_.emplace(std::string(der), std::move(parsed));
        return certificate;
    }

private:
    static constexpr std::size_t kSize = 256;
    std::mutex mutex_;
    std::unordered_map<std::string, Certificate> byDer_;
};

CertificateCache& cache()
{
    static CertificateCache* instance = new CertificateCache; // lives until the process ends, as OpenSSL does
    return *instance;
}

SignedData parsedWhole(const std::string& der)
{
    SignedData out;
    Bio in = memory(der);
    out.cms.reset(d2i_CMS_bio(in.get(), nullptr));
    ERR_clear_error();
    out.certificates.reset(out.cms ? CMS_get1_certs(out.cms.get()) : nullptr);
    if (!out.certificates) out.certificates.reset(sk_X509_new_null());
    return out;
}

} // namespace

bool splitSignedDataCertificates(std::string_view der, std::string& rest, std::vector<std::string_view>& certificates)
{
    // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
    Element info, type, wrapper, data;
    if (!elementAt(der, 0, der.size(), info) || info.tag != 0x30 || info.end() != der.size()) return false;
    if (!elementAt(der, info.contentAt, info.end(), type) || der.substr(info.contentAt, type.end() - info.contentAt) != kSignedDataOid)
        return false;
    if (!elementAt(der, type.end(), info.end(), wrapper) || wrapper.tag != 0xa0 || wrapper.end() != info.end()) return false;
    if (!elementAt(der, wrapper.contentAt, wrapper.end(), data) || data.tag != 0x30 || data.end() != wrapper.end())
        return false;
    // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE,
    //                           certificates [0] IMPLICIT OPTIONAL, crls [1] OPTIONAL, signerInfos SET }
    std::size_t at = data.contentAt;
    const unsigned char before[] = {0x02, 0x31, 0x30};
    for (unsigned char tag : before) {
        Element e;
        if (!elementAt(der, at, data.end(), e) || e.tag != tag) return false;
        at = e.end();
    }
    Element set;
    if (!elementAt(der, at, data.end(), set) || set.tag != 0xa0) return false;
    certificates.clear();
    for (std::size_t c = set.contentAt; c < set.end();) {
        Element certificate;
        if (!elementAt(der, c, set.end(), certificate) || certificate.tag != 0x30) return false;
        certificates.push_back(der.substr(c, certificate.end() - c));
        c = certificate.end();
    }
    const std::string_view head = der.substr(data.contentAt, at - data.contentAt);
    const std::string_view tail = der.substr(set.end(), data.end() - set.end());
    const std::size_t dataLength = head.size() + tail.size();
    const std::string dataHeader = header(0x30, dataLength);
    const std::string wrapperHeader = header(0xa0, dataHeader.size() + dataLength);
    const std::string_view oid = der.substr(info.contentAt, type.end() - info.contentAt);
    const std::size_t infoLength = oid.size() + wrapperHeader.size() + dataHeader.size() + dataLength;
    rest = header(0x30, infoLength);
    rest.reserve(rest.size() + infoLength);
    rest.append(oid).append(wrapperHeader).append(dataHeader).append(head).append(tail);
    return true;
}

SignedData readSignedData(const std::string& der)
{
    std::string rest;
    std::vector<std::string_view> parts;
    if (!splitSignedDataCertificates(der, rest, parts)) return parsedWhole(der);
    SignedData out;
    out.certificates.reset(sk_X509_new_null());
    for (std::string_view part : parts) {
        X509* certificate = cache().get(part);
        if (!certificate) return parsedWhole(der); // OpenSSL says what is wrong with it, as before
        sk_X509_push(out.certificates.get(), certificate);
    }
    Bio in = memory(rest);
    out.cms.reset(d2i_CMS_bio(in.get(), nullptr));
    ERR_clear_error();
    if (!out.cms) return parsedWhole(der);
    return out;
}

} // namespace erpmail::smime
