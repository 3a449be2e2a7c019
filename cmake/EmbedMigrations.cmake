# Writes OUT: a C++ table of every sql/<dialect>/NNNN_<scope>_<name>.sql file.
file(GLOB files RELATIVE ${SQL_DIR} ${SQL_DIR}/*/*.sql)
list(SORT files)
set(body "")
foreach(rel IN LISTS files)
  get_filename_component(dialect ${rel} DIRECTORY)
  get_filename_component(stem ${rel} NAME_WE)
  if(NOT stem MATCHES "^([0-9][0-9][0-9][0-9])_(system|mailbox)_([a-z0-9_]+)$")
    message(FATAL_ERROR "migration ${rel}: name must be NNNN_system_name.sql or NNNN_mailbox_name.sql")
  endif()
  set(version ${CMAKE_MATCH_1})
  set(scope ${CMAKE_MATCH_2})
  set(name ${CMAKE_MATCH_3})
  math(EXPR version "${version}")
  file(READ ${SQL_DIR}/${rel} sql)
  string(APPEND body "    {\"${dialect}\", ${version}, \"${scope}\", \"${name}\", R\"erpmail_sql(${sql})erpmail_sql\"},\n")
endforeach()
set(content "// Generated from sql/ by cmake/EmbedMigrations.cmake. Do not edit.
#include \"store/Migrator.h\"

namespace erpmail::store {

const std::vector<Migration>& embeddedMigrations()
{
    static const std::vector<Migration> all{
${body}    };
    return all;
}

} // namespace erpmail::store
")
include(${CMAKE_CURRENT_LIST_DIR}/WriteIfChanged.cmake)
write_if_changed(${OUT} "${content}")
