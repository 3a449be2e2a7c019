// What the message parser needs of GMime: owning pointers, one parse of
// bytes read in place, parser options, and a part's bytes decoded.
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <string_view>
#include <vector>

namespace erpmail::mime {

/// Initialises GMime once per process.
void initGMime();

/// Owns a reference to a GObject, dropped when it goes.
template <class T>
struct GObjectPtr {
    T* p = nullptr;
    explicit GObjectPtr(T* ptr) : p(ptr) {}
    ~GObjectPtr()
    {
        if (p) g_object_unref(p);
    }
    GObjectPtr(GObjectPtr&& other) noexcept : p(other.p) { other.p = nullptr; }
    GObjectPtr(const GObjectPtr&) = delete;
    GObjectPtr& operator=(const GObjectPtr&) = delete;
};

/// Options for reading mail as it is written, not as the RFCs ask
/// (loose RFC 2047 and parameter compliance); the caller frees them.
GMimeParserOptions* newParserOptions();

/// The part's content with its transfer encoding removed, decoded in chunks
/// straight into the result: a large attachment is held once, not twice.
std::string partBytes(GMimePart* part);

/// The object as written out by GMime (an attached message as .eml).
std::string objectBytes(GMimeObject* object);

/// One GMime parse of bytes that the caller keeps alive: GMime reads them in
/// place, a large mail is not copied. Remembers where GMime met a line in a
/// header block that is not a header field.
class GMimeRun {
public:
    explicit GMimeRun(std::string_view bytes)
        : bytes_{reinterpret_cast<guint8*>(const_cast<char*>(bytes.data())), static_cast<guint>(bytes.size())},
          stream_(g_mime_stream_mem_new_with_byte_array(&bytes_)), message_(nullptr)
    {
        g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream_.p), FALSE);
        GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream_.p));
        GMimeParserOptions* options = newParserOptions();
        g_mime_parser_options_set_warning_callback(options, &GMimeRun::onWarning, this);
        message_.p = g_mime_parser_construct_message(parser.p, options);
        g_mime_parser_options_free(options);
    }
    GMimeRun(const GMimeRun&) = delete;
    GMimeRun& operator=(const GMimeRun&) = delete;

    GMimeMessage* message() const { return message_.p; }
    const std::vector<std::size_t>& notHeaderLines() const { return notHeaderLines_; }

private:
    static void onWarning(gint64 offset, GMimeParserWarning code, const gchar*, gpointer self)
    {
        if (code == GMIME_CRIT_INVALID_HEADER_NAME && offset >= 0)
            static_cast<GMimeRun*>(self)->notHeaderLines_.push_back(static_cast<std::size_t>(offset));
    }

    GByteArray bytes_;
    GObjectPtr<GMimeStream> stream_;
    GObjectPtr<GMimeMessage> message_;
    std::vector<std::size_t> notHeaderLines_;
};

} // namespace erpmail::mime
