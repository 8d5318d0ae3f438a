# hookd-plugin.cmake -- hookd_add_plugin(): the one way hookd plugins are built.
#
# find_package(hookd-sdk) includes this file for plugin authors; hookd's own tree includes
# it too (sdk/CMakeLists.txt), so the bundled plugins and the test fixtures are built
# exactly like a user's plugin.
#
#   hookd_add_plugin(<name> SOURCES a.c [b.c ...] [LIBRARIES lib ...])
#
# builds the MODULE library <name>.so (no "lib" prefix) from the sources, in C11 without GNU
# extensions (define _GNU_SOURCE or _POSIX_C_SOURCE in a source that needs them), with
# hidden visibility (only the descriptor, which HOOKD_PLUGIN_DEFINE marks HOOKD_EXPORT, is
# exported) and linked with -z defs: every symbol must come from the plugin itself or from a
# library in LIBRARIES. A plugin never uses hookd's own symbols, only the services table
# hookd hands to init(). It gets the include directory of <hookd/plugin.h> from the
# hookd::sdk target and nothing else from hookd.
#
# HOOKD_SDK_ALLOW_UNDEFINED (a variable, OFF by default) drops -z defs; hookd's tree sets it
# for clang sanitizer builds, whose runtime lives in the executable.

if(NOT TARGET hookd::sdk)
  if(NOT HOOKD_SDK_INCLUDE_DIR)
    message(FATAL_ERROR "hookd-plugin.cmake: include it through find_package(hookd-sdk)")
  endif()
  add_library(hookd::sdk INTERFACE IMPORTED)
  set_target_properties(hookd::sdk PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${HOOKD_SDK_INCLUDE_DIR}")
endif()

function(hookd_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "hookd_add_plugin(${name}): no sources: write "
                        "hookd_add_plugin(${name} SOURCES ${name}.c)")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "hookd_add_plugin(${name}): unexpected '${arg_UNPARSED_ARGUMENTS}': "
                        "only SOURCES and LIBRARIES are accepted")
  endif()
  add_library(${name} MODULE ${arg_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${name} PRIVATE hookd::sdk ${arg_LIBRARIES})
  if(NOT HOOKD_SDK_ALLOW_UNDEFINED)
    target_link_options(${name} PRIVATE "LINKER:-z,defs")
  endif()
endfunction()
