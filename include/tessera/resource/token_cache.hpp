// tessera — resource/token_cache.hpp
//
// `token_cache<Value>`: what a resource server remembers of tokens it has already validated,
// so that the next request with the same token costs a hash and a lookup instead of a
// signature verification (or a round trip to an introspection endpoint).
//
// Rules:
//  * Keyed by a keyed hash of the whole token (SipHash-2-4-128 under a random per-cache key,
//    crypto/siphash.hpp; docs/security.md row 41); the token itself is never stored. Without the key nobody can make a
//    token that hits another token's entry.
//  * An entry never outlives the instant its owner gave (`valid_until`: the token's `exp`,
//    capped by the validator's `max_age`): `find` treats it as absent from that instant on.
//  * Bounded: at most `max_entries` entries. When full, an insert first drops expired entries
//    of its shard, then the entry that expires soonest — an attacker with many valid tokens
//    can only evict entries, never grow memory.
//  * `max_entries == 0` disables the cache (find always misses, insert does nothing).
//  * Thread-safe: 16 shards, each behind its own mutex, chosen by the hash; lookups of
//    different tokens rarely share a lock.
#ifndef TESSERA_RESOURCE_TOKEN_CACHE_HPP
#define TESSERA_RESOURCE_TOKEN_CACHE_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/siphash.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace tessera::resource {

struct cache_options {
  /// Most entries held; 0 disables the cache.
  std::size_t max_entries = 10000;
  /// Longest an entry is trusted, whatever the token's `exp`: also bounds how long a revoked
  /// token stays accepted when revocation is checked (the check runs again after it).
  seconds max_age{30};
};

template <class Value>
class token_cache {
 public:
  static constexpr std::size_t shard_count = 16;

  explicit token_cache(std::size_t max_entries = cache_options{}.max_entries)
      : key_(crypto::siphash_key::random()),
        per_shard_(max_entries == 0 ? 0 : (max_entries + shard_count - 1) / shard_count) {}

  token_cache(const token_cache&) = delete;
  token_cache& operator=(const token_cache&) = delete;

  /// The value cached for `token`, or null when absent or no longer valid at `now`.
  std::shared_ptr<const Value> find(std::string_view token, time_point now) const {
    if (per_shard_ == 0) return nullptr;
    const auto h = crypto::siphash_2_4_128(key_, token);
    const shard& s = shard_of(h);
    std::lock_guard lk(s.mutex);
    auto it = s.map.find(h);
    if (it == s.map.end() || now >= it->second.valid_until) return nullptr;
    return it->second.value;
  }

  /// Remembers `value` for `token` until `valid_until` (nothing when that is not after `now`).
  void insert(std::string_view token, std::shared_ptr<const Value> value, time_point valid_until, time_point now) {
    if (per_shard_ == 0 || valid_until <= now || !value) return;
    const auto h = crypto::siphash_2_4_128(key_, token);
    shard& s = shard_of(h);
    std::lock_guard lk(s.mutex);
    auto it = s.map.find(h);
    if (it != s.map.end()) {
      it->second = {std::move(value), valid_until};
      return;
    }
    if (s.map.size() >= per_shard_) make_room(s, now);
    s.map.emplace(h, entry{std::move(value), valid_until});
  }

  /// Forgets `token` (e.g. after learning it was revoked).
  void erase(std::string_view token) {
    if (per_shard_ == 0) return;
    const auto h = crypto::siphash_2_4_128(key_, token);
    shard& s = shard_of(h);
    std::lock_guard lk(s.mutex);
    s.map.erase(h);
  }

  void clear() {
    for (auto& s : shards_) {
      std::lock_guard lk(s.mutex);
      s.map.clear();
    }
  }

  /// Entries held now, valid or not yet swept.
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
      std::lock_guard lk(s.mutex);
      n += s.map.size();
    }
    return n;
  }
  std::size_t capacity() const noexcept { return per_shard_ * shard_count; }

 private:
  struct entry {
    std::shared_ptr<const Value> value;
    time_point valid_until;
  };
  struct hash_of_hash {
    // The key is already a PRF output: its low word is a uniform hash.
    std::size_t operator()(const crypto::siphash128& h) const noexcept { return static_cast<std::size_t>(h.lo); }
  };
  struct alignas(64) shard {
    mutable std::mutex mutex;
    std::unordered_map<crypto::siphash128, entry, hash_of_hash> map;
  };

  shard& shard_of(const crypto::siphash128& h) noexcept { return shards_[h.hi % shard_count]; }
  const shard& shard_of(const crypto::siphash128& h) const noexcept { return shards_[h.hi % shard_count]; }

  void make_room(shard& s, time_point now) {
    std::erase_if(s.map, [now](const auto& kv) { return kv.second.valid_until <= now; });
    if (s.map.size() < per_shard_) return;
    auto soonest = s.map.begin();
    for (auto it = s.map.begin(); it != s.map.end(); ++it)
      if (it->second.valid_until < soonest->second.valid_until) soonest = it;
    s.map.erase(soonest);
  }

  crypto::siphash_key key_;
  std::size_t per_shard_;
  std::array<shard, shard_count> shards_;
};

}  // namespace tessera::resource

#endif
