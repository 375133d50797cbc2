// tessera — tests/server/server_auth_limits.cpp: failed client-secret authentications are limited
// per (client, peer address) and per address, with growing delays, and never per client alone;
// the limit is reserved before bcrypt runs (docs/security.md row 19).
#include "test_server.hpp"

#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace test;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view stranger = "203.0.113.66";
constexpr std::string_view owner = "192.0.2.1";  // the fixture's own address

/// `client_credentials` of flytepropeller with `secret`, sent from `address`.
response from(fixture& f, std::string_view address, std::string_view secret) {
  f.ctx.peer_address = std::string(address);
  return f.client_credentials(secret);
}

std::chrono::seconds retry_after(const response& r) {
  auto v = std::string(r[bhttp::field::retry_after]);
  REQUIRE_FALSE(v.empty());
  return std::chrono::seconds(std::stoll(v));
}

/// Fails `f`'s flytepropeller from `address` until it is refused; returns the refusal.
response lock_out(fixture& f, std::string_view address) {
  for (unsigned i = 0; i < f.settings.client_auth_burst; ++i) {
    INFO("attempt " << i);
    REQUIRE(from(f, address, "guess-" + std::to_string(i)).result() == bhttp::status::unauthorized);
  }
  auto refused = from(f, address, "guess");
  REQUIRE(refused.result() == bhttp::status::too_many_requests);
  return refused;
}

}  // namespace

TEST_CASE("row 19: a stranger's wrong secrets from one address do not lock out the owner's correct secret from another") {
  fixture f;
  lock_out(f, stranger);
  // The owner's secret was never verified before (nothing cached): it is checked and accepted.
  CHECK(from(f, owner, service_secret).result() == bhttp::status::ok);

  // The stranger goes on for hours, waiting out every delay; the owner's cache entry expires
  // meanwhile, and its secret is still checked and accepted each time.
  for (int round = 0; round < 8; ++round) {
    auto r = from(f, stranger, "guess-more");
    if (r.result() == bhttp::status::too_many_requests) {
      f.clock.advance(retry_after(r));
      CHECK(from(f, stranger, "guess-after-wait").result() == bhttp::status::unauthorized);
    }
    f.clock.advance(f.settings.verified_secret_max_lifetime);
    INFO("round " << round);
    CHECK(from(f, owner, service_secret).result() == bhttp::status::ok);
  }
}

TEST_CASE("row 19: the stranger's own address waits longer after each failure, up to a cap") {
  fixture f;
  auto first = lock_out(f, stranger);
  CHECK(retry_after(first) == f.settings.client_auth_refill);
  std::vector<std::chrono::seconds> waits{retry_after(first)};
  for (int i = 0; i < 12; ++i) {
    // Hammering while refused is not checked and does not lengthen the wait.
    auto hammer = from(f, stranger, "hammer");
    CHECK(hammer.result() == bhttp::status::too_many_requests);
    CHECK(retry_after(hammer) == waits.back());
    f.clock.advance(waits.back());
    REQUIRE(from(f, stranger, "guess-after-wait").result() == bhttp::status::unauthorized);
    auto next = from(f, stranger, "guess-again");
    check_error_shape(next, 429, "invalid_client");
    waits.push_back(retry_after(next));
  }
  for (std::size_t i = 1; i < waits.size(); ++i) {
    INFO("wait " << i);
    CHECK(waits[i] == std::min(2 * waits[i - 1], f.settings.client_auth_max_delay));
  }
  CHECK(waits.back() == f.settings.client_auth_max_delay);
}

TEST_CASE("row 19: a service behind the stranger's address keeps its cached secret while it uses it, then waits and gets in") {
  fixture f;
  // One address shared by the service and a guesser (a NAT): the service verified first.
  REQUIRE(from(f, stranger, service_secret).result() == bhttp::status::ok);
  const auto verified_at = f.clock.now();
  lock_out(f, stranger);
  // The guesser tries as often as it may; the service authenticates once a minute. Its
  // cached verification extends with each use, up to verified_secret_max_lifetime.
  while (f.clock.now() + 1min < verified_at + f.settings.verified_secret_max_lifetime) {
    f.clock.advance(1min);
    for (int i = 0; i < 3; ++i) (void)from(f, stranger, "guess-steady");
    INFO("minute " << std::chrono::duration_cast<std::chrono::minutes>(f.clock.now() - verified_at).count());
    REQUIRE(from(f, stranger, service_secret).result() == bhttp::status::ok);
  }
  // Past the maximum the secret must be checked again: from this address that waits out the
  // delay the guesser earned (bounded by the cap), and is then accepted.
  f.clock.advance(1min);
  for (int i = 0; i < 3; ++i) (void)from(f, stranger, "guess-steady");
  auto waiting = from(f, stranger, service_secret);
  REQUIRE(waiting.result() == bhttp::status::too_many_requests);
  CHECK(retry_after(waiting) <= f.settings.client_auth_max_delay);
  f.clock.advance(retry_after(waiting));
  CHECK(from(f, stranger, service_secret).result() == bhttp::status::ok);
}

TEST_CASE("row 19: 24 concurrent wrong secrets from one address run at most `burst` bcrypt checks") {
  // A slow hash (cost 10): without a reservation taken before bcrypt, every request would pass
  // the limiter while the first checks are still running.
  const std::string secret = "a-slow-secret-for-the-race";
  server::client_registry clients;
  server::client slow;
  slow.id = "slowpoke";
  std::error_code ec;
  slow.add_flyte_secret(crypto::hash_flyte_client_secret(secret, 10), ec);
  REQUIRE_FALSE(ec);
  slow.grant_types = {"client_credentials"};
  slow.scopes = {"all"};
  REQUIRE(clients.add(slow) == server::client_problem::none);

  shared_clock clock;
  test_store store;
  header_identity idp;
  server::server_settings settings = default_settings();
  server_type srv{settings, std::move(clients), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), store, idp, clock};
  transport::router router;
  srv.install(router);

  constexpr int attempts = 24;
  std::vector<unsigned> statuses(attempts);
  std::latch start(attempts);
  std::vector<std::thread> threads;
  for (int i = 0; i < attempts; ++i)
    threads.emplace_back([&, i] {
      auto req = fixture::form_request("/oauth2/token", "grant_type=client_credentials", "slowpoke", "wrong-" + std::to_string(i));
      req.prepare_payload();
      const transport::request_context ctx{std::string(stranger), 40000, true};
      start.arrive_and_wait();
      statuses[i] = router.route(req, ctx).result_int();
    });
  for (auto& t : threads) t.join();

  // Each 401 is one bcrypt check that failed; each 429 was refused before bcrypt.
  const auto checked = std::count(statuses.begin(), statuses.end(), 401u);
  const auto refused = std::count(statuses.begin(), statuses.end(), 429u);
  CHECK(checked == settings.client_auth_burst);
  CHECK(refused == attempts - checked);
  // The owner, from its own address, is checked and accepted.
  auto ok = fixture::form_request("/oauth2/token", "grant_type=client_credentials", "slowpoke", secret);
  ok.prepare_payload();
  CHECK(router.route(ok, transport::request_context{std::string(owner), 40000, true}).result() == bhttp::status::ok);
}

TEST_CASE("row 19: a client guessed at from many addresses: past its budget each new address gets one check, the owner still gets in") {
  fixture f;
  // Spend the client's budget from addresses each under their own burst.
  unsigned spent = 0;
  for (int a = 0; spent < f.settings.client_auth_client_budget; ++a) {
    const auto address = "198.51.100." + std::to_string(a);
    for (unsigned i = 0; i < f.settings.client_auth_burst && spent < f.settings.client_auth_client_budget; ++i, ++spent)
      REQUIRE(from(f, address, "spray").result() == bhttp::status::unauthorized);
  }
  // Now a fresh address gets one check, and then waits.
  CHECK(from(f, "203.0.113.1", "spray").result() == bhttp::status::unauthorized);
  auto second = from(f, "203.0.113.1", "spray");
  CHECK(second.result() == bhttp::status::too_many_requests);
  CHECK(retry_after(second) == f.settings.client_auth_refill);
  CHECK(from(f, "203.0.113.2", "spray").result() == bhttp::status::unauthorized);
  // The owner, from an address that has not failed, is checked and accepted.
  CHECK(from(f, owner, service_secret).result() == bhttp::status::ok);
}

TEST_CASE("row 19: addresses of one IPv6 /64 are limited as one address") {
  fixture f;
  for (unsigned i = 0; i < f.settings.client_auth_burst; ++i)
    REQUIRE(from(f, "2001:db8:1:2::" + std::to_string(i + 1), "guess").result() == bhttp::status::unauthorized);
  // Walking through the stranger's own /64 does not buy more guesses.
  CHECK(from(f, "2001:db8:1:2:ffff:ffff:ffff:fffe", "guess").result() == bhttp::status::too_many_requests);
  // The owner in another /64 is checked and accepted.
  CHECK(from(f, "2001:db8:1:3::1", service_secret).result() == bhttp::status::ok);
}
