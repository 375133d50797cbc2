// tessera — crypto/failure_rate_limiter.hpp
//
// Limits failed authentications per key (docs/security.md row 19: secret guessing and CPU exhaustion
// by bcrypt). Keep one limiter per dimension — one keyed by client id, one by client address —
// and ask both *before* running bcrypt:
//
//     if (by_client.refused(id, now) || by_address.refused(addr, now))
//       -> error::client_authentication_rate_limited (invalid_client; 429 with Retry-After)
//     verify ...; on failure record_failure in both; on success record_success(id)
//
// A presented secret found in `verified_secret_cache` is correct by construction, so checking
// the cache first lets a legitimate client through while an attacker holds its key locked.
//
// Algorithm: a token bucket in its GCRA form — one time point per key, the "theoretical
// arrival time" `tat`. Each failure moves `tat` one `refill_interval` later (from `now` if it
// lies in the past); a key is refused while `tat > now + (burst - 1) * refill_interval`.
// So `burst` failures may come back to back, then one more per `refill_interval`
// (defaults: 10, then one per 30 s ≈ 120 guesses an hour per key). `tat` is capped at
// `now + burst * refill_interval`, so hammering a refused key does not extend its lockout
// indefinitely — it stays locked exactly as long as it keeps failing.
//
// Memory is bounded: keys are stored as a 128-bit keyed MAC (random per process) of the key
// string — constant size, and attacker-chosen keys cannot collide into one hash bucket. An
// entry whose bucket has refilled is equivalent to no entry and is dropped. When `max_keys`
// are held, refilled entries are swept; if none is, the entry closest to refilled goes. Both
// are O(max_keys) but happen only on a failure, which already paid for a bcrypt run.
//
// Thread-safe (one mutex; the MAC is computed outside it). Time comes from the caller.
#ifndef TESSERA_CRYPTO_FAILURE_RATE_LIMITER_HPP
#define TESSERA_CRYPTO_FAILURE_RATE_LIMITER_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace tessera::crypto {

class failure_rate_limiter {
 public:
  struct options {
    unsigned burst = 10;                         // failures allowed back to back
    std::chrono::seconds refill_interval{30};    // then one more per interval
    std::size_t max_keys = 16384;                // ≈ 0.6 MiB at most
  };

  failure_rate_limiter() : failure_rate_limiter(options{}) {}
  /// Draws the per-process MAC key; throws `tessera::system_error` if the DRBG fails.
  explicit failure_rate_limiter(options opts) : opts_(opts), key_(fresh_key()) {
    TESSERA_ASSERT(opts_.burst > 0 && opts_.refill_interval.count() > 0 && opts_.max_keys > 0);
  }

  failure_rate_limiter(const failure_rate_limiter&) = delete;
  failure_rate_limiter& operator=(const failure_rate_limiter&) = delete;

  /// True when `key` has used up its failures at `now`: refuse without checking the secret.
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
  /// for a `Retry-After` header (RFC 9110 §10.2.3).
  std::chrono::seconds retry_after(std::string_view key, time_point now) const noexcept {
    auto id = key_id(key);
    if (!id) return std::chrono::seconds{0};
    std::lock_guard lock(mutex_);
    auto it = entries_.find(*id);
    if (it == entries_.end()) return std::chrono::seconds{0};
    auto opens_at = it->second - (opts_.burst - 1) * opts_.refill_interval;
    if (opens_at <= now) return std::chrono::seconds{0};
    return std::chrono::ceil<std::chrono::seconds>(opens_at - now);
  }

  /// Counts one failed authentication for `key` at `now`.
  void record_failure(std::string_view key, time_point now) {
    auto id = key_id(key);
    if (!id) return;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(*id);
    if (it == entries_.end()) {
      if (entries_.size() >= opts_.max_keys) make_room(now);
      it = entries_.emplace(*id, now).first;
    }
    auto tat = std::max(it->second, now) + opts_.refill_interval;
    it->second = std::min(tat, now + opts_.burst * opts_.refill_interval);
  }

  /// A successful authentication clears the key's failures.
  void record_success(std::string_view key) noexcept {
    auto id = key_id(key);
    if (!id) return;
    std::lock_guard lock(mutex_);
    entries_.erase(*id);
  }

  /// Keys currently tracked.
  std::size_t size() const noexcept {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  using entry_id = std::array<unsigned char, 16>;

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

  void make_room(time_point now) {
    std::erase_if(entries_, [&](const auto& e) { return e.second <= now; });
    if (entries_.size() < opts_.max_keys) return;
    auto least = std::min_element(entries_.begin(), entries_.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    entries_.erase(least);
  }

  options opts_;
  hmac_sha256_key key_;
  mutable std::mutex mutex_;
  std::unordered_map<entry_id, time_point, detail::digest_hash> entries_;  // key -> tat
};

}  // namespace tessera::crypto

#endif
