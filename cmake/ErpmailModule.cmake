# erpmail_module(<name> DIR <dir> [ROOT <include root>] [PUBLIC <header>...]
#                [DEPENDS <module>...] [LIBS <target>...] [SOURCES <file>...] [NO_GLOB])
#
# One static library per module, erpmail_<name>, from the .cpp files of DIR.
# Its include path is a tree of links built here: its own headers, and of
# other modules only the PUBLIC headers of the modules it DEPENDS on. A module
# that includes a private header of another module, or any header of a module
# it does not depend on, fails to compile ("No such file or directory").
# NO_GLOB takes only the SOURCES given.
# ROOT is what include names are relative to (default: modules), so that
# modules/store/Odbc.h is "store/Odbc.h".
#
# Every module is added to the global property ERPMAIL_MODULES and its
# dependencies to ERPMAIL_MODULE_EDGES, which the module graph check reads.
function(erpmail_module name)
  cmake_parse_arguments(M "NO_GLOB" "DIR;ROOT" "PUBLIC;DEPENDS;LIBS;SOURCES" ${ARGN})
  if(NOT M_ROOT)
    set(M_ROOT modules)
  endif()
  set(dir ${CMAKE_SOURCE_DIR}/${M_DIR})
  set(root ${CMAKE_SOURCE_DIR}/${M_ROOT})
  set(sources "")
  if(NOT M_NO_GLOB)
    file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  endif()
  file(GLOB headers CONFIGURE_DEPENDS ${dir}/*.h)
  set(target erpmail_${name})
  add_library(${target} STATIC ${sources} ${M_SOURCES})

  set(tree ${CMAKE_BINARY_DIR}/include/${name})
  file(REMOVE_RECURSE ${tree})
  foreach(header IN LISTS headers)
    file(RELATIVE_PATH rel ${root} ${header})
    get_filename_component(parent ${tree}/private/${rel} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${header} ${tree}/private/${rel} SYMBOLIC)
  endforeach()
  foreach(header IN LISTS M_PUBLIC)
    if(NOT EXISTS ${dir}/${header})
      message(FATAL_ERROR "module ${name}: public header ${M_DIR}/${header} does not exist")
    endif()
    file(RELATIVE_PATH rel ${root} ${dir}/${header})
    get_filename_component(parent ${tree}/public/${rel} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${dir}/${header} ${tree}/public/${rel} SYMBOLIC)
  endforeach()
  file(MAKE_DIRECTORY ${tree}/public)
  target_include_directories(${target} PUBLIC ${tree}/public PRIVATE ${tree}/private)

  set(deps "")
  foreach(dep IN LISTS M_DEPENDS)
    list(APPEND deps erpmail_${dep})
    set_property(GLOBAL APPEND PROPERTY ERPMAIL_MODULE_EDGES "${name} -> ${dep}")
  endforeach()
  target_link_libraries(${target} PUBLIC ${deps} ${M_LIBS} PRIVATE erpmail_build_options)
  set_property(GLOBAL APPEND PROPERTY ERPMAIL_MODULES ${name})
  target_precompile_headers(${target} REUSE_FROM erpmail_pch)
endfunction()
