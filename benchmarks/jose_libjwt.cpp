// tessera benchmarks — jose_libjwt.cpp: libjwt 1.10 (Debian's libjwt-dev).
//
// libjwt takes the key as bytes on every call (PEM text for RSA and EC, the raw secret for
// HMAC) and parses it each time: that is its design, and the point of the comparison.
// 1.10 has no EdDSA and no claim validation API (jwt_valid arrived in 1.12), so verify is
// jwt_decode followed by the checks a careful caller adds: the header's alg is the expected
// one (jwt_decode otherwise trusts it), iss, aud (string) and exp.
#include "jose_fixture.hpp"

#include <jwt.h>

#include <cstdlib>
#include <cstring>

namespace bench {
namespace {

jwt_alg_t to_libjwt(alg a) {
  switch (a) {
    case alg::HS256: return JWT_ALG_HS256;
    case alg::RS256: return JWT_ALG_RS256;
    case alg::ES256: return JWT_ALG_ES256;
    case alg::EdDSA: break;
  }
  std::abort();
}

const std::string& key_bytes(alg a, bool signing) {
  const auto& k = keys(a);
  return a == alg::HS256 ? k.secret : signing ? k.private_pem : k.public_pem;
}

std::string make_token(alg a, const claim_times& t) {
  const std::string& key = key_bytes(a, true);
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return {};
  std::string out;
  if (jwt_add_grant(jwt, "iss", issuer.data()) == 0 && jwt_add_grant(jwt, "sub", subject.data()) == 0 &&
      jwt_add_grant(jwt, "aud", audience.data()) == 0 && jwt_add_grant_int(jwt, "iat", t.iat) == 0 &&
      jwt_add_grant_int(jwt, "exp", t.exp) == 0 && jwt_add_grant(jwt, "jti", jwt_id.data()) == 0 &&
      jwt_set_alg(jwt, to_libjwt(a), reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size())) == 0) {
    if (char* s = jwt_encode_str(jwt)) {
      out = s;
      std::free(s);
    }
  }
  jwt_free(jwt);
  return out;
}

bool verify_token(alg a, const std::string& token, std::int64_t now) {
  const std::string& key = key_bytes(a, false);
  jwt_t* jwt = nullptr;
  if (jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size())) != 0)
    return false;
  bool ok = jwt_get_alg(jwt) == to_libjwt(a);
  const char* iss = ok ? jwt_get_grant(jwt, "iss") : nullptr;
  ok = ok && iss && issuer == iss;
  const char* aud = ok ? jwt_get_grant(jwt, "aud") : nullptr;
  ok = ok && aud && audience == aud;
  if (ok) {
    errno = 0;
    long exp = jwt_get_grant_int(jwt, "exp");
    ok = errno == 0 && now < exp;
  }
  jwt_free(jwt);
  return ok;
}

void sign(benchmark::State& state, alg a) {
  const claim_times t;
  std::string token;
  for (auto _ : state) {
    token = make_token(a, t);
    benchmark::DoNotOptimize(token);
  }
  check(state, !token.empty(), "libjwt sign failed");
}

void verify(benchmark::State& state, alg a) {
  const std::string token = make_token(a, claim_times{});
  if (!check(state, verify_token(a, token, unix_now()), "libjwt rejects its own token")) return;
  bool ok = true;
  for (auto _ : state) {
    ok = verify_token(a, token, unix_now());
    benchmark::DoNotOptimize(ok);
  }
  check(state, ok, "libjwt verify failed");
}

void register_all() {
  for (alg a : {alg::HS256, alg::RS256, alg::ES256}) {  // no EdDSA in libjwt 1.10
    add_benchmark(op::sign, "libjwt", a, [a](benchmark::State& s) { sign(s, a); });
    add_benchmark(op::verify, "libjwt", a, [a](benchmark::State& s) { verify(s, a); });
    add_token_maker("libjwt", a, [a] { return make_token(a, claim_times{}); });
  }
}
const registrar reg(register_all);

}  // namespace
}  // namespace bench
