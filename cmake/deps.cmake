# Every dependency is a Debian 12 package installed by scripts/setup.sh.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(UV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd) # sd_notify, socket activation

find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h REQUIRED)
find_library(MBEDTLS_LIB mbedtls REQUIRED)
find_library(MBEDX509_LIB mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIB mbedcrypto REQUIRED)
add_library(hk_mbedtls INTERFACE)
target_include_directories(hk_mbedtls INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(hk_mbedtls INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})

# Debian's node-llhttp ships llhttp 8.1.0 as C sources. They are compiled into hookd with
# their own (quiet) flags and strict mode; core/net/http.c adds the checks this version
# lacks.
set(LLHTTP_SRC_DIR /usr/share/llhttp CACHE PATH "llhttp C sources (Debian node-llhttp)")
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "llhttp.h (Debian node-llhttp)")
if(NOT EXISTS ${LLHTTP_SRC_DIR}/llhttp.c OR NOT EXISTS ${LLHTTP_INCLUDE_DIR}/llhttp.h)
  message(FATAL_ERROR "llhttp sources not found in ${LLHTTP_SRC_DIR}: run scripts/setup.sh "
                      "(installs Debian's node-llhttp)")
endif()
add_library(hk_llhttp STATIC ${LLHTTP_SRC_DIR}/llhttp.c ${LLHTTP_SRC_DIR}/api.c
                             ${LLHTTP_SRC_DIR}/http.c)
target_include_directories(hk_llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
target_compile_definitions(hk_llhttp PUBLIC LLHTTP_STRICT_MODE=1)
target_compile_options(hk_llhttp PRIVATE -w -O2)
set_target_properties(hk_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON)
