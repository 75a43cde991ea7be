# Every dependency comes from Debian 12's packages; this file finds them once
# and names them as imported targets for the rest of the build.
find_package(PkgConfig REQUIRED)
pkg_check_modules(GMIME REQUIRED IMPORTED_TARGET gmime-3.0)
pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0 gio-2.0)
pkg_check_modules(MILTER REQUIRED IMPORTED_TARGET milter)
find_package(OpenSSL 3.0 REQUIRED)
find_package(spdlog REQUIRED)
find_package(Threads REQUIRED)
if(BOUNCESEAL_TESTS)
  find_package(GTest REQUIRED)
endif()
