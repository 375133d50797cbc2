// tessera — jose.hpp: the JOSE layer (include list only).
#ifndef TESSERA_JOSE_HPP
#define TESSERA_JOSE_HPP

#include <tessera/jose/algorithm.hpp>
#include <tessera/jose/issuer.hpp>
#include <tessera/jose/jwk.hpp>
#include <tessera/jose/jwks.hpp>
#include <tessera/jose/jws.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/jose/key_source.hpp>

#endif
