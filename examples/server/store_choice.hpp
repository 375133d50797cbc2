// tessera-server — which store holds codes, refresh tokens, sessions, consents and
// revocations (`--store`):
//
//   sqlite                the default: <data-dir>/tessera.db (one host; survives restarts)
//   sqlite:PATH           another SQLite file
//   memory                nothing survives a restart (tests, demos)
//   postgres[:CONNINFO]   PostgreSQL, shared by replicas: a libpq connection string or URI
//                         (postgresql://...); none: libpq's PG* environment and ~/.pgpass
//   postgresql://...      the same, as a URI
//   redis://... rediss://...   Redis, shared by replicas (rediss: TLS)
//
// A shared store means replicas: see `shared` and main.cpp's key rule.
#pragma once

#include <tessera/sqlite.hpp>
#include <tessera/store/any.hpp>
#include <tessera/store/memory.hpp>
#ifdef TESSERA_HAS_POSTGRES
#include <tessera/postgres.hpp>
#endif
#ifdef TESSERA_HAS_REDIS
#include <tessera/redis.hpp>
#endif

#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

namespace examples {

struct store_choice {
  tessera::store::any store;
  std::string description;  // for the start-up line; never a password
  bool shared = false;      // other processes may use it at once (replicas)
};

/// `/readyz`'s store check: one read through the store (a round trip to PostgreSQL or Redis),
/// at most once per `interval` however often it is asked — the probe is open to anyone, so
/// its cost must not follow the request rate. The answer in between is the last one.
class store_readiness {
 public:
  explicit store_readiness(tessera::store::any store, std::chrono::milliseconds interval = std::chrono::seconds{1})
      : store_(std::move(store)), interval_(interval) {}

  bool ready(std::error_code& ec) {
    std::lock_guard lk(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!asked_ || now - checked_ >= interval_) {
      std::error_code e;
      store_.family_revoked("tessera-readiness-probe", e);
      last_ = e;
      checked_ = now;
      asked_ = true;
    }
    ec = last_;
    return !last_;
  }

 private:
  tessera::store::any store_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  bool asked_ = false;
  std::chrono::steady_clock::time_point checked_{};
  std::error_code last_;
};

/// Whether `spec` names a store other processes may share (PostgreSQL, Redis).
inline bool is_shared_store(std::string_view spec) {
  return spec == "postgres" || spec.starts_with("postgres:") || spec.starts_with("postgresql://") ||
         spec.starts_with("redis://") || spec.starts_with("rediss://");
}

/// Whether `spec` has one of the forms above (for `--check`: nothing is opened).
inline bool is_store_spec(std::string_view spec) {
  return spec.empty() || spec == "sqlite" || spec.starts_with("sqlite:") || spec == "memory" || is_shared_store(spec);
}

/// Opens the store `spec` names; throws std::runtime_error with the reason.
inline store_choice open_store(std::string_view spec, const std::filesystem::path& data_dir) {
  auto fail = [&](std::string_view what, std::error_code ec) -> std::runtime_error {
    return std::runtime_error("store " + std::string(what) + ": " + ec.message());
  };
  if (spec.empty() || spec == "sqlite" || spec.starts_with("sqlite:")) {
    tessera::store::sqlite_settings st;
    st.path = spec.size() > 7 ? std::filesystem::path(spec.substr(7)) : data_dir / "tessera.db";
    std::error_code ec;
    auto s = tessera::store::any::make<tessera::store::sqlite>(st, ec);
    if (ec) throw fail("sqlite " + st.path.string(), ec);
    return {std::move(s), "sqlite " + st.path.string(), false};
  }
  if (spec == "memory") return {tessera::store::any::make<tessera::store::memory>(), "memory (lost on restart)", false};
  if (spec == "postgres" || spec.starts_with("postgres:") || spec.starts_with("postgresql://")) {
#ifdef TESSERA_HAS_POSTGRES
    tessera::store::postgres_settings st;
    if (spec.starts_with("postgres:") && !spec.starts_with("postgres://")) st.conninfo = std::string(spec.substr(9));
    else if (spec != "postgres") st.conninfo = std::string(spec);
    std::error_code ec;
    auto s = tessera::store::any::make<tessera::store::postgres>(st, ec);
    if (ec) throw fail("postgres", ec);
    return {std::move(s), "postgres (schema " + st.schema + ")", true};
#else
    throw std::runtime_error("this tessera-server was built without the postgres component (libpq-dev)");
#endif
  }
  if (spec.starts_with("redis://") || spec.starts_with("rediss://")) {
#ifdef TESSERA_HAS_REDIS
    std::error_code ec;
    auto st = tessera::store::parse_redis_url(spec, ec);
    if (ec) throw fail("redis URL", ec);
    auto s = tessera::store::any::make<tessera::store::redis>(st, ec);
    if (ec) throw fail("redis " + st.host + ":" + std::to_string(st.port), ec);
    return {std::move(s), std::string(st.tls ? "rediss " : "redis ") + st.host + ":" + std::to_string(st.port), true};
#else
    throw std::runtime_error("this tessera-server was built without the redis component (libhiredis-dev)");
#endif
  }
  throw std::runtime_error("--store: unknown store '" + std::string(spec) +
                           "' (sqlite, sqlite:PATH, memory, postgres[:CONNINFO], postgresql://..., redis://..., rediss://...)");
}

}  // namespace examples
