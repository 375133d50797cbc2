// Key rotation, the client registry, and private_key_jwt client authentication.
#include "test_server.hpp"

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/resource/self.hpp>

#include <atomic>
#include <thread>

using namespace test;


TEST_CASE("private_key_jwt client authentication issues tokens to the client that signed") {
  assertion_fixture f;
  auto r = f.token(f.assertion("jti-1"));
  REQUIRE(r.result() == bhttp::status::ok);
  jose::jwt_validator v(f.srv.keys()->verification_keys());
  v.issuer(issuer).type("at+jwt");
  CHECK(v.validate(fixture::json(r).at("access_token").as_string(), f.clock).subject() == "signer");
}

TEST_CASE("a replayed client assertion jti is refused with invalid_client") {
  assertion_fixture f;
  const auto a = f.assertion("jti-replay");
  REQUIRE(f.token(a).result() == bhttp::status::ok);
  auto again = f.token(a);
  CHECK(again.result() == bhttp::status::unauthorized);
  CHECK(fixture::error_of(again) == "invalid_client");
}

TEST_CASE("client assertions with a wrong audience, a foreign key or too long a life are refused") {
  assertion_fixture f;
  CHECK(fixture::error_of(f.token(f.assertion("a1", "https://elsewhere.example.com/token"))) == "invalid_client");
  auto stranger = jose::jwk::generate(jose::algorithm::ES256);
  CHECK(fixture::error_of(f.token(f.assertion("a2", issuer + "/oauth2/token", 60, &stranger))) == "invalid_client");
  // iat-based max age: an assertion minted long ago is refused even before its exp.
  const auto old = f.assertion("a3", issuer + "/oauth2/token", 3600);
  f.clock.advance(std::chrono::minutes(10));
  CHECK(fixture::error_of(f.token(old)) == "invalid_client");
}

TEST_CASE("the issuer URL is accepted as the client assertion audience") {
  assertion_fixture f;
  CHECK(f.token(f.assertion("aud-issuer", issuer)).result() == bhttp::status::ok);
}

TEST_CASE("tokens signed with the old key still verify and both keys are in the JWKS") {
  auto old_key = jose::jwk::generate(jose::algorithm::RS256);
  auto new_key = jose::jwk::generate(jose::algorithm::RS256);
  server::key_set keys(new_key, {old_key});
  // A token signed before the rotation:
  boost::json::object claims{{"iss", issuer}, {"sub", "x"}, {"exp", 4102444800}, {"jti", "j"}, {"client_id", "c"}};
  const auto before = jose::sign_jwt(jose::jws_signer(old_key, "at+jwt"), claims);
  jose::jwt_validator v(keys.verification_keys());
  v.issuer(issuer).type("at+jwt");
  std::error_code ec;
  v.validate(before, ec);
  CHECK_FALSE(ec);
  CHECK(keys.current().kid() == new_key.kid());
  auto jwks = keys.jwks().at("keys").as_array();
  REQUIRE(jwks.size() == 2);
  CHECK(jwks[0].at("kid").as_string() == new_key.kid());  // the current key first
  CHECK(jwks[1].at("kid").as_string() == old_key.kid());
  for (const auto& k : jwks) CHECK_FALSE(k.as_object().contains("d"));
}

TEST_CASE("the client registry refuses inconsistent clients") {
  server::client_registry reg;
  server::client pub;
  pub.id = "p";
  pub.is_public = true;
  std::error_code ec;
  pub.add_secret_hash(crypto::hash_secret("x-secret-value", 4), ec);
  CHECK(reg.add(pub) == server::client_problem::public_with_secret);

  server::client conf;
  conf.id = "c";
  CHECK(reg.add(conf) == server::client_problem::confidential_without_credentials);

  server::client bad_uri;
  bad_uri.id = "b";
  bad_uri.is_public = true;
  bad_uri.redirect_uris = {"http://localhost/cb#frag"};
  CHECK(reg.add(bad_uri) == server::client_problem::redirect_uri_invalid);

  server::client ok;
  ok.id = "ok";
  ok.is_public = true;
  CHECK(reg.add(ok) == server::client_problem::none);
  CHECK(reg.add(ok) == server::client_problem::duplicate_id);
}

TEST_CASE("Flyte's base64-of-bcrypt client secrets verify, malformed ones are refused at load") {
  server::client c;
  std::error_code ec;
  c.add_flyte_secret(crypto::hash_flyte_client_secret("foobar", 4), ec);
  CHECK_FALSE(ec);
  c.add_flyte_secret("not base64 at all!", ec);
  CHECK(ec == error::secret_hash_invalid);
  c.add_flyte_secret(crypto::base64_encode(std::string_view("$2b$04$tooshort")), ec);
  CHECK(ec);
  CHECK(c.secret_hashes.size() == 1);
}

TEST_CASE("the registry lists each redirect URI's CSP source once, for the login page's form-action") {
  auto reg = make_clients();  // flytectl: localhost:53593 and 127.0.0.1:53593; flytepropeller: localhost:3846
  auto sources = reg.redirect_csp_sources();
  std::sort(sources.begin(), sources.end());
  CHECK(sources == std::vector<std::string>{"http://127.0.0.1:*", "http://localhost:3846", "http://localhost:53593",
                                            "http://localhost:53594", "https://console.example.com"});
}

// --- rotation while serving (authorization_server::rotate_keys, server::key_ring) ---------

namespace {
// The `kid` of a compact JWS, read without verifying (tests only).
std::string kid_of(std::string_view token) {
  std::error_code ec;
  auto header = crypto::base64url_decode(token.substr(0, token.find('.')), ec);
  REQUIRE_FALSE(ec);
  return std::string(boost::json::parse(header).at("kid").as_string());
}

std::string client_token(const fixture& f) {
  auto r = f.client_credentials();
  REQUIRE(r.result() == bhttp::status::ok);
  return std::string(fixture::json(r).at("access_token").as_string());
}

std::vector<std::string> jwks_kids(const fixture& f) {
  auto r = f.get("/oauth2/jwks");
  REQUIRE(r.result() == bhttp::status::ok);
  std::vector<std::string> out;
  const auto doc = fixture::json(r);
  for (const auto& k : doc.at("keys").as_array()) out.emplace_back(k.at("kid").as_string());
  return out;
}
}  // namespace

TEST_CASE("rotate_keys: new tokens carry the new key, earlier ones keep verifying everywhere") {
  fixture f;
  const auto before = f.srv.keys()->current().kid();
  const auto old_token = client_token(f);
  const auto login = f.login();
  const std::string old_id_token(login.at("id_token").as_string());
  auto resource = resource::self_issued(f.srv);  // built before the rotation: it must follow it

  auto next = jose::jwk::generate(jose::algorithm::ES256);
  f.srv.rotate_keys(server::key_set(next));

  CHECK(f.srv.keys()->current().kid() == next.kid());
  const auto new_token = client_token(f);
  CHECK(kid_of(old_token) == before);
  CHECK(kid_of(new_token) == next.kid());
  // JWKS: the new key first, the previous one still published.
  CHECK(jwks_kids(f) == std::vector<std::string>{next.kid(), before});
  // Both verify: introspection, the resource validator built before the rotation, userinfo.
  CHECK(f.active(old_token));
  CHECK(f.active(new_token));
  std::error_code ec;
  CHECK(resource.validate(old_token, ec));
  CHECK_FALSE(ec);
  CHECK(resource.validate(new_token, ec));
  CHECK_FALSE(ec);
  CHECK(f.userinfo(std::string(login.at("access_token").as_string())).result() == bhttp::status::ok);
  // An ID token signed before the rotation still works as a logout hint.
  auto logout = f.get("/oauth2/logout?" + http::form_encode(http::parameters{
                                             {"id_token_hint", old_id_token},
                                             {"post_logout_redirect_uri", "http://localhost:53593/logged-out"}}));
  CHECK(logout.result_int() == 303);
  CHECK(location_base(logout) == "http://localhost:53593/logged-out");
  // Refresh after the rotation: the new access token and ID token use the new key.
  auto refreshed = f.refresh(std::string(login.at("refresh_token").as_string()));
  REQUIRE(refreshed.result() == bhttp::status::ok);
  CHECK(kid_of(fixture::json(refreshed).at("access_token").as_string()) == next.kid());
  CHECK(kid_of(fixture::json(refreshed).at("id_token").as_string()) == next.kid());
}

TEST_CASE("rotate_keys: the previous key verifies as long as its tokens live, then leaves at the next rotation") {
  fixture f;  // access tokens 30 min, ID tokens 1 h: a replaced key verifies for 1 h
  const auto first = f.srv.keys()->current().kid();
  const auto old_token = client_token(f);
  auto second = jose::jwk::generate(jose::algorithm::ES256);
  f.srv.rotate_keys(server::key_set(second));
  auto third = jose::jwk::generate(jose::algorithm::ES256);
  f.clock.advance(std::chrono::minutes(20));
  f.srv.rotate_keys(server::key_set(third));
  // Within the hour both earlier keys still verify.
  CHECK(jwks_kids(f) == std::vector<std::string>{third.kid(), second.kid(), first});
  CHECK(f.active(old_token));
  // Past the first key's hour (65 min), the next rotation drops it; the second stays (kept
  // until 80 min).
  f.clock.advance(std::chrono::minutes(45));
  auto fourth = jose::jwk::generate(jose::algorithm::ES256);
  f.srv.rotate_keys(server::key_set(fourth));
  CHECK(jwks_kids(f) == std::vector<std::string>{fourth.kid(), third.kid(), second.kid()});
  // Rotating to the key in use changes nothing and keeps nothing twice.
  f.srv.rotate_keys(server::key_set(fourth));
  CHECK(jwks_kids(f) == std::vector<std::string>{fourth.kid(), third.kid(), second.kid()});
}

TEST_CASE("rotate_keys: a rotation back to a kept key and the new set's own old keys") {
  fixture f;
  const auto first_key = f.srv.keys()->current();
  auto second = jose::jwk::generate(jose::algorithm::ES256);
  auto retired = jose::jwk::generate(jose::algorithm::RS256);
  // Flyte's way: the new key and the previous one named as old (token_rsa_key_old.pem).
  f.srv.rotate_keys(server::key_set(second, {retired}));
  CHECK(jwks_kids(f) == std::vector<std::string>{second.kid(), retired.kid(), first_key.kid()});
  // Back to the first key: it signs again and is not listed twice.
  f.srv.rotate_keys(server::key_set(first_key));
  CHECK(jwks_kids(f) == std::vector<std::string>{first_key.kid(), second.kid()});
  CHECK(kid_of(client_token(f)) == first_key.kid());
}

TEST_CASE("rotate_keys under load: every token issued while keys rotate verifies") {
  fixture f;
  auto resource = resource::self_issued(f.srv);
  std::atomic<bool> done{false};
  std::atomic<int> issued{0}, failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t)
    workers.emplace_back([&] {
      while (!done) {
        auto r = f.client_credentials();
        if (r.result() != bhttp::status::ok) {
          ++failed;
          continue;
        }
        std::error_code ec;
        auto token = boost::json::parse(r.body()).at("access_token").as_string();
        if (!resource.validate(token, ec) || ec) ++failed;
        ++issued;
      }
    });
  for (int i = 0; i < 20; ++i) {
    f.srv.rotate_keys(server::key_set(jose::jwk::generate(jose::algorithm::ES256)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  done = true;
  for (auto& w : workers) w.join();
  CHECK(issued > 0);
  CHECK(failed == 0);
  CHECK(jwks_kids(f).size() == 21);  // nothing has expired on the fixture's clock
}
