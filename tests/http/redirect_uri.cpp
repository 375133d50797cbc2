#include <tessera/http/redirect_uri.hpp>
#include <tessera/server/client.hpp>  // registration: the same validator

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tessera;
using namespace tessera::http;

namespace {
const std::vector<std::string> flytectl_uris{"http://localhost:53593/callback", "http://localhost:12345/callback"};
const std::vector<std::string> loopback_uris{"http://127.0.0.1/callback", "http://[::1]:8080/cb?app=cli"};
const std::vector<std::string> web_uris{"https://app.example.com/oauth/cb"};
}  // namespace

TEST_CASE("a registered redirect URI matches itself exactly") {
  CHECK(match_redirect_uri("http://localhost:53593/callback", flytectl_uris) == "http://localhost:53593/callback");
  CHECK(match_redirect_uri("https://app.example.com/oauth/cb", web_uris) == "https://app.example.com/oauth/cb");
}

TEST_CASE("localhost is not an IP literal: another port does not match") {
  std::error_code ec;
  match_redirect_uri("http://localhost:9999/callback", flytectl_uris, ec);
  CHECK(ec == error::redirect_uri_mismatch);
  CHECK(ec == condition::invalid_request);
}

TEST_CASE("a loopback IPv4 literal matches a registered loopback URI on any port") {
  CHECK(redirect_uri_matches("http://127.0.0.1:51234/callback", "http://127.0.0.1/callback"));
  CHECK(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1/callback"));
  CHECK(redirect_uri_matches("http://127.0.0.1:1/callback", "http://127.0.0.1:80/callback"));
  CHECK(match_redirect_uri("http://127.0.0.1:65535/callback", loopback_uris) == "http://127.0.0.1/callback");
}

TEST_CASE("a loopback IPv6 literal matches a registered [::1] URI on any port, query included") {
  CHECK(match_redirect_uri("http://[::1]:40000/cb?app=cli", loopback_uris) == "http://[::1]:8080/cb?app=cli");
  std::error_code ec;
  match_redirect_uri("http://[::1]:40000/cb?app=other", loopback_uris, ec);
  CHECK(ec == error::redirect_uri_mismatch);
  match_redirect_uri("http://[::1]:40000/cb", loopback_uris, ec);
  CHECK(ec == error::redirect_uri_mismatch);
}

TEST_CASE("the loopback any-port rule still needs the same path, host and scheme") {
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:5000/other", "http://127.0.0.1/callback"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:5000/callback/", "http://127.0.0.1/callback"));
  CHECK_FALSE(redirect_uri_matches("https://127.0.0.1:5000/callback", "https://127.0.0.1/callback"));
  CHECK_FALSE(redirect_uri_matches("http://[::1]:5000/callback", "http://127.0.0.1/callback"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.2:5000/callback", "http://127.0.0.2/callback"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:5000/callback", "http://localhost/callback"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:5000/callback?x=1", "http://127.0.0.1/callback"));
}

TEST_CASE("loopback ports outside 1..65535 or empty do not match") {
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:99999/callback", "http://127.0.0.1/callback"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:/callback", "http://127.0.0.1/callback"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:123456/callback", "http://127.0.0.1/callback"));
}

TEST_CASE("exact matching does no normalisation") {
  CHECK_FALSE(redirect_uri_matches("https://APP.example.com/oauth/cb", web_uris[0]));
  CHECK_FALSE(redirect_uri_matches("https://app.example.com/oauth/cb/", web_uris[0]));
  CHECK_FALSE(redirect_uri_matches("https://app.example.com/oauth/cb?x", web_uris[0]));
  CHECK_FALSE(redirect_uri_matches("https://app.example.com/oauth/%63b", web_uris[0]));
  CHECK_FALSE(redirect_uri_matches("https://app.example.com:443/oauth/cb", web_uris[0]));
  CHECK_FALSE(redirect_uri_matches("https://app.example.com/oauth", web_uris[0]));
}

TEST_CASE("URIs with fragments, userinfo or no scheme never match, even if registered") {
  CHECK_FALSE(redirect_uri_matches("https://app.example.com/cb#frag", "https://app.example.com/cb#frag"));
  CHECK_FALSE(redirect_uri_matches("https://user@app.example.com/cb", "https://user@app.example.com/cb"));
  CHECK_FALSE(redirect_uri_matches("/relative/cb", "/relative/cb"));
  CHECK_FALSE(redirect_uri_matches("http://127.0.0.1:80@evil.com/callback", "http://127.0.0.1/callback"));
}

TEST_CASE("check_redirect_uri validates registrations") {
  std::error_code ec;
  check_redirect_uri("com.example.app:/oauth2redirect", ec);  // RFC 8252 §7.1 private-use scheme
  CHECK_FALSE(ec);
  for (std::string_view bad : {"", "relative", "/cb", "https://a/cb#x", "https://u:p@a/cb", "http://a:70000/cb"}) {
    INFO(bad);
    check_redirect_uri(bad, ec);
    CHECK(ec == error::url_invalid);
  }
  CHECK_THROWS_AS(check_redirect_uri("nope"), tessera::system_error);
}

TEST_CASE("check_redirect_uri: https, loopback http and reverse-domain private-use schemes only") {
  std::error_code ec;
  for (std::string_view ok : {"https://app.example.com/cb", "http://localhost:53593/callback", "http://LOCALHOST/cb",
                              "http://127.0.0.1/callback", "http://[::1]:8080/cb?app=cli", "com.example.app:/callback",
                              "com.example.app://callback"}) {
    INFO(ok);
    check_redirect_uri(ok, ec);
    CHECK_FALSE(ec);
  }
  for (std::string_view bad : {"http://app.example.com/cb", "http://127.0.0.2/cb", "http://localhost.evil.example/cb",
                               "https:///cb", "https:/cb", "javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd",
                               "myapp:/callback"}) {
    INFO(bad);
    check_redirect_uri(bad, ec);
    CHECK(ec == error::url_invalid);
  }
}

// Registration (server::client_registry::add) and matching call the same validator: what may
// be registered is exactly what may match.
TEST_CASE("a private-use scheme is accepted at registration and matches exactly") {
  const std::vector<std::string> app{"com.example.app:/callback"};
  CHECK(match_redirect_uri("com.example.app:/callback", app) == "com.example.app:/callback");
  std::error_code ec;
  match_redirect_uri("com.example.app:/callback/", app, ec);
  CHECK(ec == error::redirect_uri_mismatch);

  server::client_registry reg;
  server::client c;
  c.id = "mobile";
  c.is_public = true;
  c.redirect_uris = app;
  CHECK(reg.add(c) == server::client_problem::none);
  CHECK(reg.redirect_csp_sources() == std::vector<std::string>{"com.example.app:"});
}

TEST_CASE("plain http on a non-loopback host is refused at registration and never matches") {
  const std::vector<std::string> plain{"http://app.example.com/cb"};
  std::error_code ec;
  match_redirect_uri("http://app.example.com/cb", plain, ec);  // even where it were registered
  CHECK(ec == error::redirect_uri_mismatch);
  CHECK(redirect_csp_source("http://app.example.com/cb").empty());

  server::client_registry reg;
  server::client c;
  c.id = "web";
  c.is_public = true;
  c.redirect_uris = plain;
  CHECK(reg.add(c) == server::client_problem::redirect_uri_invalid);
  c.redirect_uris = {"javascript:alert(1)//"};
  CHECK(reg.add(c) == server::client_problem::redirect_uri_invalid);
  c.redirect_uris = {"http://localhost:53593/callback", "https://app.example.com/cb"};
  CHECK(reg.add(c) == server::client_problem::none);
}

TEST_CASE("local paths are safe redirect targets") {
  std::vector<std::string> none;
  CHECK(is_safe_local_redirect("/console", none));
  CHECK(is_safe_local_redirect("/", none));
  CHECK(is_safe_local_redirect("/oauth2/authorize_callback?x=1&y=2", none));
  CHECK(is_safe_local_redirect("/console#section", none));
}

TEST_CASE("open-redirect variants are refused") {
  std::vector<std::string> authorized{"https://flyte.example.com", "http://localhost:30081"};
  for (std::string_view evil : {
           "//evil.com",
           "///evil.com",
           "/\\evil.com",
           "\\\\evil.com",
           "/\t/evil.com",
           "/ /evil.com",
           "https://evil.com",
           "https://evil.com/console",
           "http://flyte.example.com",          // wrong scheme for that origin
           "https://flyte.example.com.evil.com",
           "https://flyte.example.com@evil.com",
           "https://evil.com@flyte.example.com",  // userinfo: refused even with a good host
           "https://flyte.example.com:8443/",
           "https:evil.com",
           "https:/evil.com",
           "javascript:alert(1)",
           "JavaScript:alert(1)",
           "data:text/html,<script>alert(1)</script>",
           "evil.com",
           "console",
           "",
           "/console\r\nSet-Cookie: x=y",
           "/caf\xc3\xa9",
       }) {
    INFO(evil);
    CHECK_FALSE(is_safe_local_redirect(evil, authorized));
  }
}

TEST_CASE("absolute URLs on an authorized origin are safe, compared case-insensitively with default ports") {
  std::vector<std::string> authorized{"https://flyte.example.com", "http://localhost:30081", "http://flyteadmin:80/x"};
  CHECK(is_safe_local_redirect("https://flyte.example.com/console", authorized));
  CHECK(is_safe_local_redirect("HTTPS://Flyte.Example.COM/console", authorized));
  CHECK(is_safe_local_redirect("https://flyte.example.com:443/console", authorized));
  CHECK(is_safe_local_redirect("http://localhost:30081/console?x=1", authorized));
  CHECK(is_safe_local_redirect("http://flyteadmin/anything", authorized));
  CHECK_FALSE(is_safe_local_redirect("http://localhost:30082/console", authorized));
  CHECK_FALSE(is_safe_local_redirect("http://localhost/console", authorized));
}

TEST_CASE("append_query_parameters keeps an existing query (RFC 6749 §3.1.2)") {
  parameters p{{"code", "abc"}, {"state", "x y"}};
  CHECK(append_query_parameters("http://127.0.0.1:5000/cb", p) == "http://127.0.0.1:5000/cb?code=abc&state=x+y");
  CHECK(append_query_parameters("https://a/cb?app=cli", p) == "https://a/cb?app=cli&code=abc&state=x+y");
  CHECK(append_query_parameters("https://a/cb?", p) == "https://a/cb?code=abc&state=x+y");
  CHECK(append_query_parameters("https://a/cb", parameters{}) == "https://a/cb");
}

TEST_CASE("a redirect URI's CSP source allows exactly the URIs it matches") {
  CHECK(redirect_csp_source("http://127.0.0.1/callback") == "http://127.0.0.1:*");
  CHECK(redirect_csp_source("http://[::1]:8080/cb?app=cli") == "http://[::1]:*");
  CHECK(redirect_csp_source("http://localhost:53593/callback") == "http://localhost:53593");  // not a literal
  CHECK(redirect_csp_source("https://App.Example.com/oauth/cb") == "https://app.example.com");
  CHECK(redirect_csp_source("https://127.0.0.1:8443/cb") == "https://127.0.0.1:8443");         // https: exact
  CHECK(redirect_csp_source("com.example.app:/oauth2redirect") == "com.example.app:");
  CHECK(redirect_csp_source("/relative").empty());
  CHECK(redirect_csp_source("https://user@app.example.com/cb").empty());
  CHECK(redirect_csp_source("https://app.example.com/cb#frag").empty());
}
