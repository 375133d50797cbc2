// tessera — tests/fuzz/fuzz_upstream.cpp: what a relying party reads from an external identity
// provider and from the browser that comes back from it (include/tessera/identity/oidc.hpp,
// upstream.hpp, profiles.hpp): the token endpoint's answer, userinfo, GitHub's /user, the IdP's
// discovery document, the callback's query string, and the IdP-token record a session keeps.
//
// The first byte picks the part; the rest is what the peer sends. Beyond "does not crash": a
// sign-in either ends in a session (303, and /me then names the ID token's person) or in a
// page with status 400–503 and no session; no answer ever contains the IdP's tokens.
#include <tessera/identity.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/transport/in_memory.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
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

constexpr std::string_view issuer = "https://idp.example.com";
constexpr std::string_view rp = "https://rp.example.com";
constexpr std::string_view secret_access_token = "at-SECRET-0123456789";

const jose::jwk& idp_key() {
  static const jose::jwk k = jose::jwk::generate(jose::algorithm::ES256).with_kid("k1");
  return k;
}

std::map<std::string, std::string> query_of(std::string_view url) {
  std::map<std::string, std::string> out;
  auto u = boost::urls::parse_uri_reference(url);
  if (u)
    for (auto p : u->params()) out[std::string(p.key)] = std::string(p.value);
  return out;
}

enum class part : std::uint8_t { token_answer, userinfo, github_user, callback_query, session_record, discovery, count };

struct world {
  part which;
  std::string body;
  std::string nonce;

  transport::router idp;
  transport::in_memory idp_wire{idp};

  std::string discovery() const {
    if (which == part::discovery) return body;
    boost::json::object m{{"issuer", issuer},
                          {"authorization_endpoint", std::string(issuer) + "/authorize"},
                          {"token_endpoint", std::string(issuer) + "/token"},
                          {"jwks_uri", std::string(issuer) + "/jwks"},
                          {"userinfo_endpoint", std::string(issuer) + "/userinfo"},
                          {"end_session_endpoint", std::string(issuer) + "/logout"},
                          {"id_token_signing_alg_values_supported", boost::json::array{"ES256"}}};
    return boost::json::serialize(m);
  }
  std::string token_answer() const {
    if (which == part::token_answer) return body;
    const auto now = to_unix_seconds(fixed_clock{}.now());
    boost::json::object c{{"iss", issuer}, {"sub", "alice"}, {"aud", "rp"}, {"iat", now}, {"exp", now + 600}, {"nonce", nonce}};
    boost::json::object t{{"access_token", secret_access_token}, {"token_type", "Bearer"}, {"expires_in", 300},
                          {"refresh_token", "rt-SECRET"}, {"id_token", jose::sign_jwt(jose::jws_signer(idp_key(), "JWT"), c)}};
    return boost::json::serialize(t);
  }

  world(part p, std::string b) : which(p), body(std::move(b)) {
    auto json = [](const transport::request& q, std::string s) {
      return transport::make_response(q, transport::http::status::ok, std::move(s), "application/json");
    };
    idp.get("/.well-known/openid-configuration", [this, json](const transport::request& q) { return json(q, discovery()); });
    idp.get("/jwks", [json](const transport::request& q) {
      jose::jwk_set s;
      s.add(idp_key().public_key());
      return json(q, boost::json::serialize(s.public_json()));
    });
    idp.post("/token", [this, json](const transport::request& q) { return json(q, token_answer()); });
    idp.post("/login/oauth/access_token", [this, json](const transport::request& q) { return json(q, token_answer()); });
    idp.get("/userinfo", [this, json](const transport::request& q) {
      return json(q, which == part::userinfo ? body : std::string(R"({"sub":"alice","name":"A"})"));
    });
    idp.get("/user", [this, json](const transport::request& q) {
      return json(q, which == part::github_user ? body : std::string(R"({"id":1,"login":"a"})"));
    });
    idp.get("/user/emails", [json](const transport::request& q) { return json(q, "[]"); });
  }
};

identity::session_identity_settings rp_settings() {
  identity::session_identity_settings s;
  s.browser.cookie_keys = {std::string(32, 'k')};
  s.browser.public_url = std::string(rp);
  return s;
}

identity::upstream_settings upstream_settings(std::string name, std::string base) {
  identity::upstream_settings u;
  u.name = std::move(name);
  u.base_url = std::move(base);
  u.api_url = std::string(issuer);
  u.client_id = "rp";
  u.client_secret = "rp-secret";
  u.redirect_uri = std::string(rp) + "/callback";
  return u;
}

// The IdP's access token never reaches a page, a redirect or a log — unless the fuzzed input
// itself carries that text (e.g. as a userinfo claim, which /me rightly shows).
bool input_has_secret = false;

void check_clean(const transport::response& r) {
  if (input_has_secret) return;
  FUZZ_CHECK(r.body().find(secret_access_token) == std::string::npos);
  FUZZ_CHECK(std::string_view(r[transport::http::field::location]).find(secret_access_token) == std::string_view::npos);
}

void sign_in(part which, std::string_view in) {
  world w(which, std::string(in));
  store::memory st;
  fixed_clock clock;
  identity::oidc_settings o;
  o.log = [](std::string_view line) {
    FUZZ_CHECK(input_has_secret || line.find(secret_access_token) == std::string_view::npos);
  };
  const bool github = which == part::github_user;
  if (github)
    o.providers = {std::make_shared<identity::upstream<identity::profile::github, fixed_clock>>(
        upstream_settings("gh", std::string(issuer)), transport::any_sync_client(w.idp_wire), clock)};
  else
    o.providers = {std::make_shared<identity::upstream<identity::profile::generic_oidc, fixed_clock>>(
        upstream_settings("idp", std::string(issuer)), transport::any_sync_client(w.idp_wire), clock)};
  identity::session_identity<store::memory, fixed_clock, identity::oidc_authenticator> id(rp_settings(), o, st, clock);
  transport::router routes;
  id.install(routes);
  transport::in_memory browser(routes);

  std::error_code ec;
  auto login = browser.get(std::string(rp) + "/login", ec);
  FUZZ_CHECK(!ec);
  if (which == part::discovery) {
    FUZZ_CHECK(login.result_int() == 303 || login.result_int() == 503);
    if (login.result_int() != 303) return;
  }
  FUZZ_CHECK(login.result_int() == 303);
  const std::string set_cookie(login[transport::http::field::set_cookie]);
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  auto q = query_of(login[transport::http::field::location]);
  w.nonce = q["nonce"];

  transport::request cb{transport::http::verb::get, "/", 11};
  cb.set(transport::http::field::cookie, cookie);
  std::string url = std::string(rp) + "/callback?";
  if (which == part::callback_query)
    url += std::string(in);
  else
    url += "code=c&state=" + q["state"];
  auto res = browser.send(std::move(cb), url, ec);
  if (ec) return;  // a query the target syntax refuses
  check_clean(res);
  const unsigned status = res.result_int();
  FUZZ_CHECK(status == 303 || (status >= 400 && status <= 503));
  if (status != 303) return;
  // A session: /me names a person.
  std::string session;
  for (auto it = res.find(transport::http::field::set_cookie); it != res.end() && it->name() == transport::http::field::set_cookie; ++it)
    if (std::string_view(it->value()).starts_with("__Host-tessera_session=")) session = std::string(it->value().substr(0, it->value().find(';')));
  FUZZ_CHECK(!session.empty());
  transport::request me{transport::http::verb::get, "/", 11};
  me.set(transport::http::field::cookie, session);
  auto who = browser.send(std::move(me), std::string(rp) + "/me", ec);
  FUZZ_CHECK(!ec && who.result_int() == 200);
  check_clean(who);
  auto doc = boost::json::parse(who.body()).as_object();
  FUZZ_CHECK(!doc.at("subject").as_string().empty());
}

void session_record(std::string_view in) {
  auto t = identity::upstream_tokens::from_json(in);
  if (!t) return;
  FUZZ_CHECK(!t->provider.empty());
  auto again = identity::upstream_tokens::from_json(t->to_json());
  FUZZ_CHECK(again && again->provider == t->provider && again->refresh_token == t->refresh_token &&
             again->expires_at == t->expires_at);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto which = static_cast<part>(data[0] % static_cast<std::uint8_t>(part::count));
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if (in.size() > 64 * 1024) return 0;
  input_has_secret = in.find(secret_access_token) != std::string_view::npos;
  if (which == part::session_record)
    session_record(in);
  else
    sign_in(which, in);
  return 0;
}
