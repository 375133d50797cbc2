// tessera benchmarks — jose_fixture.hpp: what every JOSE benchmark shares.
//
// One set of keys per process (RSA 2048, P-256, Ed25519, a 32-byte HMAC secret), handed to
// each library in its preferred form; the six claims every library signs and checks; and a
// registry, so `jose_main.cpp` can register the benchmarks in an order that puts the
// libraries being compared next to each other in time (the machine is shared and noisy).
#ifndef TESSERA_BENCHMARKS_JOSE_FIXTURE_HPP
#define TESSERA_BENCHMARKS_JOSE_FIXTURE_HPP

#include <benchmark/benchmark.h>

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bench {

enum class alg { HS256, RS256, ES256, EdDSA };
inline constexpr std::array all_algs{alg::HS256, alg::RS256, alg::ES256, alg::EdDSA};

constexpr const char* name_of(alg a) noexcept {
  switch (a) {
    case alg::HS256: return "HS256";
    case alg::RS256: return "RS256";
    case alg::ES256: return "ES256";
    case alg::EdDSA: return "EdDSA";
  }
  return "";
}

/// The key of one algorithm, in every form a library asks for.
struct key_material {
  std::string secret;       // HS256: 32 random bytes
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
  EVP_PKEY* pkey = nullptr; // the generated key (owned by the fixture, lives for the process)
};

/// Generated on first use, once per process.
const key_material& keys(alg a);

// The six claims. iat and exp are taken from the clock when a benchmark starts.
inline constexpr std::string_view issuer = "https://tessera.example";
inline constexpr std::string_view subject = "user-123";
inline constexpr std::string_view audience = "flyteadmin";
inline constexpr std::string_view jwt_id = "Xq3vT9bKp2LmN7wRz5YdAa";  // 22 characters
static_assert(jwt_id.size() == 22);

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct claim_times {
  std::int64_t iat = unix_now();
  std::int64_t exp = iat + 3600;
};

// --- registry ---------------------------------------------------------------------------------
enum class op { sign, verify };
using bench_fn = std::function<void(benchmark::State&)>;

/// Adds `BM_<op>/<lib>/<alg>`. Each library's file calls this from a static registrar.
void add_benchmark(op o, std::string_view lib, alg a, bench_fn fn);

/// Registers a function that makes one token with this library, for the start-up check that
/// tessera accepts every library's tokens (so every row measures real, interoperable JWTs).
void add_token_maker(std::string_view lib, alg a, std::function<std::string()> make);

struct registrar {
  explicit registrar(void (*f)()) { f(); }
};

/// Aborts the benchmark when `ok` is false (a wrong token must never be timed as a fast one).
inline bool check(benchmark::State& state, bool ok, const char* what) {
  if (!ok) state.SkipWithError(what);
  return ok;
}

}  // namespace bench

#endif
