#include "UiResources.h"

#include <erp/sdk/firewall.hpp>
#include <erp/sdk/sink.hpp>

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

namespace erpmail {

std::optional<std::string> uiPathRefusal(const std::string& path)
{
    for (unsigned char c : path) {
        if (c < 0x20 || c == 0x7f) return std::string("the path holds a control character");
        if (c == '\\') return std::string("the path holds a backslash");
    }
    if (path.empty()) return std::nullopt;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string segment = path.substr(start, end - start);
        if (segment == "." || segment == "..") return "the path holds a '" + segment + "' segment";
        if (segment.empty()) return std::string("the path holds an empty segment");
        start = end + 1;
    }
    return std::nullopt;
}

std::string uiContentType(const std::string& path)
{
    static const std::map<std::string, std::string> types{{"html", "text/html; charset=utf-8"},
                                                          {"js", "text/javascript; charset=utf-8"},
                                                          {"mjs", "text/javascript; charset=utf-8"},
                                                          {"css", "text/css; charset=utf-8"},
                                                          {"json", "application/json"},
                                                          {"map", "application/json"},
                                                          {"svg", "image/svg+xml"},
                                                          {"png", "image/png"},
                                                          {"jpg", "image/jpeg"},
                                                          {"ico", "image/x-icon"},
                                                          {"woff2", "font/woff2"},
                                                          {"woff", "font/woff"},
                                                          {"txt", "text/plain; charset=utf-8"},
                                                          {"webmanifest", "application/manifest+json"}};
    const std::size_t slash = path.rfind('/');
    const std::size_t dot = path.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "application/octet-stream";
    auto it = types.find(path.substr(dot + 1));
    return it == types.end() ? "application/octet-stream" : it->second;
}

erp_status serveUiResource(const std::vector<UiFile>& files, const char* rawPath, erp_sink* bytes,
                           erp_sink* meta) noexcept
{
    return erp::sdk::firewall(bytes, [&] {
        if (rawPath == nullptr) return ERP_INVALID_ARGUMENT;
        std::string path = *rawPath ? rawPath : "index.html";
        if (auto why = uiPathRefusal(path)) {
            erp::sdk::writeTo(bytes, "path '" + path + "' refused: " + *why);
            return ERP_INVALID_ARGUMENT;
        }
        auto it = std::lower_bound(files.begin(), files.end(), path,
                                   [](const UiFile& f, const std::string& p) { return f.path < p; });
        if (it == files.end() || it->path != path) return ERP_NOT_FOUND;
        Poco::JSON::Object info;
        info.set("content_type", uiContentType(path));
        info.set("etag", "\"" + std::string(it->sha256).substr(0, 32) + "\"");
        std::ostringstream text;
        info.stringify(text);
        if (!erp::sdk::writeTo(bytes, std::string_view(reinterpret_cast<const char*>(it->bytes), it->size)) ||
            !erp::sdk::writeTo(meta, text.str()))
            return ERP_ERROR;
        return ERP_OK;
    });
}

} // namespace erpmail
