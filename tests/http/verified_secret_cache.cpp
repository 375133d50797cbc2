#include <tessera/crypto/verified_secret_cache.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace tessera;
using namespace tessera::crypto;
using namespace std::chrono_literals;

namespace {
constexpr std::string_view hash_v1 = "$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr std::string_view hash_v2 = "$2b$10$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
}  // namespace

TEST_CASE("a remembered verification is found for the same client, secret and hash") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache;
  CHECK_FALSE(cache.contains("flytepropeller", "s3cret", hash_v1, clock.now()));
  cache.remember("flytepropeller", "s3cret", hash_v1, clock.now());
  CHECK(cache.contains("flytepropeller", "s3cret", hash_v1, clock.now()));
}

TEST_CASE("a different secret, client or stored hash is not found") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache;
  cache.remember("flytepropeller", "s3cret", hash_v1, clock.now());
  CHECK_FALSE(cache.contains("flytepropeller", "s3creT", hash_v1, clock.now()));
  CHECK_FALSE(cache.contains("flytectl", "s3cret", hash_v1, clock.now()));
  CHECK_FALSE(cache.contains("flytepropeller", "s3cret", hash_v2, clock.now()));  // hash rotated
}

TEST_CASE("moving a byte between client id and secret does not find the entry") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache;
  cache.remember("client", "xsecret", hash_v1, clock.now());
  CHECK_FALSE(cache.contains("clientx", "secret", hash_v1, clock.now()));
  cache.remember(std::string_view("a\0", 2), "b", hash_v1, clock.now());
  CHECK_FALSE(cache.contains("a", std::string_view("\0b", 2), hash_v1, clock.now()));
}

TEST_CASE("an unused entry expires after its lifetime; contains does not extend it") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 300s, .max_entries = 16, .max_lifetime = 3600s});
  cache.remember("c", "s", hash_v1, clock.now());
  clock.advance(299s);
  CHECK(cache.contains("c", "s", hash_v1, clock.now()));
  clock.advance(1s);
  CHECK_FALSE(cache.contains("c", "s", hash_v1, clock.now()));
  CHECK_FALSE(cache.recall("c", "s", hash_v1, clock.now()));
}

TEST_CASE("row 19: an entry in use lives on past its lifetime, but never past max_lifetime") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 300s, .max_entries = 16, .max_lifetime = 3600s});
  cache.remember("c", "s", hash_v1, clock.now());
  const auto verified_at = clock.now();
  // Used every 4 minutes: each hit extends it by 5 minutes.
  while (clock.now() + 240s < verified_at + 3600s) {
    clock.advance(240s);
    REQUIRE(cache.recall("c", "s", hash_v1, clock.now()));
  }
  // The hard maximum holds however recently it was used (remember does not reset it either).
  cache.remember("c", "s", hash_v1, clock.now());
  clock.advance(verified_at + 3600s - clock.now() - 1s);
  CHECK(cache.recall("c", "s", hash_v1, clock.now()));
  clock.advance(1s);
  CHECK_FALSE(cache.recall("c", "s", hash_v1, clock.now()));
  CHECK_FALSE(cache.contains("c", "s", hash_v1, clock.now()));
  // Verified again by bcrypt: a new entry with a new maximum.
  cache.remember("c", "s", hash_v1, clock.now());
  CHECK(cache.recall("c", "s", hash_v1, clock.now()));
}

TEST_CASE("row 19: extending an entry never makes a rotated-out hash match: recall is keyed by the stored hash") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 300s, .max_entries = 16, .max_lifetime = 3600s});
  cache.remember("c", "old-secret", hash_v1, clock.now());
  for (int i = 0; i < 10; ++i) {
    clock.advance(60s);
    REQUIRE(cache.recall("c", "old-secret", hash_v1, clock.now()));
  }
  // The registry now holds only hash_v2 (the secret was rotated): the caller recalls with it.
  CHECK_FALSE(cache.recall("c", "old-secret", hash_v2, clock.now()));
  CHECK_FALSE(cache.recall("c", "new-secret", hash_v2, clock.now()));
  CHECK_FALSE(cache.recall("c", "new-secret", hash_v1, clock.now()));
}

TEST_CASE("the cache holds at most max_entries, evicting the least recently used") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 300s, .max_entries = 3});
  for (int i = 0; i < 3; ++i) cache.remember("c" + std::to_string(i), "s", hash_v1, clock.now());
  CHECK(cache.recall("c0", "s", hash_v1, clock.now()));  // c1 is now the least recently used
  cache.remember("c3", "s", hash_v1, clock.now());
  CHECK(cache.size() == 3);
  CHECK(cache.contains("c0", "s", hash_v1, clock.now()));
  CHECK_FALSE(cache.contains("c1", "s", hash_v1, clock.now()));
  CHECK(cache.contains("c3", "s", hash_v1, clock.now()));
}

TEST_CASE("remembering a live entry again does not evict another one from a full cache") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 300s, .max_entries = 2});
  cache.remember("a", "s", hash_v1, clock.now());
  cache.remember("b", "s", hash_v1, clock.now());
  cache.remember("b", "s", hash_v1, clock.now());
  CHECK(cache.contains("a", "s", hash_v1, clock.now()));
  CHECK(cache.contains("b", "s", hash_v1, clock.now()));
}

TEST_CASE("expired entries are dropped when new ones arrive") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 10s, .max_entries = 100});
  for (int i = 0; i < 50; ++i) cache.remember("c" + std::to_string(i), "s", hash_v1, clock.now());
  clock.advance(11s);
  cache.remember("new", "s", hash_v1, clock.now());
  CHECK(cache.size() == 1);
}

TEST_CASE("clear forgets every entry") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache;
  cache.remember("c", "s", hash_v1, clock.now());
  cache.clear();
  CHECK_FALSE(cache.contains("c", "s", hash_v1, clock.now()));
}

TEST_CASE("two caches do not share entries (each has its own random key)") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache a, b;
  a.remember("c", "s", hash_v1, clock.now());
  CHECK_FALSE(b.contains("c", "s", hash_v1, clock.now()));
}

TEST_CASE("the cache is safe to use from several threads") {
  manual_clock clock(1'700'000'000);
  verified_secret_cache cache({.lifetime = 300s, .max_entries = 64});
  std::atomic<int> misses{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        auto id = "c" + std::to_string(t) + "-" + std::to_string(i % 8);
        cache.remember(id, "s", hash_v1, clock.now());
        if (!cache.recall(id, "s", hash_v1, clock.now())) ++misses;  // 32 live ids < 64 slots
      }
    });
  for (auto& th : threads) th.join();
  CHECK(misses == 0);
  CHECK(cache.size() <= 64);
}
