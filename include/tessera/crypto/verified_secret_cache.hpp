// tessera — crypto/verified_secret_cache.hpp
//
// Remembers, for a while, that a client secret was verified against a stored bcrypt hash, so
// a client that authenticates on every request (client credentials, token refresh) pays
// bcrypt once in a while instead of ≈70 ms each time — and keeps working while a stranger
// holds its failure limits (docs/security.md row 19).
//
// What is stored is only `HMAC-SHA-256(k, client_id, secret, stored_hash)` (fields
// length-prefixed, see `hmac_sha256_key::mac_fields`) with `k` random per process, and two
// instants — never the secret. Consequences:
//  * An entry is found only by presenting exactly the verified secret together with a stored
//    hash the caller still holds: the caller looks up (`recall`) with the hashes its registry
//    has now, so a secret whose hash was rotated out or revoked is never found, however
//    recently it was used; removing a client means the server never asks.
//  * A hit is as good as a bcrypt match and may skip the failed-authentication rate limiter.
//  * A process memory dump holds `k` too, so low-entropy secrets could be brute-forced from
//    entries at HMAC speed; client secrets are random (≥128 bits), passwords should not be
//    cached here.
//
// Lifetime. An entry lives `lifetime` (default 5 min) past its last use: each `recall` hit
// extends it, so a service that authenticates steadily is not sent back to bcrypt — nor into
// a stranger's rate limit — every few minutes. It never lives past `max_lifetime` (default
// 1 h) from the verification that created it: then bcrypt runs again. At most `max_entries`
// are kept; the least recently used goes first. Time comes from the caller (`now`, read from
// the clock policy), so tests move it. Thread-safe: one mutex held for a hash-table lookup
// and a list splice; the HMAC is computed outside it.
#ifndef TESSERA_CRYPTO_VERIFIED_SECRET_CACHE_HPP
#define TESSERA_CRYPTO_VERIFIED_SECRET_CACHE_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace tessera::crypto {

class verified_secret_cache {
 public:
  struct options {
    std::chrono::seconds lifetime{300};       // past the last use
    std::size_t max_entries = 4096;
    std::chrono::seconds max_lifetime{3600};  // past the verification, however often used
  };

  verified_secret_cache() : verified_secret_cache(options{}) {}
  /// Draws the per-process MAC key; throws `tessera::system_error` if the DRBG fails.
  explicit verified_secret_cache(options opts) : opts_(opts), key_(fresh_key()) {
    TESSERA_ASSERT(opts_.max_entries > 0 && opts_.lifetime.count() >= 0 && opts_.max_lifetime.count() >= 0);
  }

  verified_secret_cache(const verified_secret_cache&) = delete;
  verified_secret_cache& operator=(const verified_secret_cache&) = delete;

  /// True when this exact (client_id, secret, stored_hash) was remembered and its entry is
  /// live at `now`; the hit extends the entry by `lifetime`, never past `max_lifetime` from
  /// its verification. Pass only hashes the client has now. Never throws; a MAC failure
  /// answers false (bcrypt runs instead).
  bool recall(std::string_view client_id, std::string_view secret, std::string_view stored_hash, time_point now) noexcept {
    auto id = entry_id(client_id, secret, stored_hash);
    if (!id) return false;
    std::lock_guard lock(mutex_);
    auto it = index_.find(*id);
    if (it == index_.end()) return false;
    auto node = it->second;
    if (now >= node->expires) {
      lru_.erase(node);
      index_.erase(it);
      return false;
    }
    node->expires = std::min(now + opts_.lifetime, node->hard_expiry);
    lru_.splice(lru_.end(), lru_, node);
    return true;
  }

  /// As `recall`, without extending the entry.
  bool contains(std::string_view client_id, std::string_view secret, std::string_view stored_hash,
                time_point now) const noexcept {
    auto id = entry_id(client_id, secret, stored_hash);
    if (!id) return false;
    std::lock_guard lock(mutex_);
    auto it = index_.find(*id);
    return it != index_.end() && now < it->second->expires;
  }

  /// Records a successful verification made at `now`. Call it only after `verify_secret`
  /// (or its Flyte form) returned true for these exact arguments. A live entry for them keeps
  /// its `max_lifetime` (counted from the first verification); an expired one starts anew.
  void remember(std::string_view client_id, std::string_view secret, std::string_view stored_hash, time_point now) {
    auto id = entry_id(client_id, secret, stored_hash);
    if (!id) return;
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(*id); it != index_.end()) {
      auto node = it->second;
      if (now < node->expires) {
        node->expires = std::min(now + opts_.lifetime, node->hard_expiry);
        lru_.splice(lru_.end(), lru_, node);
        return;
      }
      lru_.erase(node);
      index_.erase(it);
    }
    while (!lru_.empty() && (now >= lru_.front().expires || index_.size() >= opts_.max_entries)) {
      index_.erase(lru_.front().id);
      lru_.pop_front();
    }
    const time_point hard = now + opts_.max_lifetime;
    lru_.push_back(node_type{*id, std::min(now + opts_.lifetime, hard), hard});
    index_.emplace(*id, std::prev(lru_.end()));
  }

  /// Forgets everything (e.g. after a client registry reload).
  void clear() noexcept {
    std::lock_guard lock(mutex_);
    index_.clear();
    lru_.clear();
  }

  /// Entries held, expired ones included until they are evicted.
  std::size_t size() const noexcept {
    std::lock_guard lock(mutex_);
    return index_.size();
  }

 private:
  struct node_type {
    sha256_digest id;
    time_point expires;      // last use + lifetime, capped by hard_expiry
    time_point hard_expiry;  // verification + max_lifetime
  };
  using lru_list = std::list<node_type>;  // least recently used first

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

  options opts_;
  hmac_sha256_key key_;
  mutable std::mutex mutex_;
  lru_list lru_;
  std::unordered_map<sha256_digest, lru_list::iterator, detail::digest_hash> index_;
};

}  // namespace tessera::crypto

#endif
