// The client's parts: token responses, discovery (both spellings of Flyte's client document),
// the file cache (permissions, atomic replace, the lock across processes), the loopback
// listener — and client credentials against tessera's own server, in process.
#include "scripted_as.hpp"

#include <tessera/server.hpp>
#include <tessera/transport/http_client.hpp>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ctest;
using client::auth_type;

namespace {

transport::response answer(bhttp::status s, std::string body, std::string_view type = "application/json") {
  transport::request req{bhttp::verb::post, "/", 11};
  return transport::make_response(req, s, std::move(body), type);
}

struct temp_dir {
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "tessera-client-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st{};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("token response: the fields, their bounds and types") {
  const auto now = from_unix_seconds(1'800'000'000);
  std::error_code ec;
  auto t = client::read_token_response(
      answer(bhttp::status::ok, R"({"access_token":"a","token_type":"BEARER","expires_in":"3600","refresh_token":"r","id_token":"i","scope":"all"})"),
      now, ec);
  REQUIRE_FALSE(ec);
  CHECK(t.expires_at == now + seconds(3600));
  CHECK(t.refresh_token == "r");
  CHECK(t.id_token == "i");
  CHECK(t.scope == "all");
  CHECK(t.obtained_at == now);

  // No expires_in: a JWT's exp (unverified, only to schedule the refresh); else unknown.
  const std::string jwt = "eyJhbGciOiJub25lIn0." + crypto::base64url_encode(R"({"exp":1800000500})") + ".sig";
  t = client::read_token_response(answer(bhttp::status::ok, R"({"access_token":")" + jwt + R"(","token_type":"Bearer"})"), now, ec);
  REQUIRE_FALSE(ec);
  CHECK(t.expires_at == from_unix_seconds(1'800'000'500));
  t = client::read_token_response(answer(bhttp::status::ok, R"({"access_token":"opaque","token_type":"Bearer"})"), now, ec);
  REQUIRE_FALSE(ec);
  CHECK_FALSE(t.expiry_known());
  CHECK(t.usable(now + std::chrono::hours(1000), seconds(10)));

  for (std::string bad : {std::string(R"({"token_type":"Bearer"})"), std::string(R"({"access_token":"","token_type":"Bearer"})"),
                          std::string(R"({"access_token":"a"})"), std::string(R"({"access_token":7,"token_type":"Bearer"})"),
                          std::string(R"({"access_token":"a","token_type":"Bearer","expires_in":-5})"),
                          std::string(R"({"access_token":"a","token_type":"Bearer","expires_in":"soon"})"),
                          std::string(R"({"access_token":"a","token_type":"Bearer","refresh_token":5})"),
                          std::string("not json"), std::string(R"({"access_token":")") + std::string(20000, 'x') + R"(","token_type":"Bearer"})",
                          // RFC 6749 Appendix A characters only: no escape sequence reaches the terminal `token` prints to
                          std::string(R"({"access_token":"a\u001b[2Jb","token_type":"Bearer"})"),
                          std::string(R"({"access_token":"a","refresh_token":"r\nx","token_type":"Bearer"})"),
                          std::string(R"({"access_token":"a","token_type":"Bearer","scope":"all \u001b[31m"})")}) {
    INFO(bad.substr(0, 80));
    client::read_token_response(answer(bhttp::status::ok, bad), now, ec);
    CHECK(ec == error::token_response_invalid);
  }
  client::read_token_response(answer(bhttp::status::ok, R"({"access_token":"a","token_type":"N_A"})"), now, ec);
  CHECK(ec == error::token_type_not_bearer);
}

TEST_CASE("token response: refusals carry the server's condition and a safe description") {
  std::error_code ec;
  std::string desc;
  const auto now = from_unix_seconds(1'800'000'000);
  client::read_token_response(answer(bhttp::status::bad_request, R"({"error":"invalid_grant","error_description":"code expired"})"), now, ec, &desc);
  CHECK(ec == condition::invalid_grant);
  CHECK(ec.category() == oauth::peer_category());
  CHECK(condition_of(ec) == condition::server_error);  // never passed on as this server's own verdict
  CHECK(desc == "code expired");
  CHECK(ec.message() == "the server refused the request: invalid_grant");
  // A description with a terminal escape or a quote is dropped, not shown.
  client::read_token_response(answer(bhttp::status::bad_request, "{\"error\":\"invalid_client\",\"error_description\":\"\\u001b[31mred\"}"), now, ec, &desc);
  CHECK(ec == condition::invalid_client);
  CHECK(desc.empty());
  client::read_token_response(answer(bhttp::status::bad_request, R"({"error":"made_up"})"), now, ec);
  CHECK(ec == error::peer_error_unrecognized);
  client::read_token_response(answer(bhttp::status::service_unavailable, "<html>down</html>", "text/html"), now, ec);
  CHECK(ec == error::http_status_unexpected);
}

TEST_CASE("discovery: Flyte's client document in snake_case and camelCase; 404 falls back to OpenID's") {
  scripted_as as;
  transport::any_sync_client http(as.wire);
  std::error_code ec;
  auto info = client::discover_server(http, base, false, true, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(info.flyte);
  CHECK(info.flyte->client_id == "flytectl");
  CHECK(info.flyte->authorization_metadata_key == "flyte-authorization");
  CHECK(info.flyte->scopes == std::vector<std::string>{"all", "offline"});
  CHECK(info.metadata.token_endpoint == "https://flyte.example.com/oauth2/token");

  as.flyte_client_body = R"({"clientId":"cli","redirectUri":"http://localhost:53593/callback","scopes":["all"],"authorizationMetadataKey":"authorization","serviceHttpEndpoint":"","audience":"aud"})";
  as.serve_oauth_metadata = false;
  info = client::discover_server(http, std::string(base) + "/", false, true, ec);
  REQUIRE_FALSE(ec);
  CHECK(as.hits["openid"] == 1);
  CHECK(info.flyte->client_id == "cli");
  CHECK(info.flyte->redirect_uri == "http://localhost:53593/callback");
  CHECK(info.flyte->audience == "aud");

  as.flyte_client_body.clear();  // not a Flyte server
  info = client::discover_server(http, base, false, true, ec);
  REQUIRE_FALSE(ec);
  CHECK_FALSE(info.flyte);

  as.flyte_client_body = R"({"client_id":5})";
  client::discover_server(http, base, false, true, ec);
  CHECK(ec == error::metadata_invalid);
  as.flyte_client_body = R"({"client_id":"cli\u001b]0;owned\u0007"})";
  client::discover_server(http, base, false, true, ec);
  CHECK(ec == error::metadata_invalid);
  as.flyte_client_body = R"({"client_id":"cli","scopes":["all offline"]})";  // a scope token has no space
  client::discover_server(http, base, false, true, ec);
  CHECK(ec == error::metadata_invalid);
}

TEST_CASE("discovery: endpoints the flows would send secrets to must be https or loopback") {
  transport::router routes;
  routes.get("/.well-known/oauth-authorization-server", [](const transport::request& req) {
    return transport::make_response(req, bhttp::status::ok,
                                    R"({"issuer":"https://as.example.com","token_endpoint":"http://as.example.com/token"})",
                                    "application/json");
  });
  transport::in_memory wire{routes};
  std::error_code ec;
  client::discover_server(transport::any_sync_client(wire), "https://as.example.com", false, false, ec);
  CHECK(ec == error::url_insecure);
  client::discover_server(transport::any_sync_client(wire), "https://as.example.com", true, false, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("file cache: 0700 directory, 0600 files, atomic replace, entries bound to their key") {
  temp_dir tmp;
  const auto dir = tmp.path / "cache";
  client::file_cache cache(dir);
  client::cache_key k{"https://flyte.example.com", "flytectl", auth_type::pkce};
  client::token_set t;
  t.access_token = "at";
  t.refresh_token = "rt";
  t.expires_at = from_unix_seconds(1'800'000'600);
  t.obtained_at = from_unix_seconds(1'800'000'000);
  std::error_code ec;
  CHECK_FALSE(cache.load(k, ec).has_value());
  CHECK_FALSE(ec);
  cache.save(k, t, ec);
  REQUIRE_FALSE(ec);
  CHECK(mode_of(dir) == 0700);
  const auto file = dir / (k.id() + ".json");
  CHECK(mode_of(file) == 0600);
  CHECK(cache.location(k) == file.string());
  auto back = cache.load(k, ec);
  REQUIRE(back);
  CHECK(back->access_token == "at");
  CHECK(back->refresh_token == "rt");
  CHECK(back->expires_at == t.expires_at);
  // Nothing but the entry is left behind (no temporary files).
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.path().extension() == ".json" ? 1 : 100;
  CHECK(files == 1);
  // Other keys do not see it; a file copied under another key's name is refused.
  client::cache_key other{"https://flyte.example.com", "flytectl", auth_type::device_flow};
  CHECK(other.id() != k.id());
  std::filesystem::copy_file(file, dir / (other.id() + ".json"));
  ::chmod((dir / (other.id() + ".json")).c_str(), 0600);
  CHECK_FALSE(cache.load(other, ec).has_value());
  CHECK(ec == error::token_cache_failure);
  // Readable by others: refused.
  ::chmod(file.c_str(), 0644);
  CHECK_FALSE(cache.load(k, ec).has_value());
  CHECK(ec == error::token_cache_failure);
  ::chmod(file.c_str(), 0600);
  // A symbolic link in its place: refused.
  std::filesystem::remove(file);
  std::filesystem::create_symlink(dir / (other.id() + ".json"), file);
  CHECK_FALSE(cache.load(k, ec).has_value());
  CHECK(ec == error::token_cache_failure);
  std::filesystem::remove(file);
  // A loose directory is tightened on the next write.
  ::chmod(dir.c_str(), 0755);
  cache.save(k, t, ec);
  CHECK_FALSE(ec);
  CHECK(mode_of(dir) == 0700);
  cache.erase(k, ec);
  CHECK_FALSE(ec);
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("file cache: the lock excludes another process until released") {
  temp_dir tmp;
  client::file_cache cache(tmp.path);
  client::cache_key k{"https://flyte.example.com", "", auth_type::pkce};
  std::error_code ec;
  const auto lock_file = tmp.path / (k.id() + ".lock");
  // Another process tries the same lock without waiting: exit 0 when it got it, 1 when not.
  auto other_process_gets_it = [&] {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int fd = ::open(lock_file.c_str(), O_RDWR);
      ::_exit(fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  {
    auto held = cache.lock(k, ec);
    REQUIRE_FALSE(ec);
    CHECK(mode_of(lock_file) == 0600);
    CHECK_FALSE(other_process_gets_it());
  }
  CHECK(other_process_gets_it());
}

TEST_CASE("loopback listener: any free port on 127.0.0.1, other paths 404, non-loopback refused") {
  auto sockets = [] {
    std::set<int> fds;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code lec;
      const auto target = std::filesystem::read_symlink(e.path(), lec);
      if (!lec && target.string().starts_with("socket:")) fds.insert(std::stoi(e.path().filename().string()));
    }
    return fds;
  };
  const auto before = sockets();
  std::error_code ec;
  transport::loopback_listener l("http://127.0.0.1:0/cb", ec);
  REQUIRE_FALSE(ec);
  // Its sockets are close-on-exec: a browser started during the login does not inherit the port.
  int listening = 0;
  for (int fd : sockets())
    if (!before.count(fd)) {
      ++listening;
      CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    }
  CHECK(listening == 1);
  CHECK(l.redirect_uri().starts_with("http://127.0.0.1:"));
  CHECK(l.redirect_uri().ends_with("/cb"));
  std::vector<unsigned> seen;
  std::thread browser([&] {
    transport::http_client net;
    std::error_code e;
    // An idle connection (a browser's speculative one) does not hold the listener up.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket idle(io);
    auto port = static_cast<unsigned short>(std::stoi(l.redirect_uri().substr(17)));
    boost::system::error_code be;
    idle.connect({boost::asio::ip::make_address("127.0.0.1"), port}, be);
    seen.push_back(net.get(l.redirect_uri().substr(0, l.redirect_uri().size() - 3) + "/other", e).result_int());
    seen.push_back(net.get(l.redirect_uri() + "?x=1", e).result_int());
  });
  std::string query;
  l.serve(std::chrono::seconds(10), [&](const transport::request& req, transport::response& res) {
    query = std::string(req.target());
    res = transport::make_response(req, bhttp::status::ok, "ok", "text/plain");
    return true;
  }, ec);
  browser.join();
  CHECK_FALSE(ec);
  CHECK(query == "/cb?x=1");
  CHECK(seen == std::vector<unsigned>{404, 200});

  for (std::string bad : {"https://127.0.0.1:0/cb", "http://example.com:8080/cb", "http://10.0.0.1:0/cb", "http://localhost:0/cb",
                          "not a url"}) {
    INFO(bad);
    transport::loopback_listener x(bad, ec);
    CHECK(ec == error::url_invalid);
  }
}

TEST_CASE("client credentials against tessera's own server, in process") {
  static constexpr std::string_view as_url = "https://auth.example.com";
  identity::local_settings ls;
  ls.browser.cookie_keys = {std::string(32, 'k')};
  ls.browser.public_url = std::string(as_url);
  server::client_registry clients;
  server::client svc;
  svc.id = "svc";
  svc.secret_hashes = {crypto::hash_secret("svc:secret", crypto::bcrypt_min_cost)};
  svc.grant_types = {"client_credentials"};
  svc.scopes = {"all"};
  REQUIRE(clients.add(svc) == server::client_problem::none);
  server::server_settings ss;
  ss.issuer = std::string(as_url);
  store::memory memory_store;
  store::any st{memory_store};
  identity::local<store::any> users{ls, st};
  identity::any_identity login{users};
  embedded_server as{ss, std::move(clients), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), st, login};
  transport::router routes;
  as.install(routes);
  transport::in_memory wire{routes};

  client::client_settings s;
  s.endpoint = std::string(as_url);
  s.client_id = "svc";
  s.client_secret = "svc:secret";  // ':' inside the secret: form-encoded in Basic
  s.scopes = {"all"};
  client::client<client::client_defaults, client::flow::client_credentials> c(s, transport::any_sync_client(wire));
  std::error_code ec;
  auto t = c.token(ec);
  INFO(ec.message() << " " << c.last_description());
  REQUIRE_FALSE(ec);
  CHECK(t.scope == "all");
  CHECK(t.expiry_known());
  const auto dot = t.access_token.find('.');
  auto claims = boost::json::parse(crypto::base64url_decode(
      t.access_token.substr(dot + 1, t.access_token.find('.', dot + 1) - dot - 1)));
  CHECK(claims.at("client_id").as_string() == "svc");
  // The server's flyte_client document names its header: flyte-authorization by default.
  CHECK(c.authorization_header(ec) == "flyte-authorization");

  s.client_secret = "wrong";
  client::client<client::client_defaults, client::flow::client_credentials> bad(s, transport::any_sync_client(wire));
  bad.token(ec);
  CHECK(ec == condition::invalid_client);
  CHECK(ec.category() == oauth::peer_category());
}

TEST_CASE("qr: versions grow with the text, 213 bytes at most; the terminal drawing has its quiet zone") {
  std::error_code ec;
  CHECK(client::qr::encode("https://x.io/d", ec).version() == 1);
  CHECK(client::qr::encode(std::string(14, 'a'), ec).version() == 1);
  CHECK(client::qr::encode(std::string(15, 'a'), ec).version() == 2);
  auto big = client::qr::encode(std::string(213, 'a'), ec);
  REQUIRE_FALSE(ec);
  CHECK(big.version() == 10);
  CHECK(big.size() == 57);
  client::qr::encode(std::string(214, 'a'), ec);
  CHECK(ec == error::input_too_large);

  auto s = client::qr::encode("https://flyte.example.com/oauth2/device?user_code=WDJB-MJHT", ec);
  REQUIRE_FALSE(ec);
  // Finder patterns: a dark 7x7 ring with a dark 3x3 centre in three corners.
  for (auto [cx, cy] : {std::pair{3, 3}, std::pair{s.size() - 4, 3}, std::pair{3, s.size() - 4}}) {
    CHECK(s.dark(cx, cy));
    CHECK(s.dark(cx - 3, cy - 3));
    CHECK_FALSE(s.dark(cx - 2, cy - 2));
    CHECK(s.dark(cx - 1, cy - 1));
  }
  const auto text = client::qr::render_half_blocks(s);
  const auto lines = std::count(text.begin(), text.end(), '\n');
  CHECK(lines == (s.size() + 8 + 1) / 2);
  // The first line is quiet zone: light only (full blocks), as wide as the symbol and the zone.
  const auto first = text.substr(0, text.find('\n'));
  std::string full;
  for (int i = 0; i < s.size() + 8; ++i) full += "\u2588";
  CHECK(first == full);
}
