// tessera — crypto.hpp: random bytes, constant-time comparison, base64, SHA-2/HMAC,
// AES-256-GCM sealing, bcrypt secret hashing, PKCE (include list only).
#ifndef TESSERA_CRYPTO_HPP
#define TESSERA_CRYPTO_HPP

#include <tessera/crypto/aead.hpp>
#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/pkce.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/crypto/siphash.hpp>
#include <tessera/crypto/verified_secret_cache.hpp>

#endif
