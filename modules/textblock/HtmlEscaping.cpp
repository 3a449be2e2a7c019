// How a text becomes safe HTML: escapeHtml and htmlLines, declared in Template.h beside the Html escaping they serve.
#include "textblock/Template.h"

namespace erpmail::textblock {

std::string escapeHtml(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string htmlLines(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : escapeHtml(text)) {
        if (c == '\n') out += "<br>";
        else if (c != '\r') out += c;
    }
    return out;
}

} // namespace erpmail::textblock
