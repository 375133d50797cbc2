# tessera — cmake/FindTesseraHiredis.cmake: hiredis (Debian package libhiredis-dev) for the redis
# component. Debian's HiredisConfig.cmake defines no target and only variables, so this module
# makes the imported target `tessera::hiredis` itself (pkg-config first, then a plain search).
#
# Defines `tessera::hiredis` and TesseraHiredis_FOUND; installed next to tesseraConfig.cmake for
# find_package(tessera COMPONENTS redis).
if(TARGET tessera::hiredis)
  set(TesseraHiredis_FOUND TRUE)
  return()
endif()
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(TESSERA_HIREDIS QUIET hiredis)
endif()
if(TESSERA_HIREDIS_FOUND)
  set(TESSERA_HIREDIS_LIBRARY "${TESSERA_HIREDIS_LINK_LIBRARIES}")
  set(TESSERA_HIREDIS_INCLUDE "${TESSERA_HIREDIS_INCLUDE_DIRS}")
else()
  find_path(TESSERA_HIREDIS_INCLUDE_DIR hiredis/hiredis.h)
  find_library(TESSERA_HIREDIS_LIBRARY_FILE NAMES hiredis)
  if(TESSERA_HIREDIS_INCLUDE_DIR AND TESSERA_HIREDIS_LIBRARY_FILE)
    set(TESSERA_HIREDIS_LIBRARY "${TESSERA_HIREDIS_LIBRARY_FILE}")
    set(TESSERA_HIREDIS_INCLUDE "${TESSERA_HIREDIS_INCLUDE_DIR}")
  endif()
endif()
if(TESSERA_HIREDIS_LIBRARY)
  add_library(tessera::hiredis INTERFACE IMPORTED)
  set_target_properties(tessera::hiredis PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${TESSERA_HIREDIS_INCLUDE}"
    INTERFACE_LINK_LIBRARIES "${TESSERA_HIREDIS_LIBRARY}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(TesseraHiredis
  REQUIRED_VARS TESSERA_HIREDIS_LIBRARY
  VERSION_VAR TESSERA_HIREDIS_VERSION)
