// tessera — crypto/failure_rate_limiter.hpp
//
// Limits failed authentications per key, with growing delays (docs/security.md row 19: secret
// guessing and CPU exhaustion by bcrypt). The callers decide what a key is; the ones tessera
// ships count failures per (who, peer address) pair and per address, so that a stranger's
// failures cost the stranger's address, never the account everywhere:
//
//     auto pair = by_pair.reserve(failure_rate_limiter::pair_key(id, addr), now);
//     if (!pair) -> 429, Retry-After: pair.retry_after()         (no bcrypt run)
//     auto a = by_address.reserve(addr, now);
//     if (!a) -> 429, Retry-After: a.retry_after()                (pair's reservation returns)
//     if (verify(...)) { pair.refund(); a.refund(); by_pair.record_success(pair key); }
//     else             { pair.fail(now); a.fail(now); }
//
// Reserve before the check, settle after it. A reservation holds one of the key's attempts
// while bcrypt runs, so N concurrent wrong secrets run at most `burst` checks, not N: the
// check-then-record gap, where every request passes the limiter before the first failure is
// recorded, is closed. `refund` (the secret was right) gives the attempt back and counts
// nothing; `fail` counts one failure; a reservation dropped unsettled is refunded.
//
// Delays. A key may fail `burst` times back to back. The failure that reaches the burst earns
// a delay of `refill_interval`; each further failure doubles it, up to `max_delay` (zero:
// `refill_interval`, i.e. no growth — after the burst one attempt per interval). While a key
// waits out its delay every attempt is refused without a check and changes nothing, so
// hammering a refused key does not lengthen its wait: it stays refused at most `max_delay`
// after its last counted failure. One failure is forgiven per `max_delay` (or
// `refill_interval`) without failures, so a key that stops failing gets its burst back, and a
// key that goes on failing at the rate it is allowed stays at the longest delay.
// While one attempt past the burst is in flight (reserved, not settled), the key's other
// attempts are refused too: one attempt per delay, even concurrently.
//
// `burst` may be lowered for one call (`reserve(key, now, burst)`): a caller that sees one
// account failing from many addresses gives each address fewer free attempts (one) while the
// attack lasts, without refusing an address that has not failed.
//
// Memory is bounded: keys are stored as a 128-bit keyed MAC (random per process) of the key
// string — constant size, and attacker-chosen keys cannot collide into one hash bucket. An
// entry whose failures have all been forgiven and which holds no reservation is equivalent to
// no entry and is dropped. When `max_keys` are held, such entries are swept; if none is, the
// entry closest to being forgiven goes. Both are O(max_keys) and happen only when a new key
// reserves or fails.
//
// Addresses: `address_key` limits an IPv6 peer by its /64 (one subscriber's usual allocation:
// otherwise an attacker walks through 2^64 addresses of their own) and an IPv4-mapped IPv6
// address as the IPv4 address. Behind a reverse proxy or load balancer that does not preserve
// the client's address, every request has the proxy's address: per-address limits then apply
// to everyone at once and per-(account, address) limits become per account. Make the peer
// address real (TCP passthrough, or tessera's transport facing clients), or raise or switch
// off the per-address limits in the settings and limit per client address at the proxy.
//
// Thread-safe (one mutex; the MAC is computed outside it). Time comes from the caller.
#ifndef TESSERA_CRYPTO_FAILURE_RATE_LIMITER_HPP
#define TESSERA_CRYPTO_FAILURE_RATE_LIMITER_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>

#include <openssl/crypto.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace tessera::crypto {

class failure_rate_limiter {
 public:
  struct options {
    unsigned burst = 10;                       // failures allowed back to back
    std::chrono::seconds refill_interval{30};  // the first delay; doubled by each further failure
    std::size_t max_keys = 16384;              // ≈ 1 MiB at most
    std::chrono::seconds max_delay{0};         // the longest delay; zero: refill_interval (no growth)
  };

  class reservation;

  failure_rate_limiter() : failure_rate_limiter(options{}) {}
  /// Draws the per-process MAC key; throws `tessera::system_error` if the DRBG fails.
  explicit failure_rate_limiter(options opts) : opts_(opts), key_(fresh_key()) {
    TESSERA_ASSERT(opts_.burst > 0 && opts_.burst <= 1'000'000 && opts_.max_keys > 0);
    TESSERA_ASSERT(opts_.refill_interval.count() > 0 && opts_.refill_interval <= longest_delay);
    TESSERA_ASSERT(opts_.max_delay.count() == 0 || (opts_.max_delay >= opts_.refill_interval && opts_.max_delay <= longest_delay));
    if (opts_.max_delay.count() == 0) opts_.max_delay = opts_.refill_interval;
  }

  /// The longest `refill_interval` or `max_delay` accepted: a week.
  static constexpr std::chrono::seconds longest_delay{7 * 24 * 60 * 60};

  failure_rate_limiter(const failure_rate_limiter&) = delete;
  failure_rate_limiter& operator=(const failure_rate_limiter&) = delete;
  // Reservations point at their limiter: it must outlive them.

  /// Takes one attempt of `key` at `now` for a check about to run (e.g. bcrypt), or refuses it.
  /// Granted (`bool(r)`): settle it with `fail` or `refund` once the check is done. Refused:
  /// `r.retry_after()` says how long to wait; nothing was counted. `burst` (when not zero)
  /// replaces the options' burst for this call. A failed MAC refuses for one second.
  [[nodiscard]] reservation reserve(std::string_view key, time_point now, unsigned burst = 0);

  /// True when `key` must wait at `now`: refuse without checking the secret.
  bool refused(std::string_view key, time_point now) const noexcept { return retry_after(key, now).count() > 0; }

  /// `client_authentication_rate_limited` when refused, else clear.
  void check(std::string_view key, time_point now, std::error_code& ec) const noexcept {
    ec = refused(key, now) ? std::error_code(error::client_authentication_rate_limited) : std::error_code{};
  }
  void check(std::string_view key, time_point now) const {
    std::error_code ec;
    check(key, now, ec);
    tessera::detail::throw_if(ec);
  }

  /// How long until `key` may try again (zero when it may now), rounded up to whole seconds
  /// for a `Retry-After` header (RFC 9110 §10.2.3). `burst` as for `reserve`.
  std::chrono::seconds retry_after(std::string_view key, time_point now, unsigned burst = 0) const noexcept {
    auto id = key_id(key);
    if (!id) return std::chrono::seconds{0};
    std::lock_guard lock(mutex_);
    auto it = entries_.find(*id);
    return it == entries_.end() ? std::chrono::seconds{0} : wait(it->second, now, effective(burst));
  }

  /// Counts one failed authentication for `key` at `now`, without a reservation (for checks
  /// too cheap to need one). The delay it earns starts at `now`.
  void record_failure(std::string_view key, time_point now) {
    auto id = key_id(key);
    if (!id) return;
    std::lock_guard lock(mutex_);
    count_failure(*id, now);
  }

  /// A successful authentication clears the key's failures (reservations in flight stay).
  void record_success(std::string_view key) noexcept {
    auto id = key_id(key);
    if (!id) return;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(*id);
    if (it == entries_.end()) return;
    it->second.failures = 0;
    if (it->second.pending == 0) entries_.erase(it);
  }

  /// The failures `key` has at `now` (after forgiveness), reservations not included.
  unsigned failures(std::string_view key, time_point now) const noexcept {
    auto id = key_id(key);
    if (!id) return 0;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(*id);
    return it == entries_.end() ? 0 : current(it->second, now);
  }

  /// Keys currently tracked.
  std::size_t size() const noexcept {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

  /// The key of a (who, where) pair, e.g. (client id, address key): length-prefixed, so no
  /// byte moved between the parts gives the same key.
  static std::string pair_key(std::string_view who, std::string_view where) {
    std::string k = std::to_string(who.size());
    k += ':';
    k += who;
    k += where;
    return k;
  }

  /// The key a peer address is limited under: IPv4 as is, IPv6 by its /64 ("2001:db8:1:2::/64"),
  /// IPv4-mapped IPv6 as the IPv4 address; anything else (a name, a Unix socket) as given.
  static std::string address_key(std::string_view peer) {
    std::string text(peer);
    if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);  // zone id
    unsigned char b[16];
    if (inet_pton(AF_INET6, text.c_str(), b) != 1) return std::string(peer);
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char out[INET6_ADDRSTRLEN];
    if (std::memcmp(b, mapped, sizeof mapped) == 0)
      return inet_ntop(AF_INET, b + 12, out, sizeof out) ? std::string(out) : std::string(peer);
    std::memset(b + 8, 0, 8);
    return inet_ntop(AF_INET6, b, out, sizeof out) ? std::string(out) + "/64" : std::string(peer);
  }

 private:
  using entry_id = std::array<unsigned char, 16>;

  struct entry {
    std::uint32_t failures = 0;  // counted at `last`
    std::uint32_t pending = 0;   // reservations not settled
    time_point last{};           // the latest counted failure
  };

  unsigned effective(unsigned burst) const noexcept { return burst == 0 ? opts_.burst : burst; }

  // One failure is forgiven per `max_delay` since the last one.
  unsigned current(const entry& e, time_point now) const noexcept {
    if (e.failures == 0 || now <= e.last) return e.failures;
    const auto forgiven = (now - e.last) / opts_.max_delay;
    return forgiven >= e.failures ? 0u : e.failures - static_cast<unsigned>(forgiven);
  }

  // The delay earned by the failure that brought the count to `n`.
  time_point::duration delay(unsigned n, unsigned burst) const noexcept {
    if (n < burst) return time_point::duration::zero();
    const unsigned doublings = n - burst;
    auto d = std::chrono::duration_cast<time_point::duration>(opts_.refill_interval);
    const auto cap = std::chrono::duration_cast<time_point::duration>(opts_.max_delay);
    for (unsigned i = 0; i < doublings && d < cap; ++i) d *= 2;
    return std::min(d, cap);
  }

  std::chrono::seconds wait(const entry& e, time_point now, unsigned burst) const noexcept {
    const time_point opens_at = e.last + delay(e.failures, burst);
    if (now < opens_at) return std::chrono::ceil<std::chrono::seconds>(opens_at - now);
    // Past the delay: the attempts left before the next delay may be in flight already.
    const unsigned n = current(e, now);
    if (e.pending > 0 && n + e.pending >= burst)
      return std::max(std::chrono::seconds{1}, std::chrono::ceil<std::chrono::seconds>(delay(n + e.pending, burst)));
    return std::chrono::seconds{0};
  }

  // An entry that holds nothing: no reservation, every failure forgiven.
  bool forgotten(const entry& e, time_point now) const noexcept { return e.pending == 0 && current(e, now) == 0; }

  entry& find_or_add(const entry_id& id, time_point now) {
    auto it = entries_.find(id);
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= opts_.max_keys) make_room(now);
    return entries_.emplace(id, entry{}).first->second;
  }

  // Failures past `burst + 64` change nothing (the delay is at its cap long before), so the
  // count stops there: forgiving it takes a bounded time, and nothing overflows.
  void add_failure(entry& e, time_point now) const noexcept {
    const unsigned n = current(e, now);
    e.failures = std::min(n + 1, opts_.burst + 64);
    e.last = std::max(e.last, now);
  }

  void count_failure(const entry_id& id, time_point now) { add_failure(find_or_add(id, now), now); }

  void make_room(time_point now) {
    std::erase_if(entries_, [&](const auto& e) { return forgotten(e.second, now); });
    if (entries_.size() < opts_.max_keys) return;
    // The entry whose failures would all be forgiven first; reservations in flight last.
    auto forgotten_at = [&](const entry& e) { return e.last + e.failures * opts_.max_delay; };
    auto least = std::min_element(entries_.begin(), entries_.end(), [&](const auto& a, const auto& b) {
      if ((a.second.pending == 0) != (b.second.pending == 0)) return a.second.pending == 0;
      return forgotten_at(a.second) < forgotten_at(b.second);
    });
    entries_.erase(least);
  }

  // Settles one reservation of `id`: counts a failure at `now`, or gives the attempt back.
  void settle(const entry_id& id, std::optional<time_point> failed_at) noexcept {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {  // evicted meanwhile: count the failure afresh
      if (failed_at) try { count_failure(id, *failed_at); } catch (...) {}
      return;
    }
    entry& e = it->second;
    if (e.pending > 0) --e.pending;
    if (failed_at) add_failure(e, *failed_at);
    else if (e.pending == 0 && e.failures == 0) entries_.erase(it);
  }

  static hmac_sha256_key fresh_key() {
    std::array<unsigned char, 32> k;
    random_bytes(k);
    hmac_sha256_key key{k};
    OPENSSL_cleanse(k.data(), k.size());
    return key;
  }

  std::optional<entry_id> key_id(std::string_view key) const noexcept {
    std::error_code ec;
    auto d = key_.mac(key, ec);
    if (ec) return std::nullopt;
    entry_id id;
    std::memcpy(id.data(), d.data(), id.size());
    return id;
  }

  options opts_;
  hmac_sha256_key key_;
  mutable std::mutex mutex_;
  std::unordered_map<entry_id, entry, detail::digest_hash> entries_;
};

/// One attempt of a key, taken by `failure_rate_limiter::reserve` before a check runs. Move-only;
/// settle it once: `fail(now)` counts a failure, `refund()` gives the attempt back. Destroyed
/// unsettled, it is refunded (an early return or an exception counts nothing).
class failure_rate_limiter::reservation {
 public:
  reservation() = default;
  reservation(reservation&& o) noexcept
      : limiter_(std::exchange(o.limiter_, nullptr)), id_(o.id_), retry_after_(o.retry_after_) {}
  reservation& operator=(reservation&& o) noexcept {
    if (this != &o) {
      refund();
      limiter_ = std::exchange(o.limiter_, nullptr);
      id_ = o.id_;
      retry_after_ = o.retry_after_;
    }
    return *this;
  }
  ~reservation() { refund(); }

  /// True when the attempt was granted (and not settled yet).
  explicit operator bool() const noexcept { return limiter_ != nullptr; }
  /// When refused: how long to wait, whole seconds for `Retry-After`. Zero when granted.
  std::chrono::seconds retry_after() const noexcept { return retry_after_; }

  /// The check failed: counts one failure of the key at `now`.
  void fail(time_point now) noexcept {
    if (auto* l = std::exchange(limiter_, nullptr)) l->settle(id_, now);
  }
  /// The check succeeded (or did not run): the attempt is given back; nothing is counted.
  void refund() noexcept {
    if (auto* l = std::exchange(limiter_, nullptr)) l->settle(id_, std::nullopt);
  }

 private:
  friend class failure_rate_limiter;
  reservation(failure_rate_limiter* l, const entry_id& id) noexcept : limiter_(l), id_(id) {}
  explicit reservation(std::chrono::seconds wait) noexcept : retry_after_(wait) {}

  failure_rate_limiter* limiter_ = nullptr;
  entry_id id_{};
  std::chrono::seconds retry_after_{0};
};

inline failure_rate_limiter::reservation failure_rate_limiter::reserve(std::string_view key, time_point now,
                                                                       unsigned burst) {
  auto id = key_id(key);
  if (!id) return reservation(std::chrono::seconds{1});
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(*id); it != entries_.end())
    if (auto w = wait(it->second, now, effective(burst)); w.count() > 0) return reservation(w);
  entry& e = find_or_add(*id, now);
  ++e.pending;
  return reservation(this, *id);
}

}  // namespace tessera::crypto

#endif
