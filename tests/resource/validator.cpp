// resource::validator: every rule and cause with fixed keys and a manual clock; remote_jwks
// following rotation through an in-memory JWKS endpoint; discovery's URL rules and checks.
#include "test_resource.hpp"

#include <thread>
#include <vector>

using namespace rtest;

namespace {

resource::validator_options options() {
  resource::validator_options o;
  o.issuer = std::string(issuer);
  o.audiences = {std::string(audience)};
  return o;
}

using fixed_validator = resource::validator<jose::static_key_set, shared_clock>;

struct fixed {
  shared_clock clock;
  jose::jwk key = es256("k1");
  fixed_validator v{jose::static_key_set(jose::jwk_set{key.public_key()}), options(), clock};

  std::error_code refuse(const boost::json::object& c, std::string_view typ = "at+jwt") {
    std::error_code ec;
    auto r = v.validate(mint(key, c, typ), ec);
    CHECK_FALSE(r);
    return ec;
  }
};

}  // namespace

TEST_CASE("validator: a good token gives its claims; the second use comes from the cache") {
  fixed f;
  const std::string token = mint(f.key, claims_at(f.clock.now()));
  std::error_code ec;
  auto who = f.v.validate(token, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(who);
  CHECK(who->subject == "alice");
  CHECK(who->client_id == "flytectl");
  CHECK(who->issuer == issuer);
  CHECK(who->audience == audience);
  CHECK(who->scopes == std::vector<std::string>{"all", "offline"});
  CHECK(who->jwt_id == "jti-1");
  CHECK(who->source == resource::token_source::jwt);
  CHECK(f.v.cache().size() == 1);
  CHECK(f.v.validate(token, ec) == who);  // the same object: a cache hit
}

TEST_CASE("validator: each refusal has its own cause") {
  fixed f;
  const time_point now = f.clock.now();
  auto c = claims_at(now);
  SECTION("no token") {
    std::error_code ec;
    CHECK_FALSE(f.v.validate("", ec));
    CHECK(ec == error::token_missing);
  }
  SECTION("too large") {
    std::error_code ec;
    CHECK_FALSE(f.v.validate(std::string(17 * 1024, 'a'), ec));
    CHECK(ec == error::token_too_large);
  }
  SECTION("another issuer") {
    c["iss"] = "https://evil.example.com";
    CHECK(f.refuse(c) == error::issuer_mismatch);
  }
  SECTION("no issuer") {
    c.erase("iss");
    CHECK(f.refuse(c) == error::issuer_missing);
  }
  SECTION("another audience") {
    c["aud"] = boost::json::array{"https://other.example.com"};
    CHECK(f.refuse(c) == error::audience_mismatch);
  }
  SECTION("expired, beyond the leeway") {
    c["exp"] = to_unix_seconds(now - seconds(61));
    CHECK(f.refuse(c) == error::token_expired);
  }
  SECTION("not yet valid") {
    c["nbf"] = to_unix_seconds(now + seconds(120));
    CHECK(f.refuse(c) == error::token_not_yet_valid);
  }
  SECTION("signed by a key the validator does not know") {
    std::error_code ec;
    CHECK_FALSE(f.v.validate(mint(es256("k2"), c), ec));
    CHECK(ec == error::jws_kid_unknown);
  }
  SECTION("signed by an unknown key under the known kid") {
    std::error_code ec;
    CHECK_FALSE(f.v.validate(mint(es256("k1"), c), ec));
    CHECK(ec == error::signature_invalid);
  }
  SECTION("a scope claim of the wrong type") {
    c["scp"] = 3;
    CHECK(f.refuse(c) == error::claim_type);
  }
  SECTION("opaque, and no introspection configured") {
    std::error_code ec;
    CHECK_FALSE(f.v.validate("2YotnFZFEjr1zCsicMWpAA", ec));
    CHECK(ec == error::token_opaque_unsupported);
  }
  SECTION("an application check") {
    f.v.check([](const boost::json::object& claims, std::error_code& ec) {
      if (!claims.contains("tid")) ec = error::claim_check_failed;
    });
    CHECK(f.refuse(c) == error::claim_check_failed);
  }
  // Refusals are never cached.
  CHECK(f.v.cache().size() == 0);
}

TEST_CASE("validator: token_type and required claims") {
  shared_clock clock;
  auto key = es256("k1");
  auto o = options();
  o.token_type = "at+jwt";
  o.required_claims = {"client_id"};
  fixed_validator v(jose::static_key_set(jose::jwk_set{key.public_key()}), o, clock);
  std::error_code ec;
  CHECK_FALSE(v.validate(mint(key, claims_at(clock.now()), "JWT"), ec));  // an ID token's type
  CHECK(ec == error::typ_mismatch);
  auto c = claims_at(clock.now());
  c.erase("client_id");
  CHECK_FALSE(v.validate(mint(key, c), ec));
  CHECK(ec == error::claim_missing);
  CHECK(v.validate(mint(key, claims_at(clock.now())), ec));
}

TEST_CASE("validator: a cached token is refused from its exp on, and after max_age is verified again") {
  shared_clock clock;
  auto key = es256("k1");
  auto o = options();
  o.leeway = seconds(0);
  o.cache.max_age = seconds(30);
  fixed_validator v(jose::static_key_set(jose::jwk_set{key.public_key()}), o, clock);
  auto c = claims_at(clock.now());
  c["exp"] = to_unix_seconds(clock.now() + seconds(100));
  const std::string token = mint(key, c);
  std::error_code ec;
  auto first = v.validate(token, ec);
  REQUIRE(first);
  clock.advance(seconds(29));
  CHECK(v.validate(token, ec) == first);
  clock.advance(seconds(2));  // past max_age: verified again, a new result
  auto second = v.validate(token, ec);
  REQUIRE(second);
  CHECK(second != first);
  clock.advance(seconds(69));  // exactly exp
  CHECK_FALSE(v.validate(token, ec));
  CHECK(ec == error::token_expired);
}

TEST_CASE("validator: a revocation check refuses with token_revoked, and its failure with its own cause") {
  fixed f;
  std::atomic<bool> revoked{false};
  std::atomic<bool> broken{false};
  f.v.revocation([&](const resource::access_claims& c, std::error_code& ec) {
    CHECK(c.jwt_id == "jti-1");
    if (broken) ec = error::store_unavailable;
    return revoked.load();
  });
  auto c = claims_at(f.clock.now());
  std::error_code ec;
  CHECK(f.v.validate(mint(f.key, c), ec));
  revoked = true;
  c["sub"] = "bob";  // another token, not cached
  CHECK_FALSE(f.v.validate(mint(f.key, c), ec));
  CHECK(ec == error::token_revoked);
  broken = true;
  c["sub"] = "carol";
  CHECK_FALSE(f.v.validate(mint(f.key, c), ec));
  CHECK(ec == error::store_unavailable);
}

// --- remote_jwks ----------------------------------------------------------------------------

namespace {
using remote_validator = resource::validator<oauth::remote_jwks<shared_clock>, shared_clock>;

struct remote {
  shared_clock clock;
  jwks_endpoint idp;
  oauth::remote_jwks_options ko = [] {
    oauth::remote_jwks_options o;
    o.cooldown = seconds(30);
    o.max_age = seconds(600);
    return o;
  }();
  oauth::remote_jwks<shared_clock> keys{std::string(jwks_endpoint::uri), transport::any_sync_client(idp.wire), ko,
                                           clock};
  remote_validator v{keys, options(), clock};
};
}  // namespace

TEST_CASE("remote_jwks: the first token fetches the keys; later ones do not") {
  remote r;
  auto k1 = es256("k1");
  r.idp.publish({k1});
  CHECK_FALSE(r.keys.loaded());
  std::error_code ec;
  CHECK(r.v.validate(mint(k1, claims_at(r.clock.now())), ec));
  CHECK_FALSE(ec);
  CHECK(r.keys.loaded());
  CHECK(r.idp.hits == 1);
  auto c = claims_at(r.clock.now());
  c["sub"] = "bob";
  CHECK(r.v.validate(mint(k1, c), ec));
  CHECK(r.idp.hits == 1);
}

TEST_CASE("remote_jwks: a rotation is followed with one fetch, and a withdrawn key stops at once by default") {
  remote r;
  auto k1 = es256("k1"), k2 = es256("k2");
  r.idp.publish({k1});
  std::error_code ec;
  REQUIRE(r.keys.refresh(ec) == oauth::refresh_outcome::updated);
  r.clock.advance(seconds(31));  // past the cooldown
  r.idp.publish({k2});
  const int before = r.idp.hits;
  CHECK(r.v.validate(mint(k2, claims_at(r.clock.now())), ec));
  CHECK_FALSE(ec);
  CHECK(r.idp.hits == before + 1);
  auto c = claims_at(r.clock.now());
  c["sub"] = "old";
  CHECK_FALSE(r.v.validate(mint(k1, c), ec));
  CHECK(ec == error::jws_kid_unknown);
}

TEST_CASE("remote_jwks: a withdrawn key keeps verifying for its grace, then stops") {
  remote r;
  r.ko.removed_key_grace = seconds(300);
  oauth::remote_jwks<shared_clock> keys(std::string(jwks_endpoint::uri), transport::any_sync_client(r.idp.wire),
                                           r.ko, r.clock);
  remote_validator v(keys, options(), r.clock);
  auto k1 = es256("k1"), k2 = es256("k2");
  r.idp.publish({k1});
  std::error_code ec;
  keys.refresh(ec);
  r.idp.publish({k2});
  keys.refresh(ec);
  REQUIRE(keys.current()->size() == 2);
  auto c = claims_at(r.clock.now());
  CHECK(v.validate(mint(k1, c), ec));
  r.clock.advance(seconds(299));
  c = claims_at(r.clock.now());
  c["sub"] = "still";
  CHECK(v.validate(mint(k1, c), ec));
  const int fetches = r.idp.hits;
  r.clock.advance(seconds(2));  // the grace ends: the key is gone, with no fetch needed
  c = claims_at(r.clock.now());
  c["sub"] = "later";
  CHECK_FALSE(v.validate(mint(k1, c), ec));
  CHECK(ec == error::jws_kid_unknown);
  CHECK(keys.current()->size() == 1);
  CHECK(r.idp.hits == fetches + 1);  // only the unknown kid's one fetch
  // A key that comes back is published again, not retired.
  r.idp.publish({k1, k2});
  keys.refresh(ec);
  CHECK(keys.current()->size() == 2);
}

TEST_CASE("remote_jwks: a flood of unknown kids costs at most one fetch per cooldown") {
  remote r;
  auto k1 = es256("k1");
  r.idp.publish({k1});
  std::error_code ec;
  r.keys.refresh(ec);
  r.clock.advance(seconds(31));
  const int before = r.idp.hits;
  std::vector<std::thread> threads;
  std::atomic<int> unknown{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        std::error_code tec;
        auto key = jose::jwk::generate(jose::algorithm::HS256).with_kid("random-" + std::to_string(t * 1000 + i));
        auto c = claims_at(r.clock.now());
        r.v.validate(mint(key, c), tec);
        if (tec == error::jws_kid_unknown) unknown.fetch_add(1);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(unknown == 1000);
  CHECK(r.idp.hits - before <= 1);
  // Another cooldown later, one more fetch at most.
  r.clock.advance(seconds(31));
  for (int i = 0; i < 100; ++i) r.v.validate(mint(es256("again-" + std::to_string(i)), claims_at(r.clock.now())), ec);
  CHECK(r.idp.hits - before <= 2);
}

TEST_CASE("remote_jwks: an IdP that was never reached makes tokens unverifiable (503), not invalid") {
  remote r;
  r.idp.fail(transport::http::status::internal_server_error);
  std::error_code ec;
  CHECK(r.keys.refresh(ec) == oauth::refresh_outcome::failed);
  CHECK(ec == error::jwks_fetch_failed);
  CHECK_FALSE(r.v.validate(mint(es256("k1"), claims_at(r.clock.now())), ec));
  CHECK(ec == error::jwks_unavailable);
  CHECK(condition_of(ec) == condition::temporarily_unavailable);
}

TEST_CASE("remote_jwks: a failed or malformed fetch keeps the old keys") {
  remote r;
  auto k1 = es256("k1");
  r.idp.publish({k1});
  std::error_code ec;
  r.keys.refresh(ec);
  r.idp.fail(transport::http::status::bad_gateway);
  CHECK(r.keys.refresh(ec) == oauth::refresh_outcome::failed);
  r.idp.fail(transport::http::status::ok);
  {
    std::lock_guard lk(r.idp.mutex);
    r.idp.document = R"({"keys": 5})";
  }
  CHECK(r.keys.refresh(ec) == oauth::refresh_outcome::failed);
  CHECK(ec == error::jwks_fetch_failed);
  CHECK(r.v.validate(mint(k1, claims_at(r.clock.now())), ec));
}

TEST_CASE("remote_jwks: too many keys in a document is a failed fetch") {
  remote r;
  r.ko.max_keys = 2;
  oauth::remote_jwks<shared_clock> keys(std::string(jwks_endpoint::uri), transport::any_sync_client(r.idp.wire),
                                           r.ko, r.clock);
  r.idp.publish({es256("a"), es256("b"), es256("c")});
  std::error_code ec;
  CHECK(keys.refresh(ec) == oauth::refresh_outcome::failed);
  CHECK_FALSE(keys.loaded());
}

TEST_CASE("remote_jwks: a stale set is fetched again on the next token; Cache-Control can shorten max_age") {
  remote r;
  auto k1 = es256("k1");
  r.idp.publish({k1});
  r.idp.cache_control = "public, max-age=120";
  std::error_code ec;
  r.keys.refresh(ec);
  const int before = r.idp.hits;
  r.clock.advance(seconds(100));
  CHECK(r.v.validate(mint(k1, claims_at(r.clock.now())), ec));
  CHECK(r.idp.hits == before);
  r.clock.advance(seconds(21));  // 121 s: stale by the document's max-age
  auto c = claims_at(r.clock.now());
  c["sub"] = "bob";
  CHECK(r.v.validate(mint(k1, c), ec));
  CHECK(r.idp.hits == before + 1);
}

TEST_CASE("remote_jwks: validation from many threads while the key set is swapped") {
  remote r;
  auto k1 = es256("k1"), k2 = es256("k2");
  r.idp.publish({k1, k2});
  std::error_code ec;
  r.keys.refresh(ec);
  auto o = options();
  o.cache.max_entries = 0;  // every validation verifies
  remote_validator v(r.keys, o, r.clock);
  const std::string t1 = mint(k1, claims_at(r.clock.now())), t2 = mint(k2, claims_at(r.clock.now()));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      while (!stop) {
        std::error_code tec;
        auto a = v.validate(t1, tec);
        if (!a || a->subject != "alice") failures.fetch_add(1);
        auto b = v.validate(t2, tec);
        if (!b || b->subject != "alice") failures.fetch_add(1);
        done.fetch_add(2);
      }
    });
  for (int i = 0; i < 200; ++i) {
    std::error_code rec;
    r.keys.refresh(rec);  // installs an equal set: every swap frees the old snapshot when unused
    REQUIRE_FALSE(rec);
  }
  while (done < 2000) std::this_thread::yield();
  stop = true;
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
}

// --- discovery ------------------------------------------------------------------------------

TEST_CASE("discovery: Flyte's metadata URL rules") {
  std::error_code ec;
  CHECK(oauth::metadata_url_for("https://dev.okta.com/oauth2/default", "", ec) ==
        "https://dev.okta.com/oauth2/default/.well-known/oauth-authorization-server");
  CHECK(oauth::metadata_url_for("https://dev.okta.com/oauth2/default/", "", ec) ==
        "https://dev.okta.com/oauth2/default/.well-known/oauth-authorization-server");
  CHECK(oauth::metadata_url_for("https://kc.example.com/realms/flyte", ".well-known/openid-configuration", ec) ==
        "https://kc.example.com/realms/flyte/.well-known/openid-configuration");
  CHECK(oauth::metadata_url_for("https://as.example.com", "", ec) ==
        "https://as.example.com/.well-known/oauth-authorization-server");
  CHECK(oauth::metadata_url_for("https://as.example.com/t", "https://meta.example.com/x", ec) ==
        "https://meta.example.com/x");
  CHECK_FALSE(ec);
  oauth::metadata_url_for("as.example.com", "", ec);
  CHECK(ec == error::url_invalid);
  oauth::metadata_url_for("ftp://as.example.com", "", ec);
  CHECK(ec == error::url_invalid);
  oauth::metadata_url_for("https://as.example.com", "javascript:alert(1)", ec);
  CHECK(ec == error::url_invalid);
}

TEST_CASE("discovery: the document must name the issuer it was fetched for") {
  transport::router routes;
  std::string doc;
  routes.get("/realms/flyte/.well-known/oauth-authorization-server", [&](const transport::request& req) {
    return transport::make_response(req, transport::http::status::ok, doc, "application/json");
  });
  transport::in_memory wire(routes);
  const transport::any_sync_client http(wire);
  std::error_code ec;
  doc = R"({"issuer":"https://kc.example.com/realms/flyte","jwks_uri":"https://kc.example.com/certs"})";
  auto m = oauth::discover(http, "https://kc.example.com/realms/flyte/", {}, ec);
  CHECK_FALSE(ec);
  CHECK(m.jwks_uri == "https://kc.example.com/certs");
  doc = R"({"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/certs"})";
  oauth::discover(http, "https://kc.example.com/realms/flyte", {}, ec);
  CHECK(ec == error::metadata_issuer_mismatch);
  oauth::discovery_options expected;
  expected.expected_issuer = "https://evil.example.com";
  oauth::discover(http, "https://kc.example.com/realms/flyte", expected, ec);
  CHECK_FALSE(ec);
  doc = R"({"issuer":"https://kc.example.com/realms/flyte"})";
  oauth::discover(http, "https://kc.example.com/realms/flyte", {}, ec);
  CHECK(ec == error::metadata_invalid);  // no jwks_uri
  doc = "not json";
  oauth::discover(http, "https://kc.example.com/realms/flyte", {}, ec);
  CHECK(ec == error::metadata_invalid);
  oauth::discover(http, "https://kc.example.com/realms/other", {}, ec);
  CHECK(ec == error::http_status_unexpected);
}

// --- introspection answers ----------------------------------------------------------------------

namespace {
struct introspection_endpoint {
  introspection_endpoint() {
    routes.post("/introspect", [this](const transport::request& req) {
      std::lock_guard lk(mutex);
      last_authorization = std::string(req[transport::http::field::authorization]);
      last_body = req.body();
      return transport::make_response(req, status, answer, "application/json");
    });
  }
  transport::router routes;
  transport::in_memory wire{routes};
  std::mutex mutex;
  std::string answer, last_authorization, last_body;
  transport::http::status status = transport::http::status::ok;
};

std::error_code introspected(const std::string& answer, const std::string& token = "opaque-token") {
  shared_clock clock;
  introspection_endpoint as;
  as.answer = answer;
  fixed_validator v(jose::static_key_set{}, options(), clock);
  v.introspection(resource::introspection_client(transport::any_sync_client(as.wire),
                                                 {"https://as.example.com/introspect", "rs id", "s:cret"}));
  std::error_code ec;
  auto who = v.validate(token, ec);
  CHECK(bool(who) == !ec);
  CHECK(as.last_authorization == http::basic_authorization("rs id", "s:cret"));
  CHECK(as.last_body == "token=" + token + "&token_type_hint=access_token");
  return ec;
}
}  // namespace

TEST_CASE("introspection: an active access token's answer is read like a JWT's claims") {
  shared_clock clock;
  introspection_endpoint as;
  as.answer = R"({"active":true,"token_type":"Bearer","iss":"https://as.example.com","aud":["x","https://api.example.com"],)"
              R"("sub":"alice","client_id":"c","scope":"all read","exp":1800003600})";
  fixed_validator v(jose::static_key_set{}, options(), clock);
  v.introspection(resource::introspection_client(transport::any_sync_client(as.wire),
                                                 {"https://as.example.com/introspect", "rs", "secret"}));
  std::error_code ec;
  auto who = v.validate("opaque-token", ec);
  REQUIRE_FALSE(ec);
  CHECK(who->source == resource::token_source::introspection);
  CHECK(who->subject == "alice");
  CHECK(who->audience == audience);
  CHECK(who->scopes == std::vector<std::string>{"all", "read"});
  CHECK(v.validate("opaque-token", ec) == who);  // cached
}

TEST_CASE("introspection: each refusal has its own cause") {
  const std::string ok_tail = R"(,"iss":"https://as.example.com","aud":"https://api.example.com","exp":1800003600})";
  CHECK(introspected(R"({"active":false})") == error::token_inactive);
  // A refresh token is active too, but is no access token; nor is a DPoP-bound token a bearer one.
  CHECK(introspected(R"({"active":true,"token_type":"refresh_token")" + ok_tail) == error::token_not_access_token);
  CHECK(introspected(R"({"active":true,"token_type":"DPoP")" + ok_tail) == error::token_not_access_token);
  CHECK(introspected(R"({"active":true,"token_type":"bearer")" + ok_tail) == std::error_code());
  CHECK(introspected(R"({"active":true,"iss":"https://evil.example.com","aud":"https://api.example.com"})") ==
        error::issuer_mismatch);
  CHECK(introspected(R"({"active":true,"iss":"https://as.example.com"})") == error::audience_missing);
  CHECK(introspected(R"({"active":true,"aud":"https://other.example.com"})") == error::audience_mismatch);
  CHECK(introspected(R"({"active":true,"aud":"https://api.example.com","exp":1799999000})") == error::token_expired);
  CHECK(introspected(R"({"active":true,"aud":"https://api.example.com","nbf":1800000600})") ==
        error::token_not_yet_valid);
  CHECK(introspected(R"({"active":"true"})") == error::introspection_invalid);
  CHECK(introspected(R"([true])") == error::introspection_invalid);
  CHECK(introspected("not json") == error::introspection_invalid);
  CHECK(introspected(R"({"active":true,"aud":"https://api.example.com","scope":7})") == error::claim_type);
}

TEST_CASE("introspection: a server that fails is not a verdict on the token") {
  shared_clock clock;
  introspection_endpoint as;
  as.status = transport::http::status::unauthorized;  // the resource server's credentials were refused
  fixed_validator v(jose::static_key_set{}, options(), clock);
  v.introspection(resource::introspection_client(transport::any_sync_client(as.wire),
                                                 {"https://as.example.com/introspect", "rs", "wrong"}));
  std::error_code ec;
  CHECK_FALSE(v.validate("opaque-token", ec));
  CHECK(ec == error::introspection_failed);
  CHECK(condition_of(ec) == condition::temporarily_unavailable);
  as.status = transport::http::status::ok;
  as.answer = std::string(70 * 1024, ' ') + R"({"active":true})";
  CHECK_FALSE(v.validate("opaque-token", ec));
  CHECK(ec == error::introspection_invalid);  // oversized
}

TEST_CASE("discovery: plain http only to loopback, unless allowed by name") {
  std::error_code ec;
  CHECK(oauth::secure_or_loopback("https://as.example.com/x", ec));
  CHECK(oauth::secure_or_loopback("http://127.0.0.1:8088", ec));
  CHECK(oauth::secure_or_loopback("http://127.1.2.3", ec));
  CHECK(oauth::secure_or_loopback("http://[::1]:80/", ec));
  CHECK(oauth::secure_or_loopback("http://localhost:9000", ec));
  CHECK_FALSE(ec);
  CHECK_FALSE(oauth::secure_or_loopback("http://as.example.com", ec));
  CHECK_FALSE(oauth::secure_or_loopback("http://10.0.0.1", ec));
  CHECK_FALSE(oauth::secure_or_loopback("http://localhost.example.com", ec));
  CHECK_FALSE(ec);
  CHECK_FALSE(oauth::secure_or_loopback("ftp://x", ec));
  CHECK(ec == error::url_invalid);

  transport::router routes;
  routes.get("/.well-known/oauth-authorization-server", [](const transport::request& req) {
    return transport::make_response(req, transport::http::status::ok,
                                    R"({"issuer":"http://as.example.com","jwks_uri":"http://as.example.com/jwks"})",
                                    "application/json");
  });
  transport::in_memory wire(routes);
  oauth::discover(transport::any_sync_client(wire), "http://as.example.com", {}, ec);
  CHECK(ec == error::url_insecure);
  oauth::discovery_options o;
  o.allow_http = true;
  oauth::discover(transport::any_sync_client(wire), "http://as.example.com", o, ec);
  CHECK_FALSE(ec);
  // A metadata URL that leaves https for http elsewhere is refused too.
  o.allow_http = false;
  o.metadata_url = "http://meta.example.com/x";
  oauth::discover(transport::any_sync_client(wire), "https://as.example.com", o, ec);
  CHECK(ec == error::url_insecure);
}

TEST_CASE("External mode: a jwks_uri in the clear is refused") {
  transport::router routes;
  routes.get("/.well-known/oauth-authorization-server", [](const transport::request& req) {
    return transport::make_response(req, transport::http::status::ok,
                                    R"({"issuer":"https://as.example.com","jwks_uri":"http://cdn.example.com/jwks"})",
                                    "application/json");
  });
  transport::in_memory wire(routes);
  resource::external_options o;
  o.base_url = "https://as.example.com";
  o.validation.audiences = {"x"};
  std::error_code ec;
  CHECK_FALSE(resource::external(transport::any_sync_client(wire), o, ec));
  CHECK(ec == error::url_insecure);
}

TEST_CASE("validator: options without an issuer or an audience are refused, not silently permissive") {
  auto o = options();
  CHECK_FALSE(resource::check_options(o));
  auto no_issuer = o;
  no_issuer.issuer.clear();
  CHECK(resource::check_options(no_issuer) == error::config_value_invalid);
  CHECK_THROWS_AS(fixed_validator(jose::static_key_set{}, no_issuer), tessera::system_error);
  auto no_audience = o;
  no_audience.audiences.clear();
  CHECK_THROWS_AS(fixed_validator(jose::static_key_set{}, no_audience), tessera::system_error);
  auto empty_audience = o;
  empty_audience.audiences = {""};
  CHECK(resource::check_options(empty_audience) == error::config_value_invalid);
  auto tenants = no_issuer;
  tenants.tenant_issuers = {jose::tenant_issuer::allow("https://login.example.com/{tenantid}/v2.0", {"t1"})};
  CHECK_FALSE(resource::check_options(tenants));
}

TEST_CASE("introspection: the issuer rule is the JWT's, tenant templates included") {
  shared_clock clock;
  introspection_endpoint as;
  auto o = options();
  o.tenant_issuers = {jose::tenant_issuer::allow("https://login.example.com/{tenantid}/v2.0", {"t1"})};
  fixed_validator v(jose::static_key_set{}, o, clock);
  v.introspection(resource::introspection_client(transport::any_sync_client(as.wire),
                                                 {"https://as.example.com/introspect", "rs", "secret"}));
  std::error_code ec;
  as.answer = R"({"active":true,"iss":"https://login.example.com/t1/v2.0","aud":"https://api.example.com"})";
  CHECK(v.validate("token-of-t1", ec));
  as.answer = R"({"active":true,"iss":"https://login.example.com/t2/v2.0","aud":"https://api.example.com"})";
  CHECK_FALSE(v.validate("token-of-t2", ec));
  CHECK(ec == error::issuer_tenant_not_allowed);
}
