#include "textblock/TextTemplate.h"

#include <algorithm>
#include <unordered_set>

namespace erpmail {

namespace {

bool isNameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

// Keeps the order of first use; the set keeps a text of many distinct names linear.
void remember(std::vector<std::string>& list, std::unordered_set<std::string>& seen, const std::string& name)
{
    if (seen.insert(name).second) list.push_back(name);
}

} // namespace

RenderedText renderTemplate(const std::string& text,
                            const std::function<std::optional<std::string>(const std::string&)>& lookup,
                            std::size_t maxBytes)
{
    RenderedText out;
    std::unordered_set<std::string> used, missing;
    // A short text that names a long value many times would otherwise grow
    // without bound: check each piece before it is appended.
    auto append = [&](const std::string& from, std::size_t at, std::size_t length) {
        length = std::min(length, from.size() - at);
        if (length > maxBytes - out.text.size())
            throw RenderedTextTooLarge("the filled text would be longer than " + std::to_string(maxBytes) + " bytes");
        out.text.append(from, at, length);
    };
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
        append(text, pos, open - pos);
        std::optional<std::string> value = valid ? lookup(name) : std::nullopt;
        if (value) {
            append(*value, 0, value->size());
            remember(out.used, used, name);
        } else {
            append(text, open, close + 2 - open);
            if (valid) remember(out.missing, missing, name);
        }
        pos = close + 2;
    }
    append(text, pos, std::string::npos);
    return out;
}

} // namespace erpmail
