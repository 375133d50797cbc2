// The client's flows against a scripted authorization server (scripted_as.hpp) over the
// in-memory transport — and, for the PKCE redirect, a real loopback socket the "browser" (a
// thread with tessera's HTTP client) is sent to.
#include "scripted_as.hpp"

#include <tessera/transport/http_client.hpp>

#include <boost/url/url.hpp>

#include <thread>

using namespace ctest;
using client::auth_type;

namespace {

using full_client = client::client<test_traits, client::flow::pkce, client::flow::client_credentials,
                                   client::flow::device_code, client::flow::external_command>;

struct fixture {
  scripted_as as;
  shared_clock clock;
  std::vector<std::chrono::milliseconds> sleeps;
  std::vector<std::string> logs;
  std::vector<client::device_prompt> prompts;
  std::function<void(const std::string&)> browser;  // what the person's browser does
  std::thread browser_thread;
  std::vector<unsigned> statuses;  // what the browser saw; read after join() (Catch2 asserts on one thread)
  void join() {
    if (browser_thread.joinable()) browser_thread.join();
  }

  client::interaction ui() {
    client::interaction i;
    i.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      clock.advance(d);
    };
    i.log = [this](std::string_view s) { logs.emplace_back(s); };
    i.device_code = [this](const client::device_prompt& p) { prompts.push_back(p); };
    i.authorization_url = [this](const std::string& url) {
      REQUIRE(browser);
      browser_thread = std::thread(browser, url);
    };
    return i;
  }
  full_client make(client::client_settings s) {
    return full_client(std::move(s), transport::any_sync_client(as.wire), ui(), clock);
  }
  ~fixture() {
    if (browser_thread.joinable()) browser_thread.join();
  }
  bool logged(std::string_view needle) const {
    for (const auto& l : logs)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
};

/// GETs `url` on the loopback as a browser would; returns the status (0: failed).
unsigned visit(const std::string& url) {
  transport::http_client net;
  std::error_code ec;
  auto res = net.get(url, ec);
  return ec ? 0 : res.result_int();
}

std::string with_query(const std::string& redirect, std::initializer_list<std::pair<std::string, std::string>> q) {
  boost::urls::url u(redirect);
  for (auto& [k, v] : q) u.params().append({k, v});
  return std::string(u.buffer());
}


/// Client credentials as `flytectl` with secret `x`.
client::client_settings cc_settings(std::string secret = "x") {
  auto s = settings_for(auth_type::client_secret);
  s.client_id = "flytectl";
  s.client_secret = std::move(secret);
  return s;
}

}  // namespace

TEST_CASE("client credentials: basic authentication, scope and audience; cached until near expiry") {
  fixture f;
  f.as.client_id = "propeller:1";  // ':' must be form-encoded inside Basic (RFC 6749 §2.3.1)
  f.as.client_secret = "s3cr%t+/";
  auto s = settings_for(auth_type::client_secret);
  s.client_id = "propeller:1";
  s.client_secret = "s3cr%t+/";
  s.use_audience_from_server = true;
  auto c = f.make(s);
  std::error_code ec;
  auto t = c.token(ec);
  REQUIRE_FALSE(ec);
  CHECK(t.access_token == "at-1");
  CHECK(t.expires_at == f.clock.now() + seconds(600));
  CHECK(f.as.last_authorization.starts_with("Basic "));
  auto form = http::parse_form(f.as.last_form);
  CHECK(form.get("scope") == "all offline");  // the server's advertised scopes (none configured)
  CHECK(form.get("audience") == "https://flyte.example.com/api");
  CHECK_FALSE(form.contains("client_secret"));
  // Cached: no request at all.
  const int before = f.as.hits["token"] + f.as.hits["metadata"];
  CHECK(c.token(ec).access_token == "at-1");
  CHECK(f.as.hits["token"] + f.as.hits["metadata"] == before);
  // Within the refresh margin: a new token.
  f.clock.advance(seconds(595));
  CHECK(c.token(ec).access_token == "at-2");
}

TEST_CASE("client credentials: secret in the body with secret_method::post; a wrong secret is the server's invalid_client") {
  fixture f;
  f.as.client_secret = "right";
  auto s = settings_for(auth_type::client_secret);
  s.client_id = "flytectl";
  s.client_secret = "wrong";
  s.secret_auth = client::secret_method::post;
  s.scopes = {"all"};
  auto c = f.make(s);
  std::error_code ec;
  c.token(ec);
  CHECK(ec == condition::invalid_client);
  CHECK(ec.category() == oauth::peer_category());
  CHECK(c.last_description() == "client authentication failed");
  CHECK(http::parse_form(f.as.last_form).get("client_secret") == "wrong");
  CHECK(f.as.last_authorization.empty());
  CHECK(f.logged("token endpoint answered 401"));
}

TEST_CASE("client credentials: a server that lists only client_secret_post gets the secret in the body") {
  fixture f;
  f.as.client_secret = "x";
  f.as.auth_methods = {"client_secret_post", "private_key_jwt"};
  auto s = cc_settings();
  auto c = f.make(s);
  std::error_code ec;
  CHECK(c.token(ec).access_token == "at-1");
  CHECK(f.as.last_authorization.empty());
  CHECK(http::parse_form(f.as.last_form).get("client_secret") == "x");

  fixture g;  // both listed: Basic, as configured
  g.as.client_secret = "x";
  g.as.auth_methods = {"client_secret_post", "client_secret_basic"};
  auto d = g.make(s);
  CHECK(d.token(ec).access_token == "at-1");
  CHECK(g.as.last_authorization.starts_with("Basic "));
}

TEST_CASE("client credentials: no secret is refused before anything is sent") {
  fixture f;
  auto s = settings_for(auth_type::client_secret);
  s.client_id = "flytectl";
  auto c = f.make(s);
  std::error_code ec;
  c.token(ec);
  CHECK(ec == error::client_secret_missing);
  CHECK(f.as.hits["token"] == 0);
}

TEST_CASE("client credentials: tokenUrl skips the metadata; plain http to another host is refused") {
  fixture f;
  f.as.client_secret = "x";
  auto s = cc_settings();
  s.scopes = {"all"};
  s.token_url = std::string(base) + "/oauth2/token";
  auto c = f.make(s);
  std::error_code ec;
  CHECK(c.token(ec).access_token == "at-1");
  CHECK(f.as.hits["metadata"] == 0);
  CHECK(f.as.hits["flyte_client"] == 0);

  fixture g;
  auto h = settings_for(auth_type::client_secret);
  h.endpoint = "http://flyte.example.com";
  h.client_id = "flytectl";
  h.client_secret = "x";
  auto d = g.make(h);
  d.token(ec);
  CHECK(ec == error::url_insecure);
  CHECK(g.as.hits["metadata"] == 0);
}

TEST_CASE("token responses: lowercase bearer is accepted, other types refused, expires_in as a string") {
  fixture f;
  f.as.client_secret = "x";
  auto s = cc_settings();
  f.as.token_type = "bearer";
  auto c = f.make(s);
  std::error_code ec;
  CHECK(c.token(ec).access_token == "at-1");
  CHECK_FALSE(ec);

  fixture g;
  g.as.client_secret = "x";
  g.as.token_type = "DPoP";
  auto d = g.make(s);
  d.token(ec);
  CHECK(ec == error::token_type_not_bearer);
}

TEST_CASE("pkce: loopback redirect, state, nonce, S256, RFC 9207 iss; tokens cached with refresh") {
  fixture f;
  f.browser = [&f](const std::string& url) {
    const auto redirect = f.as.authorize(url);
    f.statuses.push_back(visit(with_query(redirect, {{"code", f.as.issued_code},
                                                     {"state", f.as.authorization_params["state"]},
                                                     {"iss", f.as.issuer}})));
  };
  auto c = f.make(settings_for(auth_type::pkce));
  std::error_code ec;
  auto t = c.token(ec);
  f.join();
  CHECK(f.statuses == std::vector<unsigned>{200});
  INFO(ec.message());
  REQUIRE_FALSE(ec);
  CHECK(t.access_token == "at-1");
  CHECK(t.refresh_token == "rt-1");
  auto& q = f.as.authorization_params;
  CHECK(q["response_type"] == "code");
  CHECK(q["client_id"] == "flytectl");  // the server's advertised client
  CHECK(q["scope"] == "all offline");
  CHECK(q["code_challenge_method"] == "S256");
  CHECK(q["state"].size() == 43);
  CHECK(q["nonce"].size() == 43);
  CHECK(q["audience"] == "https://flyte.example.com/api");  // a person's flow: the server's audience (flytekit)
  CHECK(q["redirect_uri"].starts_with("http://127.0.0.1:"));
  CHECK_FALSE(q["redirect_uri"].starts_with("http://127.0.0.1:0/"));  // the port actually bound
  CHECK(http::parse_form(f.as.last_form).get("client_id") == "flytectl");

  // Expired: refreshed (rotated), no browser.
  f.browser = nullptr;
  f.clock.advance(seconds(600));
  t = c.token(ec);
  REQUIRE_FALSE(ec);
  CHECK(t.access_token == "at-2");
  CHECK(t.refresh_token == "rt-2");
  CHECK(f.as.grants.back() == "refresh_token");
}

TEST_CASE("pkce: a redirect with another state is answered and ignored; the real one still completes") {
  fixture f;
  f.browser = [&f](const std::string& url) {
    const auto redirect = f.as.authorize(url);
    f.statuses.push_back(visit(with_query(redirect, {{"code", "forged"}, {"state", "not-the-state"}})));
    f.statuses.push_back(visit(redirect.substr(0, redirect.rfind('/')) + "/favicon.ico"));
    f.statuses.push_back(visit(with_query(redirect, {{"code", f.as.issued_code},
                                                     {"state", f.as.authorization_params["state"]},
                                                     {"iss", f.as.issuer}})));
  };
  auto c = f.make(settings_for(auth_type::pkce));
  std::error_code ec;
  auto t = c.login(ec);
  f.join();
  CHECK(f.statuses == std::vector<unsigned>{400, 404, 200});
  REQUIRE_FALSE(ec);
  CHECK(t.access_token == "at-1");
}

TEST_CASE("pkce: the server's error, a mix-up iss, a missing iss, a missing code") {
  struct outcome {
    std::function<std::vector<std::pair<std::string, std::string>>(scripted_as&)> query;
    std::error_code expected;
  };
  const std::vector<outcome> cases = {
      {[](scripted_as& as) {
         return std::vector<std::pair<std::string, std::string>>{
             {"error", "access_denied"}, {"error_description", "the user said no"}, {"state", as.authorization_params["state"]},
             {"iss", as.issuer}};
       },
       oauth::make_peer_error(condition::access_denied)},
      {[](scripted_as& as) {
         return std::vector<std::pair<std::string, std::string>>{
             {"code", as.issued_code}, {"state", as.authorization_params["state"]}, {"iss", "https://evil.example.com"}};
       },
       error::authorization_response_issuer_mismatch},
      {[](scripted_as& as) {
         return std::vector<std::pair<std::string, std::string>>{{"code", as.issued_code},
                                                                 {"state", as.authorization_params["state"]}};
       },
       error::authorization_response_issuer_mismatch},  // the metadata promises iss
      {[](scripted_as& as) {  // an error from another server is not this server's refusal (RFC 9207)
         return std::vector<std::pair<std::string, std::string>>{
             {"error", "access_denied"}, {"state", as.authorization_params["state"]}, {"iss", "https://evil.example.com"}};
       },
       error::authorization_response_issuer_mismatch},
      {[](scripted_as& as) {
         return std::vector<std::pair<std::string, std::string>>{{"state", as.authorization_params["state"]},
                                                                 {"iss", as.issuer}};
       },
       error::authorization_response_code_missing},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    fixture f;
    f.browser = [&f, &cases, i](const std::string& url) {
      const auto redirect = f.as.authorize(url);
      boost::urls::url u(redirect);
      for (auto& [k, v] : cases[i].query(f.as)) u.params().append({k, v});
      f.statuses.push_back(visit(std::string(u.buffer())));
    };
    auto c = f.make(settings_for(auth_type::pkce));
    std::error_code ec;
    c.login(ec);
    f.join();
    REQUIRE(f.statuses.size() == 1);
    CHECK(f.statuses[0] == (i == 0 ? 200u : 400u));
    CHECK(ec == cases[i].expected);
    CHECK(f.as.hits["token"] == 0);  // nothing was exchanged
    if (i == 0) CHECK(c.last_description() == "the user said no");
  }
}

TEST_CASE("pkce: nobody comes back — authorization_timeout; only stray states — state mismatch") {
  {
    fixture f;
    f.browser = [&f](const std::string& url) { f.as.authorize(url); };
    auto s = settings_for(auth_type::pkce);
    s.pkce.timeout = std::chrono::milliseconds(300);
    auto c = f.make(s);
    std::error_code ec;
    c.login(ec);
    CHECK(ec == error::authorization_timeout);
  }
  {
    fixture f;
    f.browser = [&f](const std::string& url) {
      f.statuses.push_back(visit(with_query(f.as.authorize(url), {{"code", "x"}, {"state", "guess"}})));
    };
    auto s = settings_for(auth_type::pkce);
    s.pkce.timeout = std::chrono::seconds(3);  // the stray request must arrive first, even under TSan
    auto c = f.make(s);
    std::error_code ec;
    c.login(ec);
    f.join();
    CHECK(f.statuses == std::vector<unsigned>{400});
    CHECK(ec == error::authorization_response_state_mismatch);
  }
}

TEST_CASE("pkce: a redirect that is not loopback http cannot be listened on") {
  fixture f;
  auto s = settings_for(auth_type::pkce);
  s.pkce.redirect_uri = "https://app.example.com/callback";
  auto c = f.make(s);
  std::error_code ec;
  c.login(ec);
  CHECK(ec == error::url_invalid);
}

TEST_CASE("device code: prompt, pending, slow_down adds 5 s, tokens with their real expiry") {
  fixture f;
  f.as.device_script = {"authorization_pending", "slow_down", "authorization_pending", "ok"};
  auto s = settings_for(auth_type::device_flow);
  s.scopes = {"all", "offline"};
  auto c = f.make(s);
  std::error_code ec;
  auto t = c.token(ec);
  INFO(ec.message());
  REQUIRE_FALSE(ec);
  CHECK(t.access_token == "at-1");
  CHECK(t.refresh_token == "rt-1");
  CHECK(t.expiry_known());
  REQUIRE(f.prompts.size() == 1);
  CHECK(f.prompts[0].user_code == "WDJB-MJHT");
  CHECK(f.prompts[0].verification_uri_complete.ends_with("user_code=WDJB-MJHT"));
  CHECK(f.as.device_scope == "all offline");
  CHECK(f.as.device_audience == "https://flyte.example.com/api");  // as Flyte's device flow sends it
  CHECK(f.as.polls == 4);
  using ms = std::chrono::milliseconds;
  CHECK(f.sleeps == std::vector<ms>{ms(5000), ms(5000), ms(10000), ms(10000)});
}

TEST_CASE("device code: denied, expired at the server, expired here; Google's verification_url") {
  {
    fixture f;
    f.as.device_script = {"authorization_pending", "access_denied"};
    auto c = f.make(settings_for(auth_type::device_flow));
    std::error_code ec;
    c.login(ec);
    CHECK(ec == oauth::make_peer_error(condition::access_denied));
  }
  {
    fixture f;
    f.as.device_script = {"expired_token"};
    auto c = f.make(settings_for(auth_type::device_flow));
    std::error_code ec;
    c.login(ec);
    CHECK(ec == condition::expired_token);
  }
  {
    fixture f;
    f.as.device_script = std::vector<std::string>(1000, "authorization_pending");
    auto s = settings_for(auth_type::device_flow);
    s.device.timeout = std::chrono::seconds(60);  // sooner than the server's 600 s
    auto c = f.make(s);
    std::error_code ec;
    c.login(ec);
    CHECK(ec == error::device_code_expired);
    CHECK(f.as.polls == 12);
  }
  {
    fixture f;
    f.as.device_body = R"({"device_code":"dc-1","user_code":"ABCD","verification_url":"https://www.google.com/device","expires_in":"1800"})";
    f.as.device_script = {"ok"};
    auto s = settings_for(auth_type::device_flow);
    s.device.poll_interval = std::chrono::seconds(2);
    auto c = f.make(s);
    std::error_code ec;
    c.login(ec);
    CHECK(ec == error::device_authorization_invalid);  // expires_in must be a number here
    f.as.device_body = R"({"device_code":"dc-1","user_code":"ABCD","verification_url":"https://www.google.com/device","expires_in":1800})";
    c.login(ec);
    CHECK_FALSE(ec);
    REQUIRE(f.prompts.size() == 1);
    CHECK(f.prompts[0].verification_uri == "https://www.google.com/device");
    CHECK(f.sleeps.back() == std::chrono::milliseconds(2000));  // no interval: pollInterval
  }
}

TEST_CASE("device code: malformed answers are refused before anything is shown") {
  for (std::string body : {std::string(R"({"user_code":"A","verification_uri":"https://x/d","expires_in":60})"),
                           std::string(R"({"device_code":"d","user_code":"A\u001b[2J","verification_uri":"https://x/d","expires_in":60})"),
                           std::string(R"x({"device_code":"d","user_code":"A","verification_uri":"javascript:alert(1)","expires_in":60})x"),
                           std::string(R"({"device_code":"d","user_code":"A","verification_uri":"https://x/d","expires_in":0})"),
                           std::string(R"([1,2])")}) {
    INFO(body);
    fixture f;
    f.as.device_body = body;
    auto c = f.make(settings_for(auth_type::device_flow));
    std::error_code ec;
    c.login(ec);
    CHECK(ec == error::device_authorization_invalid);
    CHECK(f.prompts.empty());
  }
}

TEST_CASE("refresh: a refused refresh runs the flow once; a failed one does not") {
  fixture f;
  f.as.device_script = {"ok", "ok"};
  auto c = f.make(settings_for(auth_type::device_flow));
  std::error_code ec;
  REQUIRE(c.token(ec).refresh_token == "rt-1");
  f.clock.advance(seconds(600));
  // The server lost the refresh token: invalid_grant, so the person signs in again (once).
  f.as.live_refresh.clear();
  auto t = c.token(ec);
  REQUIRE_FALSE(ec);
  CHECK(t.access_token == "at-2");
  CHECK(f.prompts.size() == 2);
  CHECK(f.logged("signing in again"));
  // A gateway error on refresh: returned as it is; nobody is asked to sign in.
  f.clock.advance(seconds(600));
  f.as.refresh_down = true;
  c.token(ec);
  CHECK(ec == error::http_status_unexpected);
  CHECK(f.prompts.size() == 2);
  // The entry survives for the next attempt.
  f.as.refresh_down = false;
  CHECK(c.token(ec).access_token == "at-3");
}

TEST_CASE("refresh: eight threads with one expired entry refresh it once (rotation is not tripped)") {
  fixture f;
  f.as.device_script = {"ok"};
  auto c = f.make(settings_for(auth_type::device_flow));
  std::error_code ec;
  REQUIRE(c.token(ec).refresh_token == "rt-1");
  f.clock.advance(seconds(600));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      std::error_code e;
      if (c.token(e).access_token == "at-2" && !e) ok.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 8);
  CHECK(f.as.reuse_detected == 0);
  CHECK(std::count(f.as.grants.begin(), f.as.grants.end(), "refresh_token") == 1);
}

TEST_CASE("logout revokes the refresh and the access token and forgets them") {
  fixture f;
  f.as.device_script = {"ok"};
  auto c = f.make(settings_for(auth_type::device_flow));
  std::error_code ec;
  REQUIRE(c.token(ec).access_token == "at-1");
  c.logout(ec);
  CHECK_FALSE(ec);
  CHECK(f.as.revoked == std::vector<std::string>{"rt-1", "at-1"});
  CHECK_FALSE(c.cached(ec).has_value());
  // Nothing cached: nothing to do.
  c.logout(ec);
  CHECK_FALSE(ec);
  CHECK(f.as.revoked.size() == 2);
}

TEST_CASE("logout: a server that cannot revoke access tokens (RFC 7009 unsupported_token_type) is not a failure") {
  fixture f;
  f.as.jwt_access_tokens = true;
  f.as.device_script = {"ok"};
  auto c = f.make(settings_for(auth_type::device_flow));
  std::error_code ec;
  REQUIRE(c.token(ec).access_token == "at-1");
  c.logout(ec);
  CHECK_FALSE(ec);
  CHECK(f.as.revoked == std::vector<std::string>{"rt-1"});
  CHECK(f.logged("stays valid until it expires"));
  CHECK_FALSE(c.cached(ec).has_value());
}

TEST_CASE("logout without a revocation endpoint still forgets, and says so") {
  fixture f;
  f.as.with_revocation = false;
  f.as.device_script = {"ok"};
  auto c = f.make(settings_for(auth_type::device_flow));
  std::error_code ec;
  REQUIRE(c.token(ec).access_token == "at-1");
  c.logout(ec);
  CHECK(ec == error::server_metadata_incomplete);
  CHECK_FALSE(c.cached(ec).has_value());
}

TEST_CASE("external command: its trimmed stdout is the token; failures are external_command_failed") {
  fixture f;
  auto s = settings_for(auth_type::external_command);
  s.command = {"/bin/sh", "-c", "printf '  tok.en \\n'"};
  auto c = f.make(s);
  std::error_code ec;
  CHECK(c.token(ec).access_token == "tok.en");
  CHECK_FALSE(ec);
  CHECK(f.as.hits.empty());  // no discovery, no cache

  for (std::vector<std::string> cmd : {std::vector<std::string>{"/bin/sh", "-c", "echo tok; exit 3"},
                                       std::vector<std::string>{"/bin/sh", "-c", "printf 'a\\nb\\n'"},
                                       std::vector<std::string>{"/bin/sh", "-c", "true"},
                                       std::vector<std::string>{"/nonexistent/tessera-token-helper"},
                                       std::vector<std::string>{"/bin/sh", "-c", "sleep 5"}}) {
    INFO(cmd.back());
    auto t = settings_for(auth_type::external_command);
    t.command = cmd;
    t.command_timeout = std::chrono::milliseconds(300);
    auto d = f.make(t);
    d.token(ec);
    CHECK(ec == error::external_command_failed);
  }
}

TEST_CASE("a flow that was not compiled in is auth_type_unavailable") {
  scripted_as as;
  client::client<test_traits, client::flow::client_credentials> c(settings_for(auth_type::pkce),
                                                                  transport::any_sync_client(as.wire));
  static_assert(!decltype(c)::supports(auth_type::pkce));
  std::error_code ec;
  c.token(ec);
  CHECK(ec == error::auth_type_unavailable);
  CHECK(as.hits.empty());
}

TEST_CASE("refresh: server_error, temporarily_unavailable and 429 keep the entry and ask nobody") {
  for (auto [err, status] : {std::pair{std::string("server_error"), bhttp::status::internal_server_error},
                             std::pair{std::string("temporarily_unavailable"), bhttp::status::service_unavailable},
                             std::pair{std::string("invalid_request"), bhttp::status::too_many_requests}}) {
    INFO(err);
    fixture f;
    f.as.device_script = {"ok", "ok"};
    auto c = f.make(settings_for(auth_type::device_flow));
    std::error_code ec;
    REQUIRE(c.token(ec).refresh_token == "rt-1");
    f.clock.advance(seconds(600));
    f.as.refresh_error = err;
    f.as.refresh_error_status = status;
    c.token(ec);
    CHECK(ec);
    CHECK(f.prompts.size() == 1);  // no second device prompt
    auto kept = c.cached(ec);
    REQUIRE(kept);
    CHECK(kept->refresh_token == "rt-1");
  }
}

TEST_CASE("tokenUrl does not skip the check of the endpoint's scheme") {
  fixture f;
  auto s = settings_for(auth_type::client_secret);
  s.endpoint = "http://flyte.example.com";
  s.token_url = "https://idp.example.com/token";
  s.client_id = "flytectl";
  s.client_secret = "x";
  s.scopes = {"all"};
  auto c = f.make(s);
  std::error_code ec;
  c.server(ec);
  CHECK(ec == error::url_insecure);
  c.authorization_header(ec);
  CHECK(ec == error::url_insecure);
}

TEST_CASE("a short-lived token is not refreshed on every call: the margin is at most half its life") {
  fixture f;
  f.as.client_secret = "x";
  f.as.expires_in = 12;  // below the 10 s margin's double
  auto s = cc_settings();
  auto c = f.make(s);
  std::error_code ec;
  CHECK(c.token(ec).access_token == "at-1");
  f.clock.advance(seconds(5));
  CHECK(c.token(ec).access_token == "at-1");
  f.clock.advance(seconds(2));
  CHECK(c.token(ec).access_token == "at-2");
}

namespace {
/// A memory cache whose saves or locks can be made to fail.
struct flaky_cache {
  client::memory_cache inner;
  static inline std::atomic<bool> fail_saves{false};
  static inline std::atomic<bool> fail_locks{false};
  std::optional<client::token_set> load(const client::cache_key& k, std::error_code& ec) { return inner.load(k, ec); }
  void save(const client::cache_key& k, const client::token_set& t, std::error_code& ec) {
    if (fail_saves) ec = error::token_cache_failure;
    else inner.save(k, t, ec);
  }
  void erase(const client::cache_key& k, std::error_code& ec) { inner.erase(k, ec); }
  client::cache_lock lock(const client::cache_key& k, std::error_code& ec) {
    if (fail_locks) {
      ec = error::token_cache_failure;
      return {};
    }
    return inner.lock(k, ec);
  }
  std::string location(const client::cache_key& k) const { return inner.location(k); }
};
struct flaky_traits : client::client_defaults {
  using clock = shared_clock;
  using cache = flaky_cache;
};
}  // namespace

TEST_CASE("a refreshed entry that cannot be saved is dropped, not left with its spent refresh token") {
  scripted_as as;
  shared_clock clock;
  as.device_script = {"ok", "ok"};
  client::interaction ui;
  ui.sleep = [&](std::chrono::milliseconds d) { clock.advance(d); };
  std::vector<std::string> logs;
  ui.log = [&](std::string_view l) { logs.emplace_back(l); };
  client::client<flaky_traits, client::flow::device_code> c(settings_for(auth_type::device_flow),
                                                            transport::any_sync_client(as.wire), ui, clock);
  std::error_code ec;
  REQUIRE(c.token(ec).refresh_token == "rt-1");
  clock.advance(seconds(600));
  flaky_cache::fail_saves = true;
  auto t = c.token(ec);  // refreshed (rt-1 spent, rt-2 issued) but not saved
  flaky_cache::fail_saves = false;
  REQUIRE_FALSE(ec);
  CHECK(t.refresh_token == "rt-2");
  CHECK_FALSE(c.cached(ec).has_value());  // rt-1 is not kept to be presented again
  CHECK(as.reuse_detected == 0);

  // A cache that cannot lock: this process's lock instead, with a note, and tokens still come.
  flaky_cache::fail_locks = true;
  CHECK(c.token(ec).access_token == "at-3");
  flaky_cache::fail_locks = false;
  CHECK_FALSE(ec);
  bool noted = false;
  for (const auto& l : logs) noted = noted || l.find("cannot be locked") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("external command: the marker variable; a command that closes stdout and lingers is killed at the timeout") {
  fixture f;
  auto s = settings_for(auth_type::external_command);
  s.command = {"/bin/sh", "-c", "echo \"tok-$TESSERA_TOKEN_COMMAND\""};
  auto c = f.make(s);
  std::error_code ec;
  CHECK(c.token(ec).access_token == "tok-1");
  s.command = {"/bin/sh", "-c", "echo tok; exec >&-; sleep 5"};
  s.command_timeout = std::chrono::milliseconds(300);
  auto d = f.make(s);
  const auto start = std::chrono::steady_clock::now();
  d.token(ec);
  CHECK(ec == error::external_command_failed);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
