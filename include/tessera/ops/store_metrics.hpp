// tessera — ops/store_metrics.hpp: the time every store operation takes, and its failures, for
// any store behind `store::any`.
//
//     tessera::store::any store = ...;                         // memory, SQLite, PostgreSQL, Redis
//     store = ops::timed_store(std::move(store), metrics);     // the same store, timed
//
// Series:
//   tessera_store_operation_duration_seconds{operation}   histogram (ops::latency_buckets)
//   tessera_store_errors_total{operation}                 operations that set their error_code
// `operation` is the name of the `full_store` operation (store/concepts.hpp): put_code,
// consume_code, rotate_refresh, ... — one series each, made up front. Per call the decorator adds
// two reads of the steady clock, a histogram observation (relaxed atomics) and the virtual call
// it wraps; an operation that throws is timed too. Keys, hashes and records are never looked at.
#ifndef TESSERA_OPS_STORE_METRICS_HPP
#define TESSERA_OPS_STORE_METRICS_HPP

#include <tessera/ops/metrics.hpp>
#include <tessera/store/any.hpp>

#include <array>
#include <chrono>
#include <iterator>
#include <memory>
#include <string_view>
#include <system_error>

namespace tessera::ops {

/// The `full_store` operations, as metric labels.
enum class store_operation {
  put_code,
  consume_code,
  revoke_family,
  family_revoked,
  put_access,
  revoke_access,
  access_revoked,
  find_access,
  put_refresh,
  rotate_refresh,
  find_refresh,
  revoke_refresh,
  put_device,
  find_device_by_user_code,
  decide_device,
  poll_device,
  use_once,
  put_session,
  find_session,
  delete_session,
  put_consent,
  find_consent,
  delete_consents
};

inline constexpr std::string_view store_operation_names[] = {"put_code",       "consume_code",
                                                             "revoke_family",  "family_revoked",
                                                             "put_access",     "revoke_access",
                                                             "access_revoked", "find_access",
                                                             "put_refresh",    "rotate_refresh",
                                                             "find_refresh",   "revoke_refresh",
                                                             "put_device",     "find_device_by_user_code",
                                                             "decide_device",  "poll_device",
                                                             "use_once",       "put_session",
                                                             "find_session",   "delete_session",
                                                             "put_consent",    "find_consent",
                                                             "delete_consents"};

/// `store::backend` that times each call of another `store::any` (see the header comment).
class timed_store_backend final : public store::backend {
 public:
  using operation = store_operation;
  static constexpr std::size_t operation_count = std::size(store_operation_names);

  timed_store_backend(store::any inner, registry& r)
      : inner_(std::move(inner)),
        latency_(r.histograms("tessera_store_operation_duration_seconds", "Time a store operation takes, by operation.",
                              {"operation"})),
        errors_(
            r.counters("tessera_store_errors_total", "Store operations that failed, by operation.", {"operation"})) {
    for (std::size_t i = 0; i < operation_count; ++i) {
      ops_[i].latency = &latency_.with({store_operation_names[i]});
      ops_[i].errors = &errors_.with({store_operation_names[i]});
    }
  }

  void put_code(std::string_view h, const store::code_record& r, std::error_code& ec) override {
    timer t(*this, operation::put_code, ec);
    inner_.get().put_code(h, r, ec);
  }
  store::consume_result consume_code(std::string_view h, tessera::time_point now, std::error_code& ec) override {
    timer t(*this, operation::consume_code, ec);
    return inner_.get().consume_code(h, now, ec);
  }
  void revoke_family(std::string_view id, tessera::time_point until, std::error_code& ec) override {
    timer t(*this, operation::revoke_family, ec);
    inner_.get().revoke_family(id, until, ec);
  }
  bool family_revoked(std::string_view id, std::error_code& ec) override {
    timer t(*this, operation::family_revoked, ec);
    return inner_.get().family_revoked(id, ec);
  }
  void put_access(std::string_view jti, const store::access_record& a, std::error_code& ec) override {
    timer t(*this, operation::put_access, ec);
    inner_.get().put_access(jti, a, ec);
  }
  void revoke_access(std::string_view jti, tessera::time_point until, std::error_code& ec) override {
    timer t(*this, operation::revoke_access, ec);
    inner_.get().revoke_access(jti, until, ec);
  }
  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) override {
    timer t(*this, operation::access_revoked, ec);
    return inner_.get().access_revoked(jti, family_id, ec);
  }
  std::optional<store::access_record> find_access(std::string_view jti, std::error_code& ec) override {
    timer t(*this, operation::find_access, ec);
    return inner_.get().find_access(jti, ec);
  }
  void put_refresh(std::string_view h, const store::refresh_record& r, std::error_code& ec) override {
    timer t(*this, operation::put_refresh, ec);
    inner_.get().put_refresh(h, r, ec);
  }
  store::rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h,
                                      tessera::time_point new_expires_at, tessera::time_point now,
                                      store::grace_policy grace, std::error_code& ec) override {
    timer t(*this, operation::rotate_refresh, ec);
    return inner_.get().rotate_refresh(old_h, new_h, new_expires_at, now, grace, ec);
  }
  std::optional<store::refresh_record> find_refresh(std::string_view h, tessera::time_point now,
                                                    std::error_code& ec) override {
    timer t(*this, operation::find_refresh, ec);
    return inner_.get().find_refresh(h, now, ec);
  }
  bool revoke_refresh(std::string_view h, std::error_code& ec) override {
    timer t(*this, operation::revoke_refresh, ec);
    return inner_.get().revoke_refresh(h, ec);
  }
  store::put_device_status put_device(std::string_view h, const store::device_record& r, const store::device_caps& caps,
                                      tessera::time_point now, std::error_code& ec) override {
    timer t(*this, operation::put_device, ec);
    return inner_.get().put_device(h, r, caps, now, ec);
  }
  std::optional<store::device_record> find_device_by_user_code(std::string_view uh, tessera::time_point now,
                                                               std::error_code& ec) override {
    timer t(*this, operation::find_device_by_user_code, ec);
    return inner_.get().find_device_by_user_code(uh, now, ec);
  }
  bool decide_device(std::string_view uh, bool approved, const store::grant_record& g, tessera::time_point now,
                     std::error_code& ec) override {
    timer t(*this, operation::decide_device, ec);
    return inner_.get().decide_device(uh, approved, g, now, ec);
  }
  store::poll_result poll_device(std::string_view h, std::string_view client_id, tessera::time_point now,
                                 std::error_code& ec) override {
    timer t(*this, operation::poll_device, ec);
    return inner_.get().poll_device(h, client_id, now, ec);
  }
  bool use_once(std::string_view key, tessera::time_point expires_at, tessera::time_point now,
                std::error_code& ec) override {
    timer t(*this, operation::use_once, ec);
    return inner_.get().use_once(key, expires_at, now, ec);
  }
  void put_session(std::string_view h, const store::session_record& r, std::error_code& ec) override {
    timer t(*this, operation::put_session, ec);
    inner_.get().put_session(h, r, ec);
  }
  std::optional<store::session_record> find_session(std::string_view h, tessera::time_point now,
                                                    std::error_code& ec) override {
    timer t(*this, operation::find_session, ec);
    return inner_.get().find_session(h, now, ec);
  }
  void delete_session(std::string_view h, std::error_code& ec) override {
    timer t(*this, operation::delete_session, ec);
    inner_.get().delete_session(h, ec);
  }
  void put_consent(std::string_view subject, std::string_view client_id, const store::consent_record& r,
                   std::error_code& ec) override {
    timer t(*this, operation::put_consent, ec);
    inner_.get().put_consent(subject, client_id, r, ec);
  }
  std::optional<store::consent_record> find_consent(std::string_view subject, std::string_view client_id,
                                                    tessera::time_point now, std::error_code& ec) override {
    timer t(*this, operation::find_consent, ec);
    return inner_.get().find_consent(subject, client_id, now, ec);
  }
  void delete_consents(std::string_view subject, std::error_code& ec) override {
    timer t(*this, operation::delete_consents, ec);
    inner_.get().delete_consents(subject, ec);
  }

 private:
  // Records the time from construction to destruction, and whether `ec` was set by then.
  class timer {
   public:
    timer(timed_store_backend& b, operation op, std::error_code& ec) noexcept
        : b_(b), op_(op), ec_(ec), start_(std::chrono::steady_clock::now()) {}
    ~timer() {
      const auto d = std::chrono::steady_clock::now() - start_;
      auto& o = b_.ops_[static_cast<std::size_t>(op_)];
      o.latency->observe(std::chrono::duration<double>(d).count());
      if (ec_) o.errors->inc();
    }
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;

   private:
    timed_store_backend& b_;
    operation op_;
    const std::error_code& ec_;
    std::chrono::steady_clock::time_point start_;
  };

  struct op_metrics {
    histogram* latency = nullptr;
    counter* errors = nullptr;
  };

  store::any inner_;
  histogram_family& latency_;
  counter_family& errors_;
  std::array<op_metrics, operation_count> ops_{};
};

/// `inner`, timed into `r` (see the header comment). `r` must outlive the result and its copies.
inline store::any timed_store(store::any inner, registry& r) {
  return store::any(std::make_shared<timed_store_backend>(std::move(inner), r));
}

}  // namespace tessera::ops

#endif
