#include "account/LabelOrder.h"

#include <glib.h>

namespace erpmail {

std::string labelSortKey(const std::string& label)
{
    gchar* valid = g_utf8_make_valid(label.c_str(), static_cast<gssize>(label.size()));
    gchar* decomposed = g_utf8_normalize(valid, -1, G_NORMALIZE_NFD);
    gchar* folded = g_utf8_casefold(decomposed ? decomposed : valid, -1);
    std::string key;
    for (const gchar* p = folded; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType type = g_unichar_type(c);
        if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK)
            continue;
        char buf[6];
        key.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(c, buf)));
    }
    g_free(folded);
    g_free(decomposed);
    g_free(valid);
    key += '\0'; // ties: the label's own bytes decide
    key += label;
    return key;
}

} // namespace erpmail
