// Fills {{variable}} placeholders of a text block.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

struct RenderedText {
    std::string text;
    std::vector<std::string> used;    ///< placeholders that were filled, in order of first use
    std::vector<std::string> missing; ///< placeholders no source knew; left in the text as written
};

/// Replaces each {{ name }} (name: letters, digits, '_', '.', '-') with
/// lookup(name). Unknown names stay as written and are reported. Text
/// outside placeholders is copied byte for byte.
RenderedText renderTemplate(const std::string& text,
                            const std::function<std::optional<std::string>(const std::string&)>& lookup);

} // namespace erpmail
