// Conformance under concurrency: every read-and-change operation is atomic (store/concepts.hpp).
// Each test releases race_threads real threads at once on one key, and repeats that for
// race_rounds fresh keys, so a store that checks and then changes in two steps loses.
#include "conformance.hpp"

#include <string>

using namespace tessera::store;
using namespace tessera::store::test;

namespace {
constexpr auto lifespan = std::chrono::hours(24 * 30);
std::string numbered(std::string_view what, int round, std::size_t thread = 0) {
  return std::string(what) + "-" + std::to_string(round) + "-" + std::to_string(thread);
}
}  // namespace

TEMPLATE_TEST_CASE("N threads redeeming one code: exactly one wins, the others see a replay", "[store][race][code]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto h = key(numbered("code", round));
    c.s.put_code(h, code(t0 + 10min));

    auto results = race(race_threads, [&](std::size_t) { return c.s.consume_code(h, t0 + 1s).status; });

    INFO("round " << round);
    CHECK(count_of(results, consume_status::ok) == 1);
    CHECK(count_of(results, consume_status::replayed) == race_threads - 1);
  }
}

TEMPLATE_TEST_CASE("N threads rotating one refresh token without grace: exactly one wins and the family ends revoked",
                   "[store][race][refresh]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto family = numbered("family", round);
    const auto parent = key(numbered("parent", round));
    c.s.put_refresh(parent, refresh(t0 + lifespan, family));

    auto results = race(race_threads, [&](std::size_t i) {
      return c.s.rotate_refresh(parent, key(numbered("child", round, i)), t0 + lifespan, t0 + 1s).status;
    });

    INFO("round " << round);
    CHECK(count_of(results, rotate_status::ok) == 1);
    // The first loser finds the token rotated (reused, and revokes the family); any later
    // one may already find the family revoked. Both refuse.
    CHECK(count_of(results, rotate_status::reused) >= 1);
    CHECK(count_of(results, rotate_status::reused) + count_of(results, rotate_status::revoked) == race_threads - 1);
    CHECK(c.s.family_revoked(family));
    for (std::size_t i = 0; i < race_threads; ++i) CHECK_FALSE(c.s.find_refresh(key(numbered("child", round, i)), t0 + 2s));
  }
}

TEMPLATE_TEST_CASE("N threads reusing a rotated token under a grace of k uses: exactly k win, then the family dies",
                   "[store][race][refresh][grace]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  constexpr unsigned k = 3;
  const grace_policy grace{.window = 60s, .max_uses = k};
  for (int round = 0; round < race_rounds; ++round) {
    const auto family = numbered("family", round);
    const auto parent = key(numbered("parent", round));
    c.s.put_refresh(parent, refresh(t0 + lifespan, family));
    REQUIRE(c.s.rotate_refresh(parent, key(numbered("first-child", round)), t0 + lifespan, t0, grace).status ==
            rotate_status::ok);

    auto results = race(race_threads, [&](std::size_t i) {
      return c.s.rotate_refresh(parent, key(numbered("child", round, i)), t0 + lifespan, t0 + 10s, grace).status;
    });

    INFO("round " << round);
    CHECK(count_of(results, rotate_status::ok) == k);
    CHECK(count_of(results, rotate_status::reused) >= 1);
    CHECK(count_of(results, rotate_status::reused) + count_of(results, rotate_status::revoked) == race_threads - k);
    CHECK(c.s.family_revoked(family));
  }
}

TEMPLATE_TEST_CASE("N threads reusing a rotated token within a grace of N uses: all win and the family lives",
                   "[store][race][refresh][grace]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const grace_policy grace{.window = 60s, .max_uses = static_cast<unsigned>(race_threads)};
  for (int round = 0; round < race_rounds; ++round) {
    const auto family = numbered("family", round);
    const auto parent = key(numbered("parent", round));
    c.s.put_refresh(parent, refresh(t0 + lifespan, family));
    REQUIRE(c.s.rotate_refresh(parent, key(numbered("first-child", round)), t0 + lifespan, t0, grace).status ==
            rotate_status::ok);

    auto results = race(race_threads, [&](std::size_t i) {
      return c.s.rotate_refresh(parent, key(numbered("child", round, i)), t0 + lifespan, t0 + 10s, grace).status;
    });

    INFO("round " << round);
    CHECK(count_of(results, rotate_status::ok) == race_threads);
    CHECK_FALSE(c.s.family_revoked(family));
    std::size_t live_children = 0;
    for (std::size_t i = 0; i < race_threads; ++i)
      if (c.s.find_refresh(key(numbered("child", round, i)), t0 + 11s)) ++live_children;
    CHECK(live_children == race_threads);
    // The count is spent: one more is reuse.
    CHECK(c.s.rotate_refresh(parent, key(numbered("extra", round)), t0 + lifespan, t0 + 11s, grace).status ==
          rotate_status::reused);
  }
}

TEMPLATE_TEST_CASE("a refresh token revoked while it rotates leaves no live child", "[store][race][refresh]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto parent = key(numbered("parent", round));
    const auto family = numbered("family", round);
    c.s.put_refresh(parent, refresh(t0 + lifespan, family));

    // Half the threads rotate (each to its own child), half revoke; the halves swap every round.
    auto rotates = [&](std::size_t i) { return (i + static_cast<std::size_t>(round)) % 2 == 0; };
    auto results = race(race_threads, [&](std::size_t i) {
      if (!rotates(i)) return c.s.revoke_refresh(parent);
      return c.s.rotate_refresh(parent, key(numbered("child", round, i)), t0 + lifespan, t0 + 1s).status == rotate_status::ok;
    });

    INFO("round " << round);
    for (std::size_t i = 0; i < race_threads; ++i) {
      if (rotates(i)) {
        CHECK_FALSE(c.s.find_refresh(key(numbered("child", round, i)), t0 + 2s));
      } else {
        CHECK(results[i]);  // every revocation found the token
      }
    }
    CHECK(c.s.family_revoked(family));
  }
}

TEMPLATE_TEST_CASE("N threads polling one approved device code: exactly one collects it", "[store][race][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto h = key(numbered("device", round));
    const auto user_code = numbered("USER", round);
    c.s.put_device(h, device(user_code, t0 + 10min));
    REQUIRE(c.s.decide_device(key(user_code), true, grant(), t0 + 1s));

    auto results = race(race_threads, [&](std::size_t) { return c.s.poll_device(h, "flytectl", t0 + 5s).status; });

    INFO("round " << round);
    CHECK(count_of(results, poll_status::approved) == 1);
    CHECK(count_of(results, poll_status::pending) == 0);
    CHECK(c.s.poll_device(h, "flytectl", t0 + 1min).status != poll_status::approved);
  }
}

TEMPLATE_TEST_CASE("N threads deciding one user code: exactly one decision takes effect", "[store][race][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto h = key(numbered("device", round));
    const auto user_code = numbered("USER", round);
    c.s.put_device(h, device(user_code, t0 + 10min));

    // Even threads approve, odd threads deny.
    auto results = race(race_threads, [&](std::size_t i) {
      return c.s.decide_device(key(user_code), i % 2 == 0, grant(numbered("family", round, i)), t0 + 1s);
    });

    INFO("round " << round);
    REQUIRE(count_of(results, true) == 1);
    const auto winner = static_cast<std::size_t>(std::find(results.begin(), results.end(), true) - results.begin());
    auto polled = c.s.poll_device(h, "flytectl", t0 + 5s);
    if (winner % 2 == 0) {
      CHECK(polled.status == poll_status::approved);
      CHECK(polled.record.grant.family_id == numbered("family", round, winner));  // the winner's grant, whole
    } else {
      CHECK(polled.status == poll_status::denied);
    }
  }
}

TEMPLATE_TEST_CASE("N threads using one jti: exactly one is accepted", "[store][race][jti]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto jti = numbered("flytepropeller:jti", round);

    auto results = race(race_threads, [&](std::size_t) { return c.s.use_once(jti, t0 + 5min, t0); });

    INFO("round " << round);
    CHECK(count_of(results, true) == 1);
  }
}

TEMPLATE_TEST_CASE("N threads writing and consuming their own keys at once lose nothing", "[store][race]",
                   TESSERA_CONFORMING_STORES) {
  // Concurrent inserts into one store (a rehash, a page split) must not drop or mix up entries.
  conformance<TestType> c;
  constexpr int per_thread = 64;
  auto results = race(race_threads, [&](std::size_t i) {
    int good = 0;
    for (int n = 0; n < per_thread; ++n) {
      const auto family = numbered("family", n, i);
      c.s.put_code(key(numbered("code", n, i)), code(t0 + 10min, family));
      c.s.put_refresh(key(numbered("rt", n, i)), refresh(t0 + lifespan, family));
      c.s.put_session(key(numbered("session", n, i)), session(t0 + 8h));
      auto consumed = c.s.consume_code(key(numbered("code", n, i)), t0 + 1s);
      auto rotated = c.s.rotate_refresh(key(numbered("rt", n, i)), key(numbered("rt-child", n, i)), t0 + lifespan, t0 + 1s);
      bool fresh_jti = c.s.use_once(numbered("jti", n, i), t0 + 5min, t0);
      auto sess = c.s.find_session(key(numbered("session", n, i)), t0 + 1s);
      if (consumed.status == consume_status::ok && consumed.record.grant.family_id == family &&
          rotated.status == rotate_status::ok && rotated.record.grant.family_id == family && fresh_jti && sess)
        ++good;
    }
    return good;
  });

  for (std::size_t i = 0; i < race_threads; ++i) {
    INFO("thread " << i);
    CHECK(results[i] == per_thread);
    CHECK(c.s.find_refresh(key(numbered("rt-child", per_thread - 1, i)), t0 + 2s));
  }
}

TEMPLATE_TEST_CASE("N threads putting one user code: exactly one wins, and the code maps to the winner",
                   "[store][race][device]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  for (int round = 0; round < race_rounds; ++round) {
    const auto user_code = numbered("USER", round);
    auto results = race(race_threads, [&](std::size_t i) {
      return c.s.put_device(key(numbered("device", round, i)), device(user_code, t0 + 10min, numbered("client", round, i)),
                            {}, t0);
    });

    INFO("round " << round);
    REQUIRE(count_of(results, put_device_status::ok) == 1);
    CHECK(count_of(results, put_device_status::user_code_taken) == race_threads - 1);
    const auto winner = static_cast<std::size_t>(std::find(results.begin(), results.end(), put_device_status::ok) - results.begin());
    auto found = c.s.find_device_by_user_code(key(user_code), t0 + 1s);
    REQUIRE(found);
    CHECK(found->client_id == numbered("client", round, winner));
  }
}

TEMPLATE_TEST_CASE("N threads putting device authorizations at a cap: never more than the cap", "[store][race][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const device_caps caps{.per_client = 0, .per_address = 0, .total = 5};
  auto results = race(race_threads, [&](std::size_t i) {
    return c.s.put_device(key(numbered("device", 0, i)), device(numbered("USER", 0, i), t0 + 10min), caps, t0);
  });
  CHECK(count_of(results, put_device_status::ok) == 5);
  CHECK(count_of(results, put_device_status::store_full) == race_threads - 5);
}
