// tessera — OAuth 2.0 and OpenID Connect for C++20. Umbrella header: includes only.
#ifndef TESSERA_TESSERA_HPP
#define TESSERA_TESSERA_HPP

#include <tessera/config.hpp>
#include <tessera/error.hpp>
#include <tessera/clock.hpp>

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/random.hpp>

#include <tessera/jose.hpp>

#endif
