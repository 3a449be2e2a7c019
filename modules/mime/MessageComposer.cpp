#include "mime/MessageComposer.h"

#include "encoding/Hex.h"
#include "mime/HeaderSafety.h"

#include <gmime/gmime.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace erpmail::mime {

namespace {

void initGMime()
{
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

struct Unref {
    void operator()(gpointer p) const
    {
        if (p) g_object_unref(p);
    }
};
template <class T>
using GPtr = std::unique_ptr<T, Unref>;

void checkHeaderValue(const std::string& field, const std::string& value)
{
    if (hasControlCharacters(value))
        throw CompositionError(field, field + " contains a line break or control character; nothing was queued");
}

void checkAddresses(const std::string& field, const std::vector<Address>& list)
{
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string f = field + "[" + std::to_string(i) + "]";
        checkHeaderValue(f, list[i].name);
        checkHeaderValue(f, list[i].email);
        if (!isValidMailbox(list[i].email))
            throw CompositionError(f, "'" + list[i].email + "' is not a valid e-mail address");
    }
}


GMimeObject* textPart(const std::string& subtype, const std::string& text, bool relaySafe)
{
    // The bytes stay UTF-8 (set_text would pick a charset of its own).
    GMimeTextPart* part = g_mime_text_part_new_with_subtype(subtype.c_str());
    std::string body = toCrlf(text);
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(body.data(), body.size()));
    GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(GMIME_PART(part), content.get());
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
    GMimeContentEncoding encoding =
        g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT);
    // Plain ASCII comes back as the default (7bit), which a relay may rewrap or strip.
    if (relaySafe && (encoding == GMIME_CONTENT_ENCODING_DEFAULT || encoding == GMIME_CONTENT_ENCODING_7BIT))
        encoding = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    g_mime_part_set_content_encoding(GMIME_PART(part), encoding);
    return GMIME_OBJECT(part);
}

GMimeObject* attachmentPart(const OutgoingAttachment& a)
{
    std::string type = a.contentType.empty() ? "application/octet-stream" : a.contentType;
    auto slash = type.find('/');
    std::string major = slash == std::string::npos ? "application" : type.substr(0, slash);
    std::string minor = slash == std::string::npos ? "octet-stream" : type.substr(slash + 1);
    GMimePart* part = g_mime_part_new_with_type(major.c_str(), minor.c_str());
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(a.bytes.data(), a.bytes.size()));
    GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(part, content.get());
    g_mime_part_set_filename(part, a.fileName.c_str());
    g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
    // RFC 2231 names in UTF-8, whatever smaller charset would do.
    auto utf8Param = [](GMimeParamList* list, const char* name) {
        if (GMimeParam* p = list ? g_mime_param_list_get_parameter(list, name) : nullptr) g_mime_param_set_charset(p, "utf-8");
    };
    utf8Param(g_mime_content_disposition_get_parameters(g_mime_object_get_content_disposition(GMIME_OBJECT(part))),
              "filename");
    utf8Param(g_mime_content_type_get_parameters(g_mime_object_get_content_type(GMIME_OBJECT(part))), "name");
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(part);
}

} // namespace

std::string toCrlf(const std::string& text)
{
    // Every mail passes here at least once, signed ones twice: the bytes
    // between line breaks are copied as runs, and the breaks found with
    // memchr, instead of a byte at a time.
    std::string out;
    out.reserve(text.size() + text.size() / 40);
    const char* p = text.data();
    const char* const end = p + text.size();
    const char* lf = nullptr; // the next LF at or after p; searched again once p has passed it
    bool lfSearched = false;
    while (p < end) {
        if (!lfSearched || (lf && lf < p)) {
            lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            lfSearched = true;
        }
        const char* stop = lf ? lf : end;
        if (const char* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(stop - p))))
            stop = cr;
        out.append(p, stop);
        if (stop == end) break;
        out += "\r\n";
        p = stop + 1;
        if (*stop == '\r' && p < end && *p == '\n') ++p;
    }
    return out;
}

std::string newMessageId(const std::string& senderAddress)
{
    unsigned char random[16];
    RAND_bytes(random, sizeof random);
    auto at = senderAddress.rfind('@');
    std::string domain = at == std::string::npos ? "erpmail.invalid" : senderAddress.substr(at + 1);
    return encoding::hexOf(random, sizeof random) + ".erpmail@" + domain;
}

ComposedMessage composeMessage(const OutgoingMessage& m)
{
    initGMime();
    checkAddresses("from", {m.from});
    checkAddresses("to", m.to);
    checkAddresses("cc", m.cc);
    checkAddresses("bcc", m.bcc);
    if (m.to.empty() && m.cc.empty() && m.bcc.empty()) throw CompositionError("to", "the message has no recipient");
    checkHeaderValue("subject", m.subject);
    for (std::size_t i = 0; i < m.attachments.size(); ++i) {
        const std::string f = "attachments[" + std::to_string(i) + "]";
        checkHeaderValue(f + ".file_name", m.attachments[i].fileName);
        checkHeaderValue(f + ".content_type", m.attachments[i].contentType);
        if (m.attachments[i].fileName.empty()) throw CompositionError(f + ".file_name", "an attachment needs a file name");
    }
    for (const auto& [name, value] : m.extraHeaders) checkHeaderValue(name, value);

    ComposedMessage out;
    out.messageId = m.messageId.empty() ? newMessageId(m.from.email) : m.messageId;
    checkHeaderValue("message_id", out.messageId);
    out.envelopeFrom = m.from.email;
    out.subject = m.subject;
    for (const auto* list : {&m.to, &m.cc, &m.bcc})
        for (const auto& a : *list)
            if (std::find(out.recipients.begin(), out.recipients.end(), a.email) == out.recipients.end())
                out.recipients.push_back(a.email);

    GPtr<GMimeMessage> message(g_mime_message_new(TRUE));
    g_mime_message_add_mailbox(message.get(), GMIME_ADDRESS_TYPE_FROM, m.from.name.c_str(), m.from.email.c_str());
    for (const auto& a : m.to) g_mime_message_add_mailbox(message.get(), GMIME_ADDRESS_TYPE_TO, a.name.c_str(), a.email.c_str());
    for (const auto& a : m.cc) g_mime_message_add_mailbox(message.get(), GMIME_ADDRESS_TYPE_CC, a.name.c_str(), a.email.c_str());
    // Bcc recipients are envelope-only: no header names them.
    g_mime_message_set_subject(message.get(), m.subject.c_str(), "utf-8");
    GDateTime* date = g_date_time_new_from_unix_utc(m.dateMs / 1000);
    g_mime_message_set_date(message.get(), date);
    g_date_time_unref(date);
    g_mime_message_set_message_id(message.get(), out.messageId.c_str());
    for (const auto& [name, value] : m.extraHeaders)
        g_mime_object_set_header(GMIME_OBJECT(message.get()), name.c_str(), value.c_str(), "utf-8");

    GMimeObject* body = nullptr;
    if (!m.text.empty() && !m.html.empty()) {
        GMimeMultipart* alternative = g_mime_multipart_new_with_subtype("alternative");
        GPtr<GMimeObject> text(textPart("plain", m.text, m.relaySafe)), html(textPart("html", m.html, m.relaySafe));
        g_mime_multipart_add(alternative, text.get());
        g_mime_multipart_add(alternative, html.get());
        body = GMIME_OBJECT(alternative);
    } else {
        body = textPart(m.html.empty() ? "plain" : "html", m.html.empty() ? m.text : m.html, m.relaySafe);
    }
    if (!m.attachments.empty()) {
        GMimeMultipart* mixed = g_mime_multipart_new_with_subtype("mixed");
        g_mime_multipart_add(mixed, body);
        g_object_unref(body);
        for (const auto& a : m.attachments) {
            GPtr<GMimeObject> part(attachmentPart(a));
            g_mime_multipart_add(mixed, part.get());
        }
        body = GMIME_OBJECT(mixed);
    }
    g_mime_message_set_mime_part(message.get(), body);
    g_object_unref(body);

    GMimeFormatOptions* options = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_format_options_set_param_encoding_method(options, GMIME_PARAM_ENCODING_METHOD_RFC2231);
    char* text = g_mime_object_to_string(GMIME_OBJECT(message.get()), options);
    g_mime_format_options_free(options);
    out.raw = text ? text : "";
    g_free(text);
    return out;
}

} // namespace erpmail::mime
