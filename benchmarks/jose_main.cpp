// tessera benchmarks — jose_main.cpp: the registry and main().
//
// Benchmarks are registered grouped by operation and algorithm, then library, so that with
// `--benchmark_enable_random_interleaving=false` the rows being compared run back to back.
#include "jose_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

namespace bench {

namespace {

struct entry {
  op o;
  alg a;
  int lib_rank;
  std::string name;
  bench_fn fn;
};

std::vector<entry>& registry() {
  static std::vector<entry> r;
  return r;
}

struct token_maker {
  std::string lib;
  alg a;
  std::function<std::string()> make;
};
std::vector<token_maker>& makers() {
  static std::vector<token_maker> m;
  return m;
}

int lib_rank(std::string_view lib) {
  constexpr std::string_view order[] = {"tessera", "openssl", "libjwt", "cppjwt"};
  for (int i = 0; i < 4; ++i)
    if (order[i] == lib) return i;
  return 4;
}

}  // namespace

void add_benchmark(op o, std::string_view lib, alg a, bench_fn fn) {
  std::string name = std::string(o == op::sign ? "BM_sign/" : "BM_verify/") + std::string(lib) + "/" + name_of(a);
  registry().push_back({o, a, lib_rank(lib), std::move(name), std::move(fn)});
}

void add_token_maker(std::string_view lib, alg a, std::function<std::string()> make) {
  makers().push_back({std::string(lib), a, std::move(make)});
}

// Defined in jose_tessera.cpp: validates `token` with tessera's jwt_validator for `a`.
bool tessera_accepts(alg a, const std::string& token, std::string& why);

}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  // Every library's tokens must be valid JWTs that an independent verifier accepts.
  bool all_ok = true;
  for (const auto& m : makers()) {
    std::string why;
    bool ok = tessera_accepts(m.a, m.make(), why);
    if (!ok) {
      all_ok = false;
      std::fprintf(stderr, "interop: tessera rejects a %s %s token: %s\n", m.lib.c_str(), name_of(m.a), why.c_str());
    }
  }
  if (all_ok) std::fprintf(stderr, "interop: tessera accepts every library's tokens (%zu checked)\n", makers().size());

  auto& r = registry();
  std::stable_sort(r.begin(), r.end(), [](const entry& x, const entry& y) {
    return std::tie(x.o, x.a, x.lib_rank) < std::tie(y.o, y.a, y.lib_rank);
  });
  // "min" beside the default mean/median/stddev/cv: on a shared VM the fastest repetition is
  // the one least disturbed, so ratios of minima are the steadiest same-run comparison
  // (ratios.py reports both).
  for (auto& e : r)
    benchmark::RegisterBenchmark(e.name.c_str(), e.fn)->ComputeStatistics("min", [](const std::vector<double>& v) {
      return *std::min_element(v.begin(), v.end());
    });
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return all_ok ? 0 : 2;
}
