// The plugin's web screens: a static bundle embedded at build time
// (cmake/EmbedUi.cmake), served to the host through the ABI's ui_resource.
#pragma once

#include <erp/erp_plugin.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

/// One file of the embedded bundle.
struct UiFile {
    const char* path; ///< relative to the bundle's root ("assets/app.js")
    const unsigned char* bytes;
    std::size_t size;
    const char* sha256; ///< hex digest of the bytes
};

/// Every file of the bundle, sorted by path (generated into the build).
const std::vector<UiFile>& embeddedUiFiles();

/// Why a requested path is refused: a "." or ".." segment, an empty segment,
/// a backslash or a control character; nullopt when it may be looked up.
std::optional<std::string> uiPathRefusal(const std::string& path);

/// The Content-Type a file is served with, chosen by its extension.
std::string uiContentType(const std::string& path);

/// The ABI's ui_resource over files: the bytes and {"content_type","etag"}
/// of path ("" is "index.html"); ERP_NOT_FOUND for a path not in files,
/// ERP_INVALID_ARGUMENT with the reason in bytes for a refused one.
erp_status serveUiResource(const std::vector<UiFile>& files, const char* path, erp_sink* bytes,
                           erp_sink* meta) noexcept;

} // namespace erpmail
