// Parsing a received message with GMime: its headers and the walk over its
// parts into texts and attachments, after the repairs of MessageRepairs.
#include "mime/MessageParser.h"

#include "mime/HeaderText.h"
#include "mime/GMimeReading.h"
#include "mime/MessageRepairs.h"
#include "mime/TextDecoding.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace erpmail::mime {

namespace {

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

std::string lowerAscii(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The signature part of a multipart/signed: S/MIME's or OpenPGP's.
bool isSignature(GMimeObject* object)
{
    GMimeContentType* type = g_mime_object_get_content_type(object);
    if (!type) return false;
    char* mimeType = g_mime_content_type_get_mime_type(type);
    const std::string t = lowerAscii(mimeType ? mimeType : "");
    g_free(mimeType);
    return t == "application/pkcs7-signature" || t == "application/x-pkcs7-signature" ||
           t == "application/pgp-signature";
}

// A header's value as written, before GMime decodes it.
std::optional<std::string_view> rawHeader(GMimeObject* object, const char* name)
{
    GMimeHeaderList* headers = g_mime_object_get_header_list(object);
    GMimeHeader* header = headers ? g_mime_header_list_get_header(headers, name) : nullptr;
    const char* raw = header ? g_mime_header_get_raw_value(header) : nullptr;
    if (!raw) return std::nullopt;
    return std::string_view(raw);
}

// GMime decodes encoded words one run of equal words at a time and loses a
// character split between two B words: such text is decoded again whole.
std::string headerText(const char* decodedByGMime, std::optional<std::string_view> raw)
{
    if (raw && raw->find("=?") != std::string_view::npos) return std::string(trimmed(decodeHeaderText(*raw)));
    return validUtf8(decodedByGMime);
}

std::string messageSubject(GMimeMessage* message)
{
    return headerText(g_mime_message_get_subject(message), rawHeader(GMIME_OBJECT(message), "Subject"));
}

// The file name an object was sent with: GMime's reading (RFC 2231 and
// RFC 2047), except for encoded words that GMime decodes wrongly and a
// name parameter of a Content-Type that GMime refused as a whole.
std::string sentFileName(GMimeObject* object, const char* gmimeName)
{
    const std::pair<const char*, const char*> sources[] = {{"Content-Disposition", "filename"},
                                                           {"Content-Type", "name"}};
    for (const auto& [header, parameter] : sources) {
        const auto raw = rawHeader(object, header);
        if (!raw) continue;
        if (auto value = headerParameter(*raw, parameter)) {
            if (value->find("=?") != std::string::npos || !gmimeName) return decodeHeaderText(*value);
            break;
        }
        if (hasExtendedParameter(*raw, parameter)) break;
    }
    return validUtf8(gmimeName);
}

// Addresses as GMime reads them; a header that holds text GMime cannot read
// as addresses keeps a readable name (and the address, if one is there).
void collectHeaderAddresses(GMimeMessage* message, InternetAddressList* list, const char* header,
                            std::vector<Address>& out)
{
    const auto raw = rawHeader(GMIME_OBJECT(message), header);
    if (raw && raw->find("=?") != std::string_view::npos) {
        // Names in encoded words that split a character: parsed again with
        // each run of words joined into one.
        GMimeParserOptions* options = newParserOptions();
        InternetAddressList* joined = internet_address_list_parse(options, joinEncodedWords(*raw).c_str());
        g_mime_parser_options_free(options);
        if (joined) {
            collectAddresses(joined, out);
            const bool found = internet_address_list_length(joined) > 0;
            g_object_unref(joined);
            if (found) return;
            out.clear();
        }
    }
    collectAddresses(list, out);
    if (list && internet_address_list_length(list) > 0) return;
    const char* decoded = g_mime_object_get_header(GMIME_OBJECT(message), header);
    if (decoded) out = lenientAddresses(validUtf8(decoded));
}

// A name for an attached message that did not bring one: its subject, with
// no path separators (and nothing safeFileName removes).
std::string nameFromSubject(GMimeMessage* inner)
{
    std::string subject = inner ? messageSubject(inner) : std::string();
    if (trimmed(subject).empty()) subject = "message";
    std::replace(subject.begin(), subject.end(), '/', '_');
    std::replace(subject.begin(), subject.end(), '\\', '_');
    return safeFileName(subject + ".eml");
}

struct Walker {
    const ParseLimits& limits;
    ParsedMessage& out;
    std::vector<std::string>& warnings;
    int parts = 0;
    bool stopped = false;
    std::vector<GObjectPtr<GMimeObject>> recovered; ///< parts read again, alive while walking

    void walk(GMimeObject* object, int depth)
    {
        if (stopped) return;
        if (depth > limits.maxDepth) {
            warnings.push_back("multipart nesting deeper than " + std::to_string(limits.maxDepth) +
                               "; content beyond it was not extracted");
            stopped = true;
            return;
        }
        if (++parts > limits.maxParts) {
            warnings.push_back("more than " + std::to_string(limits.maxParts) +
                               " MIME parts; the rest was not extracted");
            stopped = true;
            return;
        }
        GMimeContentType* type = g_mime_object_get_content_type(object);
        char* mimeType = type ? g_mime_content_type_get_mime_type(type) : g_strdup("application/octet-stream");
        std::string contentType = lowerAscii(mimeType ? mimeType : "application/octet-stream");
        g_free(mimeType);

        if (GMIME_IS_MULTIPART(object)) {
            GMimeMultipart* multipart = GMIME_MULTIPART(object);
            int n = g_mime_multipart_get_count(multipart);
            if (n == 0) return recover(multipart, contentType, depth);
            for (int i = 0; i < n && !stopped; ++i) {
                GMimeObject* child = g_mime_multipart_get_part(multipart, i);
                // The signature of a multipart/signed is shown as the mail's
                // security, not offered as a file.
                if (contentType == "multipart/signed" && i > 0 && i == n - 1 && isSignature(child)) continue;
                walk(child, depth + 1);
            }
            return;
        }
        if (GMIME_IS_MESSAGE_PART(object)) {
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
            Attachment a;
            a.contentType = contentType;
            const char* sent = g_mime_object_get_content_disposition_parameter(object, "filename");
            if (!sent) sent = g_mime_object_get_content_type_parameter(object, "name");
            a.originalFileName = sentFileName(object, sent);
            a.fileName = safeFileName(a.originalFileName);
            if (a.fileName.empty()) a.originalFileName = a.fileName = nameFromSubject(inner);
            if (limits.attachmentBytes && inner) a.bytes = objectBytes(GMIME_OBJECT(inner));
            out.attachments.push_back(std::move(a));
            return;
        }
        if (!GMIME_IS_PART(object)) return;
        GMimePart* part = GMIME_PART(object);
        // RFC 2045 §5.2: a Content-Type that is not type/subtype means
        // text/plain. GMime makes it application/octet-stream.
        std::string charset = validUtf8(g_mime_object_get_content_type_parameter(object, "charset"));
        bool invalidType = false;
        if (contentType == "application/octet-stream") {
            if (const auto raw = rawHeader(object, "Content-Type")) {
                const std::string written = lowerAscii(std::string(trimmed(raw->substr(0, raw->find(';')))));
                if (written != "application/octet-stream") {
                    invalidType = true;
                    contentType = "text/plain";
                    charset = headerParameter(*raw, "charset").value_or("");
                    warnings.push_back("Content-Type \"" + validUtf8(written.substr(0, 100).c_str()) +
                                       "\" is not a type/subtype; read as text/plain (RFC 2045 section 5.2)");
                }
            }
        }
        std::string fileName = sentFileName(object, g_mime_part_get_filename(part));
        const bool attachment = g_mime_part_is_attachment(part) || (invalidType && !fileName.empty());
        const bool isText = contentType == "text/plain" || contentType == "text/html";
        std::string& body = contentType == "text/plain" ? out.text : out.html;
        if (!attachment && isText && body.empty()) {
            body = charsetToUtf8(partBytes(part), charset);
            return;
        }
        Attachment a;
        a.originalFileName = std::move(fileName);
        a.fileName = safeFileName(a.originalFileName);
        a.contentType = contentType;
        a.contentId = stripAngles(validUtf8(g_mime_object_get_content_id(object)));
        if (limits.attachmentBytes) a.bytes = partBytes(part);
        out.attachments.push_back(std::move(a));
    }

    // A multipart in which GMime found no part: its boundary parameter is
    // missing, cut short or never used. Read again with the boundary its
    // body uses; failing that, its body is the text.
    void recover(GMimeMultipart* multipart, const std::string& contentType, int depth)
    {
        std::string body =
            validUtf8(g_mime_multipart_get_prologue(multipart)) + validUtf8(g_mime_multipart_get_epilogue(multipart));
        const char* declared = g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "boundary");
        const std::string what =
            declared ? contentType + " whose boundary \"" + validUtf8(declared) + "\" does not occur in its body"
                     : contentType + " without a boundary parameter";
        if (const std::string boundary = boundaryInBody(body); !boundary.empty()) {
            const std::string again = "Content-Type: " + contentType + "; boundary=\"" + boundary + "\"\r\n\r\n" + body;
            GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(again.data(), again.size()));
            GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
            GMimeParserOptions* options = newParserOptions();
            GMimeObject* read = g_mime_parser_construct_part(parser.p, options);
            g_mime_parser_options_free(options);
            if (read) recovered.emplace_back(read);
            if (read && GMIME_IS_MULTIPART(read) && g_mime_multipart_get_count(GMIME_MULTIPART(read)) > 0) {
                warnings.push_back(what + "; its parts were read with the boundary \"" + boundary + "\" it uses");
                --parts;
                return walk(read, depth);
            }
        }
        if (trimmed(body).empty()) return;
        warnings.push_back(what + "; its content is shown as text");
        if (!out.text.empty()) out.text += "\r\n";
        // GMime keeps a multipart's preamble with bare line feeds.
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) out.text += '\r';
            out.text += body[i];
        }
    }
};

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
        out += a.name.empty() ? a.email : a.email.empty() ? a.name : a.name + " <" + a.email + ">";
    }
    return out;
}

ParsedMessage parseMessage(std::string_view raw, const ParseLimits& limits)
{
    initGMime();
    ParsedMessage out;
    std::vector<std::string> warnings;
    // Repaired copies, made only when needed; declared before the runs that
    // read them in place, so that they outlive every object parsed from them.
    const std::string cut = cutLongHeaders(raw, limits.maxHeaderBytes, warnings);
    std::string_view input = cut.empty() ? raw : std::string_view(cut);
    // GMime builds every part before the walk below can stop at maxParts: a
    // 1 MiB mail of nothing but boundary lines made 150,000 parts (200 MB).
    // The bytes after the line that could begin part maxParts + 2 stay unread.
    if (const std::size_t end = delimiterLinesEnd(input, static_cast<std::size_t>(limits.maxParts) + 1);
        end != std::string_view::npos) {
        input = input.substr(0, end);
        warnings.push_back("more than " + std::to_string(limits.maxParts + 1) +
                           " lines begin like a MIME boundary; the message was read up to byte " +
                           std::to_string(end) + " of it");
    }
    std::string blankLinesAdded;
    std::optional<GMimeRun> first, second;
    first.emplace(input);
    const GMimeRun* run = &*first;
    if (const auto missing = missingBlankLines(input, first->notHeaderLines()); !missing.empty()) {
        blankLinesAdded = withBlankLines(input, missing);
        second.emplace(blankLinesAdded);
        if (second->message()) {
            input = blankLinesAdded;
            run = &*second;
            warnings.push_back(std::to_string(missing.size()) +
                               (missing.size() == 1 ? " header block runs" : " header blocks run") +
                               " into its content without a blank line; the content was read from the first line "
                               "that is not a header field");
        }
    }
    GMimeMessage* m = run->message();
    if (!m) {
        warnings.push_back("not a parsable message; kept raw");
        for (const auto& w : warnings)
            out.warning += (out.warning.empty() ? "" : "; ") + w;
        return out;
    }
    out.subject = messageSubject(m);
    collectHeaderAddresses(m, g_mime_message_get_from(m), "From", out.from);
    collectHeaderAddresses(m, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO), "To", out.to);
    collectHeaderAddresses(m, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC), "Cc", out.cc);
    collectHeaderAddresses(m, g_mime_message_get_reply_to(m), "Reply-To", out.replyTo);
    if (GDateTime* date = g_mime_message_get_date(m)) out.dateMs = g_date_time_to_unix(date) * 1000;
    out.messageId = stripAngles(validUtf8(g_mime_message_get_message_id(m)));
    out.inReplyTo = stripAngles(validUtf8(g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To")));
    out.references = validUtf8(g_mime_object_get_header(GMIME_OBJECT(m), "References"));
    if (GMimeObject* body = g_mime_message_get_mime_part(m)) {
        Walker walker{limits, out, warnings, 0, false, {}};
        walker.walk(body, 0);
    }
    // Never an empty mail for bytes that hold text: lines GMime skipped in
    // a header block are what is left to show.
    if (out.text.empty() && out.html.empty() && out.attachments.empty() && !run->notHeaderLines().empty()) {
        for (std::size_t at : run->notHeaderLines()) {
            if (at >= input.size()) continue;
            const std::size_t eol = input.find('\n', at);
            out.text += std::string(input.substr(at, eol == std::string_view::npos ? eol : eol + 1 - at));
        }
        out.text = toValidUtf8(std::move(out.text));
        warnings.push_back("the message has lines in its header that are not header fields; they are shown as text");
    }
    for (const auto& w : warnings)
        out.warning += (out.warning.empty() ? "" : "; ") + w;
    return out;
}

} // namespace erpmail::mime
