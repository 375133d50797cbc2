// tessera benchmarks — resource.cpp: what a resource server pays per request to accept a
// bearer token (resource::validator), next to the floor it cannot go below.
//
// Rows, for ES256 (argument 0) and RS256 (argument 1) access tokens shaped like tessera's own
// (RFC 9068 claims and `scp`), one key and one token per algorithm shared by every row:
//   BM_raw_verify_jws   jose::verify_jws alone: base64url, header, signature — the floor of
//                       any uncached validation
//   BM_jwt_validator    jose::jwt_validator: the above plus the claims checks
//   BM_uncached         resource::validator with its cache off: everything a first request
//                       pays (claims read into access_claims, one allocation)
//   BM_cached           the same token again: keyed hash and lookup; with 2 threads, both
//                       on one token (one shard, one reference count: the worst case)
//   BM_cached_10k       10,000 distinct cached tokens in turn (a busy server's working set;
//                       the tokens themselves no longer fit the L2 cache)
//
//   tessera_bench_resource --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <tessera/jose.hpp>
#include <tessera/resource/validator.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace tessera;

constexpr std::string_view iss = "https://auth.example.com";
constexpr std::string_view aud = "https://flyte.example.com";

struct setup {
  explicit setup(jose::algorithm a) : key(jose::jwk::generate(a)), keys{key.public_key()}, token(make_token(0)) {}

  std::string make_token(int n) const {
    const auto now = to_unix_seconds(std::chrono::system_clock::now());
    boost::json::object c;
    c["iss"] = iss;
    c["sub"] = "alice@example.com";
    c["aud"] = aud;
    c["client_id"] = "flytectl";
    c["scope"] = "all offline";
    c["scp"] = boost::json::array{"all", "offline"};
    c["iat"] = now;
    c["exp"] = now + 3600;
    c["jti"] = "Vq0pBMaW5NcS7bZx4hJ3kA-" + std::to_string(n);
    return jose::sign_jwt(jose::jws_signer(key, "at+jwt"), c);
  }
  resource::validator_options options(bool cached) const {
    resource::validator_options o;
    o.issuer = std::string(iss);
    o.audiences = {std::string(aud)};
    o.token_type = "at+jwt";
    o.cache.max_entries = cached ? 100'000 : 0;
    o.cache.max_age = seconds(3600);
    return o;
  }

  jose::jwk key;
  jose::jwk_set keys;
  std::string token;
};

const setup& setup_of(std::int64_t alg) {
  static const setup es(jose::algorithm::ES256), rs(jose::algorithm::RS256);
  return alg == 0 ? es : rs;
}
const setup& setup_for(const benchmark::State& state) { return setup_of(state.range(0)); }

void BM_raw_verify_jws(benchmark::State& state) {
  const setup& s = setup_for(state);
  jose::jws_verify_options o;
  o.required_typ = "at+jwt";
  std::error_code ec;
  for (auto _ : state) {
    auto r = jose::verify_jws(s.token, s.keys, o, ec);
    benchmark::DoNotOptimize(r);
  }
  if (ec) state.SkipWithError("verify_jws failed");
}

void BM_jwt_validator(benchmark::State& state) {
  const setup& s = setup_for(state);
  jose::jwt_validator v(s.keys);
  v.issuer(std::string(iss)).audience(std::string(aud)).type("at+jwt");
  std::error_code ec;
  for (auto _ : state) {
    auto r = v.validate(s.token, ec);
    benchmark::DoNotOptimize(r);
  }
  if (ec) state.SkipWithError("jwt_validator failed");
}

void BM_uncached(benchmark::State& state) {
  const setup& s = setup_for(state);
  resource::validator<> v(jose::static_key_set(s.keys), s.options(false));
  std::error_code ec;
  for (auto _ : state) {
    auto r = v.validate(s.token, ec);
    benchmark::DoNotOptimize(r);
  }
  if (ec) state.SkipWithError("validator failed");
}

// One validator per algorithm for all threads of a run, as a server shares one; built in main
// before any benchmark thread starts.
std::unique_ptr<resource::validator<>> cached_validators[2];

void BM_cached(benchmark::State& state) {
  const setup& s = setup_for(state);
  const auto& v = *cached_validators[state.range(0)];
  std::error_code ec;
  for (auto _ : state) {
    auto r = v.validate(s.token, ec);
    benchmark::DoNotOptimize(r);
  }
  if (ec) state.SkipWithError("validator failed");
}

void BM_cached_10k(benchmark::State& state) {
  const setup& s = setup_for(state);
  std::vector<std::string> tokens;
  for (int i = 0; i < 10'000; ++i) tokens.push_back(s.make_token(i));
  resource::validator<> v(jose::static_key_set(s.keys), s.options(true));
  std::error_code ec;
  for (const auto& t : tokens) v.validate(t, ec);
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = v.validate(tokens[i], ec);
    benchmark::DoNotOptimize(r);
    if (++i == tokens.size()) i = 0;
  }
  if (ec) state.SkipWithError("validator failed");
}

BENCHMARK(BM_raw_verify_jws)->Arg(0)->Arg(1);
BENCHMARK(BM_jwt_validator)->Arg(0)->Arg(1);
BENCHMARK(BM_uncached)->Arg(0)->Arg(1);
BENCHMARK(BM_cached)->Arg(0)->Arg(1)->Threads(1)->Threads(2);
BENCHMARK(BM_cached_10k)->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (int a = 0; a < 2; ++a)
    cached_validators[a] = std::make_unique<resource::validator<>>(jose::static_key_set(setup_of(a).keys),
                                                                   setup_of(a).options(true));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
