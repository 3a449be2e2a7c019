// Memory for keys and opened secrets: OpenSSL's secure heap, kept out of
// core dumps where the system allows it, and wiped when freed.
#include "account/SecretBox.h"

#include <openssl/crypto.h>

#include <mutex>
#include <new>
#include <utility>

namespace erpmail {

namespace {

// Locked pages that core dumps leave out (OpenSSL sets MADV_DONTDUMP on
// them); when the system refuses, allocations fall back to the ordinary
// heap and are still wiped when freed.
void initSecureHeap()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (!CRYPTO_secure_malloc_initialized()) CRYPTO_secure_malloc_init(64 * 1024, 32);
    });
}

} // namespace

SecretBytes::SecretBytes(std::size_t size) : size_(size)
{
    initSecureHeap();
    const std::size_t n = size ? size : 1;
    data_ = static_cast<unsigned char*>(OPENSSL_secure_zalloc(n));
    if (!data_) data_ = static_cast<unsigned char*>(OPENSSL_zalloc(n)); // secure heap full: wiped all the same
    if (!data_) throw std::bad_alloc();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0))
{
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept
{
    if (this != &other) {
        SecretBytes gone(std::move(*this));
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SecretBytes::~SecretBytes()
{
    if (data_) OPENSSL_secure_clear_free(data_, size_ ? size_ : 1);
}

void SecretBytes::shrink(std::size_t size)
{
    if (size >= size_) return;
    OPENSSL_cleanse(data_ + size, size_ - size);
    size_ = size;
}

void wipe(std::string& s)
{
    if (s.capacity()) OPENSSL_cleanse(&s[0], s.capacity());
    s.clear();
}

} // namespace erpmail
