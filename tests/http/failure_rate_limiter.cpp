#include <tessera/crypto/failure_rate_limiter.hpp>

#include <catch2/catch.hpp>

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

TEST_CASE("a refused key gets one more attempt per refill interval") {
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

TEST_CASE("hammering a refused key does not lock it beyond one interval after the last failure") {
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
