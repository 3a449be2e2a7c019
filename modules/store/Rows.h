// What repositories do alike with the rows of one table.
#pragma once

#include "store/Odbc.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

/// The first of the rows, if there is one.
template <class Row> std::optional<Row> firstOf(std::vector<Row> rows)
{
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
}

/// Deletes the row of `table` whose id is `id`; false when there was none.
/// `table` is the repository's own table name, never a caller's text.
inline bool deleteById(Connection& c, const char* table, const std::string& id)
{
    Statement st(c, std::string("DELETE FROM ") + table + " WHERE id = ?");
    st.bindText(1, id);
    return st.execute() > 0;
}

} // namespace erpmail::store
