// OpenSSL 3 deprecates the ENGINE API, but the pkcs11 engine Debian ships is
// one; this file alone uses it.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "certificate/TokenKey.h"

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ui.h>

#include <Poco/File.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace erpmail::smime {

namespace {

struct TokenEngine {
    std::mutex mutex;
    ENGINE* engine = nullptr; ///< a functional reference, kept for the process
    std::string module = kDefaultTokenModule;
    std::string boundModule;
    /// Per token (its URI attributes), a salted digest of the PIN that first
    /// logged in: a token stays logged in for the process and takes any PIN
    /// after that, so a different one is refused here.
    std::map<std::string, std::string> acceptedPins;
    unsigned char salt[16] = {};
};

TokenEngine& tokenEngine()
{
    static TokenEngine instance;
    static std::once_flag salted;
    std::call_once(salted, [] { RAND_bytes(instance.salt, sizeof instance.salt); });
    return instance;
}

// The attributes of a URI that name the token (not the object on it).
std::string tokenOf(const std::string& objectUri)
{
    const auto query = objectUri.find('?');
    const std::string path = objectUri.substr(7, query == std::string::npos ? query : query - 7);
    std::vector<std::string> parts;
    for (const auto& a : Poco::StringTokenizer(path, ";", Poco::StringTokenizer::TOK_IGNORE_EMPTY))
        if (a.rfind("token=", 0) == 0 || a.rfind("serial=", 0) == 0 || a.rfind("manufacturer=", 0) == 0 ||
            a.rfind("model=", 0) == 0 || a.rfind("slot-", 0) == 0)
            parts.push_back(a);
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const auto& p : parts)
        out += p + ";";
    return out;
}

std::string pinDigest(const TokenEngine& t, const std::string& pin)
{
    std::string salted(reinterpret_cast<const char*>(t.salt), sizeof t.salt);
    salted += pin;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(salted.data(), salted.size(), digest, &length, EVP_sha256(), nullptr);
    OPENSSL_cleanse(&salted[0], salted.size());
    return std::string(reinterpret_cast<const char*>(digest), length);
}

// OpenSSL's and libp11's error queue as one line; the queue is emptied.
std::string takeErrors()
{
    std::string out;
    unsigned long code;
    char buffer[256];
    while ((code = ERR_get_error()) != 0) {
        ERR_error_string_n(code, buffer, sizeof buffer);
        out += (out.empty() ? "" : "; ") + std::string(buffer);
    }
    return out;
}

// The engine never asks on a terminal: a PIN is given or the login fails.
UI_METHOD* noPrompt()
{
    static UI_METHOD* method = [] {
        UI_METHOD* m = UI_create_method("erpmail: no PIN prompt");
        UI_method_set_reader(m, [](UI*, UI_STRING*) { return 0; });
        return m;
    }();
    return method;
}

ENGINE* boundEngine(TokenEngine& t)
{
    if (t.engine) {
        if (t.module != t.boundModule)
            throw TokenError(TokenError::Kind::Unavailable, "the pkcs11 engine uses the PKCS#11 module '" +
                                                                t.boundModule + "' until the host restarts; '" +
                                                                t.module + "' is configured");
        return t.engine;
    }
    if (!Poco::File(t.module).exists())
        throw TokenError(TokenError::Kind::Unavailable,
                         "the PKCS#11 module '" + t.module + "' is not there (erpmail.pkcs11.module)");
    ENGINE* e = ENGINE_by_id("pkcs11");
    if (!e) {
        ERR_clear_error();
        throw TokenError(TokenError::Kind::Unavailable,
                         "OpenSSL's pkcs11 engine is not installed (Debian package libengine-pkcs11-openssl)");
    }
    if (ENGINE_ctrl_cmd_string(e, "MODULE_PATH", t.module.c_str(), 0) != 1 || ENGINE_init(e) != 1) {
        const std::string why = takeErrors();
        ENGINE_free(e);
        throw TokenError(TokenError::Kind::Unavailable, "the pkcs11 engine cannot load the PKCS#11 module '" +
                                                            t.module + "'" +
                                                            (why.empty() ? std::string() : ": " + why));
    }
    ENGINE_free(e); // the functional reference from ENGINE_init stays
    t.engine = e;
    t.boundModule = t.module;
    return e;
}

void setPin(ENGINE* e, const std::string& pin)
{
    if (ENGINE_ctrl_cmd_string(e, "PIN", pin.c_str(), 0) != 1) {
        ERR_clear_error();
        throw TokenError(TokenError::Kind::Unavailable, "the pkcs11 engine does not take a PIN");
    }
}

// What went wrong at the token, from the engine's errors and messages.
[[noreturn]] void throwTokenError(const std::string& what, const std::string& uri, const std::string& errors)
{
    const std::string lower = Poco::toLower(errors);
    if (lower.find("pin incorrect") != std::string::npos || lower.find("pin_incorrect") != std::string::npos)
        throw TokenError(TokenError::Kind::Pin, "the token refused the PIN for '" + uri + "'");
    if (lower.find("pin locked") != std::string::npos || lower.find("pin_locked") != std::string::npos)
        throw TokenError(TokenError::Kind::Pin, "the token's PIN is locked; unlock it with the security officer's PIN");
    throw TokenError(TokenError::Kind::Object, "no " + what + " on a token at '" + uri + "'" +
                                                   (errors.empty() ? std::string() : " (" + errors + ")"));
}

} // namespace

void setTokenModule(const std::string& modulePath)
{
    TokenEngine& t = tokenEngine();
    std::lock_guard<std::mutex> lock(t.mutex);
    t.module = modulePath.empty() ? kDefaultTokenModule : modulePath;
}

std::string tokenObjectUri(const std::string& uri)
{
    if (uri.compare(0, 7, "pkcs11:") != 0)
        throw TokenError(TokenError::Kind::Object, "'" + uri.substr(0, 60) + "' is no pkcs11: URI");
    std::string path = uri.substr(7), query;
    const auto q = path.find('?');
    if (q != std::string::npos) {
        query = path.substr(q + 1);
        path.erase(q);
    }
    for (const auto& attribute : Poco::StringTokenizer(query, "&", Poco::StringTokenizer::TOK_IGNORE_EMPTY))
        if (attribute.rfind("pin-", 0) == 0)
            throw TokenError(TokenError::Kind::Object,
                             "the URI carries a PIN; give the PIN apart, so that it is sealed");
    std::string kept;
    for (const auto& attribute : Poco::StringTokenizer(path, ";", Poco::StringTokenizer::TOK_IGNORE_EMPTY)) {
        if (attribute.rfind("type=", 0) == 0) continue;
        kept += (kept.empty() ? "" : ";") + attribute;
    }
    if (kept.empty())
        throw TokenError(TokenError::Kind::Object, "the pkcs11: URI names no object (give id= or object=, and token=)");
    return "pkcs11:" + kept + (query.empty() ? std::string() : "?" + query);
}

namespace {

// Runs `load` on the engine with the PIN set, one caller at a time; the PIN
// is taken back afterwards. `load` returns the object or null. A private key
// needs a login, so it proves the PIN; a certificate may be read without.
template <class Load>
auto loadFromToken(const std::string& object, const std::string& pin, const char* what, bool provesPin, Load load)
{
    TokenEngine& t = tokenEngine();
    std::lock_guard<std::mutex> lock(t.mutex);
    ENGINE* e = boundEngine(t);
    ERR_clear_error();
    setPin(e, pin);
    auto loaded = load(e);
    const std::string errors = takeErrors();
    setPin(e, "");
    if (!loaded) throwTokenError(what, object, errors);
    if (!provesPin) return loaded;
    const std::string digest = pinDigest(t, pin);
    const auto accepted = t.acceptedPins.emplace(tokenOf(object), digest).first;
    if (accepted->second != digest)
        throw TokenError(TokenError::Kind::Pin, "the token refused the PIN for '" + object + "'");
    return loaded;
}

} // namespace

PrivateKey openTokenKey(const std::string& uri, const std::string& pin)
{
    const std::string object = tokenObjectUri(uri);
    return loadFromToken(object, pin, "private key", true, [&](ENGINE* e) {
        return PrivateKey(ENGINE_load_private_key(e, object.c_str(), noPrompt(), nullptr));
    });
}

Certificate openTokenCertificate(const std::string& uri, const std::string& pin)
{
    const std::string object = tokenObjectUri(uri);
    return loadFromToken(object, pin, "certificate", false, [&](ENGINE* e) {
        struct {
            const char* uri;
            X509* certificate;
        } parameters = {object.c_str(), nullptr};
        Certificate certificate(parameters.certificate);
        const bool loaded = ENGINE_ctrl_cmd(e, "LOAD_CERT_CTRL", 0, &parameters, nullptr, 0) == 1;
        certificate.reset(parameters.certificate);
        return loaded ? std::move(certificate) : Certificate();
    });
}

} // namespace erpmail::smime
