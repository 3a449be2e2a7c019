// The order in which account labels count as "alphabetical".
#pragma once

#include <string>

namespace erpmail {

/// A key that sorts labels the way people read them: Unicode-decomposed
/// (NFD), case-folded, with accents (combining marks) dropped, so "ärger"
/// sorts with "Arger" before "Zebra" and "apple" before "Banana"; the label's
/// bytes break ties. The main account of a user is the owned account whose
/// label has the smallest key.
std::string labelSortKey(const std::string& label);

} // namespace erpmail
