# StdbModule.cmake: build stdb modules with the header-only module SDK.
#
#   include(<repo>/sdk/module/cmake/StdbModule.cmake)
#   stdb_add_module(<name> <source>...)
#
# stdb_add_module builds <name>.so (no "lib" prefix), a shared library the server loads
# with dlopen. It compiles as C++20 with -fvisibility=hidden and links with a version
# script, so the library exports exactly stdb_abi_version, stdb_describe and
# stdb_call_reducer (sdk/module/include/stdb/abi.h): standard-library template code
# compiled into the module stays private to it, whatever other modules are loaded.
#
# Works the same in a standalone project and inside the stdb build. The output goes to
# the target's LIBRARY_OUTPUT_DIRECTORY (CMAKE_LIBRARY_OUTPUT_DIRECTORY if set, else the
# current binary directory).

include_guard(GLOBAL)

cmake_path(SET STDB_MODULE_SDK_DIR NORMALIZE "${CMAKE_CURRENT_LIST_DIR}/..")

# The SDK headers, for modules and for anything else that includes them (tests).
if(NOT TARGET stdb_module_sdk)
  add_library(stdb_module_sdk INTERFACE)
  target_include_directories(stdb_module_sdk INTERFACE "${STDB_MODULE_SDK_DIR}/include")
  target_compile_features(stdb_module_sdk INTERFACE cxx_std_20)
endif()

function(stdb_add_module name)
  if(NOT ARGN)
    message(FATAL_ERROR "stdb_add_module(${name}): no source files given")
  endif()
  # Functions see the variables of their caller's directory, not of this file, so the
  # export map is found relative to the file that defines the function.
  set(exports_map "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/stdb_module.map")
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE stdb_module_sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LINK_DEPENDS "${exports_map}")
  target_compile_options(${name} PRIVATE -Wall -Wextra
    # Without this, g++ marks some statics in inline code STB_GNU_UNIQUE, which makes
    # dlclose a no-op and lets two loaded modules share one object.
    $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  target_link_options(${name} PRIVATE "LINKER:--version-script=${exports_map}")
  # Report undefined symbols at link time rather than at load time. Sanitizer runtimes
  # are resolved from the host process, so sanitized builds cannot use this.
  if(NOT STDB_SANITIZE AND NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
    target_link_options(${name} PRIVATE "LINKER:-z,defs")
  endif()
endfunction()
