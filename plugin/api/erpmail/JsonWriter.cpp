#include "erpmail/JsonWriter.h"

#include <utility>

namespace erpmail {

namespace {

// Poco's escaping (Poco::toJSON): control characters, the quote and the
// backslash; every other byte, UTF-8 or not, as it is.
void appendEscaped(std::string& out, std::string_view text)
{
    static const char hex[] = "0123456789ABCDEF";
    out += '"';
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 32 && c != '"' && c != '\\') continue;
        out.append(text, run, i - run);
        run = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out.append(text, run, text.size() - run);
    out += '"';
}

} // namespace

void JsonWriter::separate()
{
    if (afterValue_) out_ += ',';
    afterValue_ = true;
}

JsonWriter& JsonWriter::open(char bracket)
{
    separate();
    out_ += bracket;
    afterValue_ = false;
    return *this;
}

JsonWriter& JsonWriter::close(char bracket)
{
    out_ += bracket;
    afterValue_ = true;
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name)
{
    separate();
    appendEscaped(out_, name);
    out_ += ':';
    afterValue_ = false;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text)
{
    separate();
    appendEscaped(out_, text);
    return *this;
}

JsonWriter& JsonWriter::value(std::int64_t number)
{
    separate();
    out_ += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag)
{
    separate();
    out_ += flag ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null()
{
    separate();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json)
{
    separate();
    out_ += json;
    return *this;
}

std::string JsonWriter::take()
{
    afterValue_ = false;
    return std::exchange(out_, {});
}

} // namespace erpmail
