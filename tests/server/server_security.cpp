// Negative tests for the authorization server, one group per row of docs/security.md
// (rows 6–8, 12–19, 23–24): a hostile input goes in, a precise error comes out, nothing is
// issued, nothing is lost.
#include "test_server.hpp"

#include <openssl/crypto.h>

#include <barrier>
#include <mutex>
#include <thread>
#include <vector>

using namespace test;

// --- docs/security.md row 13 instrumentation --------------------------------------------------
//
// `crypto::constant_time_equal` is the one comparator for secrets; it calls OpenSSL's
// CRYPTO_memcmp. This executable defines CRYPTO_memcmp itself, which the static linker binds
// the header-only library's calls to ahead of libcrypto's. The definition below is a
// constant-time comparison too, and while `memcmp_recorder` is on it records what was
// compared. The tests of docs/security.md row 13 then prove behaviourally that the server's
// secret comparisons went through the constant-time comparator: had a call site used `==`,
// `std::memcmp` or `std::equal`, the pair it compared would be missing from the record.
namespace {

struct recorded_compare {
  std::string a, b;
};

std::mutex memcmp_mutex;
std::atomic<bool> memcmp_recording{false};
std::vector<recorded_compare> memcmp_calls;

struct memcmp_recorder {
  memcmp_recorder() {
    std::lock_guard lock(memcmp_mutex);
    memcmp_calls.clear();
    memcmp_recording = true;
  }
  ~memcmp_recorder() { memcmp_recording = false; }
  memcmp_recorder(const memcmp_recorder&) = delete;
  memcmp_recorder& operator=(const memcmp_recorder&) = delete;

  /// Whether some recorded comparison compared exactly `x` with `y` (in either order).
  static bool compared(std::string_view x, std::string_view y) {
    std::lock_guard lock(memcmp_mutex);
    for (const auto& c : memcmp_calls)
      if ((c.a == x && c.b == y) || (c.a == y && c.b == x)) return true;
    return false;
  }
  /// Whether some recorded comparison had `x` on one side.
  static bool compared_with(std::string_view x) {
    std::lock_guard lock(memcmp_mutex);
    for (const auto& c : memcmp_calls)
      if (c.a == x || c.b == x) return true;
    return false;
  }
};

}  // namespace

extern "C" int CRYPTO_memcmp(const void* in_a, const void* in_b, size_t len) {
  const auto* a = static_cast<const volatile unsigned char*>(in_a);
  const auto* b = static_cast<const volatile unsigned char*>(in_b);
  unsigned char diff = 0;
  for (size_t i = 0; i < len; ++i) diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  if (memcmp_recording.load(std::memory_order_relaxed)) {
    std::lock_guard lock(memcmp_mutex);
    memcmp_calls.push_back({std::string(static_cast<const char*>(in_a), len), std::string(static_cast<const char*>(in_b), len)});
  }
  return diff;
}

namespace {

std::string str(const boost::json::object& o, std::string_view k) { return std::string(o.at(k).as_string()); }

/// A fresh, uncompleted authorization request of `flytectl` (with PKCE) by alice.
http::parameters flytectl_request(const pkce_pair& pk) { return fixture::code_request(pk, "all offline openid"); }

void check_no_redirect_page(const response& r) {
  CHECK(r.result() == bhttp::status::bad_request);
  CHECK(r[bhttp::field::location].empty());
  check_html_page(r);
}

/// The error a redirect carries back to the client ("" when none).
std::string redirect_error(const response& r) {
  if (r.result() != bhttp::status::see_other) return "<status " + std::to_string(r.result_int()) + ">";
  auto q = location_query(r);
  CHECK(q.count("code") == 0);
  return q["error"];
}

}  // namespace

// --- docs/security.md row 6: PKCE downgrade (RFC 9700 §4.8) -----------------------------------

TEST_CASE("row 6: code_challenge_method=plain is refused at authorize") {
  fixture f;
  pkce_pair pk;
  auto p = with(with(flytectl_request(pk), "code_challenge_method", "plain"), "code_challenge", pk.verifier);
  CHECK(redirect_error(f.authorize(p)) == "invalid_request");
  // even with a value that would be a valid S256 challenge
  CHECK(redirect_error(f.authorize(with(flytectl_request(pk), "code_challenge_method", "plain"))) == "invalid_request");
  CHECK(redirect_error(f.authorize(with(flytectl_request(pk), "code_challenge_method", "s256"))) == "invalid_request");
}

TEST_CASE("row 6: a challenge without a method (which means plain, RFC 7636 §4.3) is refused at authorize") {
  fixture f;
  pkce_pair pk;
  CHECK(redirect_error(f.authorize(with(flytectl_request(pk), "code_challenge_method", std::nullopt))) == "invalid_request");
}

TEST_CASE("row 6: a malformed S256 challenge is refused at authorize") {
  fixture f;
  pkce_pair pk;
  CHECK(redirect_error(f.authorize(with(flytectl_request(pk), "code_challenge", pk.challenge.substr(1)))) == "invalid_request");
  CHECK(redirect_error(f.authorize(with(flytectl_request(pk), "code_challenge", pk.challenge + "A"))) == "invalid_request");
}

TEST_CASE("row 6: a public client without PKCE is refused at authorize") {
  fixture f;
  pkce_pair pk;
  auto p = with(with(flytectl_request(pk), "code_challenge", std::nullopt), "code_challenge_method", std::nullopt);
  CHECK(redirect_error(f.authorize(p)) == "invalid_request");
  // A method alone is no challenge either.
  CHECK(redirect_error(f.authorize(with(flytectl_request(pk), "code_challenge", std::nullopt))) == "invalid_request");
}

TEST_CASE("row 6: a code issued with a challenge needs the verifier: missing verifier is invalid_grant") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
  auto r = f.redeem(code, "");
  check_error_shape(r, 400, "invalid_grant");
  CHECK_FALSE(fixture::json(r).contains("access_token"));
  // The attempt burned the code: the right verifier afterwards does not help an attacker who
  // stole the code and raced the client.
  check_error_shape(f.redeem(code, pk.verifier), 400, "invalid_grant");
}

TEST_CASE("row 6: a wrong or malformed verifier is invalid_grant") {
  fixture f;
  for (std::string wrong : {pkce_pair{}.verifier, std::string(43, 'a'), std::string("short"), std::string(129, 'a')}) {
    pkce_pair pk;
    auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
    check_error_shape(f.redeem(code, wrong), 400, "invalid_grant");
  }
  // The challenge itself, sent as the verifier (a `plain` downgrade at the token endpoint).
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
  check_error_shape(f.redeem(code, pk.challenge), 400, "invalid_grant");
}

TEST_CASE("row 6: a verifier sent for a code issued without a challenge is invalid_grant") {
  fixture f;
  auto p = http::parameters{{"response_type", "code"}, {"client_id", "flytepropeller"}, {"scope", "all"}};
  auto code = fixture::code_of(f.authorize(p));
  check_error_shape(f.redeem(code, pkce_pair{}.verifier, "flytepropeller", ""), 400, "invalid_grant");
}

// --- docs/security.md row 7: code replay (RFC 6749 §4.1.2) ------------------------------------

TEST_CASE("row 7: a replayed code fails and revokes the access and refresh tokens its first redemption issued") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
  auto first = f.redeem(code, pk.verifier);
  REQUIRE(first.result() == bhttp::status::ok);
  auto body = fixture::json(first);
  const auto at = str(body, "access_token"), rt = str(body, "refresh_token");
  REQUIRE(f.active(at));

  auto replay = f.redeem(code, pk.verifier);
  check_error_shape(replay, 400, "invalid_grant");
  CHECK_FALSE(fixture::json(replay).contains("access_token"));

  CHECK_FALSE(f.active(at));
  CHECK_FALSE(f.active(rt));
  check_error_shape(f.refresh(rt), 400, "invalid_grant");
  CHECK(f.userinfo(at).result() == bhttp::status::unauthorized);
}

TEST_CASE("row 7: a replayed code also kills the tokens rotated from its refresh token since") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
  auto body = fixture::json(f.redeem(code, pk.verifier));
  auto rotated = fixture::json(f.refresh(str(body, "refresh_token")));
  const auto at1 = str(rotated, "access_token"), rt1 = str(rotated, "refresh_token");
  REQUIRE(f.active(at1));
  check_error_shape(f.redeem(code, pk.verifier), 400, "invalid_grant");
  CHECK_FALSE(f.active(at1));
  check_error_shape(f.refresh(rt1), 400, "invalid_grant");
}

TEST_CASE("row 7: two racing redemptions of one code: exactly one wins") {
  fixture f;
  for (int round = 0; round < 8; ++round) {
    pkce_pair pk;
    auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
    std::barrier start(2);
    response results[2];
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        auto req = fixture::form_request("/oauth2/token", http::form_encode({{"grant_type", "authorization_code"},
                                                                             {"code", code},
                                                                             {"redirect_uri", cli_redirect},
                                                                             {"client_id", "flytectl"},
                                                                             {"code_verifier", pk.verifier}}));
        req.prepare_payload();
        start.arrive_and_wait();
        results[i] = f.router.route(req, f.ctx);
      });
    for (auto& t : threads) t.join();
    const int ok = int(results[0].result() == bhttp::status::ok) + int(results[1].result() == bhttp::status::ok);
    CHECK(ok == 1);
  }
}

// --- docs/security.md row 8: redirect-URI manipulation (RFC 9700 §4.1, RFC 8252 §7.3) ----------

TEST_CASE("row 8: unregistered and look-alike redirect URIs get an error page, never a redirect") {
  fixture f;
  pkce_pair pk;
  for (std::string_view uri : {
           "https://evil.example.com/callback",
           "http://localhost:53593/callback/evil",      // suffix
           "http://localhost:53593/callbackx",          // suffix
           "http://localhost:53593/callbac",            // prefix
           "http://localhost:53593/",                   // prefix
           "http://localhost:53593/callback/../evil",   // dot segments are not normalised
           "http://localhost:53593/callback?next=evil", // added query
           "http://localhost:53593/Callback",           // case
           "http://LOCALHOST:53593/callback",           // host case
           "https://localhost:53593/callback",          // scheme
           "http://localhost:53594/callback",           // another port on localhost (RFC 8252 §8.3)
           "http://localhost/callback",                 // default port
           "http://localhost:53593@evil.example.com/callback",  // userinfo
           "http://evil.example.com@localhost:53593/callback",  // userinfo
           "http://localhost:53593/callback#frag",      // fragment (RFC 6749 §3.1.2)
           "http://localhost:53593/callback#",          // empty fragment
           "http://127.0.0.1.evil.example.com:53593/callback",
           "http://[::1]:53593/callback",               // a loopback literal that is not registered
           "http://127.0.0.1:53593/other",              // loopback, other path
           "http://127.0.0.1:53593/callback#x",         // loopback with fragment
           "//localhost:53593/callback",                // not absolute
           "localhost:53593/callback",
           "javascript:alert(1)//localhost:53593/callback",
       }) {
    INFO(uri);
    auto r = f.authorize(with(flytectl_request(pk), "redirect_uri", uri));
    check_no_redirect_page(r);
    CHECK(set_cookie_line(r, "__Host-tessera_authz").empty());
  }
}

TEST_CASE("row 8: a bad redirect URI is refused before anything else, with or without a session") {
  fixture f;
  pkce_pair pk;
  // Even an otherwise invalid request (bad response type, no PKCE) must not be reflected
  // to an unregistered URI.
  auto p = with(with(flytectl_request(pk), "redirect_uri", "https://evil.example.com/cb"), "response_type", "token");
  check_no_redirect_page(f.authorize(p));
  check_no_redirect_page(f.authorize(p, ""));
  check_no_redirect_page(f.authorize(with(p, "prompt", "none"), ""));
}

TEST_CASE("row 8: a loopback IP literal matches on any port (RFC 8252 §7.3) and the code is bound to it") {
  fixture f;
  pkce_pair pk;
  const std::string uri = "http://127.0.0.1:61234/callback";
  auto r = f.authorize(with(flytectl_request(pk), "redirect_uri", uri));
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_base(r) == uri);
  auto code = fixture::code_of(r);
  // The token request must repeat the very URI, port included.
  check_error_shape(f.redeem(code, pk.verifier, "flytectl", "http://127.0.0.1:53593/callback"), 400, "invalid_grant");
  pkce_pair pk2;
  auto code2 = fixture::code_of(f.authorize(with(flytectl_request(pk2), "redirect_uri", uri)));
  CHECK(f.redeem(code2, pk2.verifier, "flytectl", uri).result() == bhttp::status::ok);
}

TEST_CASE("row 8: another client's registered redirect URI is refused") {
  fixture f;
  pkce_pair pk;
  check_no_redirect_page(f.authorize(with(flytectl_request(pk), "redirect_uri", "http://localhost:3846/callback")));
}

// --- docs/security.md row 12: refresh-token replay (RFC 9700 §4.14) ---------------------------

TEST_CASE("row 12: replay of a rotated refresh token is invalid_grant and kills the whole family") {
  fixture f;
  auto body = f.login("all offline openid");
  const auto rt0 = str(body, "refresh_token"), at0 = str(body, "access_token");
  auto rotated = fixture::json(f.refresh(rt0));
  const auto rt1 = str(rotated, "refresh_token"), at1 = str(rotated, "access_token");
  REQUIRE(f.active(rt1));

  f.clock.advance(std::chrono::seconds(1));
  auto replay = f.refresh(rt0);
  check_error_shape(replay, 400, "invalid_grant");
  CHECK_FALSE(fixture::json(replay).contains("access_token"));

  // The newest refresh token is dead too, and so is every access token of the family.
  check_error_shape(f.refresh(rt1), 400, "invalid_grant");
  CHECK_FALSE(f.active(rt1));
  CHECK_FALSE(f.active(at0));
  CHECK_FALSE(f.active(at1));
  CHECK(f.userinfo(at1).result() == bhttp::status::unauthorized);
}

TEST_CASE("row 12: a family killed by reuse stays dead after the store sweeps expired entries") {
  // The newest refresh token of a family outlives the token whose reuse revoked it: the
  // revocation must last as long as the newest token, not as long as the reused one.
  fixture f;
  const auto rt0 = str(f.login("all offline"), "refresh_token");
  f.clock.advance(std::chrono::minutes(50));
  auto rotated = fixture::json(f.refresh(rt0));
  const auto rt1 = str(rotated, "refresh_token"), at1 = str(rotated, "access_token");
  f.clock.advance(std::chrono::minutes(1));
  check_error_shape(f.refresh(rt0), 400, "invalid_grant");  // reuse: the family dies

  f.clock.advance(std::chrono::minutes(10));  // rt0 has expired, rt1 and at1 have not
  f.store.sweep(f.clock.now());               // what every 1024th write does
  CHECK_FALSE(f.active(at1));
  CHECK_FALSE(f.active(rt1));
  check_error_shape(f.refresh(rt1), 400, "invalid_grant");
}

TEST_CASE("row 23: a family killed by revocation stays dead after the store sweeps expired entries") {
  fixture f([](server::server_settings& s) { s.refresh_grace = {std::chrono::minutes(60), 1}; });
  const auto rt0 = str(f.login("all offline"), "refresh_token");
  const auto rt1 = str(fixture::json(f.refresh(rt0)), "refresh_token");
  f.clock.advance(std::chrono::minutes(30));
  const auto rt2 = str(fixture::json(f.refresh(rt0)), "refresh_token");  // a sibling, in grace
  REQUIRE(f.revoke(rt1).result() == bhttp::status::ok);                 // revokes rt2 as well
  CHECK_FALSE(f.active(rt2));
  f.clock.advance(std::chrono::minutes(45));  // rt1 has expired, rt2 has not
  f.store.sweep(f.clock.now());
  CHECK_FALSE(f.active(rt2));
  check_error_shape(f.refresh(rt2), 400, "invalid_grant");
}

TEST_CASE("row 12: another authorization of the same user is not touched by a family revocation") {
  fixture f;
  auto a = f.login("all offline");
  auto b = f.login("all offline");
  auto ra = fixture::json(f.refresh(str(a, "refresh_token")));
  check_error_shape(f.refresh(str(a, "refresh_token")), 400, "invalid_grant");
  CHECK_FALSE(f.active(str(ra, "refresh_token")));
  CHECK(f.active(str(b, "access_token")));
  CHECK(f.refresh(str(b, "refresh_token")).result() == bhttp::status::ok);
}

TEST_CASE("row 12: within the grace window one reuse works, a second does not and kills the family") {
  fixture f([](server::server_settings& s) { s.refresh_grace = {std::chrono::seconds(10), 1}; });
  const auto rt0 = str(f.login("all offline"), "refresh_token");
  auto r1 = f.refresh(rt0);
  REQUIRE(r1.result() == bhttp::status::ok);
  const auto rt1 = str(fixture::json(r1), "refresh_token");

  f.clock.advance(std::chrono::seconds(5));
  auto r2 = f.refresh(rt0);  // the other tab
  REQUIRE(r2.result() == bhttp::status::ok);
  const auto rt2 = str(fixture::json(r2), "refresh_token");
  CHECK(rt2 != rt1);
  CHECK(f.active(rt1));
  CHECK(f.active(rt2));

  f.clock.advance(std::chrono::seconds(1));
  check_error_shape(f.refresh(rt0), 400, "invalid_grant");  // count exhausted: reuse
  check_error_shape(f.refresh(rt1), 400, "invalid_grant");
  check_error_shape(f.refresh(rt2), 400, "invalid_grant");
}

TEST_CASE("row 12: after the grace window a reuse revokes the family") {
  fixture f([](server::server_settings& s) { s.refresh_grace = {std::chrono::seconds(10), 1}; });
  const auto rt0 = str(f.login("all offline"), "refresh_token");
  auto r1 = f.refresh(rt0);
  REQUIRE(r1.result() == bhttp::status::ok);
  const auto rt1 = str(fixture::json(r1), "refresh_token");
  f.clock.advance(std::chrono::seconds(11));
  check_error_shape(f.refresh(rt0), 400, "invalid_grant");
  check_error_shape(f.refresh(rt1), 400, "invalid_grant");
}

TEST_CASE("row 12: two racing refreshes of one token outside grace: exactly one wins") {
  fixture f;
  for (int round = 0; round < 10; ++round) {
    const auto rt = str(f.login("all offline"), "refresh_token");
    std::barrier start(2);
    response results[2];
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        auto req = fixture::form_request("/oauth2/token", http::form_encode({{"grant_type", "refresh_token"},
                                                                             {"refresh_token", rt},
                                                                             {"client_id", "flytectl"}}));
        req.prepare_payload();
        start.arrive_and_wait();
        results[i] = f.router.route(req, f.ctx);
      });
    for (auto& t : threads) t.join();
    INFO("round " << round << ": " << results[0].body() << " / " << results[1].body());
    const int ok = int(results[0].result() == bhttp::status::ok) + int(results[1].result() == bhttp::status::ok);
    CHECK(ok == 1);
    for (const auto& r : results)
      if (r.result() != bhttp::status::ok) check_error_shape(r, 400, "invalid_grant");
  }
}

// --- docs/security.md row 13: timing-safe comparison ------------------------------------------

TEST_CASE("row 13: the PKCE verifier is checked with the constant-time comparator") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
  pkce_pair wrong;
  {
    memcmp_recorder rec;
    check_error_shape(f.redeem(code, wrong.verifier), 400, "invalid_grant");
    CHECK(memcmp_recorder::compared(wrong.challenge, pk.challenge));
  }
  pkce_pair pk2;
  auto code2 = fixture::code_of(f.authorize(flytectl_request(pk2)));
  {
    memcmp_recorder rec;
    CHECK(f.redeem(code2, pk2.verifier).result() == bhttp::status::ok);
    CHECK(memcmp_recorder::compared(pk2.challenge, pk2.challenge));
  }
}

TEST_CASE("row 13: the client secret's bcrypt result is checked with the constant-time comparator") {
  fixture f;
  const std::string stored = crypto::base64_decode(service_secret_hash());
  REQUIRE(stored.starts_with("$2"));
  memcmp_recorder rec;
  check_error_shape(f.client_credentials("not-the-secret"), 401, "invalid_client");
  CHECK(memcmp_recorder::compared_with(stored));
}

TEST_CASE("row 13: the device page's CSRF token is checked with the constant-time comparator") {
  fixture f;
  auto d = f.device_start();
  const auto user_code = std::string(d.at("user_code").as_string());
  auto page = f.get("/oauth2/device?user_code=" + user_code, "alice");
  const auto csrf = fixture::csrf_field(page);
  std::string forged = csrf;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  auto req = fixture::form_request("/oauth2/device", http::form_encode({{"csrf_token", forged},
                                                                       {"user_code", user_code},
                                                                       {"decision", "approve"}}));
  req.set("X-Test-User", "alice");
  req.set(bhttp::field::cookie, cookie_pair(page, fixture::device_csrf_cookie()));
  memcmp_recorder rec;
  CHECK(f.send(std::move(req)).result() == bhttp::status::bad_request);
  CHECK(memcmp_recorder::compared(csrf, forged));
}

// --- docs/security.md row 14: leakage via Referer and history ---------------------------------

TEST_CASE("row 14: token responses and the authorize redirect carry no-store and no-referrer") {
  fixture f;
  pkce_pair pk;
  auto redirect = f.authorize(flytectl_request(pk));
  REQUIRE(redirect.result() == bhttp::status::see_other);
  auto token = f.redeem(fixture::code_of(redirect), pk.verifier);
  auto error = f.redeem("nope", pk.verifier);
  auto cc = f.client_credentials();
  auto login_redirect = f.authorize(flytectl_request(pk), "");
  auto error_redirect = f.authorize(with(flytectl_request(pk), "scope", "admin"));
  for (const response* r : {&redirect, &token, &error, &cc, &login_redirect, &error_redirect}) {
    CHECK(r->operator[](bhttp::field::cache_control) == "no-store");
    CHECK(r->operator[]("Referrer-Policy") == "no-referrer");
  }
  auto device = f.post_form("/oauth2/device/authorize", "client_id=flytectl");
  CHECK(device[bhttp::field::cache_control] == "no-store");
  CHECK(device["Referrer-Policy"] == "no-referrer");
}

// --- docs/security.md row 15: clickjacking ----------------------------------------------------

TEST_CASE("row 15: the device page and the error pages forbid framing") {
  fixture f;
  auto d = f.device_start();
  auto page = f.get("/oauth2/device?user_code=" + std::string(d.at("user_code").as_string()), "alice");
  REQUIRE(page.result() == bhttp::status::ok);
  check_html_page(page);
  auto done = f.device_decide(d.at("user_code").as_string(), true);
  check_html_page(done);
  pkce_pair pk;
  auto error_page = f.authorize(with(flytectl_request(pk), "client_id", "nobody"));
  REQUIRE(error_page.result() == bhttp::status::bad_request);
  check_html_page(error_page);
  CHECK(error_page["X-Content-Type-Options"] == "nosniff");
  check_html_page(f.get("/oauth2/authorize_callback", "alice"));
}

TEST_CASE("row 15: the device page escapes the user code it echoes from the link") {
  fixture f;
  auto page = f.get("/oauth2/device?user_code=" + http::form_encode_component("\"><script>alert(1)</script>"), "alice");
  REQUIRE(page.result() == bhttp::status::ok);
  check_html_page(page);
  CHECK(page.body().find("<script>") == std::string::npos);
  CHECK(page.body().find("&quot;&gt;&lt;script&gt;") != std::string::npos);
}

// --- docs/security.md row 16: cookies ---------------------------------------------------------

TEST_CASE("row 16: a pending-authorization cookie swapped for another sealed cookie is rejected") {
  fixture f;
  auto d = f.device_start();
  auto page = f.get("/oauth2/device?user_code=" + std::string(d.at("user_code").as_string()), "alice");
  auto csrf_pair = cookie_pair(page, fixture::device_csrf_cookie());
  auto value = csrf_pair.substr(csrf_pair.find('=') + 1);
  REQUIRE_FALSE(value.empty());
  // Sealed by the same server with the same key, but for another cookie name: the name is
  // bound into the seal.
  request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
  cb.set(bhttp::field::cookie, "__Host-tessera_authz=" + value);
  cb.set("X-Test-User", "mallory");
  check_no_redirect_page(f.send(cb));
}

TEST_CASE("row 16: a pending cookie sealed by another server (another key) is rejected") {
  fixture a, b;
  pkce_pair pk;
  auto r = a.authorize(flytectl_request(pk), "");
  request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
  cb.set(bhttp::field::cookie, cookie_pair(r, "__Host-tessera_authz"));
  cb.set("X-Test-User", "mallory");
  check_no_redirect_page(b.send(cb));
}

TEST_CASE("row 16: a pending cookie sent twice (cookie tossing) or without its __Host- prefix is rejected") {
  fixture f;
  pkce_pair pk;
  auto pair = cookie_pair(f.authorize(flytectl_request(pk), ""), "__Host-tessera_authz");
  auto value = pair.substr(pair.find('=') + 1);
  for (std::string cookie : {pair + "; " + pair, "tessera_authz=" + value}) {
    request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
    cb.set(bhttp::field::cookie, cookie);
    cb.set("X-Test-User", "alice");
    check_no_redirect_page(f.send(cb));
  }
}

TEST_CASE("row 16: an expired pending cookie is rejected") {
  fixture f;
  pkce_pair pk;
  auto pair = cookie_pair(f.authorize(flytectl_request(pk), ""), "__Host-tessera_authz");
  f.clock.advance(std::chrono::minutes(15));
  request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
  cb.set(bhttp::field::cookie, pair);
  cb.set("X-Test-User", "alice");
  check_no_redirect_page(f.send(cb));
}

TEST_CASE("row 16: a device CSRF cookie from another session's page does not fit a forged token") {
  fixture f;
  auto d = f.device_start();
  const auto user_code = std::string(d.at("user_code").as_string());
  auto page_a = f.get("/oauth2/device?user_code=" + user_code, "alice");
  auto page_b = f.get("/oauth2/device?user_code=" + user_code, "mallory");
  // Mallory's token with alice's cookie: the two were minted separately and do not match.
  auto req = fixture::form_request("/oauth2/device", http::form_encode({{"csrf_token", fixture::csrf_field(page_b)},
                                                                       {"user_code", user_code},
                                                                       {"decision", "approve"}}));
  req.set("X-Test-User", "alice");
  req.set(bhttp::field::cookie, cookie_pair(page_a, fixture::device_csrf_cookie()));
  CHECK(f.send(std::move(req)).result() == bhttp::status::bad_request);
  f.clock.advance(std::chrono::seconds(5));
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "authorization_pending");
}

// --- docs/security.md row 17: 303 after a POST ------------------------------------------------

TEST_CASE("row 17: every redirect answering a POST is 303 See Other") {
  fixture f;
  pkce_pair pk;
  auto post_authorize = [&](const http::parameters& p, std::string user) {
    auto req = fixture::form_request("/oauth2/authorize", http::form_encode(p));
    if (!user.empty()) req.set("X-Test-User", user);
    return f.send(std::move(req));
  };
  auto to_consent = post_authorize(flytectl_request(pk), "alice");
  CHECK(to_consent.result() == bhttp::status::see_other);
  CHECK(to_consent[bhttp::field::location] == "/oauth2/consent");
  auto decided = f.decide_consent(cookie_pair(to_consent, "__Host-tessera_authz"), "alice", "approve");  // a POST too
  CHECK(decided.result() == bhttp::status::see_other);
  CHECK(location_query(decided).count("code") == 1);
  auto with_session = post_authorize(flytectl_request(pk), "alice");
  CHECK(with_session.result() == bhttp::status::see_other);
  CHECK(location_query(with_session).count("code") == 1);
  auto without = post_authorize(flytectl_request(pk), "");
  CHECK(without.result() == bhttp::status::see_other);
  CHECK(std::string_view(without[bhttp::field::location]).starts_with("/login?"));
  auto error = post_authorize(with(flytectl_request(pk), "scope", "admin"), "alice");
  CHECK(error.result() == bhttp::status::see_other);
  auto device = f.send(fixture::form_request("/oauth2/device", "user_code=BCDF-GHJK&decision=approve"));
  CHECK(device.result() == bhttp::status::see_other);
}

// --- docs/security.md row 18: forwarded-header spoofing ---------------------------------------

TEST_CASE("row 18: spoofed Host and X-Forwarded-* headers change neither the issuer nor any redirect") {
  fixture f;
  auto spoof = [](request& req) {
    req.set(bhttp::field::host, "evil.example.com");
    req.set("X-Forwarded-Host", "evil.example.com");
    req.set("X-Forwarded-Proto", "http");
    req.set("Forwarded", "host=evil.example.com;proto=http");
  };
  for (auto path : {"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/config/v1/flyte_client"}) {
    request req{bhttp::verb::get, path, 11};
    spoof(req);
    auto body = f.send(req).body();
    INFO(path);
    CHECK(body.find("evil") == std::string::npos);
    // flyte_client names no URL unless configured (Flyte serves an empty service_http_endpoint).
    if (std::string_view(path) != "/config/v1/flyte_client") CHECK(body.find(issuer) != std::string::npos);
  }

  pkce_pair pk;
  request authz{bhttp::verb::get, "/oauth2/authorize?" + http::form_encode(flytectl_request(pk)), 11};
  authz.set("X-Test-User", "alice");
  spoof(authz);
  // Before alice allowed flytectl: the consent page, on this server whatever the headers say.
  auto ask = f.send(authz);
  REQUIRE(ask.result() == bhttp::status::see_other);
  CHECK(ask[bhttp::field::location] == "/oauth2/consent");
  remember_consent(f.store, "alice", "flytectl", "all offline openid");
  auto r = f.send(authz);
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_base(r) == cli_redirect);
  CHECK(location_query(r)["iss"] == issuer);

  authz.erase("X-Test-User");
  auto login = f.send(authz);
  CHECK(login[bhttp::field::location] == "/login?redirect_url=%2Foauth2%2Fauthorize_callback");

  auto token = fixture::form_request("/oauth2/token", http::form_encode({{"grant_type", "authorization_code"},
                                                                       {"code", fixture::code_of(r)},
                                                                       {"redirect_uri", cli_redirect},
                                                                       {"client_id", "flytectl"},
                                                                       {"code_verifier", pk.verifier}}));
  spoof(token);
  auto t = f.send(token);
  REQUIRE(t.result() == bhttp::status::ok);
  auto body = fixture::json(t);
  auto at = f.access_claims(body.at("access_token").as_string());
  CHECK(at.issuer() == issuer);
  CHECK(at.claims.at("aud").as_string() == issuer);

  auto dev = fixture::form_request("/oauth2/device/authorize", "client_id=flytectl");
  spoof(dev);
  auto d = fixture::json(f.send(dev));
  CHECK(d.at("verification_uri").as_string() == issuer + "/oauth2/device");
}

// --- docs/security.md row 19: client-secret guessing ------------------------------------------

TEST_CASE("row 19: many bad secrets answer 429 with Retry-After after the burst; a cached good secret still works") {
  fixture f;
  REQUIRE(f.client_credentials().result() == bhttp::status::ok);  // verified once: cached
  for (unsigned i = 0; i < f.settings.client_auth_burst; ++i) {
    INFO("attempt " << i);
    check_error_shape(f.client_credentials("guess-" + std::to_string(i)), 401, "invalid_client");
  }
  for (int i = 0; i < 20; ++i) {
    auto r = f.client_credentials("guess-more-" + std::to_string(i));
    check_error_shape(r, 429, "invalid_client");
    auto retry = std::string(r[bhttp::field::retry_after]);
    REQUIRE_FALSE(retry.empty());
    CHECK(std::stoi(retry) >= 1);
    CHECK(std::stoi(retry) <= f.settings.client_auth_refill.count());
  }
  // The legitimate client, whose secret was verified before the attack, is not locked out.
  CHECK(f.client_credentials().result() == bhttp::status::ok);
  // Hammering does not extend the lockout beyond one refill: after it, one more try is allowed.
  f.clock.advance(f.settings.client_auth_refill);
  check_error_shape(f.client_credentials("after-refill"), 401, "invalid_client");
  check_error_shape(f.client_credentials("after-refill-2"), 429, "invalid_client");
}

TEST_CASE("row 19: while a client is locked out even its right secret is not checked unless cached") {
  fixture f;
  for (unsigned i = 0; i < f.settings.client_auth_burst; ++i) f.client_credentials("guess");
  auto locked = f.client_credentials();
  check_error_shape(locked, 429, "invalid_client");
  f.clock.advance(std::chrono::seconds(std::stoi(std::string(locked[bhttp::field::retry_after]))));
  CHECK(f.client_credentials().result() == bhttp::status::ok);
}

TEST_CASE("row 19: the lockout applies to every endpoint that authenticates clients") {
  fixture f;
  for (unsigned i = 0; i < f.settings.client_auth_burst; ++i) f.client_credentials("guess");
  check_error_shape(f.post_form("/oauth2/introspect", "token=x", "flytepropeller", "guess"), 429, "invalid_client");
  check_error_shape(f.post_form("/oauth2/revoke", "token=x", "flytepropeller", "guess"), 429, "invalid_client");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=client_credentials&client_id=flytepropeller&client_secret=guess"),
                    429, "invalid_client");
}

TEST_CASE("row 19: a locked-out confidential client does not lock out public clients") {
  fixture f;
  for (unsigned i = 0; i < f.settings.client_auth_burst; ++i) f.client_credentials("guess");
  REQUIRE(f.client_credentials("guess").result() == bhttp::status::too_many_requests);
  CHECK(f.login("all offline").contains("access_token"));
}

// --- docs/security.md row 23: revocation that silently fails ----------------------------------

TEST_CASE("row 23: a revoked refresh token is active:false at introspection and cannot refresh") {
  fixture f;
  auto body = f.login("all offline");
  const auto rt = str(body, "refresh_token");
  REQUIRE(f.revoke(rt).result() == bhttp::status::ok);
  CHECK_FALSE(f.active(rt));
  check_error_shape(f.refresh(rt), 400, "invalid_grant");
  // Durable: still dead later, and revoking again changes nothing.
  f.clock.advance(std::chrono::minutes(10));
  CHECK_FALSE(f.active(rt));
  CHECK(f.revoke(rt).result() == bhttp::status::ok);
  check_error_shape(f.refresh(rt), 400, "invalid_grant");
}

TEST_CASE("row 23: a revoked access token stays inactive until it expires") {
  fixture f;
  const auto at = str(f.login("all openid"), "access_token");
  REQUIRE(f.revoke(at).result() == bhttp::status::ok);
  for (int i = 0; i < 3; ++i) {
    f.clock.advance(std::chrono::minutes(9));
    CHECK_FALSE(f.active(at));
    CHECK(f.userinfo(at).result() == bhttp::status::unauthorized);
  }
}

// --- docs/security.md row 24: secrets at rest -------------------------------------------------

TEST_CASE("row 24: the store holds codes, refresh tokens and device codes only under their hashes") {
  fixture f;
  pkce_pair pk;
  const auto code = fixture::code_of(f.authorize(flytectl_request(pk)));
  auto body = fixture::json(f.redeem(code, pk.verifier));
  const auto rt0 = str(body, "refresh_token");
  const auto rt1 = str(fixture::json(f.refresh(rt0)), "refresh_token");
  std::error_code ec;
  const auto now = f.clock.now();

  // The raw code is not a key of the store; its hash is (and is marked used).
  CHECK(f.store.consume_code(code, now, ec).status == store::consume_status::unknown);
  CHECK(f.store.consume_code(store::token_hash(code), now, ec).status == store::consume_status::replayed);

  CHECK_FALSE(f.store.find_refresh(rt1, now, ec).has_value());
  CHECK(f.store.find_refresh(store::token_hash(rt1), now, ec).has_value());
  // rt0 was rotated; its hash is still there (for reuse detection), the raw value is not.
  auto raw = f.store.rotate_refresh(rt0, store::token_hash("x"), now, now, {}, ec);
  CHECK(raw.status == store::rotate_status::unknown);

  auto d = f.device_start();
  const auto device_code = std::string(d.at("device_code").as_string());
  const auto user_code = std::string(d.at("user_code").as_string());
  CHECK(f.store.poll_device(device_code, "flytectl", now, ec).status == store::poll_status::unknown);
  CHECK(f.store.poll_device(store::token_hash(device_code), "flytectl", now, ec).status == store::poll_status::pending);
  const auto normalized = server::detail::normalize_user_code(user_code);
  CHECK_FALSE(f.store.find_device_by_user_code(user_code, now, ec).has_value());
  CHECK_FALSE(f.store.find_device_by_user_code(normalized, now, ec).has_value());
  CHECK(f.store.find_device_by_user_code(store::token_hash(normalized), now, ec).has_value());
  CHECK_FALSE(ec);
}
