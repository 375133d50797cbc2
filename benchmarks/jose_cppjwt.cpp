// tessera benchmarks — jose_cppjwt.cpp: cpp-jwt 1.4 (Debian's libcpp-jwt-dev).
//
// cpp-jwt takes the key as a string on every call (PEM text for RSA and EC) and parses it
// each time: its design, and the point of the comparison. It has no EdDSA. Verify is
// `jwt::decode` with the algorithm list, issuer and audience; it checks exp itself when the
// claim is present (leeway 0) but cannot be told to require it.
#include "jose_fixture.hpp"

#include <jwt/jwt.hpp>

namespace bench {
namespace {

const std::string& key_bytes(alg a, bool signing) {
  const auto& k = keys(a);
  return a == alg::HS256 ? k.secret : signing ? k.private_pem : k.public_pem;
}

std::string make_token(alg a, const claim_times& t, std::error_code& ec) {
  namespace p = jwt::params;
  jwt::jwt_object obj{p::algorithm(name_of(a)), p::secret(key_bytes(a, true))};
  obj.add_claim("iss", issuer)
      .add_claim("sub", subject)
      .add_claim("aud", audience)
      .add_claim("iat", t.iat)
      .add_claim("exp", t.exp)
      .add_claim("jti", jwt_id);
  return obj.signature(ec);
}

bool verify_token(alg a, const std::string& token) {
  namespace p = jwt::params;
  std::error_code ec;
  auto obj = jwt::decode(token, p::algorithms({name_of(a)}), ec, p::secret(key_bytes(a, false)), p::issuer(issuer),
                         p::aud(audience), p::verify(true));
  return !ec;
}

void sign(benchmark::State& state, alg a) {
  const claim_times t;
  std::error_code ec;
  for (auto _ : state) {
    std::string token = make_token(a, t, ec);
    benchmark::DoNotOptimize(token);
  }
  check(state, !ec, "cppjwt sign failed");
}

void verify(benchmark::State& state, alg a) {
  std::error_code ec;
  const std::string token = make_token(a, claim_times{}, ec);
  if (!check(state, !ec && verify_token(a, token), "cppjwt rejects its own token")) return;
  bool ok = true;
  for (auto _ : state) {
    ok = verify_token(a, token);
    benchmark::DoNotOptimize(ok);
  }
  check(state, ok, "cppjwt verify failed");
}

void register_all() {
  for (alg a : {alg::HS256, alg::RS256, alg::ES256}) {  // no EdDSA in cpp-jwt 1.4
    add_benchmark(op::sign, "cppjwt", a, [a](benchmark::State& s) { sign(s, a); });
    add_benchmark(op::verify, "cppjwt", a, [a](benchmark::State& s) { verify(s, a); });
    add_token_maker("cppjwt", a, [a] {
      std::error_code ec;
      return make_token(a, claim_times{}, ec);
    });
  }
}
const registrar reg(register_all);

}  // namespace
}  // namespace bench
