// tessera benchmarks — jose_openssl.cpp: the `openssl` rows (see jose_openssl.hpp).
#include "jose_openssl.hpp"

namespace bench {
namespace {

using openssl_baseline::evp_jwt;

void sign(benchmark::State& state, alg a) {
  const evp_jwt signer(a, true);
  const claim_times t;
  std::string token;
  for (auto _ : state) {
    token = signer.sign(t);
    benchmark::DoNotOptimize(token);
  }
  check(state, !token.empty(), "openssl sign failed");
}

void verify(benchmark::State& state, alg a) {
  const evp_jwt signer(a, true), verifier(a, false);
  const std::string token = signer.sign(claim_times{});
  if (!check(state, verifier.verify(token, unix_now()), "openssl rejects its own token")) return;
  bool ok = true;
  for (auto _ : state) {
    ok = verifier.verify(token, unix_now());
    benchmark::DoNotOptimize(ok);
  }
  check(state, ok, "openssl verify failed");
}

void register_all() {
  for (alg a : all_algs) {
    add_benchmark(op::sign, "openssl", a, [a](benchmark::State& s) { sign(s, a); });
    add_benchmark(op::verify, "openssl", a, [a](benchmark::State& s) { verify(s, a); });
    add_token_maker("openssl", a, [a] { return evp_jwt(a, true).sign(claim_times{}); });
  }
}
const registrar reg(register_all);

}  // namespace
}  // namespace bench
