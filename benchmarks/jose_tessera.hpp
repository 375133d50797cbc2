// tessera benchmarks — jose_tessera.hpp: how the benchmark uses tessera.
//
// sign:   a `jws_signer` built once; per token, a claims object and `jose::sign_jwt`.
// verify: a `jwt_validator` (issuer, audience, exp required — the default) built once; per
//         token, `validate`: JWS checks, signature, claims parse, iss/aud/exp/iat checks.
//         The `tessera-shared` rows do the same through a `shared_jwt_validator`, whose keys
//         sit in a replaceable snapshot (an atomic shared_ptr load per token, and the result
//         owns the snapshot): the price of JWKS rotation.
#ifndef TESSERA_BENCHMARKS_JOSE_TESSERA_HPP
#define TESSERA_BENCHMARKS_JOSE_TESSERA_HPP

#include "jose_fixture.hpp"

#include <tessera/jose/jwt.hpp>

namespace bench::tessera_rows {

namespace jose = tessera::jose;

inline jose::algorithm to_jose(alg a) {
  switch (a) {
    case alg::HS256: return jose::algorithm::HS256;
    case alg::RS256: return jose::algorithm::RS256;
    case alg::ES256: return jose::algorithm::ES256;
    case alg::EdDSA: return jose::algorithm::EdDSA;
  }
  return jose::algorithm::HS256;
}

inline jose::jwk signing_key(alg a) {
  const auto& k = keys(a);
  return a == alg::HS256 ? jose::jwk::from_secret(k.secret, jose::algorithm::HS256)
                         : jose::jwk::from_pem(k.private_pem, to_jose(a));
}

inline jose::jwk verification_key(alg a) {
  const auto& k = keys(a);
  return a == alg::HS256 ? jose::jwk::from_secret(k.secret, jose::algorithm::HS256)
                         : jose::jwk::from_pem(k.public_pem, to_jose(a));
}

template <class Validator = jose::jwt_validator>
Validator make_validator(alg a) {
  Validator v(jose::jwk_set{verification_key(a)});
  v.issuer(std::string(issuer)).audience(std::string(audience));
  return v;
}

inline std::string make_token(const jose::jws_signer& signer, const claim_times& t, std::error_code& ec) {
  boost::json::object c;
  c["iss"] = issuer;
  c["sub"] = subject;
  c["aud"] = audience;
  c["iat"] = t.iat;
  c["exp"] = t.exp;
  c["jti"] = jwt_id;
  return jose::sign_jwt(signer, c, ec);
}

}  // namespace bench::tessera_rows

#endif
