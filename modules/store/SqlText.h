// Text that goes into SQL as a parameter and must keep its meaning there.
#pragma once

#include <string>

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

} // namespace erpmail::store
