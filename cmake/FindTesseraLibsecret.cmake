# tessera — cmake/FindTesseraLibsecret.cmake: libsecret-1 (the freedesktop Secret Service client,
# Debian package libsecret-1-dev) for the keyring component, through pkg-config.
#
# Defines the imported target `tessera::libsecret` and TesseraLibsecret_FOUND. Used by the
# top-level CMakeLists.txt and, installed next to tesseraConfig.cmake, by
# find_package(tessera COMPONENTS keyring) — so the exported target names the library by target,
# never by a path from the build machine.
if(TARGET tessera::libsecret)
  set(TesseraLibsecret_FOUND TRUE)
  return()
endif()
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(TESSERA_LIBSECRET QUIET libsecret-1)
endif()
if(TESSERA_LIBSECRET_FOUND)
  add_library(tessera::libsecret INTERFACE IMPORTED)
  set_target_properties(tessera::libsecret PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${TESSERA_LIBSECRET_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${TESSERA_LIBSECRET_LINK_LIBRARIES}"
    INTERFACE_COMPILE_OPTIONS "${TESSERA_LIBSECRET_CFLAGS_OTHER}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(TesseraLibsecret
  REQUIRED_VARS TESSERA_LIBSECRET_LINK_LIBRARIES
  VERSION_VAR TESSERA_LIBSECRET_VERSION)
