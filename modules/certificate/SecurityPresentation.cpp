#include "certificate/SecurityPresentation.h"

#include "certificate/SecurityScan.h"
#include "erpmail/Base64.h"
#include "mime/MessageParser.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace erpmail::smime {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

/// More encrypted parts than this in one mail are not opened.
constexpr std::size_t kMaxOpened = 4;

Poco::Dynamic::Var textOrNull(const std::string& s)
{
    return s.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s);
}

Object::Ptr signatureJson(const MessageSecurity& s)
{
    Object::Ptr o = new Object;
    o->set("kind", s.kind);
    o->set("status", s.status);
    o->set("reason", textOrNull(s.reason));
    Poco::JSON::Parser parser;
    o->set("signers", parser.parse(signersJson(s.signers)));
    return o;
}

Object::Ptr failure(const std::string& part, const std::string& error, const std::string& reason)
{
    Object::Ptr o = new Object;
    o->set("part", part);
    o->set("decrypted", false);
    o->set("error", error);
    o->set("reason", reason);
    return o;
}

// One encrypted part opened and parsed as the message it stands for: the
// mail's own headers around the decrypted entity.
Object::Ptr opened(const EncryptedPart& part, const std::string& outerHeaders, const AccountKey& key,
                   const std::function<X509_STORE*()>& trust, const std::string& fromEmail, std::int64_t nowMs)
{
    Decryption d;
    try {
        d = decryptEntity(part.entity, key.certificate.get(), key.key.get());
    } catch (const SmimeError& e) {
        const std::string why = e.what();
        return failure(part.part, why.find("no recipient matches") != std::string::npos ? "no_key" : "corrupt", why);
    }
    Object::Ptr o = new Object;
    o->set("part", part.part);
    o->set("decrypted", true);
    o->set("integrity_protected", d.integrityProtected);
    if (!d.integrityProtected)
        o->set("integrity_note", "encrypted with CBC (EnvelopedData): a change on the way would not be detected");
    const std::string inner = joinMessage({outerHeaders, canonical(d.entity)});
    MessageSecurity signature = scanMessage(inner, trust, fromEmail, nowMs);
    std::string shown = inner;
    if (signature.signedContent) shown = joinMessage({outerHeaders, canonical(*signature.signedContent)});
    o->set("signature", signature.kind.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(signatureJson(signature)));
    mime::ParsedMessage parsed = mime::parseMessage(shown);
    o->set("text", textOrNull(parsed.text));
    o->set("html", textOrNull(parsed.html));
    Array::Ptr attachments = new Array;
    for (const auto& a : parsed.attachments) {
        Object::Ptr item = new Object;
        item->set("file_name", textOrNull(a.fileName));
        item->set("content_type", a.contentType);
        item->set("size", static_cast<std::int64_t>(a.bytes.size()));
        item->set("content_base64", toBase64(a.bytes));
        attachments->add(item);
    }
    o->set("attachments", attachments);
    return o;
}

} // namespace

Object::Ptr presentSecurity(const store::SecurityRecord& record, const std::string& raw, const KeyOpener& key,
                            const std::function<X509_STORE*()>& trust, const std::string& fromEmail, std::int64_t nowMs)
{
    Object::Ptr o = new Object;
    o->set("kind", record.kind);
    o->set("status", record.status);
    o->set("reason", record.reason ? Poco::Dynamic::Var(*record.reason) : Poco::Dynamic::Var());
    o->set("verified_at_ms", record.verifiedAtMs);
    o->set("verified_before_attachment_removal", record.verifiedBeforeAttachmentRemoval);
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var signers = parser.parse(record.signers);
    o->set("signers", signers);
    const auto signerList = signers.type() == typeid(Array::Ptr) ? signers.extract<Array::Ptr>() : Array::Ptr();
    o->set("partly_signed", record.kind == "partly_signed" ||
                                (record.kind == "partly_encrypted" && signerList && signerList->size() > 0));
    if (record.kind != "encrypted" && record.kind != "partly_encrypted") return o;
    if (record.kind == "partly_encrypted")
        o->set("separate", "the encrypted part is shown on its own, never joined to the parts around it");

    Array::Ptr decrypted = new Array;
    std::optional<AccountKey> accountKey;
    std::string keyProblem;
    try {
        accountKey = key();
        if (!accountKey) keyProblem = "the account has no encryption certificate with a private key";
    } catch (const std::exception& e) {
        keyProblem = std::string("the account's encryption key does not open: ") + e.what();
    }
    std::vector<EncryptedPart> parts;
    std::string outer;
    try {
        parts = encryptedParts(raw);
        outer = splitMessage(raw).outerHeaders;
    } catch (const std::exception& e) {
        decrypted->add(failure("", "corrupt", e.what()));
    }
    for (std::size_t i = 0; i < parts.size() && i < kMaxOpened; ++i) {
        if (!accountKey) {
            decrypted->add(failure(parts[i].part, "no_key", keyProblem));
            continue;
        }
        try {
            decrypted->add(opened(parts[i], outer, *accountKey, trust, fromEmail, nowMs));
        } catch (const std::exception& e) {
            decrypted->add(failure(parts[i].part, "corrupt", e.what()));
        }
    }
    o->set("decrypted", decrypted);
    return o;
}

} // namespace erpmail::smime
