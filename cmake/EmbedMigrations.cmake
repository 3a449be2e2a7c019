# Writes OUT: a C++ table of every migration, once per dialect. Each migration
# is one file sql/NNNN_<scope>_<name>.sql; its dialect markers expand so:
#   {{blob}}     BLOB (sqlite)                 BYTEA (postgresql)
#   {{auto_id}}  INTEGER PRIMARY KEY (sqlite)  BIGSERIAL PRIMARY KEY (postgresql)
#   lines between "-- {{if <dialect>}}" and "-- {{end}}" are kept for that
#   dialect only (the two marker lines are dropped).
cmake_minimum_required(VERSION 3.25)
set(dialects postgresql sqlite)
set(blob_sqlite "BLOB")
set(blob_postgresql "BYTEA")
set(auto_id_sqlite "INTEGER PRIMARY KEY")
set(auto_id_postgresql "BIGSERIAL PRIMARY KEY")

# Keeps the "-- {{if <dialect>}}" blocks of `dialect` in `var` and drops the others.
function(expand_dialect_blocks var dialect rel)
  set(text "${${var}}")
  set(out "")
  while(TRUE)
    string(REGEX MATCH "-- {{if ([a-z]+)}}\n" open "${text}")
    if(open STREQUAL "")
      break()
    endif()
    set(block_dialect ${CMAKE_MATCH_1})
    string(STRIP "${open}" marker)
    if(NOT block_dialect IN_LIST dialects)
      message(FATAL_ERROR "migration ${rel}: unknown dialect '${block_dialect}' in ${marker}")
    endif()
    string(FIND "${text}" "${open}" start)
    string(LENGTH "${open}" open_length)
    string(SUBSTRING "${text}" 0 ${start} before)
    math(EXPR body_start "${start} + ${open_length}")
    string(SUBSTRING "${text}" ${body_start} -1 rest)
    string(FIND "${rest}" "-- {{end}}\n" end)
    if(end EQUAL -1)
      message(FATAL_ERROR "migration ${rel}: ${marker} without -- {{end}}")
    endif()
    string(SUBSTRING "${rest}" 0 ${end} body)
    math(EXPR after_start "${end} + 11")
    string(SUBSTRING "${rest}" ${after_start} -1 text)
    string(APPEND out "${before}")
    if(block_dialect STREQUAL dialect)
      string(APPEND out "${body}")
    endif()
  endwhile()
  set(${var} "${out}${text}" PARENT_SCOPE)
endfunction()

file(GLOB files RELATIVE ${SQL_DIR} ${SQL_DIR}/*.sql)
# A file in a dialect folder would otherwise be left out without a word.
file(GLOB stray RELATIVE ${SQL_DIR} ${SQL_DIR}/*/*.sql)
if(stray)
  message(FATAL_ERROR "migrations ${stray}: one file per migration in sql/, with dialect markers (see the top of this file)")
endif()
list(SORT files)
set(body "")
foreach(dialect IN LISTS dialects)
  foreach(rel IN LISTS files)
    get_filename_component(stem ${rel} NAME_WE)
    if(NOT stem MATCHES "^([0-9][0-9][0-9][0-9])_(system|mailbox)_([a-z0-9_]+)$")
      message(FATAL_ERROR "migration ${rel}: name must be NNNN_system_name.sql or NNNN_mailbox_name.sql")
    endif()
    set(version ${CMAKE_MATCH_1})
    set(scope ${CMAKE_MATCH_2})
    set(name ${CMAKE_MATCH_3})
    math(EXPR version "${version}")
    file(READ ${SQL_DIR}/${rel} sql)
    expand_dialect_blocks(sql ${dialect} ${rel})
    string(REPLACE "{{blob}}" "${blob_${dialect}}" sql "${sql}")
    string(REPLACE "{{auto_id}}" "${auto_id_${dialect}}" sql "${sql}")
    string(REGEX MATCH "{{[^}]*}}" unknown "${sql}")
    if(NOT unknown STREQUAL "")
      message(FATAL_ERROR "migration ${rel}: unknown marker ${unknown}")
    endif()
    string(APPEND body "    {\"${dialect}\", ${version}, \"${scope}\", \"${name}\", R\"erpmail_sql(${sql})erpmail_sql\"},\n")
  endforeach()
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
