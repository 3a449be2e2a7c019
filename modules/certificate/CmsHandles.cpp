// OpenSSL errors, memory BIOs and base64 for the S/MIME entities, and the
// reading of an application/pkcs7-mime entity's CMS structure.
#include "certificate/CmsHandles.h"

#include "certificate/MimeEntity.h"
#include "erpmail/Base64.h"

#include <openssl/err.h>

#include <Poco/Base64Encoder.h>

#include <cctype>
#include <sstream>

namespace erpmail::smime {

std::string opensslError(const std::string& what)
{
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (!code) return what;
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return what + ": " + text;
}

Bio memory(const std::string& bytes)
{
    return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string drain(BIO* bio)
{
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string base64Lines(const std::string& der)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(76);
    encoder << der;
    encoder.close();
    std::string b64 = out.str();
    std::string crlf;
    for (char c : b64) {
        if (c == '\r') continue;
        if (c == '\n') crlf += "\r\n";
        else crlf += c;
    }
    return crlf + "\r\n";
}

std::string unbase64(const std::string& text)
{
    // decodeBase64 passes over CR, LF, space and tab itself; only a text
    // with other white space (VT, FF) is copied without it first.
    std::optional<std::string> bytes;
    if (text.find_first_of("\v\f") == std::string::npos) {
        bytes = decodeBase64(text);
    } else {
        std::string clean;
        for (char c : text)
            if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
        bytes = decodeBase64(clean);
    }
    if (!bytes) throw SmimeError("the S/MIME part's base64 is broken");
    return std::move(*bytes);
}

std::optional<std::string> pkcs7MimeDer(const std::string& entity)
{
    Headers h = readHeaders(entity);
    const std::string type = mediaType(field(h, "Content-Type"));
    if (type != "application/pkcs7-mime" && type != "application/x-pkcs7-mime")
        throw SmimeError("the entity is no application/pkcs7-mime");
    try {
        return unbase64(entity.substr(h.bodyAt));
    } catch (const SmimeError&) {
        return std::nullopt;
    }
}

Cms readPkcs7Mime(const std::string& entity)
{
    const std::optional<std::string> der = pkcs7MimeDer(entity);
    if (!der) return nullptr;
    Bio in = memory(*der);
    Cms cms(d2i_CMS_bio(in.get(), nullptr));
    ERR_clear_error();
    return cms;
}

} // namespace erpmail::smime
