// tessera benchmarks — jose_profile.cpp: one row of the JOSE benchmark, N times, for
// callgrind. Instruction counts are deterministic where timings on a shared machine are not:
//
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*timed_loop*'
//       build-bench/benchmarks/tessera_profile_jose verify tessera HS256 20000
//
// then total Ir / N is the instructions per operation (profile.sh does this for every row).
#include "jose_openssl.hpp"
#include "jose_tessera.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

using namespace bench;

template <class F>
[[gnu::noinline]] bool timed_loop(long n, F&& f) {
  bool ok = true;
  for (long i = 0; i < n; ++i) ok &= f();
  return ok;
}

bool parse_alg(const char* s, alg& out) {
  for (alg a : all_algs)
    if (std::strcmp(name_of(a), s) == 0) return out = a, true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  alg a{};
  if (argc < 4 || !parse_alg(argv[3], a)) {
    std::fprintf(stderr, "usage: %s sign|verify tessera|tessera-shared|openssl HS256|RS256|ES256|EdDSA [iterations]\n",
                 argv[0]);
    return 1;
  }
  const bool signing = std::strcmp(argv[1], "sign") == 0;
  const bool shared = std::strcmp(argv[2], "tessera-shared") == 0;  // verify through a shared_key_set
  const bool tessera = shared || std::strcmp(argv[2], "tessera") == 0;
  const long n = argc > 4 ? std::atol(argv[4]) : 1000;
  const claim_times t;
  bool ok = false;
  if (tessera) {
    namespace jose = tessera::jose;
    const jose::jws_signer signer(tessera_rows::signing_key(a));
    std::error_code ec;
    const std::string token = tessera_rows::make_token(signer, t, ec);
    auto run = [&](const auto& validator) {
      validator.validate(token, ec);  // warm up (first-use fetches, static init)
      return signing ? timed_loop(n, [&] { return !tessera_rows::make_token(signer, t, ec).empty(); })
                     : timed_loop(n, [&] { return !validator.validate(token, ec).claims.empty(); });
    };
    ok = shared ? run(tessera_rows::make_validator<jose::shared_jwt_validator>(a))
                : run(tessera_rows::make_validator(a));
  } else {
    const openssl_baseline::evp_jwt signer(a, true), verifier(a, false);
    const std::string token = signer.sign(t);
    verifier.verify(token, unix_now());
    ok = signing ? timed_loop(n, [&] { return !signer.sign(t).empty(); })
                 : timed_loop(n, [&] { return verifier.verify(token, unix_now()); });
  }
  if (!ok) std::fprintf(stderr, "%s %s %s failed\n", argv[1], argv[2], argv[3]);
  return ok ? 0 : 2;
}
