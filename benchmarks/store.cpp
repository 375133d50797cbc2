// The stores, operation by operation, in process: what one request costs in each engine.
//
//   BM_store/<op>/<store>
//     put_access       the write issuing an access token used to cost (now only a person's
//                      token writes it, for userinfo; a client's token writes nothing)
//     access_revoked   the read behind every bearer check that misses the revocation cache
//     code             put_code + consume_code: one authorization code's life
//     rotate           rotate_refresh along a chain: one refresh
//
// Stores: memory; sqlite with synchronous=full (the default: fsync per commit) and normal;
// postgres when TESSERA_BENCH_PG holds a connection string; redis when TESSERA_BENCH_REDIS
// holds a redis:// URL (benchmarks/store_bench.sh starts both and sets them).
#include <tessera/sqlite.hpp>
#include <tessera/store.hpp>
#ifdef TESSERA_HAS_POSTGRES
#include <tessera/postgres.hpp>
#endif
#ifdef TESSERA_HAS_REDIS
#include <tessera/redis.hpp>
#endif

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

using namespace tessera;
using namespace std::chrono_literals;

const time_point t0 = std::chrono::time_point_cast<time_point::duration>(std::chrono::system_clock::now());

store::grant_record grant(std::string family) {
  return {.client_id = "flytectl", .subject = "alice", .scope = "openid offline all", .audience = "https://flyte.example.com",
          .family_id = std::move(family), .user_claims = R"({"name":"Alice","email":"alice@example.com"})",
          .auth_time = t0};
}

std::string temp_db() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tessera-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) std::abort();
  return tmpl;
}

// A store for one benchmark run, and its temporary directory (removed after the store closes).
struct bench_store {
  std::shared_ptr<store::any> s;
  std::string dir;
  bench_store(std::shared_ptr<store::any> store, std::string d = {}) : s(std::move(store)), dir(std::move(d)) {}
  bench_store(const bench_store&) = delete;
  ~bench_store() {
    s.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
  explicit operator bool() const noexcept { return s != nullptr; }
  store::any* operator->() const noexcept { return s.get(); }
};

std::shared_ptr<store::any> open_store(const std::string& kind, benchmark::State& state, std::string& dir);

std::unique_ptr<bench_store> make(const std::string& kind, benchmark::State& state) {
  std::string dir;
  auto s = open_store(kind, state, dir);
  return std::make_unique<bench_store>(std::move(s), std::move(dir));
}

std::shared_ptr<store::any> open_store(const std::string& kind, benchmark::State& state, std::string& dir) {
  std::error_code ec;
  if (kind == "memory") return std::make_shared<store::any>(store::any::make<store::memory>());
  if (kind == "sqlite_full" || kind == "sqlite_normal") {
    store::sqlite_settings st;
    dir = temp_db();
    st.path = std::filesystem::path(dir) / "tessera.db";
    st.synchronous = kind == "sqlite_full" ? store::sqlite_settings::sync::full : store::sqlite_settings::sync::normal;
    auto s = store::any::make<store::sqlite>(st, ec);
    if (ec) return state.SkipWithError(ec.message().c_str()), nullptr;
    return std::make_shared<store::any>(std::move(s));
  }
#ifdef TESSERA_HAS_POSTGRES
  if (kind == "postgres") {
    const char* conninfo = std::getenv("TESSERA_BENCH_PG");
    if (!conninfo) return state.SkipWithError("TESSERA_BENCH_PG is not set"), nullptr;
    store::postgres_settings st;
    st.conninfo = conninfo;
    st.schema = "bench_" + std::to_string(::getpid());
    auto s = store::any::make<store::postgres>(st, ec);
    if (ec) return state.SkipWithError(ec.message().c_str()), nullptr;
    return std::make_shared<store::any>(std::move(s));
  }
#endif
#ifdef TESSERA_HAS_REDIS
  if (kind == "redis") {
    const char* url = std::getenv("TESSERA_BENCH_REDIS");
    if (!url) return state.SkipWithError("TESSERA_BENCH_REDIS is not set"), nullptr;
    auto st = store::parse_redis_url(url, ec);
    if (ec) return state.SkipWithError(ec.message().c_str()), nullptr;
    st.key_prefix = "bench" + std::to_string(::getpid()) + ":";
    auto s = store::any::make<store::redis>(st, ec);
    if (ec) return state.SkipWithError(ec.message().c_str()), nullptr;
    return std::make_shared<store::any>(std::move(s));
  }
#endif
  state.SkipWithError(("store not built: " + kind).c_str());
  return nullptr;
}

void check(benchmark::State& state, std::error_code ec) {
  if (ec) state.SkipWithError(ec.message().c_str());
}

void BM_put_access(benchmark::State& state, std::string kind) {
  auto s = make(kind, state);
  if (!*s) return;
  std::uint64_t n = 0;
  for (auto _ : state) {
    std::error_code ec;
    (*s)->put_access("jti-" + std::to_string(++n), {"family-1", t0 + 30min, R"({"name":"Alice"})"}, ec);
    if (ec) return check(state, ec);
  }
}

void BM_access_revoked(benchmark::State& state, std::string kind) {
  auto s = make(kind, state);
  if (!*s) return;
  std::error_code ec;
  (*s)->revoke_family("revoked-family", t0 + 1h, ec);
  std::uint64_t n = 0;
  for (auto _ : state) {
    ++n;
    bool r = (*s)->access_revoked("jti-" + std::to_string(n), "family-" + std::to_string(n % 64), ec);
    benchmark::DoNotOptimize(r);
    if (ec) return check(state, ec);
  }
}

void BM_code(benchmark::State& state, std::string kind) {
  auto s = make(kind, state);
  if (!*s) return;
  std::uint64_t n = 0;
  store::code_record rec{grant("family"), "http://localhost:53593/callback", "challenge", "nonce", t0 + 5min};
  for (auto _ : state) {
    std::error_code ec;
    const auto h = store::token_hash("code-" + std::to_string(++n));
    (*s)->put_code(h, rec, ec);
    if (ec) return check(state, ec);
    auto r = (*s)->consume_code(h, t0, ec);
    if (ec || r.status != store::consume_status::ok) return check(state, ec ? ec : make_error_code(error::store_failure));
  }
}

void BM_rotate(benchmark::State& state, std::string kind) {
  auto s = make(kind, state);
  if (!*s) return;
  std::error_code ec;
  std::uint64_t n = 0;
  std::string current = store::token_hash("refresh-0");
  (*s)->put_refresh(current, {grant("chain"), t0 + 24h}, ec);
  if (ec) return check(state, ec);
  for (auto _ : state) {
    std::string next = store::token_hash("refresh-" + std::to_string(++n));
    auto r = (*s)->rotate_refresh(current, next, t0 + 24h, t0, {}, ec);
    if (ec || r.status != store::rotate_status::ok) return check(state, ec ? ec : make_error_code(error::store_failure));
    current = std::move(next);
  }
}

const char* const kinds[] = {"memory", "sqlite_full", "sqlite_normal", "postgres", "redis"};

[[maybe_unused]] const bool registered = [] {
  for (const char* k : kinds) {
    benchmark::RegisterBenchmark((std::string("BM_store/put_access/") + k).c_str(), BM_put_access, std::string(k));
    benchmark::RegisterBenchmark((std::string("BM_store/access_revoked/") + k).c_str(), BM_access_revoked, std::string(k));
    benchmark::RegisterBenchmark((std::string("BM_store/code/") + k).c_str(), BM_code, std::string(k));
    benchmark::RegisterBenchmark((std::string("BM_store/rotate/") + k).c_str(), BM_rotate, std::string(k));
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
