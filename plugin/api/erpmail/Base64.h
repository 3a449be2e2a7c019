// Base64 for operation parameters and results (attachments, raw messages).
#pragma once

#include "erpmail/OperationError.h"

#include <Poco/Base64Encoder.h>

#include <optional>
#include <sstream>
#include <string>

namespace erpmail {

/// Base64 without line breaks.
inline std::string toBase64(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

/// The value (0 to 63) of a base64 character, or -1. `last` is the
/// character for 63: '/' in RFC 4648, ',' in IMAP's modified base64 (RFC
/// 3501 section 5.1.3).
inline int base64Value(unsigned char c, char last = '/')
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == static_cast<unsigned char>(last)) return 63;
    return -1;
}

/// Decodes base64 (RFC 4648, standard alphabet, padded to a multiple of
/// four). Line breaks, spaces and tabs between characters are skipped, as
/// MIME writes them. Any other character, missing or misplaced padding, or
/// a truncated group gives nullopt: nothing is dropped silently.
inline std::optional<std::string> decodeBase64(const std::string& text)
{
    std::string out;
    out.reserve(text.size() / 4 * 3);
    unsigned group = 0;
    int count = 0, padding = 0;
    for (unsigned char c : text) {
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            // Padding only completes the last group, after at least two characters.
            if (count + padding < 2) return std::nullopt;
            ++padding;
            if (count + padding > 4) return std::nullopt;
            continue;
        }
        const int v = base64Value(c);
        if (v < 0 || padding > 0) return std::nullopt;
        group = group << 6 | static_cast<unsigned>(v);
        if (++count == 4) {
            out += static_cast<char>(group >> 16 & 0xff);
            out += static_cast<char>(group >> 8 & 0xff);
            out += static_cast<char>(group & 0xff);
            group = 0;
            count = 0;
        }
    }
    if (padding == 0) return count == 0 ? std::optional<std::string>(out) : std::nullopt;
    if (count + padding != 4) return std::nullopt;
    group <<= 6 * padding;
    out += static_cast<char>(group >> 16 & 0xff);
    if (count == 3) out += static_cast<char>(group >> 8 & 0xff);
    return out;
}

/// Decodes a parameter with decodeBase64(); throws OperationError(invalid_params) naming field.
inline std::string fromBase64Param(const std::string& text, const std::string& field)
{
    auto bytes = decodeBase64(text);
    if (!bytes) throw invalidParam(field, field + " is not valid base64");
    return std::move(*bytes);
}

} // namespace erpmail
