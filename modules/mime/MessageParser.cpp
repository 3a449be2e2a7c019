#include "mime/MessageParser.h"

#include "mime/TextDecoding.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace erpmail::mime {

namespace {

void initGMime()
{
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

template <class T>
struct GObjectPtr {
    T* p = nullptr;
    explicit GObjectPtr(T* ptr) : p(ptr) {}
    ~GObjectPtr()
    {
        if (p) g_object_unref(p);
    }
    GObjectPtr(const GObjectPtr&) = delete;
    GObjectPtr& operator=(const GObjectPtr&) = delete;
};

// The text as UTF-8, invalid bytes as U+FFFD (see toValidUtf8).
std::string validUtf8(const char* text, gssize length = -1)
{
    if (!text) return {};
    return toValidUtf8(std::string(text, length < 0 ? std::strlen(text) : static_cast<std::size_t>(length)));
}

std::string stripAngles(std::string s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
    return s;
}

void collectAddresses(InternetAddressList* list, std::vector<Address>& out)
{
    if (!list) return;
    int n = internet_address_list_length(list);
    for (int i = 0; i < n; ++i) {
        InternetAddress* a = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(a)) {
            collectAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out);
        } else if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
            out.push_back({validUtf8(internet_address_get_name(a)),
                           validUtf8(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)))});
        }
    }
}

// Converts text in `charset` to UTF-8. Bytes the charset cannot decode
// become U+FFFD one by one, so nothing silently disappears. An unknown
// charset is read as UTF-8.
std::string toUtf8(std::string bytes, std::string charset)
{
    std::transform(charset.begin(), charset.end(), charset.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii")
        return toValidUtf8(std::move(bytes));
    const char* canonical = g_mime_charset_iconv_name(charset.c_str());
    GIConv cd = g_iconv_open("UTF-8", canonical);
    if (cd == reinterpret_cast<GIConv>(-1)) return toValidUtf8(std::move(bytes));
    std::string out;
    char buffer[4096];
    gchar* in = const_cast<gchar*>(bytes.data());
    gsize inLeft = bytes.size();
    while (inLeft > 0) {
        gchar* outPtr = buffer;
        gsize outLeft = sizeof buffer;
        gsize rc = g_iconv(cd, &in, &inLeft, &outPtr, &outLeft);
        out.append(buffer, sizeof buffer - outLeft);
        if (rc == static_cast<gsize>(-1)) {
            if (errno == E2BIG) continue;
            out += "\xEF\xBF\xBD"; // EILSEQ or EINVAL: one undecodable byte
            ++in;
            --inLeft;
            g_iconv(cd, nullptr, nullptr, nullptr, nullptr);
        }
    }
    g_iconv_close(cd);
    return toValidUtf8(std::move(out));
}

// The part's content with its transfer encoding removed, decoded in chunks
// straight into the result: a large attachment is held once, not twice.
std::string partBytes(GMimePart* part)
{
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return {};
    GMimeStream* encoded = g_mime_data_wrapper_get_stream(content);
    if (!encoded || g_mime_stream_reset(encoded) == -1) return {};
    const GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    std::string out;
    if (const gint64 length = g_mime_stream_length(encoded); length > 0)
        out.reserve(static_cast<std::size_t>(encoding == GMIME_CONTENT_ENCODING_BASE64 ? length / 4 * 3 + 4 : length));
    // Buffers left uninitialised: zeroing them cost as much as a pass over
    // every mail's text.
    constexpr std::size_t kRead = 65536;
    std::unique_ptr<char[]> in(new char[kRead]);
    if (encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        // Most received text is quoted-printable: decoded a run at a time
        // rather than byte by byte; an escape cut off at the end of a chunk
        // waits for the next one.
        std::size_t carried = 0;
        for (;;) {
            const gssize n = g_mime_stream_read(encoded, in.get() + carried, kRead - carried);
            const bool last = n <= 0;
            const std::size_t have = carried + static_cast<std::size_t>(last ? 0 : n);
            const std::size_t used = decodeQuotedPrintable(std::string_view(in.get(), have), last, out);
            carried = have - used;
            if (last) break;
            std::memmove(in.get(), in.get() + used, carried);
        }
        return out;
    }
    GMimeEncoding state;
    g_mime_encoding_init_decode(&state, encoding);
    std::unique_ptr<char[]> decoded(new char[g_mime_encoding_outlen(&state, kRead) + 16]);
    for (;;) {
        const gssize n = g_mime_stream_read(encoded, in.get(), kRead);
        if (n <= 0) break;
        out.append(decoded.get(), g_mime_encoding_step(&state, in.get(), static_cast<size_t>(n), decoded.get()));
    }
    out.append(decoded.get(), g_mime_encoding_flush(&state, in.get(), 0, decoded.get()));
    return out;
}

std::string objectBytes(GMimeObject* object)
{
    GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new());
    g_mime_object_write_to_stream(object, nullptr, stream.p);
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.p));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

struct Walker {
    const ParseLimits& limits;
    ParsedMessage& out;
    int parts = 0;

    void walk(GMimeObject* object, int depth)
    {
        if (!out.warning.empty()) return;
        if (depth > limits.maxDepth) {
            out.warning = "multipart nesting deeper than " + std::to_string(limits.maxDepth) +
                          "; content beyond it was not extracted";
            return;
        }
        if (++parts > limits.maxParts) {
            out.warning = "more than " + std::to_string(limits.maxParts) + " MIME parts; the rest was not extracted";
            return;
        }
        if (GMIME_IS_MULTIPART(object)) {
            GMimeMultipart* multipart = GMIME_MULTIPART(object);
            int n = g_mime_multipart_get_count(multipart);
            for (int i = 0; i < n && out.warning.empty(); ++i) walk(g_mime_multipart_get_part(multipart, i), depth + 1);
            return;
        }
        GMimeContentType* type = g_mime_object_get_content_type(object);
        char* mimeType = type ? g_mime_content_type_get_mime_type(type) : g_strdup("application/octet-stream");
        std::string contentType = mimeType ? mimeType : "application/octet-stream";
        g_free(mimeType);
        std::transform(contentType.begin(), contentType.end(), contentType.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

        if (GMIME_IS_MESSAGE_PART(object)) {
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
            Attachment a;
            a.contentType = contentType;
            const char* subject = inner ? g_mime_message_get_subject(inner) : nullptr;
            a.originalFileName = validUtf8(subject && *subject ? subject : "message") + ".eml";
            a.fileName = safeFileName(a.originalFileName);
            if (limits.attachmentBytes && inner) a.bytes = objectBytes(GMIME_OBJECT(inner));
            out.attachments.push_back(std::move(a));
            return;
        }
        if (!GMIME_IS_PART(object)) return;
        GMimePart* part = GMIME_PART(object);
        const bool attachment = g_mime_part_is_attachment(part);
        const bool isText = contentType == "text/plain" || contentType == "text/html";
        std::string& body = contentType == "text/plain" ? out.text : out.html;
        if (!attachment && isText && body.empty()) {
            const char* charset = g_mime_object_get_content_type_parameter(object, "charset");
            body = toUtf8(partBytes(part), charset ? charset : "");
            return;
        }
        Attachment a;
        a.originalFileName = validUtf8(g_mime_part_get_filename(part));
        a.fileName = safeFileName(a.originalFileName);
        a.contentType = contentType;
        a.contentId = stripAngles(validUtf8(g_mime_object_get_content_id(object)));
        if (limits.attachmentBytes) a.bytes = partBytes(part);
        out.attachments.push_back(std::move(a));
    }
};

// The longest header field of the message's top-level header block.
std::size_t longestHeader(std::string_view raw)
{
    std::size_t longest = 0, current = 0;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t eol = raw.find('\n', pos);
        std::size_t end = eol == std::string_view::npos ? raw.size() : eol;
        std::string_view line = raw.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break; // end of the header block
        if (line[0] == ' ' || line[0] == '\t')
            current += line.size() + 2;
        else
            current = line.size() + 2;
        longest = std::max(longest, current);
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    return longest;
}

} // namespace

std::vector<Address> ParsedMessage::allAddresses() const
{
    std::vector<Address> all;
    for (const auto* list : {&from, &to, &cc, &replyTo})
        for (const auto& a : *list) {
            bool seen = std::any_of(all.begin(), all.end(), [&](const Address& b) {
                return g_ascii_strcasecmp(a.email.c_str(), b.email.c_str()) == 0;
            });
            if (!seen && !a.email.empty()) all.push_back(a);
        }
    return all;
}

std::string safeFileName(std::string_view name)
{
    std::string kept;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x20 || c == 0x7f) continue;
        const auto next = [&](std::size_t k) {
            return i + k < name.size() ? static_cast<unsigned char>(name[i + k]) : 0;
        };
        if (c == 0xc2 && next(1) >= 0x80 && next(1) <= 0x9f) { // C1 controls
            ++i;
            continue;
        }
        if (c == 0xe2 && ((next(1) == 0x80 && next(2) >= 0xaa && next(2) <= 0xae) ||
                          (next(1) == 0x81 && next(2) >= 0xa6 && next(2) <= 0xa9))) {
            i += 2;
            continue;
        }
        if (c == '/' || c == '\\')
            kept.clear(); // only the last path component stays
        else
            kept += static_cast<char>(c);
    }
    if (kept.size() >= 2 && std::isalpha(static_cast<unsigned char>(kept[0])) && kept[1] == ':') kept.erase(0, 2);
    const auto first = kept.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    kept = kept.substr(first, kept.find_last_not_of(' ') - first + 1);
    if (kept == "." || kept == "..") return {};
    return kept;
}

std::string formatAddresses(const std::vector<Address>& addresses)
{
    std::string out;
    for (const auto& a : addresses) {
        if (!out.empty()) out += ", ";
        out += a.name.empty() ? a.email : a.name + " <" + a.email + ">";
    }
    return out;
}

ParsedMessage parseMessage(std::string_view raw, const ParseLimits& limits)
{
    initGMime();
    ParsedMessage out;
    if (std::size_t longest = longestHeader(raw); longest > limits.maxHeaderBytes) {
        out.warning = "a header field of " + std::to_string(longest) + " bytes exceeds the limit of " +
                      std::to_string(limits.maxHeaderBytes) + "; the message is kept raw";
        return out;
    }
    // GMime reads the caller's bytes in place (a stream that does not own
    // them): a large mail is not copied. Declared before the stream and
    // every object parsed from it, so that it outlives them.
    GByteArray inPlace{reinterpret_cast<guint8*>(const_cast<char*>(raw.data())), static_cast<guint>(raw.size())};
    GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(&inPlace));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream.p), FALSE);
    GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
    GMimeParserOptions* options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    GObjectPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.p, options));
    g_mime_parser_options_free(options);
    if (!message.p) {
        out.warning = "not a parsable message; kept raw";
        return out;
    }
    GMimeMessage* m = message.p;
    out.subject = validUtf8(g_mime_message_get_subject(m));
    collectAddresses(g_mime_message_get_from(m), out.from);
    collectAddresses(g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO), out.to);
    collectAddresses(g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC), out.cc);
    collectAddresses(g_mime_message_get_reply_to(m), out.replyTo);
    if (GDateTime* date = g_mime_message_get_date(m)) out.dateMs = g_date_time_to_unix(date) * 1000;
    out.messageId = stripAngles(validUtf8(g_mime_message_get_message_id(m)));
    out.inReplyTo = stripAngles(validUtf8(g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To")));
    out.references = validUtf8(g_mime_object_get_header(GMIME_OBJECT(m), "References"));
    if (GMimeObject* body = g_mime_message_get_mime_part(m)) {
        Walker walker{limits, out};
        walker.walk(body, 0);
    }
    return out;
}

} // namespace erpmail::mime
