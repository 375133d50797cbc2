// tessera — tests/fuzz/fuzz_resource.cpp: what a resource server reads from outside
// (include/tessera/resource): introspection answers and the claims in them, JWK set documents
// with their Cache-Control, and the Authorization header a guarded route parses.
//
// The first byte picks the part; the rest is what the peer sends. Beyond "does not crash":
// an accepted introspection answer yields claims within the configured bounds (an accepted
// audience, at most max_scopes scopes, not expired); a key-set document installs at most
// max_keys keys; a guarded route answers 200, 401, 403 or 503 and never echoes the header.
#include <tessera/resource.hpp>
#include <tessera/transport/in_memory.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {

using namespace tessera;

struct fixed_clock {
  time_point now() const noexcept { return from_unix_seconds(1'800'000'000); }
};

void introspection_answer(std::string_view body) {
  transport::router routes;
  routes.post("/introspect", [&](const transport::request& req) {
    return transport::make_response(req, transport::http::status::ok, std::string(body), "application/json");
  });
  transport::in_memory wire(routes);
  resource::validator_options o;
  o.issuer = "https://as.example.com";
  o.audiences = {"api"};
  o.claims.max_scopes = 8;
  o.claims.subject_claims = {"email"};
  resource::validator<jose::static_key_set, fixed_clock> v(jose::static_key_set{}, o);
  v.introspection(resource::introspection_client(transport::any_sync_client(wire),
                                                 {"https://as.example.com/introspect", "rs", "secret"}));
  std::error_code ec;
  auto who = v.validate("an-opaque-token", ec);
  if (ec) {
    FUZZ_CHECK(!who);
    return;
  }
  FUZZ_CHECK(who);
  FUZZ_CHECK(who->audience == "api");
  FUZZ_CHECK(who->scopes.size() <= 8);
  FUZZ_CHECK(!who->expires_at || *who->expires_at + o.leeway > fixed_clock{}.now());
  FUZZ_CHECK(who->issuer.empty() || who->issuer == o.issuer);
  FUZZ_CHECK(v.validate("an-opaque-token", ec) == who);  // cached
}

void key_set_document(std::string_view in) {
  // First line: a Cache-Control value; the rest: the document.
  const auto nl = in.find('\n');
  const std::string cache_control(in.substr(0, nl == std::string_view::npos ? 0 : nl));
  const std::string body(nl == std::string_view::npos ? in : in.substr(nl + 1));
  transport::router routes;
  routes.get("/jwks", [&](const transport::request& req) {
    auto res = transport::make_response(req, transport::http::status::ok, body, "application/json");
    if (cache_control.find_first_of("\r\n") == std::string::npos) res.set(transport::http::field::cache_control, cache_control);
    return res;
  });
  transport::in_memory wire(routes);
  oauth::remote_jwks_options o;
  o.max_keys = 4;
  oauth::remote_jwks<fixed_clock> keys("https://as.example.com/jwks", transport::any_sync_client(wire), o);
  std::error_code ec;
  auto outcome = keys.refresh(ec);
  FUZZ_CHECK((outcome == oauth::refresh_outcome::updated) == !ec);
  FUZZ_CHECK(keys.current()->size() <= 4);
  FUZZ_CHECK(keys.loaded() == !ec);
  outcome = keys.refresh_if_stale(ec);  // within the cooldown: never a second fetch
  FUZZ_CHECK(outcome != oauth::refresh_outcome::updated);
}

void guarded_route(std::string_view header) {
  resource::validator_options o;
  o.issuer = "https://as.example.com";
  o.audiences = {"api"};
  static const jose::jwk key = jose::jwk::generate(jose::algorithm::HS256).with_kid("k");
  resource::validator<jose::static_key_set, fixed_clock> v(jose::static_key_set(jose::jwk_set{key}), o);
  transport::router routes;
  routes.get("/api", resource::guard(v, {"all"}, [](const transport::request& req, const resource::access_claims&) {
               return transport::make_response(req, transport::http::status::ok, "ok");
             }));
  transport::request req{transport::http::verb::get, "/api", 11};
  if (header.find_first_of("\r\n") != std::string_view::npos) return;  // not a header value
  req.set(transport::http::field::authorization, header);
  req.set("flyte-authorization", header);
  auto res = routes.route(req);
  const unsigned s = res.result_int();
  FUZZ_CHECK(s == 200 || s == 401 || s == 403 || s == 503);
  // Nothing of the header comes back: the challenge is one of the fixed ones, and the body is
  // "ok", empty, or an error whose description is one of tessera's fixed sentences.
  const std::string_view challenge = res[transport::http::field::www_authenticate];
  FUZZ_CHECK(challenge.empty() || challenge == "Bearer realm=\"tessera\"" ||
             challenge == "Bearer realm=\"tessera\", error=\"invalid_token\"" ||
             challenge == "Bearer realm=\"tessera\", error=\"insufficient_scope\", scope=\"all\"");
  if (s == 200 || res.body().empty()) {
    FUZZ_CHECK(res.body().empty() || res.body() == "ok");
    return;
  }
  const auto body = boost::json::parse(res.body()).as_object();
  FUZZ_CHECK(body.size() <= 2);
  if (auto* d = body.if_contains("error_description")) {
    bool known = false;
    for (int e = 1; e <= static_cast<int>(error::session_end_unsupported) && !known; ++e)
      known = description(static_cast<error>(e)) == std::string_view(d->as_string());
    FUZZ_CHECK(known);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: introspection_answer(in); break;
    case 1: key_set_document(in); break;
    default: guarded_route(in); break;
  }
  return 0;
}
