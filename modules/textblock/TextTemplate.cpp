#include "textblock/TextTemplate.h"

#include <algorithm>

namespace erpmail {

namespace {

bool isNameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

void remember(std::vector<std::string>& list, const std::string& name)
{
    if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

} // namespace

RenderedText renderTemplate(const std::string& text,
                            const std::function<std::optional<std::string>(const std::string&)>& lookup)
{
    RenderedText out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t open = text.find("{{", pos);
        if (open == std::string::npos) break;
        std::size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) break;
        std::size_t b = open + 2, e = close;
        while (b < e && text[b] == ' ') ++b;
        while (e > b && text[e - 1] == ' ') --e;
        std::string name = text.substr(b, e - b);
        bool valid = !name.empty() && std::all_of(name.begin(), name.end(), isNameChar);
        out.text.append(text, pos, open - pos);
        std::optional<std::string> value = valid ? lookup(name) : std::nullopt;
        if (value) {
            out.text += *value;
            remember(out.used, name);
        } else {
            out.text.append(text, open, close + 2 - open);
            if (valid) remember(out.missing, name);
        }
        pos = close + 2;
    }
    out.text.append(text, pos, std::string::npos);
    return out;
}

} // namespace erpmail
