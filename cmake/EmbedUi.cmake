# Writes OUT: a C++ table of every file under UI_DIR (the web screens'
# static bundle), with its bytes and the SHA-256 its ETag is made from.
file(GLOB_RECURSE files RELATIVE ${UI_DIR} ${UI_DIR}/*)
list(SORT files)
set(arrays "")
set(rows "")
set(n 0)
foreach(rel IN LISTS files)
  if(rel MATCHES "(^|/)\\.")
    continue() # dot files are no part of a bundle
  endif()
  file(READ ${UI_DIR}/${rel} hex HEX)
  file(SHA256 ${UI_DIR}/${rel} digest)
  string(LENGTH "${hex}" hexLength)
  math(EXPR size "${hexLength} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "const unsigned char f${n}[] = {${bytes}0};\n")
  string(APPEND rows "        {\"${rel}\", f${n}, ${size}, \"${digest}\"},\n")
  math(EXPR n "${n} + 1")
endforeach()
set(content "// Generated from the UI bundle by cmake/EmbedUi.cmake. Do not edit.
#include \"UiResources.h\"

namespace erpmail {

namespace {
${arrays}} // namespace

const std::vector<UiFile>& embeddedUiFiles()
{
    static const std::vector<UiFile> all{
${rows}    };
    return all;
}

} // namespace erpmail
")
include(${CMAKE_CURRENT_LIST_DIR}/WriteIfChanged.cmake)
write_if_changed(${OUT} "${content}")
