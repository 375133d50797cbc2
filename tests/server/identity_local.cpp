// tessera — tests/server/identity_local.cpp: the embedded identity (users file, login page,
// sessions, logout, /me), driven through `transport::router::route` with hand-built requests.
#include <tessera/identity/local.hpp>

#include <tessera/identity/authenticator.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/identity/login_page.hpp>
#include <tessera/identity/password_authenticator.hpp>
#include <tessera/identity/session.hpp>
#include <tessera/identity/session_identity.hpp>
#include <tessera/identity/users_file.hpp>
#include <tessera/store/memory.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace bhttp = boost::beast::http;
namespace identity = tessera::identity;
using tessera::error;
using tessera::manual_clock;
using tessera::transport::request;
using tessera::transport::request_context;
using tessera::transport::response;

// Cost 4 keeps the suite fast; production hashes are checked against the same code path.
const std::string alice_hash = tessera::crypto::hash_secret("correct horse", 4);
const std::string bob_hash = tessera::crypto::hash_secret("bob's password", 4);

std::string users_text() {
  return "# tessera users\n"
         "\n"
         "alice:" + alice_hash + ":alice@example.com:Alice Liddell\n"
         "  # indented comment\n"
         "bob:" + bob_hash + "\r\n";
}

// A session store that counts writes and can be made to fail: proves "no session" directly
// and that `local` asks only for `session_store`.
struct recording_store {
  tessera::store::memory inner;
  int puts = 0;
  bool failing = false;      // every call fails with store_unavailable
  bool forgetful = false;    // finds nothing, as after a restart of a memory store

  void put_session(std::string_view h, const tessera::store::session_record& r, std::error_code& ec) {
    if (failing) return void(ec = error::store_unavailable);
    ++puts;
    inner.put_session(h, r, ec);
  }
  std::optional<tessera::store::session_record> find_session(std::string_view h, tessera::time_point now, std::error_code& ec) {
    if (failing) return ec = error::store_unavailable, std::nullopt;
    if (forgetful) return ec = {}, std::nullopt;
    return inner.find_session(h, now, ec);
  }
  void delete_session(std::string_view h, std::error_code& ec) {
    if (failing) return void(ec = error::store_unavailable);
    inner.delete_session(h, ec);
  }
};
static_assert(tessera::store::session_store<recording_store>);
static_assert(identity::identity_policy<identity::local<recording_store, manual_clock>>);

// The identity_policy exemplar (identity/concepts.hpp; test_server.hpp's `header_identity`
// is this plus its header login): the least an identity must do, browser layer included.
identity::browser_settings one_key_browser() {
  identity::browser_settings s;
  s.cookie_keys = {std::string(32, 'k')};
  return s;
}
struct archetype_identity {
  identity::browser b{one_key_browser()};
  std::optional<identity::user> current_user(const request&, const request_context&, std::error_code& ec) const {
    ec = {};
    return std::nullopt;
  }
  std::string_view login_path() const { return "/login"; }
  void install(tessera::transport::router&) const {}
  const identity::browser& browser() const { return b; }
};
static_assert(identity::identity_policy<archetype_identity>);

// The authenticator exemplar (identity/authenticator.hpp): nobody may sign in.
struct nobody_authenticator {
  struct settings_type {};
  explicit nobody_authenticator(settings_type) {}
  void install(tessera::transport::router& r, const identity::login_services& s) const {
    r.get(std::string(s.login_path()), [&s](const request& q) {
      return s.browser().error_page(q, bhttp::status::forbidden, "Sign in", "Nobody may sign in.");
    });
  }
  bool recognizes(const identity::user&) const { return false; }
};
static_assert(identity::authenticator<nobody_authenticator>);
static_assert(identity::authenticator<identity::password_authenticator>);
static_assert(identity::identity_policy<identity::session_identity<recording_store, manual_clock, nobody_authenticator>>);

struct cookie_line {
  std::string name, value;
  std::vector<std::string> attributes;
  bool has(std::string_view a) const { return std::find(attributes.begin(), attributes.end(), a) != attributes.end(); }
};

cookie_line parse_set_cookie(std::string_view line) {
  cookie_line c;
  auto semi = line.find(';');
  auto pair = line.substr(0, semi);
  auto eq = pair.find('=');
  c.name = std::string(pair.substr(0, eq));
  c.value = std::string(pair.substr(eq + 1));
  while (semi != std::string_view::npos) {
    line = line.substr(semi + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    semi = line.find(';');
    c.attributes.emplace_back(line.substr(0, semi));
  }
  return c;
}

std::vector<cookie_line> set_cookies(const response& res) {
  std::vector<cookie_line> out;
  for (auto it = res.find(bhttp::field::set_cookie); it != res.end() && it->name() == bhttp::field::set_cookie; ++it)
    out.push_back(parse_set_cookie(std::string_view(it->value().data(), it->value().size())));
  return out;
}

std::optional<cookie_line> set_cookie_named(const response& res, std::string_view name) {
  for (auto& c : set_cookies(res))
    if (c.name == name) return c;
  return std::nullopt;
}

std::string header(const response& res, std::string_view name) {
  auto it = res.find(name);
  return it == res.end() ? std::string{} : std::string(it->value());
}

std::string csrf_token_in(const std::string& html) {
  const std::string marker = "name=\"csrf_token\" value=\"";
  auto p = html.find(marker);
  if (p == std::string::npos) return {};
  p += marker.size();
  return html.substr(p, html.find('"', p) - p);
}

// A browser: a cookie jar that follows Set-Cookie (Max-Age=0 deletes).
struct browser {
  std::map<std::string, std::string> jar;
  void take(const response& res) {
    for (auto& c : set_cookies(res)) {
      if (c.has("Max-Age=0")) jar.erase(c.name);
      else jar[c.name] = c.value;
    }
  }
  std::string cookie_header() const {
    std::string h;
    for (auto& [n, v] : jar) h += (h.empty() ? "" : "; ") + n + "=" + v;
    return h;
  }
};

request make_request(bhttp::verb verb, std::string target, std::string cookie = {}, std::string body = {}) {
  request req{verb, target, 11};
  req.set(bhttp::field::host, "tessera.example.com");
  if (!cookie.empty()) req.set(bhttp::field::cookie, cookie);
  if (verb == bhttp::verb::post) {
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  return req;
}

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
  return tessera::http::form_encode(tessera::http::parameters(items));
}

std::string key(char fill) { return std::string(32, fill); }

identity::local_settings base_settings() {
  identity::local_settings s;
  s.users = identity::parse_users_file(users_text());
  s.browser.cookie_keys = {key('k')};
  s.browser.secure_cookies = false;  // plain-HTTP development unless a test says otherwise
  s.browser.authorized_uris = {"https://console.example.com"};
  return s;
}

struct fixture {
  manual_clock clock{1'700'000'000};
  recording_store store;
  identity::local<recording_store, manual_clock> policy;
  tessera::transport::router router;
  request_context ctx{"192.0.2.10", 50000, false};

  explicit fixture(identity::local_settings s = base_settings()) : policy(std::move(s), store, clock) { policy.install(router); }

  response get(const std::string& target, const browser& b = {}) const {
    return router.route(make_request(bhttp::verb::get, target, b.cookie_header()), ctx);
  }
  response post(const std::string& target, const browser& b, std::string body) const {
    return router.route(make_request(bhttp::verb::post, target, b.cookie_header(), std::move(body)), ctx);
  }

  // Opens the login form in `b`; returns the form's CSRF token.
  std::string open_form(browser& b, const std::string& target = "/login") const {
    auto res = get(target, b);
    REQUIRE(res.result() == bhttp::status::ok);
    b.take(res);
    return csrf_token_in(res.body());
  }

  response submit(browser& b, std::string_view user, std::string_view password, std::string_view redirect_url = {}) const {
    auto token = open_form(b);
    auto res = post("/login", b, form({{"username", user}, {"password", password}, {"csrf_token", token}, {"redirect_url", redirect_url}}));
    b.take(res);
    return res;
  }

  std::optional<identity::user> user_of(const browser& b) const {
    std::error_code ec;
    auto u = policy.current_user(make_request(bhttp::verb::get, "/", b.cookie_header()), ctx, ec);
    REQUIRE_FALSE(ec);
    return u;
  }
};

}  // namespace

// --- users file ----------------------------------------------------------------------------

TEST_CASE("users file: users with optional email and display name, comments, blank lines and CRLF") {
  auto dir = identity::parse_users_file(users_text() + "carol:" + alice_hash + "::Carol: the second\n");
  REQUIRE(dir.size() == 3);
  auto* alice = dir.find("alice");
  REQUIRE(alice);
  CHECK(alice->password_hash == alice_hash);
  CHECK(alice->email == "alice@example.com");
  CHECK(alice->display_name == "Alice Liddell");
  auto* bob = dir.find("bob");
  REQUIRE(bob);
  CHECK(bob->password_hash == bob_hash);  // the CR of CRLF is not part of the hash
  CHECK(bob->email.empty());
  CHECK(bob->display_name.empty());
  auto* carol = dir.find("carol");
  REQUIRE(carol);
  CHECK(carol->email.empty());
  CHECK(carol->display_name == "Carol: the second");
  CHECK(dir.find("Alice") == nullptr);  // user names are case-sensitive, like htpasswd
  CHECK(dir.max_cost() == 4);
  CHECK(tessera::crypto::verify_secret("correct horse", alice->password_hash));
}

TEST_CASE("users file: a bad hash is refused at load, naming the line but never the hash") {
  const std::string bad = "$2b$04$" + std::string(53, '!');
  std::error_code ec;
  identity::users_file_report report;
  auto dir = identity::parse_users_file("# users\nalice:" + alice_hash + "\nbob:" + bad + "\n", ec, report);
  CHECK(ec == error::secret_hash_invalid);
  CHECK(report.line == 3);
  CHECK(dir.empty());

  try {
    identity::parse_users_file("# users\nalice:" + alice_hash + "\nbob:" + bad + "\n");
    FAIL("no exception");
  } catch (const identity::users_file_error& e) {
    CHECK(e.line() == 3);
    CHECK(std::string(e.what()).find("line 3") != std::string::npos);
    CHECK(std::string(e.what()).find(bad) == std::string::npos);
  }

  SECTION("other htpasswd formats are refused") {
    for (std::string h : std::vector<std::string>{"$apr1$abcdefgh$0123456789abcdefghijkl", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "plaintext",
                          "$2x$04$" + alice_hash.substr(7)}) {
      INFO(h);
      identity::parse_users_file("alice:" + h, ec, report);
      CHECK(ec == error::secret_hash_invalid);
      CHECK(report.line == 1);
    }
  }
  SECTION("a cost above the bound is refused (CPU exhaustion)") {
    std::string expensive = alice_hash;
    expensive[4] = '1', expensive[5] = '5';
    identity::parse_users_file("alice:" + expensive, ec, report);
    CHECK(ec == error::secret_hash_cost);
  }
}

TEST_CASE("users file: a user listed twice is refused at its second line") {
  std::error_code ec;
  identity::users_file_report report;
  identity::parse_users_file("alice:" + alice_hash + "\n\nalice:" + bob_hash + "\n", ec, report);
  CHECK(ec == error::users_file_duplicate_user);
  CHECK(report.line == 3);
}

TEST_CASE("users file: malformed lines are refused with their line number") {
  for (std::string line : std::vector<std::string>{"alice", "alice:", ":" + alice_hash, "al ice:" + alice_hash, "alice\x01:" + alice_hash,
                           "alice:" + alice_hash + ":not-an-email", "alice:" + alice_hash + ":a@b:bad\x7fname",
                           "al\xc3" ":" + alice_hash, "alice:" + alice_hash + ":a@b:\xed\xa0\x80"}) {
    INFO(line);
    std::error_code ec;
    identity::users_file_report report;
    identity::parse_users_file("# ok\n" + line + "\n", ec, report);
    CHECK(ec);
    CHECK(report.line == 2);
  }
  std::error_code ec;
  identity::users_file_report report;
  auto dir = identity::parse_users_file("j\xc3\xb3zef:" + alice_hash + ":j@example.com:J\xc3\xb3zef\n", ec, report);
  CHECK_FALSE(ec);
  CHECK(dir.find("j\xc3\xb3zef"));
}

TEST_CASE("users file from a path: loads, warns when others may read it, fails when unreadable") {
  auto path = std::filesystem::temp_directory_path() / ("tessera_users_" + std::to_string(::getpid()));
  {
    std::ofstream(path) << users_text();
  }
  identity::users_file_report report;
  std::error_code ec;

  ::chmod(path.c_str(), 0600);
  auto dir = identity::load_users_file(path, ec, report);
  CHECK_FALSE(ec);
  CHECK_FALSE(report.warning);
  CHECK(dir.size() == 2);

  ::chmod(path.c_str(), 0644);
  dir = identity::load_users_file(path, ec, report);
  CHECK_FALSE(ec);
  CHECK(report.warning == error::users_file_permissions);
  CHECK(dir.size() == 2);

  std::filesystem::remove(path);
  identity::load_users_file(path, ec, report);
  CHECK(ec == error::users_file_unreadable);
  CHECK_THROWS_AS(identity::load_users_file(path, report), identity::users_file_error);
}

// --- settings --------------------------------------------------------------------------------

TEST_CASE("local refuses settings it cannot run safely") {
  recording_store store;
  manual_clock clock;
  auto s = base_settings();
  s.browser.cookie_keys = {std::string(16, 'k')};
  CHECK_THROWS_AS((identity::local<recording_store, manual_clock>(s, store, clock)), tessera::system_error);
  s = base_settings();
  s.browser.cookie_keys.clear();
  CHECK_THROWS_AS((identity::local<recording_store, manual_clock>(s, store, clock)), tessera::system_error);
  s = base_settings();
  s.default_redirect = "https://evil.example/";
  CHECK_THROWS_AS((identity::local<recording_store, manual_clock>(s, store, clock)), tessera::system_error);
  s = base_settings();
  s.browser.authorized_uris = {"console.example.com"};
  CHECK_THROWS_AS((identity::local<recording_store, manual_clock>(s, store, clock)), tessera::system_error);
  for (const char* bad : {"", "https://a.example; script-src *", "https://a.example https://b.example", "'unsafe-inline'"}) {
    s = base_settings();
    s.browser.form_action_sources = {bad};
    CHECK_THROWS_AS((identity::local<recording_store, manual_clock>(s, store, clock)), tessera::system_error);
  }
}

TEST_CASE("the login page's form-action allows the redirects that end an authorization request") {
  // Browsers apply form-action to every redirect after the login POST; the last one goes to
  // the client (a loopback port chosen at run time, for a CLI).
  auto s = base_settings();
  s.browser.form_action_sources = {"http://127.0.0.1:*", "https://app.example.com"};
  fixture f(std::move(s));
  auto res = f.get("/login");
  const auto csp = header(res, "Content-Security-Policy");
  CHECK(csp.find("form-action 'self' http://127.0.0.1:* https://app.example.com https://console.example.com;") !=
        std::string::npos);
}

// --- the login page --------------------------------------------------------------------------

TEST_CASE("login page cannot be framed, cached or leak through Referer, and runs no script (rows 14, 15)") {
  fixture f;
  auto res = f.get("/login?redirect_url=%2Fconsole%2Fprojects");
  REQUIRE(res.result() == bhttp::status::ok);
  CHECK(header(res, "Content-Type") == "text/html; charset=utf-8");
  CHECK(header(res, "X-Frame-Options") == "DENY");
  CHECK(header(res, "Cache-Control") == "no-store");
  CHECK(header(res, "Referrer-Policy") == "no-referrer");
  CHECK(header(res, "X-Content-Type-Options") == "nosniff");
  const auto csp = header(res, "Content-Security-Policy");
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("form-action 'self' https://console.example.com") != std::string::npos);
  CHECK(csp.find("unsafe") == std::string::npos);
  CHECK(csp.find("script-src") == std::string::npos);
  CHECK(csp.find(identity::page_style_hash()) != std::string::npos);
  CHECK(res.body().find("<script") == std::string::npos);
  CHECK(res.body().find("name=\"redirect_url\" value=\"/console/projects\"") != std::string::npos);

  auto login_cookie = set_cookie_named(res, "tessera_login");
  REQUIRE(login_cookie);
  CHECK(login_cookie->has("HttpOnly"));
  CHECK(login_cookie->has("SameSite=Strict"));
  CHECK(login_cookie->has("Path=/"));
  CHECK(login_cookie->has("Max-Age=1800"));
  const auto token = csrf_token_in(res.body());
  CHECK(token.size() == 43);
  CHECK(login_cookie->value.find(token) == std::string::npos);  // sealed, not readable
}

TEST_CASE("login page of a logged-in browser redirects with 303 to the redirect_url") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  auto res = f.get("/login?redirect_url=https%3A%2F%2Fconsole.example.com%2Fprojects", b);
  CHECK(res.result() == bhttp::status::see_other);
  CHECK(header(res, "Location") == "https://console.example.com/projects");
}

TEST_CASE("login page with prompt=login shows the form even to a logged-in browser") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  auto res = f.get("/login?redirect_url=%2Foauth2%2Fauthorize_callback&prompt=login", b);
  CHECK(res.result() == bhttp::status::ok);
  CHECK(header(res, "Location").empty());
  CHECK(res.body().find("name=\"password\"") != std::string::npos);
}

TEST_CASE("open redirects are refused on /login and /logout with 400 and no Location (row 8)") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  const std::vector<std::string> hostile = {
      "https://evil.example/",         "//evil.example/",
      "/\\evil.example",               "javascript:alert(1)",
      "https://console.example.com.evil.example/", "https://user@console.example.com/",
      "http://console.example.com/",   "https:console.example.com",
      "/console\r\nSet-Cookie:x=1",    "data:text/html,hi",
  };
  for (const auto& target : hostile) {
    INFO(target);
    const auto q = "?redirect_url=" + tessera::http::form_encode_component(target);
    for (auto* path : {"/login", "/logout"}) {
      INFO(path);
      for (const browser& who : {browser{}, b}) {
        auto res = f.get(path + q, who);
        CHECK(res.result() == bhttp::status::bad_request);
        CHECK(res.find(bhttp::field::location) == res.end());
        CHECK(header(res, "X-Frame-Options") == "DENY");
      }
    }
    browser fresh;
    auto token = f.open_form(fresh);
    auto res = f.post("/login", fresh,
                      form({{"username", "alice"}, {"password", "correct horse"}, {"csrf_token", token}, {"redirect_url", target}}));
    CHECK(res.result() == bhttp::status::bad_request);
    CHECK(res.find(bhttp::field::location) == res.end());
    CHECK_FALSE(set_cookie_named(res, "tessera_session"));
  }
  CHECK(f.user_of(b));  // the refused logouts did not log out
}

// --- CSRF -------------------------------------------------------------------------------------

TEST_CASE("login without the CSRF cookie, with a wrong token or a swapped cookie creates no session") {
  fixture f;
  browser b;
  const auto token = f.open_form(b);
  auto puts_before = f.store.puts;

  SECTION("no login cookie") {
    auto res = f.post("/login", browser{}, form({{"username", "alice"}, {"password", "correct horse"}, {"csrf_token", token}}));
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK_FALSE(set_cookie_named(res, "tessera_session"));
  }
  SECTION("no token in the form") {
    auto res = f.post("/login", b, form({{"username", "alice"}, {"password", "correct horse"}}));
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK_FALSE(set_cookie_named(res, "tessera_session"));
  }
  SECTION("another token in the form") {
    browser other;
    const auto other_token = f.open_form(other);
    REQUIRE(other_token != token);
    auto res = f.post("/login", b, form({{"username", "alice"}, {"password", "correct horse"}, {"csrf_token", other_token}}));
    CHECK(res.result() == bhttp::status::forbidden);
  }
  SECTION("a session cookie value moved into the login cookie") {
    browser logged_in;
    REQUIRE(f.submit(logged_in, "bob", "bob's password").result() == bhttp::status::see_other);
    puts_before = f.store.puts;
    browser forged;
    forged.jar["tessera_login"] = logged_in.jar.at("tessera_session");
    auto res = f.post("/login", forged, form({{"username", "alice"}, {"password", "correct horse"}, {"csrf_token", token}}));
    CHECK(res.result() == bhttp::status::forbidden);
  }
  SECTION("an expired form") {
    f.clock.advance(std::chrono::minutes(31));
    auto res = f.post("/login", b, form({{"username", "alice"}, {"password", "correct horse"}, {"csrf_token", token}}));
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK(csrf_token_in(res.body()) != token);  // a fresh form comes back
    CHECK(set_cookie_named(res, "tessera_login"));
  }
  CHECK(f.store.puts == puts_before);
}

// --- passwords ---------------------------------------------------------------------------------

TEST_CASE("wrong password: 401, the form again, no session") {
  fixture f;
  browser b;
  auto res = f.submit(b, "alice", "wrong horse");
  CHECK(res.result() == bhttp::status::unauthorized);
  CHECK(res.body().find("Wrong user name or password.") != std::string::npos);
  CHECK(res.body().find("wrong horse") == std::string::npos);
  CHECK(res.body().find("value=\"alice\"") != std::string::npos);
  CHECK_FALSE(set_cookie_named(res, "tessera_session"));
  CHECK(f.store.puts == 0);
  CHECK_FALSE(f.user_of(b));
}

TEST_CASE("unknown user gets the same answer as a wrong password (no user enumeration)") {
  fixture f;
  browser b;
  auto token = f.open_form(b);
  auto attempt = [&](std::string_view user) {
    return f.post("/login", b, form({{"username", user}, {"password", "guess"}, {"csrf_token", token}}));
  };
  auto known = attempt("alice");
  auto unknown = attempt("mallory");
  CHECK(known.result() == unknown.result());
  auto body = unknown.body();
  body.replace(body.find("value=\"mallory\""), 15, "value=\"alice\"");
  CHECK(known.body() == body);
  std::vector<std::string> known_fields, unknown_fields;
  for (auto& h : known) known_fields.emplace_back(h.name_string());
  for (auto& h : unknown) unknown_fields.emplace_back(h.name_string());
  CHECK(known_fields == unknown_fields);
  CHECK(f.store.puts == 0);
}

TEST_CASE("user names are escaped when the form is shown again") {
  fixture f;
  browser b;
  auto res = f.submit(b, "<script>alert(\"x\")</script>", "pw");
  CHECK(res.result() == bhttp::status::unauthorized);
  CHECK(res.body().find("<script>") == std::string::npos);
  CHECK(res.body().find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") != std::string::npos);
  CHECK(identity::html_escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&#39;f");
}

TEST_CASE("a login that is not a form is refused") {
  fixture f;
  browser b;
  auto token = f.open_form(b);
  auto req = make_request(bhttp::verb::post, "/login", b.cookie_header(),
                          "{\"username\":\"alice\",\"password\":\"correct horse\",\"csrf_token\":\"" + token + "\"}");
  req.set(bhttp::field::content_type, "application/json");
  auto res = f.router.route(req, f.ctx);
  CHECK(res.result() == bhttp::status::unsupported_media_type);
  CHECK(f.store.puts == 0);
}

// --- success --------------------------------------------------------------------------------------

TEST_CASE("successful login: 303 (not 307) to redirect_url with an HttpOnly SameSite=Lax session cookie (rows 16, 17)") {
  fixture f;
  browser b;
  auto res = f.submit(b, "alice", "correct horse", "/console/projects?x=1");
  CHECK(res.result() == bhttp::status::see_other);
  CHECK(header(res, "Location") == "/console/projects?x=1");
  CHECK(header(res, "Cache-Control") == "no-store");
  auto c = set_cookie_named(res, "tessera_session");
  REQUIRE(c);
  CHECK(c->has("HttpOnly"));
  CHECK(c->has("SameSite=Lax"));
  CHECK(c->has("Path=/"));
  CHECK(c->has("Max-Age=28800"));
  CHECK_FALSE(c->has("Secure"));  // plain-HTTP development settings
  auto login_cookie = set_cookie_named(res, "tessera_login");
  REQUIRE(login_cookie);
  CHECK(login_cookie->has("Max-Age=0"));  // the CSRF cookie is spent

  auto u = f.user_of(b);
  REQUIRE(u);
  CHECK(u->subject == "alice");
  CHECK(u->claims.at("preferred_username").as_string() == "alice");
  CHECK(u->claims.at("name").as_string() == "Alice Liddell");
  CHECK(u->claims.at("email").as_string() == "alice@example.com");
  CHECK(u->auth_time == std::chrono::floor<std::chrono::seconds>(f.clock.now()));
}

TEST_CASE("without redirect_url a login goes to default_redirect") {
  fixture f;
  browser b;
  auto res = f.submit(b, "bob", "bob's password");
  CHECK(res.result() == bhttp::status::see_other);
  CHECK(header(res, "Location") == "/console");
}

TEST_CASE("over TLS, or with secure_cookies, the session cookie is __Host- and Secure") {
  auto check_secure = [](fixture& f) {
    browser b;
    auto res = f.submit(b, "alice", "correct horse");
    REQUIRE(res.result() == bhttp::status::see_other);
    CHECK_FALSE(set_cookie_named(res, "tessera_session"));
    auto c = set_cookie_named(res, "__Host-tessera_session");
    REQUIRE(c);
    CHECK(c->has("Secure"));
    CHECK(c->has("HttpOnly"));
    CHECK(c->has("SameSite=Lax"));
    CHECK(c->has("Path=/"));
    CHECK(f.user_of(b));

    // The same sealed value under the unprefixed name is not a session: the name is sealed in.
    browser tossed;
    tossed.jar["tessera_session"] = c->value;
    f.ctx.tls = false;
    CHECK_FALSE(f.user_of(tossed));
  };
  SECTION("request over TLS") {
    fixture f;
    f.ctx.tls = true;
    check_secure(f);
  }
  SECTION("secure_cookies set (TLS ends at a proxy)") {
    auto s = base_settings();
    s.browser.secure_cookies = true;
    fixture f(std::move(s));
    check_secure(f);
  }
}

TEST_CASE("every login gets a new session id; a session the browser brought is ended (row 16)") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  const auto first = b.jar.at("tessera_session");
  browser copy = b;  // the old cookie, as an attacker who planted or copied it holds it

  // The browser posts a login form while it still carries a live session (GET /login would
  // just redirect it, so the form comes from another tab that had none).
  browser form_tab = b;
  form_tab.jar.erase("tessera_session");
  const auto token = f.open_form(form_tab);
  b.jar["tessera_login"] = form_tab.jar.at("tessera_login");
  auto res = f.post("/login", b, form({{"username", "alice"}, {"password", "correct horse"}, {"csrf_token", token}}));
  REQUIRE(res.result() == bhttp::status::see_other);
  b.take(res);
  const auto second = b.jar.at("tessera_session");
  CHECK(second != first);
  CHECK(f.user_of(b));
  CHECK_FALSE(f.user_of(copy));  // the session the browser had before login is gone

  browser planted;
  planted.jar["tessera_session"] = "attacker-chosen-value";
  REQUIRE(f.submit(planted, "bob", "bob's password").result() == bhttp::status::see_other);
  CHECK(planted.jar.at("tessera_session") != "attacker-chosen-value");
  CHECK(f.user_of(planted)->subject == "bob");
}

// --- sessions ------------------------------------------------------------------------------------

TEST_CASE("current_user refuses tampered, swapped, duplicated and expired session cookies") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  REQUIRE(f.user_of(b));
  const auto value = b.jar.at("tessera_session");

  SECTION("one character changed") {
    browser t;
    t.jar["tessera_session"] = value;
    auto& v = t.jar["tessera_session"];
    v[v.size() / 2] = v[v.size() / 2] == 'A' ? 'B' : 'A';
    CHECK_FALSE(f.user_of(t));
  }
  SECTION("a login cookie presented as the session cookie") {
    browser other;
    f.open_form(other);
    browser t;
    t.jar["tessera_session"] = other.jar.at("tessera_login");
    CHECK_FALSE(f.user_of(t));
  }
  SECTION("sealed under another key") {
    auto s = base_settings();
    s.browser.cookie_keys = {key('z')};
    fixture g(std::move(s));
    CHECK_FALSE(g.user_of(b));
  }
  SECTION("the cookie sent twice (cookie tossing)") {
    auto req = make_request(bhttp::verb::get, "/", "tessera_session=" + value + "; tessera_session=" + value);
    std::error_code ec;
    CHECK_FALSE(f.policy.current_user(req, f.ctx, ec));
    CHECK_FALSE(ec);
  }
  SECTION("the session expired") {
    f.clock.advance(std::chrono::hours(8) - std::chrono::seconds(1));
    CHECK(f.user_of(b));
    f.clock.advance(std::chrono::seconds(1));
    CHECK_FALSE(f.user_of(b));
  }
  SECTION("the cookie is fine but the store lost the session") {
    f.store.forgetful = true;
    CHECK_FALSE(f.user_of(b));
  }
}

TEST_CASE("a key rotation keeps sessions sealed under the old key") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  auto s = base_settings();
  s.browser.cookie_keys = {key('n'), key('k')};
  identity::local<recording_store, manual_clock> rotated(std::move(s), f.store, f.clock);
  std::error_code ec;
  auto u = rotated.current_user(make_request(bhttp::verb::get, "/", b.cookie_header()), f.ctx, ec);
  REQUIRE(u);
  CHECK(u->subject == "alice");
}

TEST_CASE("a user removed from the users file loses their sessions") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  auto s = base_settings();
  s.users = identity::parse_users_file("bob:" + bob_hash + "\n");
  identity::local<recording_store, manual_clock> without_alice(std::move(s), f.store, f.clock);
  std::error_code ec;
  CHECK_FALSE(without_alice.current_user(make_request(bhttp::verb::get, "/", b.cookie_header()), f.ctx, ec));
  CHECK_FALSE(ec);
}

TEST_CASE("a failing store is reported, not mistaken for a logged-out user") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  f.store.failing = true;
  std::error_code ec;
  CHECK_FALSE(f.policy.current_user(make_request(bhttp::verb::get, "/", b.cookie_header()), f.ctx, ec));
  CHECK(ec == error::store_unavailable);
  CHECK(f.get("/me", b).result() == bhttp::status::service_unavailable);
  CHECK(f.get("/logout", b).result() == bhttp::status::service_unavailable);
  browser fresh;
  f.store.failing = false;
  auto token = f.open_form(fresh);
  f.store.failing = true;
  auto res = f.post("/login", fresh, form({{"username", "bob"}, {"password", "bob's password"}, {"csrf_token", token}}));
  CHECK(res.result() == bhttp::status::service_unavailable);
  CHECK_FALSE(set_cookie_named(res, "tessera_session"));
}

// --- logout ----------------------------------------------------------------------------------------

// Logs `b` out the way its owner does: GET /logout shows the page, its form is posted.
response sign_out(const fixture& f, browser& b, const std::string& target = "/logout", std::string extra = {}) {
  auto page = f.get(target, b);
  REQUIRE(page.result() == bhttp::status::ok);
  b.take(page);
  auto token = csrf_token_in(page.body());
  REQUIRE_FALSE(token.empty());
  std::string redirect;
  const std::string marker = "name=\"redirect_url\" value=\"";
  if (auto p = page.body().find(marker); p != std::string::npos) {
    p += marker.size();
    redirect = page.body().substr(p, page.body().find('"', p) - p);
  }
  auto res = f.post("/logout", b, form({{"csrf_token", token}, {"redirect_url", redirect}}) + extra);
  b.take(res);
  return res;
}

TEST_CASE("a GET of /logout asks to sign out and ends nothing: a cross-site link or image cannot log anyone out (row 36)") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  auto page = f.get("/logout?redirect_url=https%3A%2F%2Fconsole.example.com%2Fbye", b);
  CHECK(page.result() == bhttp::status::ok);
  CHECK(header(page, "Content-Security-Policy") == f.policy.browser().csp());
  CHECK(header(page, "Cache-Control").find("no-store") != std::string::npos);
  CHECK(page.body().find("<form method=\"post\" action=\"/logout\">") != std::string::npos);
  CHECK(page.body().find("value=\"https://console.example.com/bye\"") != std::string::npos);
  CHECK_FALSE(csrf_token_in(page.body()).empty());
  auto csrf = set_cookie_named(page, "tessera_logout");
  REQUIRE(csrf);
  CHECK(csrf->has("SameSite=Strict"));
  CHECK_FALSE(set_cookie_named(page, "tessera_session"));  // the session cookie is untouched
  CHECK(f.user_of(b));
  CHECK(f.get("/me", b).result() == bhttp::status::ok);
}

TEST_CASE("a POST of /logout without the form's CSRF token ends nothing (row 36)") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  SECTION("no token, no CSRF cookie: what a cross-site form sends") {
    auto res = f.post("/logout", b, form({{"redirect_url", "/console"}}));
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK(header(res, "Location").empty());
    CHECK_FALSE(csrf_token_in(res.body()).empty());  // the page again, with a fresh token
  }
  SECTION("a token of another browser") {
    browser other;
    REQUIRE(f.submit(other, "bob", "bob's password").result() == bhttp::status::see_other);
    auto page = f.get("/logout", other);
    other.take(page);
    auto res = f.post("/logout", b, form({{"csrf_token", csrf_token_in(page.body())}}));
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK(f.user_of(other));
  }
  SECTION("the right CSRF cookie with a wrong token") {
    auto page = f.get("/logout", b);
    b.take(page);
    auto token = csrf_token_in(page.body());
    token[0] = token[0] == 'A' ? 'B' : 'A';
    CHECK(f.post("/logout", b, form({{"csrf_token", token}})).result() == bhttp::status::forbidden);
  }
  SECTION("not a form") {
    auto req = make_request(bhttp::verb::post, "/logout", b.cookie_header(), "{}");
    req.set(bhttp::field::content_type, "application/json");
    CHECK(f.router.route(req, f.ctx).result() == bhttp::status::unsupported_media_type);
  }
  CHECK(f.user_of(b));
  CHECK(f.get("/me", b).result() == bhttp::status::ok);
}

TEST_CASE("signing out by the form ends the session in the store, so the old cookie no longer works") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  browser copy = b;

  SECTION("default redirect to the login page") {
    auto res = sign_out(f, b);
    CHECK(res.result() == bhttp::status::see_other);
    CHECK(header(res, "Location") == "/login");
    auto c = set_cookie_named(res, "tessera_session");
    REQUIRE(c);
    CHECK(c->has("Max-Age=0"));
    CHECK(c->value.empty());
    auto spent = set_cookie_named(res, "tessera_logout");
    REQUIRE(spent);
    CHECK(spent->has("Max-Age=0"));
  }
  SECTION("an authorized redirect travels through the form") {
    auto res = sign_out(f, b, "/logout?redirect_url=https%3A%2F%2Fconsole.example.com%2Fbye");
    CHECK(res.result() == bhttp::status::see_other);
    CHECK(header(res, "Location") == "https://console.example.com/bye");
  }
  SECTION("an unsafe redirect posted in the form is refused, and nothing ends") {
    auto page = f.get("/logout", b);
    b.take(page);
    auto res = f.post("/logout", b, form({{"csrf_token", csrf_token_in(page.body())}, {"redirect_url", "https://evil.example/"}}));
    CHECK(res.result() == bhttp::status::bad_request);
    CHECK(header(res, "Location").empty());
    CHECK(f.user_of(copy));
    return;
  }
  CHECK_FALSE(f.user_of(copy));
  CHECK(f.get("/me", copy).result() == bhttp::status::unauthorized);
}

TEST_CASE("signing out can also forget the applications the person allowed, when the store keeps consents (row 37)") {
  // recording_store keeps sessions only: no such choice is offered.
  {
    fixture f;
    browser b;
    REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
    CHECK(f.get("/logout", b).body().find("forget_consents") == std::string::npos);
  }
  manual_clock clock{1'700'000'000};
  tessera::store::memory store;
  identity::local<tessera::store::memory, manual_clock> policy(base_settings(), store, clock);
  tessera::transport::router router;
  policy.install(router);
  const request_context ctx{"192.0.2.10", 50000, false};
  auto route = [&](bhttp::verb v, const std::string& target, browser& b, std::string body = {}) {
    auto res = router.route(make_request(v, target, b.cookie_header(), std::move(body)), ctx);
    b.take(res);
    return res;
  };
  auto sign_in = [&](browser& b, std::string_view user, std::string_view password) {
    auto page = route(bhttp::verb::get, "/login", b);
    auto res = route(bhttp::verb::post, "/login", b,
                     form({{"username", user}, {"password", password}, {"csrf_token", csrf_token_in(page.body())}}));
    REQUIRE(res.result() == bhttp::status::see_other);
  };
  std::error_code ec;
  tessera::store::consent_record allowed{"all offline", clock.now(), clock.now() + std::chrono::hours(24)};
  for (auto who : {"alice", "bob"})
    for (auto client : {"flytectl", "pyflyte"}) store.put_consent(who, client, allowed, ec);

  browser alice;
  sign_in(alice, "alice", "correct horse");
  auto page = route(bhttp::verb::get, "/logout", alice);
  REQUIRE(page.body().find("name=\"forget_consents\"") != std::string::npos);
  SECTION("left unticked, the consents stay") {
    auto res = route(bhttp::verb::post, "/logout", alice, form({{"csrf_token", csrf_token_in(page.body())}}));
    CHECK(res.result() == bhttp::status::see_other);
    CHECK(store.find_consent("alice", "flytectl", clock.now(), ec));
  }
  SECTION("ticked, every consent of this person goes, and nobody else's") {
    auto res = route(bhttp::verb::post, "/logout", alice,
                     form({{"csrf_token", csrf_token_in(page.body())}, {"forget_consents", "on"}}));
    CHECK(res.result() == bhttp::status::see_other);
    CHECK_FALSE(store.find_consent("alice", "flytectl", clock.now(), ec));
    CHECK_FALSE(store.find_consent("alice", "pyflyte", clock.now(), ec));
    CHECK(store.find_consent("bob", "flytectl", clock.now(), ec));
  }
  SECTION("ticked but without the CSRF token, nothing is forgotten") {
    auto res = route(bhttp::verb::post, "/logout", alice, form({{"forget_consents", "on"}}));
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK(store.find_consent("alice", "flytectl", clock.now(), ec));
  }
}

TEST_CASE("logout without a session clears any stale cookie and redirects at once") {
  fixture f;
  auto res = f.get("/logout?redirect_url=%2Fconsole");
  CHECK(res.result() == bhttp::status::see_other);
  CHECK(header(res, "Location") == "/console");
  CHECK(set_cookie_named(res, "tessera_session"));
}

// --- /me ----------------------------------------------------------------------------------------------

TEST_CASE("/me without a session is 401 login_required, not cached") {
  fixture f;
  auto res = f.get("/me");
  CHECK(res.result() == bhttp::status::unauthorized);
  CHECK(res.body() == R"({"error":"login_required"})");
  CHECK(header(res, "Content-Type") == "application/json");
  CHECK(header(res, "Cache-Control") == "no-store");
}

TEST_CASE("/me answers Flyte's shape, omitting claims the user does not have") {
  fixture f;
  browser alice, bob;
  REQUIRE(f.submit(alice, "alice", "correct horse").result() == bhttp::status::see_other);
  REQUIRE(f.submit(bob, "bob", "bob's password").result() == bhttp::status::see_other);

  auto res = f.get("/me", alice);
  CHECK(res.result() == bhttp::status::ok);
  CHECK(header(res, "Cache-Control") == "no-store");
  CHECK(header(res, "X-User-Subject") == "alice");
  auto doc = boost::json::parse(res.body()).as_object();
  CHECK(doc.at("subject").as_string() == "alice");
  CHECK(doc.at("preferred_username").as_string() == "alice");
  CHECK(doc.at("name").as_string() == "Alice Liddell");
  CHECK(doc.at("email").as_string() == "alice@example.com");
  CHECK(doc.at("additional_claims") == boost::json::object{});
  CHECK_FALSE(doc.contains("given_name"));
  CHECK_FALSE(doc.contains("picture"));

  auto bob_doc = boost::json::parse(f.get("/me", bob).body()).as_object();
  CHECK(bob_doc.at("subject").as_string() == "bob");
  CHECK_FALSE(bob_doc.contains("email"));
  CHECK_FALSE(bob_doc.contains("name"));
}

TEST_CASE("/me puts non-profile claims of a session into additional_claims") {
  identity::user u;
  u.subject = "00u1";
  u.claims = {{"sub", "00u1"}, {"given_name", "Ada"}, {"family_name", ""}, {"groups", boost::json::array{"admins"}}};
  auto doc = identity::local<tessera::store::memory>::me_document(u);
  CHECK(doc.at("given_name").as_string() == "Ada");
  CHECK_FALSE(doc.contains("family_name"));  // empty strings are omitted
  CHECK(doc.at("additional_claims").as_object().at("groups") == boost::json::array{"admins"});
  CHECK_FALSE(doc.at("additional_claims").as_object().contains("sub"));
}

// --- rate limit ----------------------------------------------------------------------------------------

TEST_CASE("after repeated failures a user name is refused with 429 without checking the password (row 19)") {
  fixture f;
  browser b;
  auto token = f.open_form(b);
  auto attempt = [&](std::string_view password) {
    return f.post("/login", b, form({{"username", "alice"}, {"password", password}, {"csrf_token", token}}));
  };
  for (int i = 0; i < 5; ++i) REQUIRE(attempt("wrong").result() == bhttp::status::unauthorized);
  auto refused = attempt("correct horse");  // right password, but it is not even checked
  CHECK(refused.result() == bhttp::status::too_many_requests);
  CHECK(header(refused, "Retry-After") == "60");
  CHECK_FALSE(set_cookie_named(refused, "tessera_session"));
  CHECK(f.store.puts == 0);

  SECTION("an unknown user name is limited the same way") {
    for (int i = 0; i < 5; ++i) REQUIRE(f.post("/login", b, form({{"username", "nobody"}, {"password", "x"}, {"csrf_token", token}})).result() == bhttp::status::unauthorized);
    CHECK(f.post("/login", b, form({{"username", "nobody"}, {"password", "x"}, {"csrf_token", token}})).result() == bhttp::status::too_many_requests);
  }
  SECTION("the bucket refills with time") {
    f.clock.advance(std::chrono::seconds(60));
    CHECK(attempt("correct horse").result() == bhttp::status::see_other);
  }
}

TEST_CASE("after repeated failures from one address every user name is refused") {
  fixture f;
  browser b;
  auto token = f.open_form(b);
  for (int i = 0; i < 20; ++i) {
    auto name = "user" + std::to_string(i);
    REQUIRE(f.post("/login", b, form({{"username", name}, {"password", "x"}, {"csrf_token", token}})).result() == bhttp::status::unauthorized);
  }
  CHECK(f.post("/login", b, form({{"username", "bob"}, {"password", "bob's password"}, {"csrf_token", token}})).result() ==
        bhttp::status::too_many_requests);
  f.ctx.peer_address = "198.51.100.7";
  CHECK(f.post("/login", b, form({{"username", "bob"}, {"password", "bob's password"}, {"csrf_token", token}})).result() ==
        bhttp::status::see_other);
}

TEST_CASE("login, logout and me are registered with their methods") {
  fixture f;
  CHECK(f.router.allowed_methods("/login") == "GET, HEAD, POST");
  CHECK(f.router.allowed_methods("/logout") == "GET, HEAD, POST");
  CHECK(f.router.allowed_methods("/me") == "GET, HEAD");
  CHECK(f.router.route(make_request(bhttp::verb::put, "/login"), f.ctx).result() == bhttp::status::method_not_allowed);
  CHECK(f.policy.login_path() == "/login");
}

// --- the browser layer (identity/browser.hpp) -------------------------------------------------

namespace {

identity::browser_settings browser_settings_with(std::string public_url = {}, std::optional<bool> secure = std::nullopt) {
  identity::browser_settings s;
  s.cookie_keys = {key('k')};
  s.public_url = std::move(public_url);
  s.secure_cookies = secure;
  s.authorized_uris = {"https://console.example.com"};
  return s;
}

const request_context plain_ctx{"127.0.0.1", 40000, false};
const request_context tls_ctx{"127.0.0.1", 40000, true};
const tessera::time_point t0 = tessera::from_unix_seconds(1'700'000'000);

// A request carrying each of `cookie_fields` as its own `Cookie` field (as HTTP/2 sends them).
request with_cookie_fields(std::initializer_list<std::string> cookie_fields, bhttp::verb verb = bhttp::verb::get) {
  request req{verb, "/oauth2/device", 11};
  for (const auto& c : cookie_fields) req.insert(bhttp::field::cookie, c);
  return req;
}

std::string pair_of(const std::string& set_cookie_line) {
  auto c = parse_set_cookie(set_cookie_line);
  return c.name + "=" + c.value;
}

}  // namespace

TEST_CASE("browser settings are checked once, with errors that name the setting and never a key") {
  auto refused = [](identity::browser_settings s, error e, std::string_view names) {
    try {
      identity::browser b(std::move(s));
      FAIL("accepted");
    } catch (const tessera::system_error& x) {
      CHECK(x.code() == e);
      const std::string what = x.what();
      INFO(what);
      CHECK(what.find("browser_settings") != std::string::npos);
      CHECK(what.find(names) != std::string::npos);
      CHECK(what.find("ssssssss") == std::string::npos);  // the key itself never
    }
  };
  auto s = browser_settings_with();
  {
    auto t = s;
    t.cookie_keys = {key('k'), std::string(16, 's')};
    refused(t, error::aead_key_invalid, "cookie_keys[1]");
  }
  {
    auto t = s;
    t.cookie_keys.clear();
    refused(t, error::aead_key_invalid, "cookie_keys");
  }
  for (const char* bad : {"ftp://flyte.example.com", "https://user@flyte.example.com", "https://flyte.example.com/#x", "flyte.example.com"}) {
    auto t = s;
    t.public_url = bad;
    refused(t, error::url_invalid, "public_url");
  }
  {
    auto t = s;
    t.authorized_uris = {"https://ok.example.com", "console.example.com"};
    refused(t, error::url_invalid, "authorized_uris[1]");
  }
  {
    auto t = s;
    t.form_action_sources = {"https://a.example.com", "https://b.example.com; script-src *"};
    refused(t, error::parameter_invalid, "form_action_sources[1]");
  }
  {
    auto t = s;
    t.form_lifetime = std::chrono::seconds{0};
    refused(t, error::parameter_invalid, "form_lifetime");
  }
  CHECK_NOTHROW(identity::browser(browser_settings_with("https://flyte.example.com")));
}

TEST_CASE("Secure cookies default from the public URL's scheme and are forced on over TLS") {
  struct row {
    std::string public_url;
    std::optional<bool> secure;
    bool plain_secure;
  };
  for (const auto& r : {row{"https://flyte.example.com", std::nullopt, true}, row{"", std::nullopt, true},
                        row{"http://127.0.0.1:8080", std::nullopt, false}, row{"HTTP://localhost:30080", std::nullopt, false},
                        row{"https://flyte.example.com", false, false}, row{"http://127.0.0.1:8080", true, true}}) {
    INFO(r.public_url << " " << (r.secure ? (*r.secure ? "true" : "false") : "unset"));
    identity::browser b(browser_settings_with(r.public_url, r.secure));
    CHECK(b.secure(plain_ctx) == r.plain_secure);
    CHECK(b.secure(tls_ctx));
    CHECK(b.cookie_name(plain_ctx, "tessera_authz") == (r.plain_secure ? "__Host-tessera_authz" : "tessera_authz"));
    CHECK(b.cookie_name(tls_ctx, "tessera_authz") == "__Host-tessera_authz");
  }
}

TEST_CASE("a sealed cookie opens only under its own name and mode, until it expires") {
  identity::browser b(browser_settings_with("http://127.0.0.1:8080"));
  std::error_code ec;
  const auto line = b.seal_cookie(plain_ctx, "tessera_authz", "client_id=flytectl&state=x", std::chrono::minutes(15), t0, ec);
  REQUIRE_FALSE(ec);
  auto c = parse_set_cookie(line);
  CHECK(c.name == "tessera_authz");
  CHECK(c.has("HttpOnly"));
  CHECK(c.has("SameSite=Lax"));
  CHECK(c.has("Path=/"));
  CHECK(c.has("Max-Age=900"));
  CHECK_FALSE(c.has("Secure"));
  CHECK(c.value.find("flytectl") == std::string::npos);

  const auto req = with_cookie_fields({pair_of(line)});
  CHECK(b.open_cookie(req, plain_ctx, "tessera_authz", t0, ec) == "client_id=flytectl&state=x");
  CHECK_FALSE(ec);
  CHECK(b.open_cookie(req, plain_ctx, "tessera_authz", t0 + std::chrono::seconds(899), ec));
  CHECK_FALSE(b.open_cookie(req, plain_ctx, "tessera_authz", t0 + std::chrono::minutes(15), ec));
  CHECK(ec == error::cookie_invalid);
  CHECK_FALSE(b.open_cookie(req, tls_ctx, "tessera_authz", t0, ec));  // secure mode reads __Host- only
  CHECK_FALSE(ec);
  CHECK_FALSE(b.open_cookie(req, plain_ctx, "tessera_other", t0, ec));  // absent: not an error
  CHECK_FALSE(ec);
  const auto moved = with_cookie_fields({"tessera_login=" + c.value});
  CHECK_FALSE(b.open_cookie(moved, plain_ctx, "tessera_login", t0, ec));  // the name is sealed in
  CHECK(ec == error::cookie_invalid);

  const auto secure_line = b.seal_cookie(tls_ctx, "tessera_authz", "v", std::chrono::minutes(15), t0, ec);
  REQUIRE_FALSE(ec);
  auto sc = parse_set_cookie(secure_line);
  CHECK(sc.name == "__Host-tessera_authz");
  CHECK(sc.has("Secure"));
  CHECK(b.open_cookie(with_cookie_fields({pair_of(secure_line)}), tls_ctx, "tessera_authz", t0, ec) == "v");

  auto gone = parse_set_cookie(b.expire_cookie(tls_ctx, "tessera_authz", ec));
  REQUIRE_FALSE(ec);
  CHECK(gone.name == "__Host-tessera_authz");
  CHECK(gone.value.empty());
  CHECK(gone.has("Max-Age=0"));
}

TEST_CASE("cookies are read from every Cookie field; one sent twice is refused") {
  identity::browser b(browser_settings_with("http://127.0.0.1:8080"));
  std::error_code ec;
  const auto pair = pair_of(b.seal_cookie(plain_ctx, "tessera_authz", "kept", std::chrono::minutes(15), t0, ec));
  REQUIRE_FALSE(ec);

  auto cookies = identity::browser::read_cookies(with_cookie_fields({"theme=dark", pair}), ec);
  REQUIRE_FALSE(ec);
  CHECK(cookies.size() == 2);
  CHECK(b.open_cookie(with_cookie_fields({"theme=dark", pair}), plain_ctx, "tessera_authz", t0, ec) == "kept");

  CHECK_FALSE(b.open_cookie(with_cookie_fields({pair, "theme=dark; " + pair}), plain_ctx, "tessera_authz", t0, ec));
  CHECK(ec == error::cookie_malformed);
  CHECK_FALSE(b.open_cookie(with_cookie_fields({pair, "x=\x01"}), plain_ctx, "tessera_authz", t0, ec));
  CHECK(ec == error::cookie_malformed);
}

TEST_CASE("one CSRF scheme for every form: per-form cookie, Strict and sealed, reused while valid") {
  identity::browser b(browser_settings_with("http://127.0.0.1:8080"));
  std::error_code ec;
  auto first = b.csrf_token(with_cookie_fields({}), plain_ctx, "tessera_device_csrf", t0, ec);
  REQUIRE_FALSE(ec);
  CHECK(first.token.size() == 43);
  auto c = parse_set_cookie(first.set_cookie);
  CHECK(c.name == "tessera_device_csrf");
  CHECK(c.has("HttpOnly"));
  CHECK(c.has("SameSite=Strict"));
  CHECK(c.has("Max-Age=1800"));
  CHECK(c.value.find(first.token) == std::string::npos);

  const auto post = with_cookie_fields({pair_of(first.set_cookie)}, bhttp::verb::post);
  CHECK(b.csrf_valid(post, plain_ctx, "tessera_device_csrf", first.token, t0));
  CHECK_FALSE(b.csrf_valid(post, plain_ctx, "tessera_device_csrf", first.token + "x", t0));
  CHECK_FALSE(b.csrf_valid(post, plain_ctx, "tessera_device_csrf", "", t0));
  CHECK_FALSE(b.csrf_valid(post, plain_ctx, "tessera_login", first.token, t0));  // another form's cookie
  CHECK_FALSE(b.csrf_valid(with_cookie_fields({}), plain_ctx, "tessera_device_csrf", first.token, t0));
  CHECK_FALSE(b.csrf_valid(post, plain_ctx, "tessera_device_csrf", first.token, t0 + std::chrono::minutes(30)));

  auto again = b.csrf_token(post, plain_ctx, "tessera_device_csrf", t0 + std::chrono::minutes(1), ec);
  CHECK(again.token == first.token);  // a second tab keeps working
  CHECK(again.set_cookie.empty());
  auto later = b.csrf_token(post, plain_ctx, "tessera_device_csrf", t0 + std::chrono::minutes(30), ec);
  CHECK(later.token != first.token);
  CHECK_FALSE(later.set_cookie.empty());

  auto spent = parse_set_cookie(b.csrf_spent(plain_ctx, "tessera_device_csrf", ec));
  CHECK(spent.has("Max-Age=0"));
  CHECK(spent.has("SameSite=Strict"));
}

TEST_CASE("every page has the one strict CSP and the same look; the style hash allows exactly its style") {
  fixture f;
  auto login = f.get("/login");
  const auto& b = f.policy.browser();
  const request req{bhttp::verb::get, "/oauth2/device", 11};

  auto device = b.page(req, bhttp::status::ok, identity::render_page("Connect a device", "<p>Enter the code your device shows.</p>\n"));
  auto error_page = b.error_page(req, error::csrf_token_invalid);
  auto unavailable = b.error_page(req, error::store_unavailable);
  for (const auto* res : {&login, &device, &error_page, &unavailable}) {
    CHECK(header(*res, "Content-Security-Policy") == b.csp());
    CHECK(header(*res, "X-Frame-Options") == "DENY");
    CHECK(header(*res, "Cache-Control") == "no-store");
    CHECK(header(*res, "Referrer-Policy") == "no-referrer");
    CHECK(header(*res, "X-Content-Type-Options") == "nosniff");
    CHECK(header(*res, "Content-Type") == "text/html; charset=utf-8");
    CHECK(res->body().find(std::string("<style>").append(identity::page_style).append("</style>")) != std::string::npos);
    CHECK(res->body().find("<script") == std::string::npos);
  }
  CHECK(b.csp().find("unsafe") == std::string::npos);
  CHECK(b.csp().find("default-src 'none'") != std::string::npos);
  CHECK(error_page.result() == bhttp::status::bad_request);
  CHECK(error_page.body().find("invalid_request") != std::string::npos);
  CHECK(unavailable.result() == bhttp::status::service_unavailable);
  CHECK(b.error_page(req, error::client_unknown).result() == bhttp::status::bad_request);  // 401 is no page status

  // The CSP source is the SHA-256 of the exact text between the tags (CSP3 §8.3).
  const auto& body = login.body();
  const auto open = body.find("<style>") + 7;
  const auto style = body.substr(open, body.find("</style>") - open);
  const auto digest = tessera::crypto::sha256(style);
  CHECK(identity::page_style_hash() ==
        "'sha256-" + tessera::crypto::base64_encode(std::span<const unsigned char>(digest.data(), digest.size())) + "'");
  CHECK(b.csp().find(identity::page_style_hash()) != std::string::npos);
}

TEST_CASE("see_other, is_form, query parameters and redirect targets") {
  identity::browser b(browser_settings_with());
  request req{bhttp::verb::get, "/login?redirect_url=https%3A%2F%2Fconsole.example.com%2Fx&prompt=login#frag", 11};
  CHECK(identity::browser::query_parameter(req, "prompt") == "login");
  CHECK(identity::browser::query_parameter(req, "absent") == "");
  CHECK(b.redirect_target(req, "/fallback") == "https://console.example.com/x");
  req.target("/login?redirect_url=https%3A%2F%2Fevil.example%2F");
  CHECK_FALSE(b.redirect_target(req, "/fallback"));
  req.target("/login");
  CHECK(b.redirect_target(req, "/fallback") == "/fallback");
  req.target("/login?a=%zz");
  CHECK_FALSE(identity::browser::query_parameter(req, "a"));
  CHECK_FALSE(b.redirect_target(req, "/fallback"));

  auto res = identity::browser::see_other(req, "/console");
  CHECK(res.result() == bhttp::status::see_other);
  CHECK(header(res, "Location") == "/console");
  CHECK(header(res, "Cache-Control") == "no-store");
  CHECK(header(res, "Referrer-Policy") == "no-referrer");

  req.set(bhttp::field::content_type, "Application/X-WWW-Form-URLEncoded; charset=UTF-8");
  CHECK(identity::browser::is_form(req));
  req.set(bhttp::field::content_type, "application/json");
  CHECK_FALSE(identity::browser::is_form(req));
}

TEST_CASE("a session cookie in a second Cookie field is read; the same cookie in two fields is not a session") {
  fixture f;
  browser b;
  REQUIRE(f.submit(b, "alice", "correct horse").result() == bhttp::status::see_other);
  const std::string session = "tessera_session=" + b.jar.at("tessera_session");
  std::error_code ec;
  auto req = make_request(bhttp::verb::get, "/me", "theme=dark");
  req.insert(bhttp::field::cookie, session);
  CHECK(f.router.route(req, f.ctx).result() == bhttp::status::ok);
  req.insert(bhttp::field::cookie, session);
  CHECK_FALSE(f.policy.current_user(req, f.ctx, ec));
  CHECK_FALSE(ec);
}

TEST_CASE("the identity lends its browser layer: the same keys open what the identity sealed") {
  fixture f;
  const identity::browser& b = f.policy.browser();
  CHECK(b.settings().cookie_keys == std::vector<std::string>{key('k')});
  browser tab;
  f.open_form(tab);
  // The server's pages seal and open through this browser, under the same keys.
  std::error_code ec;
  auto opened = b.open_cookie(make_request(bhttp::verb::get, "/", tab.cookie_header()), f.ctx, "tessera_login", f.clock.now(), ec);
  CHECK(opened);
  CHECK_FALSE(ec);
}

TEST_CASE("session_identity with another authenticator keeps the same logout and /me") {
  manual_clock clock{1'700'000'000};
  recording_store store;
  identity::session_identity_settings s;
  s.browser = browser_settings_with("http://127.0.0.1:8080");
  identity::session_identity<recording_store, manual_clock, nobody_authenticator> id(std::move(s), {}, store, clock);
  tessera::transport::router r;
  id.install(r);
  CHECK(r.allowed_methods("/login") == "GET, HEAD");
  CHECK(r.allowed_methods("/logout") == "GET, HEAD, POST");
  CHECK(r.allowed_methods("/me") == "GET, HEAD");
  auto login = r.route(make_request(bhttp::verb::get, "/login"), plain_ctx);
  CHECK(login.result() == bhttp::status::forbidden);
  CHECK(header(login, "Content-Security-Policy") == id.browser().csp());
  CHECK(r.route(make_request(bhttp::verb::get, "/me"), plain_ctx).result() == bhttp::status::unauthorized);
  auto out = r.route(make_request(bhttp::verb::get, "/logout"), plain_ctx);
  CHECK(out.result() == bhttp::status::see_other);
  CHECK(header(out, "Location") == "/login");

  // A session of a user the authenticator does not recognize is no session.
  std::error_code ec;
  auto cookies = id.services().start_session(make_request(bhttp::verb::get, "/"), plain_ctx, identity::user{"someone", {}, {}, {}}, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(cookies.lines.size() == 1);
  CHECK(store.puts == 1);
  CHECK_FALSE(id.current_user(make_request(bhttp::verb::get, "/", pair_of(cookies.lines.front())), plain_ctx, ec));
}

TEST_CASE("session_identity refuses unsafe settings, naming them") {
  recording_store store;
  manual_clock clock;
  auto refused = [&](identity::session_identity_settings s) {
    try {
      identity::session_identity<recording_store, manual_clock, nobody_authenticator> id(std::move(s), {}, store, clock);
      FAIL("accepted");
    } catch (const tessera::system_error& x) {
      CHECK(x.code() == error::parameter_invalid);
      CHECK(std::string(x.what()).find("session_identity_settings") != std::string::npos);
    }
  };
  identity::session_identity_settings s;
  s.browser = browser_settings_with();
  auto t = s;
  t.logout_path = "logout";
  refused(t);
  t = s;
  t.me_path = "/me?x";
  refused(t);
  t = s;
  t.session_lifetime = std::chrono::seconds{0};
  refused(t);
  t = s;
  t.default_redirect = "//evil.example";
  refused(t);
}

// --- failed logins: per (user name, address), growing delays, reserved before bcrypt (row 19) --------

namespace {

struct login_attempts {
  fixture& f;
  browser b{};
  /// Posts `user` / `password` from `address` with a fresh form (the CSRF token outlives no wait).
  response operator()(std::string_view address, std::string_view user, std::string_view password) {
    f.ctx.peer_address = std::string(address);
    auto token = f.open_form(b);
    return f.post("/login", b, form({{"username", user}, {"password", password}, {"csrf_token", token}}));
  }
};

std::chrono::seconds retry_after_of(const response& r) {
  auto v = header(r, "Retry-After");
  REQUIRE_FALSE(v.empty());
  return std::chrono::seconds(std::stoll(v));
}

const identity::password_settings default_login_limits{};

}  // namespace

TEST_CASE("row 19: a stranger's wrong passwords from one address do not lock out the user's right password from another") {
  fixture f;
  login_attempts attempt{f};
  const auto& pair = default_login_limits.failed_logins_per_user_and_address;
  for (unsigned i = 0; i < pair.burst; ++i)
    REQUIRE(attempt("203.0.113.66", "alice", "wrong").result() == bhttp::status::unauthorized);
  REQUIRE(attempt("203.0.113.66", "alice", "correct horse").result() == bhttp::status::too_many_requests);
  // alice, from her own address, is checked and signed in.
  browser alice;
  f.ctx.peer_address = "192.0.2.10";
  CHECK(f.submit(alice, "alice", "correct horse").result() == bhttp::status::see_other);
  CHECK(f.store.puts == 1);
}

TEST_CASE("row 19: failed logins for one user from one address wait longer each time, up to a cap, and the right password then signs in") {
  fixture f;
  login_attempts attempt{f};
  const auto& pair = default_login_limits.failed_logins_per_user_and_address;
  for (unsigned i = 0; i < pair.burst; ++i)
    REQUIRE(attempt("203.0.113.66", "alice", "wrong").result() == bhttp::status::unauthorized);
  std::vector<std::chrono::seconds> waits;
  for (int i = 0; i < 7; ++i) {
    auto refused = attempt("203.0.113.66", "alice", "correct horse");  // not even checked
    REQUIRE(refused.result() == bhttp::status::too_many_requests);
    CHECK_FALSE(set_cookie_named(refused, "tessera_session"));
    waits.push_back(retry_after_of(refused));
    f.clock.advance(waits.back());
    REQUIRE(attempt("203.0.113.66", "alice", "wrong").result() == bhttp::status::unauthorized);
  }
  CHECK(waits.front() == pair.refill_interval);
  for (std::size_t i = 1; i < waits.size(); ++i) {
    INFO("wait " << i);
    CHECK(waits[i] == std::min(2 * waits[i - 1], pair.max_delay));
  }
  CHECK(waits.back() == pair.max_delay);
  CHECK(f.store.puts == 0);
  // The right password from the failing address waits out the delay, and is not refused for ever.
  auto last = attempt("203.0.113.66", "alice", "correct horse");
  REQUIRE(last.result() == bhttp::status::too_many_requests);
  f.clock.advance(retry_after_of(last));
  CHECK(attempt("203.0.113.66", "alice", "correct horse").result() == bhttp::status::see_other);
  CHECK(f.store.puts == 1);
}

TEST_CASE("row 19: 24 concurrent wrong passwords from one address run at most `burst` bcrypt checks") {
  // A slow hash (cost 10): without a reservation taken before bcrypt, every request would pass
  // the limiter while the first checks are still running.
  auto s = base_settings();
  s.users = identity::parse_users_file(users_text() + "carol:" + tessera::crypto::hash_secret("carol's password", 10) + "\n");
  fixture f(std::move(s));
  browser b;
  const auto token = f.open_form(b);
  constexpr int attempts = 24;
  std::vector<request> requests;
  for (int i = 0; i < attempts; ++i)
    requests.push_back(make_request(bhttp::verb::post, "/login", b.cookie_header(),
                                    form({{"username", "carol"}, {"password", "wrong-" + std::to_string(i)}, {"csrf_token", token}})));
  std::vector<unsigned> statuses(attempts);
  std::latch start(attempts);
  std::vector<std::thread> threads;
  for (int i = 0; i < attempts; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      statuses[i] = f.router.route(requests[i], f.ctx).result_int();
    });
  for (auto& t : threads) t.join();
  // Each 401 is one bcrypt check that failed; each 429 was refused before bcrypt.
  const auto checked = std::count(statuses.begin(), statuses.end(), 401u);
  CHECK(checked == default_login_limits.failed_logins_per_user_and_address.burst);
  CHECK(std::count(statuses.begin(), statuses.end(), 429u) == attempts - checked);
  // carol, from another address, is checked and signed in.
  browser carol;
  f.ctx.peer_address = "198.51.100.20";
  CHECK(f.submit(carol, "carol", "carol's password").result() == bhttp::status::see_other);
}

TEST_CASE("row 19: a user guessed at from many addresses: past the user's budget each new address gets one try, and the user still signs in") {
  fixture f;
  login_attempts attempt{f};
  const auto& limits = default_login_limits;
  unsigned spent = 0;
  for (int a = 0; spent < limits.failed_logins_user_budget; ++a) {
    const auto address = "198.51.100." + std::to_string(a);
    for (unsigned i = 0; i < limits.failed_logins_per_user_and_address.burst && spent < limits.failed_logins_user_budget; ++i, ++spent)
      REQUIRE(attempt(address, "alice", "spray").result() == bhttp::status::unauthorized);
  }
  CHECK(attempt("203.0.113.1", "alice", "spray").result() == bhttp::status::unauthorized);
  auto second = attempt("203.0.113.1", "alice", "spray");
  CHECK(second.result() == bhttp::status::too_many_requests);
  CHECK(retry_after_of(second) == limits.failed_logins_per_user_and_address.refill_interval);
  CHECK(attempt("203.0.113.2", "alice", "spray").result() == bhttp::status::unauthorized);
  browser alice;
  f.ctx.peer_address = "192.0.2.10";
  CHECK(f.submit(alice, "alice", "correct horse").result() == bhttp::status::see_other);
}
