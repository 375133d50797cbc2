// tessera — crypto/verified_secret_cache.hpp
//
// Remembers, for a short time, that a client secret was verified against a stored bcrypt
// hash, so a client that authenticates on every request (client credentials, token refresh)
// pays bcrypt once per lifetime instead of ≈70 ms each time.
//
// What is stored is only `HMAC-SHA-256(k, client_id, secret, stored_hash)` (fields
// length-prefixed, see `hmac_sha256_key::mac_fields`) with `k` random per process, and an
// expiry — never the secret. Consequences:
//  * Changing a client's stored hash (rotation, revocation) invalidates its entries at once,
//    because the hash is part of the key; removing a client means the server never asks.
//  * An entry is found only by presenting exactly the verified secret, so a cache hit is as
//    good as a bcrypt match and may skip the failed-authentication rate limiter.
//  * A process memory dump holds `k` too, so low-entropy secrets could be brute-forced from
//    entries at HMAC speed; client secrets are random (≥128 bits), passwords should not be
//    cached here.
//
// Entries live `lifetime` (default 5 min) from the first verification — a later hit does not
// extend it — and at most `max_entries` are kept (oldest evicted first). Time comes from the
// caller (`now`, read from the clock policy), so tests move it. Thread-safe: one mutex held
// only for a hash-table lookup; the HMAC is computed outside it.
#ifndef TESSERA_CRYPTO_VERIFIED_SECRET_CACHE_HPP
#define TESSERA_CRYPTO_VERIFIED_SECRET_CACHE_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>

#include <openssl/crypto.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace tessera::crypto {

class verified_secret_cache {
 public:
  struct options {
    std::chrono::seconds lifetime{300};
    std::size_t max_entries = 4096;
  };

  verified_secret_cache() : verified_secret_cache(options{}) {}
  /// Draws the per-process MAC key; throws `tessera::system_error` if the DRBG fails.
  explicit verified_secret_cache(options opts) : opts_(opts), key_(fresh_key()) {
    TESSERA_ASSERT(opts_.max_entries > 0);
  }

  verified_secret_cache(const verified_secret_cache&) = delete;
  verified_secret_cache& operator=(const verified_secret_cache&) = delete;

  /// True when this exact (client_id, secret, stored_hash) was remembered and its entry has
  /// not expired at `now`. Never throws; a MAC failure answers false (bcrypt runs instead).
  bool contains(std::string_view client_id, std::string_view secret, std::string_view stored_hash,
                time_point now) const noexcept {
    auto id = entry_id(client_id, secret, stored_hash);
    if (!id) return false;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(*id);
    return it != entries_.end() && now < it->second;
  }

  /// Records a successful verification made at `now`. Call it only after `verify_secret`
  /// (or its Flyte form) returned true for these exact arguments.
  void remember(std::string_view client_id, std::string_view secret, std::string_view stored_hash, time_point now) {
    auto id = entry_id(client_id, secret, stored_hash);
    if (!id) return;
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(*id); it != entries_.end() && now < it->second) return;  // keeps its first expiry
    while (!order_.empty() && (order_.front().second <= now || entries_.size() >= opts_.max_entries)) evict_front();
    auto expiry = now + opts_.lifetime;
    if (entries_.try_emplace(*id, expiry).second) order_.emplace_back(*id, expiry);
  }

  /// Forgets everything (e.g. after a client registry reload).
  void clear() noexcept {
    std::lock_guard lock(mutex_);
    entries_.clear();
    order_.clear();
  }

  /// Entries held, expired ones included until they are evicted.
  std::size_t size() const noexcept {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  static hmac_sha256_key fresh_key() {
    std::array<unsigned char, 32> k;
    random_bytes(k);
    hmac_sha256_key key{k};
    OPENSSL_cleanse(k.data(), k.size());
    return key;
  }

  std::optional<sha256_digest> entry_id(std::string_view client_id, std::string_view secret,
                                        std::string_view stored_hash) const noexcept {
    std::error_code ec;
    auto d = key_.mac_fields({client_id, secret, stored_hash}, ec);
    if (ec) return std::nullopt;
    return d;
  }

  void evict_front() {
    auto it = entries_.find(order_.front().first);
    if (it != entries_.end() && it->second == order_.front().second) entries_.erase(it);
    order_.pop_front();
  }

  options opts_;
  hmac_sha256_key key_;
  mutable std::mutex mutex_;
  std::unordered_map<sha256_digest, time_point, detail::digest_hash> entries_;
  std::deque<std::pair<sha256_digest, time_point>> order_;  // insertion order = expiry order
};

}  // namespace tessera::crypto

#endif
