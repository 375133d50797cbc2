// tessera — tests/store/conformance.hpp
//
// The store conformance suite: one set of Catch2 TEMPLATE_TEST_CASEs that every store model
// must pass (store/concepts.hpp holds the contract). What this header gives the tests:
//
//   TESSERA_CONFORMING_STORES  the models under test; adding one is one line here plus its
//                              `store_fixture` specialization (store_fixture.hpp)
//   checked_store<S>           the concept operations without the `error_code&` argument: each
//                              call starts from a stale error and throws if the store leaves one,
//                              so every test also proves that success clears `ec`
//   race(n, f)                 runs f(0..n-1) on n threads released at one signal
//   t0, grant(), code(), ...   a fixed start time and records with a distinct value in every field
//
// Time is explicit: every operation takes `now`, so nothing sleeps.
#pragma once

#include "store_fixture.hpp"

#include <tessera/error.hpp>
#include <tessera/store/concepts.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <latch>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

// A macro, not a type list, so that Catch names each instantiation after the store
// ("... - tessera::store::memory") rather than after an index. Each store component's suite
// (tests/store/CMakeLists.txt) defines it to its own model, with its fixture header as
// TESSERA_STORE_FIXTURE_HEADER: one executable per engine, started next to its server.
#ifndef TESSERA_CONFORMING_STORES
#define TESSERA_CONFORMING_STORES tessera::store::memory, tessera::store::any, tessera::store::test::timed_any
#endif

namespace tessera::store::test {

using namespace std::chrono_literals;
using tessera::time_point;

/// The concept operations of `S`, with failures turned into exceptions (a failed store call is
/// a failed test, reported with the operation's name) so that tests read as the contract does.
template <class S>
class checked_store {
  static_assert(full_store<S>, "every model in the conformance suite must model tessera::store::full_store");

 public:
  explicit checked_store(S& s) noexcept : s_(s) {}

  void put_code(std::string_view h, const code_record& r) { call("put_code", [&](auto& ec) { s_.put_code(h, r, ec); }); }
  consume_result consume_code(std::string_view h, time_point now) {
    return call("consume_code", [&](auto& ec) { return s_.consume_code(h, now, ec); });
  }

  void revoke_family(std::string_view id, time_point until) {
    call("revoke_family", [&](auto& ec) { s_.revoke_family(id, until, ec); });
  }
  bool family_revoked(std::string_view id) { return call("family_revoked", [&](auto& ec) { return s_.family_revoked(id, ec); }); }
  void put_access(std::string_view jti, const access_record& a) {
    call("put_access", [&](auto& ec) { s_.put_access(jti, a, ec); });
  }
  void revoke_access(std::string_view jti, time_point until) {
    call("revoke_access", [&](auto& ec) { s_.revoke_access(jti, until, ec); });
  }
  bool access_revoked(std::string_view jti, std::string_view family_id = {}) {
    return call("access_revoked", [&](auto& ec) { return s_.access_revoked(jti, family_id, ec); });
  }
  std::optional<access_record> find_access(std::string_view jti) {
    return call("find_access", [&](auto& ec) { return s_.find_access(jti, ec); });
  }

  void put_refresh(std::string_view h, const refresh_record& r) {
    call("put_refresh", [&](auto& ec) { s_.put_refresh(h, r, ec); });
  }
  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at, time_point now,
                               grace_policy grace = {}) {
    return call("rotate_refresh", [&](auto& ec) { return s_.rotate_refresh(old_h, new_h, new_expires_at, now, grace, ec); });
  }
  std::optional<refresh_record> find_refresh(std::string_view h, time_point now) {
    return call("find_refresh", [&](auto& ec) { return s_.find_refresh(h, now, ec); });
  }
  bool revoke_refresh(std::string_view h) { return call("revoke_refresh", [&](auto& ec) { return s_.revoke_refresh(h, ec); }); }

  /// Without caps, at the epoch unless told (nothing put by the suite is expired then).
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps = {},
                               time_point now = {}) {
    return call("put_device", [&](auto& ec) { return s_.put_device(h, r, caps, now, ec); });
  }
  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now) {
    return call("find_device_by_user_code", [&](auto& ec) { return s_.find_device_by_user_code(uh, now, ec); });
  }
  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now) {
    return call("decide_device", [&](auto& ec) { return s_.decide_device(uh, approved, g, now, ec); });
  }
  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now) {
    return call("poll_device", [&](auto& ec) { return s_.poll_device(h, client_id, now, ec); });
  }

  bool use_once(std::string_view key, time_point expires_at, time_point now) {
    return call("use_once", [&](auto& ec) { return s_.use_once(key, expires_at, now, ec); });
  }

  void put_session(std::string_view h, const session_record& r) {
    call("put_session", [&](auto& ec) { s_.put_session(h, r, ec); });
  }
  std::optional<session_record> find_session(std::string_view h, time_point now) {
    return call("find_session", [&](auto& ec) { return s_.find_session(h, now, ec); });
  }
  void delete_session(std::string_view h) { call("delete_session", [&](auto& ec) { s_.delete_session(h, ec); }); }

  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r) {
    call("put_consent", [&](auto& ec) { s_.put_consent(subject, client_id, r, ec); });
  }
  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now) {
    return call("find_consent", [&](auto& ec) { return s_.find_consent(subject, client_id, now, ec); });
  }
  void delete_consents(std::string_view subject) { call("delete_consents", [&](auto& ec) { s_.delete_consents(subject, ec); }); }

 private:
  template <class F>
  static auto call(const char* op, F&& f) {
    std::error_code ec = error::store_unavailable;  // stale: a successful call must clear it
    if constexpr (std::is_void_v<decltype(f(ec))>) {
      f(ec);
      fail_on(op, ec);
    } else {
      auto r = f(ec);
      fail_on(op, ec);
      return r;
    }
  }
  static void fail_on(const char* op, std::error_code ec) {
    if (ec) throw std::system_error(ec, std::string("store operation ") + op);
  }

  S& s_;
};

/// A fresh store of type S and its checked operations.
template <class S>
struct conformance {
  store_fixture<S> fixture;
  checked_store<S> s{fixture.store()};
  void housekeep(time_point now) { fixture.housekeep(now); }
};

// --- races ------------------------------------------------------------------------------

inline constexpr std::size_t race_threads = 16;
inline constexpr int race_rounds = 40;

/// Runs f(0), ..., f(n-1) on n threads that all start at one signal, so the calls collide;
/// returns the results in thread order. An exception in any thread is rethrown here (Catch
/// assertions are not thread-safe: threads only compute, the test thread checks).
/// The signal is a flag the threads spin on once all of them are running, not the latch alone:
/// the last thread to reach a latch does not wait on it, and would always go first.
template <class F>
auto race(std::size_t n, F f) {
  using result = decltype(f(std::size_t{}));
  struct slot {  // not vector<bool>: its elements share bytes, and threads write them at once
    result value{};
    std::exception_ptr error;
  };
  std::vector<slot> slots(n);
  std::latch running(static_cast<std::ptrdiff_t>(n));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      running.count_down();
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      try {
        slots[i].value = f(i);
      } catch (...) {
        slots[i].error = std::current_exception();
      }
    });
  running.wait();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  std::vector<result> results;
  results.reserve(n);
  for (auto& s : slots) {
    if (s.error) std::rethrow_exception(s.error);
    results.push_back(std::move(s.value));
  }
  return results;
}

template <class Range, class T>
std::size_t count_of(const Range& r, const T& v) {
  return static_cast<std::size_t>(std::count(r.begin(), r.end(), v));
}

// --- records ----------------------------------------------------------------------------

/// A fixed start: the suite never reads the wall clock.
inline const time_point t0 = from_unix_seconds(1'700'000'000);

/// A store key as the server makes them: the hash of a secret value.
inline std::string key(std::string_view secret) { return token_hash(secret); }

inline grant_record grant(std::string family = "family-1", std::string client = "flytectl") {
  return {.client_id = std::move(client),
          .subject = "alice",
          .scope = "openid offline all",
          .audience = "https://flyte.example.com",
          .family_id = std::move(family),
          .user_claims = R"({"name":"Alice","email":"alice@example.com"})",
          .auth_time = t0 - 90s};
}

inline code_record code(time_point expires_at, std::string family = "family-1") {
  return {.grant = grant(std::move(family)),
          .redirect_uri = "http://localhost:53593/callback",
          .code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
          .nonce = "n-0S6_WzA2Mj",
          .expires_at = expires_at};
}

inline refresh_record refresh(time_point expires_at, std::string family = "family-1") {
  return {.grant = grant(std::move(family)), .expires_at = expires_at};
}

inline access_record access(time_point expires_at, std::string family = "family-1") {
  return {.family_id = std::move(family), .expires_at = expires_at, .user_claims = R"({"name":"Alice"})"};
}

inline device_record device(std::string_view user_code, time_point expires_at, std::string client = "flytectl") {
  device_record d;
  d.client_id = std::move(client);
  d.scope = "offline all";
  d.audience = "https://flyte.example.com";
  d.user_code_hash = key(user_code);
  d.expires_at = expires_at;
  d.interval = 5s;
  return d;
}

inline session_record session(time_point expires_at) {
  session_record s;
  s.subject = "alice";
  s.user_claims = R"({"name":"Alice"})";
  s.auth_time = t0 - 30s;
  s.expires_at = expires_at;
  return s;
}

// Every field, for whole-record comparisons.
inline auto fields(const grant_record& g) {
  return std::tie(g.client_id, g.subject, g.scope, g.audience, g.family_id, g.user_claims, g.auth_time);
}
inline auto fields(const code_record& c) {
  return std::tuple_cat(fields(c.grant), std::tie(c.redirect_uri, c.code_challenge, c.nonce, c.expires_at));
}
inline auto fields(const refresh_record& r) { return std::tuple_cat(fields(r.grant), std::tie(r.expires_at)); }
inline auto fields(const access_record& a) { return std::tie(a.family_id, a.expires_at, a.user_claims); }
inline auto fields(const session_record& s) {
  return std::tie(s.subject, s.user_claims, s.auth_time, s.expires_at);
}

template <class Record>
bool same(const Record& a, const Record& b) {
  return fields(a) == fields(b);
}

}  // namespace tessera::store::test

// Readable statuses in failure messages.
namespace Catch {
template <>
struct StringMaker<tessera::store::consume_status> {
  static std::string convert(tessera::store::consume_status s) {
    using enum tessera::store::consume_status;
    switch (s) {
      case ok: return "ok";
      case unknown: return "unknown";
      case expired: return "expired";
      case replayed: return "replayed";
    }
    return "?";
  }
};
template <>
struct StringMaker<tessera::store::rotate_status> {
  static std::string convert(tessera::store::rotate_status s) {
    using enum tessera::store::rotate_status;
    switch (s) {
      case ok: return "ok";
      case unknown: return "unknown";
      case expired: return "expired";
      case revoked: return "revoked";
      case reused: return "reused";
    }
    return "?";
  }
};
template <>
struct StringMaker<tessera::store::poll_status> {
  static std::string convert(tessera::store::poll_status s) {
    using enum tessera::store::poll_status;
    switch (s) {
      case approved: return "approved";
      case pending: return "pending";
      case slow_down: return "slow_down";
      case denied: return "denied";
      case expired: return "expired";
      case unknown: return "unknown";
    }
    return "?";
  }
};
template <>
struct StringMaker<tessera::store::put_device_status> {
  static std::string convert(tessera::store::put_device_status s) {
    using enum tessera::store::put_device_status;
    switch (s) {
      case ok: return "ok";
      case user_code_taken: return "user_code_taken";
      case client_full: return "client_full";
      case address_full: return "address_full";
      case store_full: return "store_full";
    }
    return "?";
  }
};
template <>
struct StringMaker<tessera::store::device_state> {
  static std::string convert(tessera::store::device_state s) {
    using enum tessera::store::device_state;
    switch (s) {
      case pending: return "pending";
      case approved: return "approved";
      case denied: return "denied";
    }
    return "?";
  }
};
}  // namespace Catch
