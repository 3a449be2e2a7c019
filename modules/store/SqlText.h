// Text that goes into SQL as a parameter and must keep its meaning there.
#pragma once

#include <string>
#include <vector>

namespace erpmail::store {

/// A LIKE pattern that matches `inner` literally anywhere, for
/// `LIKE ? ESCAPE '!'`: its own %, _ and ! are escaped.
inline std::string likeContaining(const std::string& inner)
{
    std::string pattern = "%";
    for (char c : inner) {
        if (c == '%' || c == '_' || c == '!') pattern += '!';
        pattern += c;
    }
    return pattern + "%";
}

/// A list kept in one text column, comma-separated ("a,b"); the items hold no comma.
inline std::string joinCommaList(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

/// The items of a joinCommaList() text; empty items are dropped.
inline std::vector<std::string> splitCommaList(const std::string& text)
{
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t comma = text.find(',', at);
        if (comma == std::string::npos) comma = text.size();
        if (comma > at) out.push_back(text.substr(at, comma - at));
        at = comma + 1;
    }
    return out;
}

} // namespace erpmail::store
