// Decoding of body text on the ingest path: every received mail's text goes
// through these, so they work on whole buffers instead of byte by byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace erpmail::mime {

/// Length of the longest prefix of `text` that is valid UTF-8 (RFC 3629: no
/// overlong forms, no surrogates, nothing above U+10FFFF) without a NUL
/// byte; the same answer as GLib's g_utf8_validate_len.
std::size_t validUtf8Prefix(std::string_view text);

/// The text as UTF-8: each byte that does not belong to a valid sequence (a
/// NUL byte too) becomes U+FFFD, so nothing is cut off or silently dropped.
/// Valid text is returned without a copy.
std::string toValidUtf8(std::string text);

/// Decodes quoted-printable `in` onto the end of `out` the way GMime's
/// decoder does (soft breaks "=\n" and "=\r\n" removed, "=XY" in either
/// case decoded, any other "=" sequence kept as it is). Returns how many
/// bytes of `in` were used: all of them, or all but an escape cut off at
/// the end, which the caller passes again with the bytes that follow. With
/// `last`, an escape cut off at the end is dropped, as GMime drops it.
std::size_t decodeQuotedPrintable(std::string_view in, bool last, std::string& out);

} // namespace erpmail::mime
