// Checks for values that end up in message headers.
#pragma once

#include <string>

namespace erpmail::mime {

/// True when text holds CR, LF or another control character (tab allowed):
/// such a value could end a header and start another (header injection).
bool hasControlCharacters(const std::string& text);

/// True for a plausible mailbox address "local@domain.tld": one '@', a
/// local part of 1..64 characters without spaces, controls, quotes or
/// <>()[],;:\ and a domain of dot-separated labels of letters, digits and
/// hyphens (UTF-8 allowed), with at least one dot, 255 bytes at most.
bool isValidMailbox(const std::string& address);

} // namespace erpmail::mime
