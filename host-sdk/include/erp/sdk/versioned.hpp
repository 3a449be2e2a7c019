// Header-only C++ helpers over erp_plugin.h: reading versioned structs.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace erp::sdk {

/// Copies a struct that starts with `uint32_t struct_size` into a zeroed one
/// of this build's version: min(struct_size, sizeof(T)) bytes, so members the
/// sender did not know stay zero. Returns false for NULL or a size too small
/// to hold struct_size itself.
template <class T>
bool copyVersioned(const T* from, T& to)
{
    static_assert(std::is_trivially_copyable_v<T>, "ABI structs are plain C");
    std::memset(&to, 0, sizeof(T));
    if (from == nullptr || from->struct_size < sizeof(std::uint32_t)) return false;
    std::size_t n = from->struct_size < sizeof(T) ? from->struct_size : sizeof(T);
    std::memcpy(&to, from, n);
    return true;
}

/// True when a struct of the sender's size holds the member at `offset` of
/// `size` bytes, i.e. the sender knew that member.
inline bool hasMember(std::uint32_t structSize, std::size_t offset, std::size_t size)
{
    return structSize >= offset + size;
}

#define ERP_HAS_MEMBER(obj, member) \
    ::erp::sdk::hasMember((obj).struct_size, offsetof(std::remove_reference_t<decltype(obj)>, member), \
                          sizeof((obj).member))

} // namespace erp::sdk
