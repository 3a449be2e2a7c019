#include "transport/common/ServerText.h"

#include <algorithm>
#include <cctype>

namespace erpmail::transport {

std::string serverText(std::string_view text, std::size_t maxBytes)
{
    bool cut = false;
    if (text.size() > maxBytes) {
        std::size_t end = maxBytes;
        // Never half a character: back off over UTF-8 continuation bytes.
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
        text = text.substr(0, end);
        cut = true;
    }
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() + 3);
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7F)
            out += ch;
        else if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else
            out.append("\\x").append(1, hex[c >> 4]).append(1, hex[c & 0xF]);
    }
    if (cut) out += "...";
    return out;
}

std::string upperCase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

} // namespace erpmail::transport
