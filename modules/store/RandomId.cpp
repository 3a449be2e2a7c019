#include "store/RandomId.h"

#include "encoding/Hex.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace erpmail::store {

std::string randomUuid()
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("no random bytes for an identifier");
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40); // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80); // RFC 4122 variant
    std::string out = encoding::hexOf(b, sizeof b);
    for (std::size_t at : {8, 13, 18, 23}) out.insert(at, 1, '-');
    return out;
}

} // namespace erpmail::store
