#include <tessera/crypto/failure_rate_limiter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace tessera;
using namespace tessera::crypto;
using namespace std::chrono_literals;

TEST_CASE("a key may fail `burst` times in a row, then is refused") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 5, .refill_interval = 30s, .max_keys = 100});
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(limiter.refused("flytepropeller", clock.now()));
    limiter.record_failure("flytepropeller", clock.now());
  }
  CHECK(limiter.refused("flytepropeller", clock.now()));
}

TEST_CASE("without max_delay a refused key gets one more attempt per refill interval") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 3, .refill_interval = 30s, .max_keys = 100});
  for (int i = 0; i < 3; ++i) limiter.record_failure("c", clock.now());
  CHECK(limiter.refused("c", clock.now()));
  CHECK(limiter.retry_after("c", clock.now()) == 30s);
  clock.advance(29s);
  CHECK(limiter.refused("c", clock.now()));
  CHECK(limiter.retry_after("c", clock.now()) == 1s);
  clock.advance(1s);
  CHECK_FALSE(limiter.refused("c", clock.now()));
  limiter.record_failure("c", clock.now());
  CHECK(limiter.refused("c", clock.now()));
}

TEST_CASE("a key that stops failing recovers its whole burst") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 3, .refill_interval = 10s, .max_keys = 100});
  for (int i = 0; i < 3; ++i) limiter.record_failure("c", clock.now());
  clock.advance(30s);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.refused("c", clock.now()));
    limiter.record_failure("c", clock.now());
  }
  CHECK(limiter.refused("c", clock.now()));
}

TEST_CASE("without max_delay hammering a refused key does not lock it beyond one interval after the last failure") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 3, .refill_interval = 10s, .max_keys = 100});
  for (int i = 0; i < 1000; ++i) limiter.record_failure("c", clock.now());
  CHECK(limiter.retry_after("c", clock.now()) == 10s);
}

TEST_CASE("a success clears the key's failures") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2, .refill_interval = 60s, .max_keys = 100});
  limiter.record_failure("c", clock.now());
  limiter.record_success("c");
  limiter.record_failure("c", clock.now());
  CHECK_FALSE(limiter.refused("c", clock.now()));
  CHECK(limiter.size() == 1);
}

TEST_CASE("keys are limited independently") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 1, .refill_interval = 60s, .max_keys = 100});
  limiter.record_failure("client-a", clock.now());
  CHECK(limiter.refused("client-a", clock.now()));
  CHECK_FALSE(limiter.refused("client-b", clock.now()));
}

TEST_CASE("check reports client_authentication_rate_limited, an invalid_client condition") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 1, .refill_interval = 60s, .max_keys = 100});
  std::error_code ec;
  limiter.check("10.0.0.1", clock.now(), ec);
  CHECK_FALSE(ec);
  limiter.record_failure("10.0.0.1", clock.now());
  limiter.check("10.0.0.1", clock.now(), ec);
  CHECK(ec == error::client_authentication_rate_limited);
  CHECK(ec == condition::invalid_client);
  CHECK_THROWS_AS(limiter.check("10.0.0.1", clock.now()), tessera::system_error);
}

TEST_CASE("memory stays bounded under a flood of distinct keys") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 3, .refill_interval = 60s, .max_keys = 50});
  for (int i = 0; i < 1000; ++i) limiter.record_failure("attacker-" + std::to_string(i), clock.now());
  CHECK(limiter.size() <= 50);
}

TEST_CASE("when full, recovered keys are dropped before a locked key is") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2, .refill_interval = 10s, .max_keys = 3});
  limiter.record_failure("a", clock.now());
  limiter.record_failure("b", clock.now());
  clock.advance(10s);  // "a" and "b" have fully recovered
  limiter.record_failure("locked", clock.now());
  limiter.record_failure("locked", clock.now());
  CHECK(limiter.refused("locked", clock.now()));
  limiter.record_failure("c", clock.now());  // full: the recovered "a" and "b" go
  CHECK(limiter.refused("locked", clock.now()));
  CHECK(limiter.size() == 2);
}

TEST_CASE("when full and nobody has recovered, the key closest to recovery is dropped") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2, .refill_interval = 10s, .max_keys = 2});
  limiter.record_failure("light", clock.now());
  limiter.record_failure("locked", clock.now());
  limiter.record_failure("locked", clock.now());
  limiter.record_failure("new", clock.now());
  CHECK(limiter.size() == 2);
  CHECK(limiter.refused("locked", clock.now()));
}

TEST_CASE("the limiter is safe to use from several threads") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2001, .refill_interval = 60s, .max_keys = 1000});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        limiter.record_failure("shared", clock.now());
        (void)limiter.refused("shared", clock.now());
      }
    });
  for (auto& th : threads) th.join();
  // Exactly 2000 failures counted (none lost to a race): one more reaches the burst of 2001.
  CHECK_FALSE(limiter.refused("shared", clock.now()));
  limiter.record_failure("shared", clock.now());
  CHECK(limiter.refused("shared", clock.now()));
}

// --- growing delays (docs/security.md row 19) -------------------------------------------------------

TEST_CASE("row 19: each failure past the burst doubles the delay, up to max_delay") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 3, .refill_interval = 30s, .max_keys = 100, .max_delay = 600s});
  for (int i = 0; i < 3; ++i) limiter.record_failure("c", clock.now());
  std::vector<std::chrono::seconds> waits;
  for (int i = 0; i < 8; ++i) {
    auto w = limiter.retry_after("c", clock.now());
    waits.push_back(w);
    clock.advance(w - 1s);
    CHECK(limiter.refused("c", clock.now()));
    clock.advance(1s);
    CHECK_FALSE(limiter.refused("c", clock.now()));
    limiter.record_failure("c", clock.now());
  }
  CHECK(waits == std::vector<std::chrono::seconds>{30s, 60s, 120s, 240s, 480s, 600s, 600s, 600s});
}

TEST_CASE("row 19: hammering a refused key changes nothing; it is open at most max_delay after its last failure") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2, .refill_interval = 10s, .max_keys = 100, .max_delay = 300s});
  for (int i = 0; i < 2; ++i) limiter.record_failure("c", clock.now());
  for (int i = 0; i < 100; ++i) CHECK_FALSE(limiter.reserve("c", clock.now()));  // refused: nothing counted
  CHECK(limiter.retry_after("c", clock.now()) == 10s);
  CHECK(limiter.failures("c", clock.now()) == 2);
  for (int i = 0; i < 1000; ++i) limiter.record_failure("c", clock.now());  // counted without reservation
  CHECK(limiter.retry_after("c", clock.now()) == 300s);
}

TEST_CASE("row 19: failures are forgiven one per max_delay, so a key that stops failing gets its burst back") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 3, .refill_interval = 10s, .max_keys = 100, .max_delay = 100s});
  for (int i = 0; i < 5; ++i) limiter.record_failure("c", clock.now());  // delay 20 s
  CHECK(limiter.failures("c", clock.now()) == 5);
  clock.advance(100s);
  CHECK(limiter.failures("c", clock.now()) == 4);
  clock.advance(400s);
  CHECK(limiter.failures("c", clock.now()) == 0);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.refused("c", clock.now()));
    limiter.record_failure("c", clock.now());
  }
  CHECK(limiter.retry_after("c", clock.now()) == 10s);
}

// --- reservations: the check-then-act gap (docs/security.md row 19) -----------------------------------

TEST_CASE("row 19: concurrent reservations of one key are granted at most `burst` times") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 5, .refill_interval = 60s, .max_keys = 100, .max_delay = 600s});
  constexpr int threads_n = 32;
  std::atomic<int> granted{0};
  std::latch start(threads_n), all_reserved(threads_n);
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto r = limiter.reserve("alice@203.0.113.66", clock.now());
      if (r) ++granted;
      all_reserved.arrive_and_wait();  // every check "runs" while every reservation is held
      r.fail(clock.now());
    });
  for (auto& th : threads) th.join();
  CHECK(granted == 5);
  CHECK(limiter.failures("alice@203.0.113.66", clock.now()) == 5);
  CHECK(limiter.retry_after("alice@203.0.113.66", clock.now()) == 60s);
}

TEST_CASE("row 19: a refunded reservation counts nothing; a failed one counts one") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2, .refill_interval = 60s, .max_keys = 100});
  for (int i = 0; i < 10; ++i) {
    auto r = limiter.reserve("k", clock.now());
    REQUIRE(r);
    r.refund();
  }
  CHECK(limiter.size() == 0);
  { auto dropped = limiter.reserve("k", clock.now()); }  // unsettled: refunded
  CHECK(limiter.size() == 0);
  auto r = limiter.reserve("k", clock.now());
  REQUIRE(r);
  r.fail(clock.now());
  r.fail(clock.now());  // settled once only
  CHECK(limiter.failures("k", clock.now()) == 1);
}

TEST_CASE("row 19: while the attempt after a delay is in flight, the key's other attempts wait") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 2, .refill_interval = 10s, .max_keys = 100, .max_delay = 100s});
  // Within the burst, two attempts may be in flight at once, not three.
  auto a = limiter.reserve("k", clock.now());
  auto b = limiter.reserve("k", clock.now());
  auto c = limiter.reserve("k", clock.now());
  CHECK(a);
  CHECK(b);
  REQUIRE_FALSE(c);
  CHECK(c.retry_after() == 10s);  // what the two in flight earn if they fail
  a.fail(clock.now());
  b.fail(clock.now());
  clock.advance(10s);
  auto next = limiter.reserve("k", clock.now());
  REQUIRE(next);
  auto other = limiter.reserve("k", clock.now());
  CHECK_FALSE(other);
  CHECK(other.retry_after() == 20s);
  next.refund();  // it was the owner: the key may try again at once
  CHECK(limiter.reserve("k", clock.now()));
}

TEST_CASE("row 19: a stricter burst for one call: an account under attack gives a new address one attempt") {
  manual_clock clock(1'700'000'000);
  failure_rate_limiter limiter({.burst = 10, .refill_interval = 30s, .max_keys = 100, .max_delay = 900s});
  auto first = limiter.reserve("fresh-address", clock.now(), 1);
  REQUIRE(first);  // an address that has not failed is always checked
  first.fail(clock.now());
  auto second = limiter.reserve("fresh-address", clock.now(), 1);
  REQUIRE_FALSE(second);
  CHECK(second.retry_after() == 30s);
  CHECK_FALSE(limiter.refused("fresh-address", clock.now()));  // under the normal burst it would not wait
}

TEST_CASE("row 19: IPv6 peers are limited by their /64, IPv4-mapped ones as IPv4") {
  using L = failure_rate_limiter;
  CHECK(L::address_key("192.0.2.1") == "192.0.2.1");
  CHECK(L::address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64");
  CHECK(L::address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64");
  CHECK(L::address_key("2001:db8:1:3::1") == "2001:db8:1:3::/64");
  CHECK(L::address_key("fe80::1%eth0") == "fe80::/64");
  CHECK(L::address_key("::ffff:192.0.2.1") == "192.0.2.1");
  CHECK(L::address_key("") == "");
  CHECK(L::address_key("not an address") == "not an address");
}

TEST_CASE("row 19: pair keys do not collide when a byte moves between the parts") {
  using L = failure_rate_limiter;
  CHECK(L::pair_key("alice", "x192.0.2.1") != L::pair_key("alicex", "192.0.2.1"));
  CHECK(L::pair_key("a", "") != L::pair_key("", "a"));
}
