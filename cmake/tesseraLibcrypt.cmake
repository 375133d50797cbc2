# tessera — cmake/tesseraLibcrypt.cmake
#
# Defines the imported target `tessera::libcrypt` (libxcrypt: crypt_r for bcrypt secret hashes,
# Debian package libcrypt-dev). Used by the top-level CMakeLists.txt and, installed next to
# tesseraConfig.cmake, by find_package(tessera) — so the exported target names the library by
# target, never by an absolute path from the build machine.
#
# Sets TESSERA_LIBCRYPT_FOUND. Does not fail on its own: the caller decides how to report.
if(TARGET tessera::libcrypt)
  set(TESSERA_LIBCRYPT_FOUND TRUE)
  return()
endif()

find_path(TESSERA_LIBCRYPT_INCLUDE_DIR crypt.h DOC "Directory of libxcrypt's crypt.h")
find_library(TESSERA_LIBCRYPT_LIBRARY NAMES crypt DOC "libxcrypt (libcrypt.so)")
mark_as_advanced(TESSERA_LIBCRYPT_INCLUDE_DIR TESSERA_LIBCRYPT_LIBRARY)

if(TESSERA_LIBCRYPT_INCLUDE_DIR AND TESSERA_LIBCRYPT_LIBRARY)
  set(TESSERA_LIBCRYPT_FOUND TRUE)
  add_library(tessera::libcrypt UNKNOWN IMPORTED)
  set_target_properties(tessera::libcrypt PROPERTIES
    IMPORTED_LOCATION "${TESSERA_LIBCRYPT_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${TESSERA_LIBCRYPT_INCLUDE_DIR}")
else()
  set(TESSERA_LIBCRYPT_FOUND FALSE)
endif()
