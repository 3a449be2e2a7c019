#include "transport/common/Ingest.h"

#include "mime/AttachmentRemoval.h"
#include "mime/MessageParser.h"

namespace erpmail {

std::string sha256Hex(const std::string& bytes)
{
    return mime::sha256Of(bytes);
}

store::MessageRecord recordFromRaw(std::string raw, const std::string& accountId, bool personal,
                                   std::int64_t nowMs, mime::ParsedMessage* parsedOut,
                                   const mime::ParseLimits& limits)
{
    mime::ParsedMessage parsed = mime::parseMessage(raw, limits);
    store::MessageRecord m;
    m.accountId = accountId;
    m.personal = personal;
    m.receivedAtMs = nowMs;
    m.contentSha256 = sha256Hex(raw);
    auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
    m.subject = opt(parsed.subject);
    m.from = opt(mime::formatAddresses(parsed.from));
    m.to = opt(mime::formatAddresses(parsed.to));
    m.cc = opt(mime::formatAddresses(parsed.cc));
    m.dateMs = parsed.dateMs;
    m.messageId = opt(parsed.messageId);
    m.inReplyTo = opt(parsed.inReplyTo);
    m.references = opt(parsed.references);
    m.bodyText = opt(parsed.text);
    m.bodyHtml = opt(parsed.html);
    m.parseWarning = opt(parsed.warning);
    for (auto& a : parsed.attachments) {
        store::AttachmentRecord r;
        r.fileName = opt(a.fileName);
        r.originalFileName = opt(a.originalFileName);
        r.contentType = a.contentType;
        r.contentId = opt(a.contentId);
        r.size = static_cast<std::int64_t>(a.bytes.size());
        r.bytes = std::move(a.bytes);
        m.attachments.push_back(std::move(r));
    }
    m.raw = std::move(raw);
    m.rawSize = static_cast<std::int64_t>(m.raw.size());
    if (parsedOut) {
        parsed.attachments.clear();
        *parsedOut = std::move(parsed);
    }
    return m;
}

} // namespace erpmail
