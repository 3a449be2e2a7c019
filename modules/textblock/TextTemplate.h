// Fills {{variable}} placeholders of a text block.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail {

struct RenderedText {
    std::string text;
    std::vector<std::string> used;    ///< placeholders that were filled, in order of first use
    std::vector<std::string> missing; ///< placeholders no source knew; left in the text as written
};

/// The largest filled text renderTemplate builds unless told otherwise: 16 MiB.
inline constexpr std::size_t kMaxRenderedTextBytes = std::size_t{16} << 20;

/// Thrown when the filled text would grow past its limit.
class RenderedTextTooLarge : public std::length_error {
public:
    using std::length_error::length_error;
};

/// Replaces each {{ name }} (name: letters, digits, '_', '.', '-') with
/// lookup(name). Unknown names stay as written and are reported. Text
/// outside placeholders is copied byte for byte. Throws
/// RenderedTextTooLarge, before it holds more, when the result would be
/// longer than maxBytes.
RenderedText renderTemplate(const std::string& text,
                            const std::function<std::optional<std::string>(const std::string&)>& lookup,
                            std::size_t maxBytes = kMaxRenderedTextBytes);

} // namespace erpmail
