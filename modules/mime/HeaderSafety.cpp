#include "mime/HeaderSafety.h"

#include <cstring>

namespace erpmail::mime {

bool hasControlCharacters(const std::string& text)
{
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    return false;
}

bool isValidMailbox(const std::string& address)
{
    if (address.size() > 254 || hasControlCharacters(address)) return false;
    const auto at = address.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == address.size()) return false;
    const std::string local = address.substr(0, at), domain = address.substr(at + 1);
    if (local.size() > 64) return false;
    for (unsigned char c : local)
        if (c <= ' ' || std::strchr("\"<>()[],;:\\@", c)) return false;
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) return false;
    if (domain.find('.') == std::string::npos) return false;
    std::size_t labelStart = 0;
    while (labelStart <= domain.size()) {
        std::size_t dot = domain.find('.', labelStart);
        std::size_t end = dot == std::string::npos ? domain.size() : dot;
        std::size_t len = end - labelStart;
        if (len == 0 || len > 63) return false;
        if (domain[labelStart] == '-' || domain[end - 1] == '-') return false;
        for (std::size_t i = labelStart; i < end; ++i) {
            unsigned char c = static_cast<unsigned char>(domain[i]);
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
            if (!ok) return false;
        }
        if (dot == std::string::npos) break;
        labelStart = dot + 1;
    }
    return true;
}

} // namespace erpmail::mime
