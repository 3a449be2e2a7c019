#include "certificate/SecurityScan.h"

#include "certificate/MimeEntity.h"
#include "erpmail/JsonWriter.h"

#include <Poco/String.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <strings.h>

namespace erpmail::smime {

namespace {

constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxParts = 200;

struct Walk {
    const std::function<X509_STORE*()>& trust;
    const std::string& from;
    std::int64_t nowMs;
    MessageSecurity& out;
    std::size_t parts = 0;
    int signedParts = 0, encryptedParts = 0, worst = 0;

    static int rank(const std::string& status)
    {
        static const char* order[] = {"valid", "weak", "untrusted", "invalid"};
        for (int i = 3; i >= 0; --i)
            if (status == order[i]) return i;
        return 3;
    }

    void addSigners(const Verification& v, const std::string& path)
    {
        ++signedParts;
        if (rank(v.status) >= worst) {
            worst = rank(v.status);
            out.reason = v.reason;
        }
        if (v.signers.empty()) {
            SignerCheck none;
            none.status = v.status;
            none.reason = v.reason;
            out.signers.push_back({none, path});
        }
        for (const auto& s : v.signers)
            out.signers.push_back({s, path});
    }

    // `entity` at `path` ("" for the message); true when it is S/MIME.
    void visit(const std::string& entity, const std::string& path, int depth)
    {
        if (++parts > kMaxParts || depth > kMaxDepth) return;
        const std::string type = mediaType(field(readHeaders(entity), "Content-Type"));
        if (type == "multipart/signed") {
            Verification v;
            try {
                v = verifySigned(entity, trust(), from, nowMs);
            } catch (const SmimeError& e) {
                v.status = "invalid"; // cut or malformed: nothing here is validly signed
                v.reason = e.what();
            }
            if (v.partsAfterSignature && v.status != "invalid") {
                v.status = "invalid";
                v.reason = "the signed multipart holds parts after its signature, which it does not cover";
            }
            addSigners(v, path);
            return;
        }
        if (type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime") {
            const std::string kind = pkcs7MimeKind(entity);
            if (kind == "signed-data") {
                Verification v = verifyOpaqueSigned(entity, trust(), from, nowMs);
                if (path.empty() && !v.content.empty()) out.signedContent = v.content;
                addSigners(v, path);
            } else {
                ++encryptedParts; // opened when read, with the account's key
            }
            return;
        }
        if (type.compare(0, 10, "multipart/") != 0) return;
        const auto inside = multipartParts(entity, kMaxParts);
        for (std::size_t i = 0; i < inside.size(); ++i)
            visit(inside[i], path.empty() ? std::to_string(i + 1) : path + "." + std::to_string(i + 1), depth + 1);
    }
};

void collectEncrypted(const std::string& entity, const std::string& path, int depth, std::size_t& parts,
                      std::vector<EncryptedPart>& out)
{
    if (++parts > kMaxParts || depth > kMaxDepth) return;
    const std::string type = mediaType(field(readHeaders(entity), "Content-Type"));
    if (type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime") {
        if (pkcs7MimeKind(entity) != "signed-data") out.push_back({path, entity});
        return;
    }
    if (type.compare(0, 10, "multipart/") != 0 || type == "multipart/signed") return;
    const auto inside = multipartParts(entity, kMaxParts);
    for (std::size_t i = 0; i < inside.size(); ++i)
        collectEncrypted(inside[i], path.empty() ? std::to_string(i + 1) : path + "." + std::to_string(i + 1),
                         depth + 1, parts, out);
}

} // namespace

std::vector<EncryptedPart> encryptedParts(const std::string& raw)
{
    std::vector<EncryptedPart> out;
    std::size_t parts = 0;
    collectEncrypted(splitMessage(raw).entity, "", 0, parts, out);
    return out;
}

bool mayHoldSmime(const std::string& raw)
{
    // "pkcs7-" in any case, found by its "-" with memchr: every received
    // mail passes here, and the base64 of its attachments holds no "-" at
    // all (a case-folding search took a quarter of a plain mail's fetch).
    const char* const begin = raw.data();
    const char* const end = begin + raw.size();
    for (const char* p = begin; p < end;) {
        const auto* at = static_cast<const char*>(std::memchr(p, '-', static_cast<std::size_t>(end - p)));
        if (!at) return false;
        if (at - begin >= 5 && at[-1] == '7' && strncasecmp(at - 5, "pkcs", 4) == 0) return true;
        p = at + 1;
    }
    return false;
}

MessageSecurity scanMessage(const std::string& raw, const std::function<X509_STORE*()>& trust,
                            const std::string& fromEmail, std::int64_t nowMs)
{
    MessageSecurity out;
    try {
        // A mail in CRLF form is walked as it is: its own header block holds
        // the entity's fields, and only the canonical form needs a copy.
        std::optional<MessageParts> converted;
        if (!crlfOnly(raw)) converted = splitMessage(raw);
        const std::string& entity = converted ? converted->entity : raw;
        Walk walk{trust, fromEmail, nowMs, out};
        walk.visit(entity, "", 0);
        const bool whole = !out.signers.empty() && out.signers.front().part.empty();
        static const char* names[] = {"valid", "weak", "untrusted", "invalid"};
        auto onlySigned = [&] {
            std::vector<std::string> where;
            for (const auto& s : out.signers)
                if (std::find(where.begin(), where.end(), s.part) == where.end()) where.push_back(s.part);
            std::string list;
            for (const auto& w : where)
                list += (list.empty() ? "" : ", ") + w;
            return "only part " + list + " of the message is signed; the rest is not";
        };
        if (walk.encryptedParts > 0) {
            const std::string top = mediaType(field(readHeaders(entity), "Content-Type"));
            out.kind = top.find("pkcs7-mime") != std::string::npos ? "encrypted" : "partly_encrypted";
            out.status = "encrypted";
            out.reason = out.kind == "encrypted" ? ""
                                                 : "only a part of the message is encrypted; it is shown apart "
                                                   "from the parts around it, which were not";
            // Signed parts beside the encrypted one are named too, with the
            // verdict of their worst signature; never as the whole.
            if (out.kind == "partly_encrypted" && walk.signedParts > 0) {
                out.reason += "; " + onlySigned() + "; its signature is " + names[walk.worst];
            }
        } else if (whole) {
            out.kind = "signed";
            out.status = names[walk.worst];
            if (out.status == "valid") out.reason.clear();
        } else if (walk.signedParts > 0) {
            out.kind = "partly_signed";
            out.status = "partly_signed";
            out.reason = onlySigned();
        }
    } catch (const std::exception& e) {
        out = MessageSecurity{};
        out.kind = "signed";
        out.status = "error";
        out.reason = std::string("the S/MIME structure could not be checked: ") + e.what();
    }
    return out;
}

std::string signersJson(const std::vector<ScannedSigner>& signers)
{
    // Written as Poco::JSON would write it, keys in its sorted order: the
    // stored text stays the same, without building objects for every mail.
    JsonWriter json;
    json.beginArray();
    for (const auto& s : signers) {
        json.beginObject().key("certificate_pem").value(s.check.certificatePem);
        json.key("digest").value(s.check.digest);
        json.key("emails").beginArray();
        for (const auto& e : s.check.emails)
            json.value(e);
        json.endArray();
        json.key("part").value(s.part);
        json.key("reason").value(s.check.reason);
        json.key("status").value(s.check.status);
        json.key("subject").value(s.check.subject).endObject();
    }
    json.endArray();
    return json.take();
}

} // namespace erpmail::smime
