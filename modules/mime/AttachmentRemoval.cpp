#include "mime/AttachmentRemoval.h"

#include "encoding/Hex.h"
#include "mime/MessageParser.h"
#include "mime/MessageRepairs.h"

#include <gmime/gmime.h>
#include <openssl/evp.h>

#include <memory>
#include <mutex>

namespace erpmail::mime {

namespace {

struct Unref {
    void operator()(gpointer p) const
    {
        if (p) g_object_unref(p);
    }
};
template <class T> using GPtr = std::unique_ptr<T, Unref>;

std::string streamBytes(GMimeStream* stream)
{
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// The decoded content of a leaf, as the parser stores an attachment: a
// part's bytes without transfer encoding, an attached message as written.
std::string decoded(GMimeObject* object)
{
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    if (GMIME_IS_MESSAGE_PART(object)) {
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (inner) g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, out.get());
    } else if (GMIME_IS_PART(object)) {
        GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(object));
        if (content) g_mime_data_wrapper_write_to_stream(content, out.get());
    }
    return streamBytes(out.get());
}

GMimeObject* placeholderPart(const std::string& text)
{
    GMimeTextPart* part = g_mime_text_part_new_with_subtype("plain");
    std::string body;
    for (char c : text) {
        if (c == '\n') body += '\r';
        body += c;
    }
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(body.data(), body.size()));
    GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(GMIME_PART(part), content.get());
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
    g_mime_object_set_disposition(GMIME_OBJECT(part), "inline");
    g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    return GMIME_OBJECT(part);
}

PartRemoval* wanted(GMimeObject* leaf, std::vector<PartRemoval>& removals)
{
    const std::string hash = sha256Of(decoded(leaf));
    for (auto& r : removals)
        if (!r.done && r.sha256 == hash) return &r;
    return nullptr;
}

void replaceIn(GMimeMultipart* multipart, std::vector<PartRemoval>& removals, int depth)
{
    if (depth > 100) return;
    const int n = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < n; ++i) {
        GMimeObject* child = g_mime_multipart_get_part(multipart, i);
        if (GMIME_IS_MULTIPART(child)) {
            replaceIn(GMIME_MULTIPART(child), removals, depth + 1);
            continue;
        }
        if (PartRemoval* r = wanted(child, removals)) {
            GPtr<GMimeObject> replacement(placeholderPart(r->placeholder));
            GMimeObject* old = g_mime_multipart_replace(multipart, i, replacement.get());
            if (old) g_object_unref(old);
            r->done = true;
        }
    }
}

} // namespace

std::string sha256Of(std::string_view bytes)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    return encoding::hexOf(digest, length);
}

std::optional<std::string> removeParts(std::string_view raw, std::vector<PartRemoval>& removals)
{
    // GMime would build a part for each line that begins like a boundary (a
    // 20 MB mail of them: 3 million parts); a message with more than the
    // parser reads is left as it is.
    if (delimiterLinesEnd(raw, static_cast<std::size_t>(ParseLimits{}.maxParts) + 1) != std::string_view::npos)
        return std::nullopt;
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
    if (!message) return std::nullopt;
    GMimeObject* body = g_mime_message_get_mime_part(message.get());
    if (!body) return std::nullopt;
    if (GMIME_IS_MULTIPART(body)) {
        replaceIn(GMIME_MULTIPART(body), removals, 0);
    } else if (PartRemoval* r = wanted(body, removals)) {
        GPtr<GMimeObject> replacement(placeholderPart(r->placeholder));
        g_mime_message_set_mime_part(message.get(), replacement.get());
        r->done = true;
    }
    GMimeFormatOptions* options = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
    char* text = g_mime_object_to_string(GMIME_OBJECT(message.get()), options);
    g_mime_format_options_free(options);
    std::string out = text ? text : "";
    g_free(text);
    return out;
}

} // namespace erpmail::mime
