// tessera — clock.hpp
//
// The clock is a policy: everything that compares times (token expiry, code lifetimes,
// rate limits, cache lifetimes) asks a clock object, never the system directly, so tests can
// move time. A clock models `tessera::clock` when it has
//
//     time_point now() const noexcept;   // a std::chrono::system_clock::time_point
//
// Models: `system_clock` (the default, free) and `manual_clock` (tests). Exemplar:
//
//     struct fixed_clock { std::chrono::system_clock::time_point now() const noexcept; };
#ifndef TESSERA_CLOCK_HPP
#define TESSERA_CLOCK_HPP

#include <tessera/config.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>

namespace tessera {

using time_point = std::chrono::system_clock::time_point;
using seconds = std::chrono::seconds;

template <class C>
concept clock = requires(const C& c) {
  { c.now() } noexcept -> std::convertible_to<time_point>;
};

/// The wall clock. Empty: costs nothing as a member.
struct system_clock {
  time_point now() const noexcept { return std::chrono::system_clock::now(); }
};

/// A clock that moves only when told; safe to read and advance from several threads.
class manual_clock {
 public:
  manual_clock() noexcept : ticks_(std::chrono::system_clock::now().time_since_epoch().count()) {}
  explicit manual_clock(time_point start) noexcept : ticks_(start.time_since_epoch().count()) {}
  /// Starts at a Unix time in seconds.
  explicit manual_clock(std::int64_t unix_seconds) noexcept : manual_clock(time_point(seconds(unix_seconds))) {}

  time_point now() const noexcept { return time_point(time_point::duration(ticks_.load(std::memory_order_acquire))); }
  void set(time_point t) noexcept { ticks_.store(t.time_since_epoch().count(), std::memory_order_release); }
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) noexcept {
    ticks_.fetch_add(std::chrono::duration_cast<time_point::duration>(d).count(), std::memory_order_acq_rel);
  }

 private:
  std::atomic<time_point::rep> ticks_;
};

static_assert(clock<system_clock>);
static_assert(clock<manual_clock>);

/// Seconds since the Unix epoch, as JWT NumericDate (RFC 7519 §2) counts them.
inline std::int64_t to_unix_seconds(time_point t) noexcept {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}
inline time_point from_unix_seconds(std::int64_t s) noexcept { return time_point(seconds(s)); }

}  // namespace tessera

#endif
