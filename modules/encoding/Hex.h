// Bytes as lowercase hexadecimal text: digests, fingerprints, key ids,
// random boundaries and identifiers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace erpmail::encoding {

/// Two lowercase hexadecimal digits per byte.
std::string hexOf(const void* bytes, std::size_t size);
inline std::string hexOf(std::string_view bytes)
{
    return hexOf(bytes.data(), bytes.size());
}

} // namespace erpmail::encoding
