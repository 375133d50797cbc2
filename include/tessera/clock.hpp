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

/// Seconds since the Unix epoch, as JWT NumericDate (RFC 7519 §2) counts them.
constexpr std::int64_t to_unix_seconds(time_point t) noexcept {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

/// The range `from_unix_seconds` saturates to: the clock's own range (nanoseconds in
/// libstdc++: 1677-09-21 to 2262-04-11) less 100 years at each end, about 1777 to 2162. The
/// margin is there because callers do arithmetic on a converted date — an expiry plus a grace
/// period, a deadline minus now — and a date pinned to `time_point::max()` would overflow at
/// the first `+ seconds(60)`. A NumericDate beyond 2162 means "never" for every purpose here.
inline constexpr time_point latest_time = std::chrono::floor<seconds>(time_point::max() - std::chrono::years(100));
inline constexpr time_point earliest_time = std::chrono::ceil<seconds>(time_point::min() + std::chrono::years(100));

/// The instant `s` seconds after the Unix epoch, saturated to [earliest_time, latest_time].
/// Claims carry any int64 (an `exp` of 2^63 - 1 is a valid JSON number), and
/// `time_point(seconds(s))` multiplies by 10^9 in int64: beyond ±9.2e9 s that is signed
/// overflow, undefined behaviour, and in practice a date in the past — an "expired" deny-list
/// or replay entry dropped at once. Never convert a claim any other way.
constexpr time_point from_unix_seconds(std::int64_t s) noexcept {
  constexpr std::int64_t latest = to_unix_seconds(latest_time);
  constexpr std::int64_t earliest = to_unix_seconds(earliest_time);
  if (s > latest) return latest_time;
  if (s < earliest) return earliest_time;
  return time_point(seconds(s));
}

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
  explicit manual_clock(std::int64_t unix_seconds) noexcept : manual_clock(from_unix_seconds(unix_seconds)) {}

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

}  // namespace tessera

#endif
