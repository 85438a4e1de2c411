# External libraries, all from Debian packages installed by scripts/setup.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(ARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_library(NATS_LIB nats REQUIRED)
find_path(NATS_INCLUDE nats/nats.h REQUIRED)
add_library(nats_ext INTERFACE)
target_link_libraries(nats_ext INTERFACE ${NATS_LIB})
target_include_directories(nats_ext INTERFACE ${NATS_INCLUDE})

set(HEARTH_DEPS
    PkgConfig::LIBUV PkgConfig::JANSSON PkgConfig::YAML PkgConfig::CURL PkgConfig::SQLITE
    PkgConfig::LIBPQ PkgConfig::ARCHIVE PkgConfig::OPENSSL PkgConfig::SODIUM nats_ext m pthread)
