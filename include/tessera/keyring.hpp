// tessera — keyring: the desktop keyring as a token cache (libsecret; component
// tessera::keyring). Umbrella header: includes only. Not part of tessera/tessera.hpp nor of the
// single header.
#ifndef TESSERA_KEYRING_HPP
#define TESSERA_KEYRING_HPP

#include <tessera/keyring/keyring_cache.hpp>

#endif
