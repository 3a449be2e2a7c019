// What the message parser needs of GMime: parser options, and a part's
// bytes decoded in chunks.
#include "mime/GMimeReading.h"

#include "mime/TextDecoding.h"

#include <cstring>
#include <memory>
#include <mutex>

namespace erpmail::mime {

void initGMime()
{
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

GMimeParserOptions* newParserOptions()
{
    GMimeParserOptions* options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    return options;
}

std::string partBytes(GMimePart* part)
{
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return {};
    GMimeStream* encoded = g_mime_data_wrapper_get_stream(content);
    if (!encoded || g_mime_stream_reset(encoded) == -1) return {};
    const GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    std::string out;
    const gint64 length = g_mime_stream_length(encoded);
    if (length > 0)
        out.reserve(static_cast<std::size_t>(encoding == GMIME_CONTENT_ENCODING_BASE64 ? length / 4 * 3 + 4 : length));
    // Buffers left uninitialised: zeroing them cost as much as a pass over
    // every mail's text. No larger than the part (but at least 4 KiB): a
    // mail of a thousand small parts took two 64 KiB buffers for each.
    const std::size_t chunkSize = length >= 0 && length < 65536 - 4096 ? static_cast<std::size_t>(length) + 4096 : 65536;
    std::unique_ptr<char[]> in(new char[chunkSize]);
    if (encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        // Most received text is quoted-printable: decoded a run at a time
        // rather than byte by byte; an escape cut off at the end of a chunk
        // waits for the next one.
        std::size_t carried = 0;
        for (;;) {
            const gssize n = g_mime_stream_read(encoded, in.get() + carried, chunkSize - carried);
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
    std::unique_ptr<char[]> decoded(new char[g_mime_encoding_outlen(&state, chunkSize) + 16]);
    for (;;) {
        const gssize n = g_mime_stream_read(encoded, in.get(), chunkSize);
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

} // namespace erpmail::mime
