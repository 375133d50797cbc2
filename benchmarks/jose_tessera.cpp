// tessera benchmarks — jose_tessera.cpp: the `tessera` rows (see jose_tessera.hpp), and the
// start-up check that tessera accepts every library's tokens.
#include "jose_tessera.hpp"

namespace bench {
namespace {

using namespace tessera_rows;

void sign(benchmark::State& state, alg a) {
  const jose::jws_signer signer(signing_key(a));
  const claim_times t;
  std::error_code ec;
  for (auto _ : state) {
    std::string token = make_token(signer, t, ec);
    benchmark::DoNotOptimize(token);
  }
  check(state, !ec, "tessera sign failed");
}

template <class Validator>
void verify(benchmark::State& state, alg a) {
  const jose::jws_signer signer(signing_key(a));
  const Validator validator = make_validator<Validator>(a);
  std::error_code ec;
  const std::string token = make_token(signer, claim_times{}, ec);
  validator.validate(token, ec);
  if (!check(state, !ec, "tessera rejects its own token")) return;
  for (auto _ : state) {
    auto r = validator.validate(token, ec);
    benchmark::DoNotOptimize(r);
  }
  check(state, !ec, "tessera verify failed");
}

void register_all() {
  for (alg a : all_algs) {
    add_benchmark(op::sign, "tessera", a, [a](benchmark::State& s) { sign(s, a); });
    add_benchmark(op::verify, "tessera", a, [a](benchmark::State& s) { verify<jose::jwt_validator>(s, a); });
    add_benchmark(op::verify, "tessera-shared", a,
                  [a](benchmark::State& s) { verify<jose::shared_jwt_validator>(s, a); });
    add_token_maker("tessera", a, [a] {
      std::error_code ec;
      return make_token(jose::jws_signer(signing_key(a)), claim_times{}, ec);
    });
  }
}
const registrar reg(register_all);

}  // namespace

bool tessera_accepts(alg a, const std::string& token, std::string& why) {
  std::error_code ec;
  auto r = tessera_rows::make_validator(a).validate(token, ec);
  if (!ec && (r.subject() != subject || r.jwt_id() != jwt_id)) {
    why = "sub or jti differ";
    return false;
  }
  if (ec) why = ec.message();
  return !ec;
}

}  // namespace bench
