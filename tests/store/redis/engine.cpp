// tessera — tests/store/redis/engine.cpp: what store::redis must do beyond the conformance
// suite: atomicity across processes, TLS, AUTH, reconnecting after a server restart, failing
// fast when the server is unreachable, URL parsing, real TTLs and sweeping. The servers are
// the ones with_redis.sh started (see its header for the environment).
#include "conformance.hpp"

#include <tessera/redis/store.hpp>

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace tessera::store;
using namespace tessera::store::test;
using namespace std::chrono_literals;
using tessera::time_point;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string(name) + " is not set: run through with_redis.sh");
  return v;
}
unsigned short env_port(const char* name) { return static_cast<unsigned short>(std::stoi(env(name))); }

/// A plain connection to a test server, to look at keys behind the store's back.
class raw_connection {
 public:
  explicit raw_connection(unsigned short port) {
    auto ec = c_.connect("127.0.0.1", port, nullptr, "", std::chrono::seconds(2));
    if (ec) throw std::runtime_error("raw connection: " + c_.last_error());
  }
  detail::redis_reply operator()(std::vector<std::string_view> argv) {
    detail::redis_reply r;
    bool sent = false;
    if (auto ec = c_.exec(argv, r, std::chrono::seconds(2), sent)) throw std::runtime_error("raw command: " + c_.last_error());
    return r;
  }
  long long integer(std::vector<std::string_view> argv) {
    auto r = (*this)(std::move(argv));
    if (!r.is_integer()) throw std::runtime_error("raw command: not an integer: " + r.str);
    return r.integer;
  }

 private:
  detail::redis_connection c_;
};

unsigned short main_port() { return redis_test_settings().port; }

/// Counts the keys under a prefix.
std::size_t keys_under(raw_connection& raw, const std::string& prefix) {
  std::size_t n = 0;
  std::string cursor = "0";
  const std::string pattern = prefix + "*";
  do {
    auto r = raw({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.elements.at(0).str;
    n += r.elements.at(1).elements.size();
  } while (cursor != "0");
  return n;
}

/// A store whose failures throw, for the tests below.
struct checked {
  explicit checked(redis_settings s) : store(std::move(s)), s(store) {}
  redis store;
  checked_store<redis> s;
};

}  // namespace

// --- URLs and settings -------------------------------------------------------------------

TEST_CASE("redis URLs: what parses, and into what", "[redis][url]") {
  std::error_code ec;
  auto a = parse_redis_url("redis://localhost", ec);
  REQUIRE_FALSE(ec);
  CHECK(a.host == "localhost");
  CHECK(a.port == 6379);
  CHECK_FALSE(a.tls);
  CHECK(a.database == 0);
  CHECK(a.username.empty());
  CHECK(a.password.empty());
  CHECK(a.key_prefix == "tessera:");

  auto b = parse_redis_url("rediss://tessera:p%40ss%3Aw%2Frd@redis.example.com:6380/3", ec);
  REQUIRE_FALSE(ec);
  CHECK(b.tls);
  CHECK(b.host == "redis.example.com");
  CHECK(b.port == 6380);
  CHECK(b.database == 3);
  CHECK(b.username == "tessera");
  CHECK(b.password == "p@ss:w/rd");

  auto c = parse_redis_url("redis://:secret@10.0.0.1/", ec);
  REQUIRE_FALSE(ec);
  CHECK(c.host == "10.0.0.1");
  CHECK(c.username.empty());
  CHECK(c.password == "secret");
  CHECK(c.database == 0);

  auto d = parse_redis_url("redis://secret@host", ec);  // as redis-cli: no colon, a password
  REQUIRE_FALSE(ec);
  CHECK(d.username.empty());
  CHECK(d.password == "secret");

  auto e = parse_redis_url("redis://[::1]:7000/15", ec);
  REQUIRE_FALSE(ec);
  CHECK(e.host == "::1");
  CHECK(e.port == 7000);
  CHECK(e.database == 15);

  auto f = parse_redis_url("REDISS://Host.Example", ec);
  REQUIRE_FALSE(ec);
  CHECK(f.tls);
  CHECK(f.host == "Host.Example");
}

TEST_CASE("redis URLs: malformed, unsupported or unbounded ones are refused", "[redis][url]") {
  const std::string long_password(2000, 'x');
  const std::string huge(5000, 'a');
  for (std::string url : {std::string(""), std::string("localhost:6379"), std::string("http://localhost"),
                          std::string("redis:/localhost"), std::string("redis://"), std::string("redis://:pw@"),
                          std::string("redis://host:0"), std::string("redis://host:65536"), std::string("redis://host:"),
                          std::string("redis://host:abc"), std::string("redis://host/abc"), std::string("redis://host/1/2"),
                          std::string("redis://host/-1"), std::string("redis://host/123456789012"),
                          std::string("redis://host?db=1"), std::string("redis://host#frag"), std::string("redis://[::1"),
                          std::string("redis://[zz::1]"), std::string("redis://ho st"), std::string("redis://h%41st"),
                          std::string("redis://user:@host"), std::string("redis://user:p%zzss@host"),
                          std::string("redis://u:") + long_password + "@host", "redis://" + huge}) {
    INFO(url.substr(0, 80));
    std::error_code ec;
    auto s = parse_redis_url(url, ec);
    CHECK(ec == tessera::error::store_settings_invalid);
    CHECK(s.host == "127.0.0.1");  // the defaults, nothing half-parsed
  }
}

TEST_CASE("invalid settings are refused before anything is connected", "[redis][settings]") {
  auto check = [](auto change) {
    auto s = redis_test_settings();
    change(s);
    std::error_code ec = tessera::error::store_failure;
    redis store(s, ec);
    CHECK(ec == tessera::error::store_settings_invalid);
    // and every operation says so
    std::error_code op_ec;
    CHECK_FALSE(store.family_revoked("f", op_ec));
    CHECK(op_ec == tessera::error::store_settings_invalid);
  };
  check([](redis_settings& s) { s.key_prefix = ""; });
  check([](redis_settings& s) { s.key_prefix = "a*b"; });       // a glob character
  check([](redis_settings& s) { s.key_prefix = "with space"; });
  check([](redis_settings& s) { s.key_prefix = std::string(65, 'p'); });
  check([](redis_settings& s) { s.pool_size = 0; });
  check([](redis_settings& s) { s.port = 0; });
  check([](redis_settings& s) { s.host = ""; });
  check([](redis_settings& s) { s.database = -1; });
  check([](redis_settings& s) { s.command_timeout = 0ms; });
  check([](redis_settings& s) { s.username = "alice"; });  // a user without a password
  check([](redis_settings& s) {
    s.tls = true;
    s.ca_file = "/nonexistent/ca.pem";
  });
  CHECK_THROWS_AS(redis([] {
                    auto s = redis_test_settings();
                    s.pool_size = 0;
                    return s;
                  }()),
                  std::system_error);
}

// --- sharing, bounds, sweeping -------------------------------------------------------------

TEST_CASE("two store objects on one prefix share state; another prefix sees nothing", "[redis]") {
  auto settings = redis_test_settings();
  checked a(settings), b(settings);
  auto other_settings = redis_test_settings();
  checked other(other_settings);

  a.s.put_code(key("code"), code(t0 + 10min));
  CHECK(other.s.consume_code(key("code"), t0).status == consume_status::unknown);
  CHECK(b.s.consume_code(key("code"), t0).status == consume_status::ok);
  CHECK(a.s.consume_code(key("code"), t0).status == consume_status::replayed);

  std::error_code ec;
  a.store.erase_all(ec);
  REQUIRE_FALSE(ec);
  other.store.erase_all(ec);
  REQUIRE_FALSE(ec);
  raw_connection raw(main_port());
  CHECK(keys_under(raw, settings.key_prefix) == 0);
}

TEST_CASE("a session's upstream is bounded", "[redis][session]") {
  store_fixture<redis> f;
  auto s = session(t0 + 1h);
  s.upstream.assign(session_record::max_upstream_size, 'u');
  std::error_code ec;
  f.store().put_session(key("big"), s, ec);
  REQUIRE_FALSE(ec);
  auto found = f.store().find_session(key("big"), t0, ec);
  REQUIRE(found);
  CHECK(found->upstream == s.upstream);

  s.upstream.push_back('u');
  f.store().put_session(key("too-big"), s, ec);
  CHECK(ec == tessera::error::store_failure);
  CHECK_FALSE(f.store().find_session(key("too-big"), t0, ec));
}

TEST_CASE("records round-trip exactly, to the nanosecond, whatever bytes they hold", "[redis]") {
  store_fixture<redis> f;
  checked_store<redis> s(f.store());
  auto rec = code(t0 + 10min + 123456789ns);
  rec.grant.auth_time = t0 - 1ns;
  rec.grant.user_claims = std::string("{\"n\":\"\0\xff\r\n;:\"}", 14);
  rec.nonce = "";
  s.put_code(key("exact"), rec);
  auto got = s.consume_code(key("exact"), t0 + 10min + 123456788ns);
  REQUIRE(got.status == consume_status::ok);
  CHECK(same(got.record, rec));
  CHECK(s.consume_code(key("exact"), t0 + 10min + 123456789ns).status == consume_status::expired);

  // before the epoch, too
  auto old = refresh(tessera::earliest_time + 1ns);
  s.put_refresh(key("old"), old);
  auto found = s.find_refresh(key("old"), tessera::earliest_time);
  REQUIRE(found);
  CHECK(same(*found, old));
}

TEST_CASE("sweep deletes what expired by its `now` from Redis itself, and keeps the rest", "[redis][sweep]") {
  auto settings = redis_test_settings();
  checked c(settings);
  raw_connection raw(main_port());
  const auto& p = settings.key_prefix;

  c.s.put_code(key("code"), code(t0 + 1min));
  c.s.put_session(key("short"), session(t0 + 1min));
  c.s.put_session(key("long"), session(t0 + 1h));
  REQUIRE(c.s.use_once("jti", t0 + 1min, t0));
  c.s.put_consent("alice", "short", {.scope = "a", .granted_at = t0, .expires_at = t0 + 1min});
  c.s.put_consent("alice", "long", {.scope = "b", .granted_at = t0, .expires_at = t0 + 1h});
  auto dev = device("SHORT-CODE", t0 + 1min);
  dev.requester = "10.0.0.1";
  REQUIRE(c.s.put_device(key("device"), dev, {}, t0) == put_device_status::ok);
  c.s.revoke_family("family-x", t0 + 1min);
  c.s.put_refresh(key("rt"), refresh(t0 + 1h, "family-y"));

  std::error_code ec;
  c.store.sweep(t0 + 5min, ec);
  REQUIRE_FALSE(ec);

  auto exists = [&](const std::string& k) { return raw.integer({"EXISTS", k}) == 1; };
  CHECK_FALSE(exists(p + "c:" + key("code")));
  CHECK_FALSE(exists(p + "e:" + key("short")));
  CHECK(exists(p + "e:" + key("long")));
  CHECK_FALSE(exists(p + "j:jti"));
  CHECK_FALSE(exists(p + "d:" + key("device")));
  CHECK_FALSE(exists(p + "u:" + key("SHORT-CODE")));
  CHECK_FALSE(exists(p + "da:"));
  CHECK_FALSE(exists(p + "dc:flytectl"));
  CHECK_FALSE(exists(p + "dq:10.0.0.1"));
  CHECK_FALSE(exists(p + "f:family-x"));
  CHECK(exists(p + "r:" + key("rt")));
  CHECK(exists(p + "h:family-y"));
  CHECK(raw.integer({"HEXISTS", p + "s:alice", "short"}) == 0);
  CHECK(raw.integer({"HEXISTS", p + "s:alice", "long"}) == 1);

  c.store.erase_all(ec);
  REQUIRE_FALSE(ec);
  CHECK(keys_under(raw, p) == 0);
}

// --- real TTLs ------------------------------------------------------------------------------

TEST_CASE("keys carry TTLs counted from the operation's `now`, and Redis drops them", "[redis][ttl]") {
  auto settings = redis_test_settings();
  settings.ttl_slack = 0ms;
  checked c(settings);
  raw_connection raw(main_port());
  const auto& p = settings.key_prefix;
  auto pttl = [&](const std::string& k) { return raw.integer({"PTTL", k}); };

  const auto now = std::chrono::system_clock::now();
  REQUIRE(c.s.use_once("short-jti", now + 300ms, now));
  auto t = pttl(p + "j:short-jti");
  CHECK(t > 0);
  CHECK(t <= 300);

  // A put gets no `now`: its TTL counts from the latest `now` the store has seen.
  c.s.put_code(key("code"), code(now + 30min));
  t = pttl(p + "c:" + key("code"));
  CHECK(t > 30 * 60 * 1000 - 5000);
  CHECK(t <= 30 * 60 * 1000);

  c.s.put_refresh(key("rt"), refresh(now + 24h, "family-ttl"));
  REQUIRE(c.s.rotate_refresh(key("rt"), key("child"), now + 48h, now).status == rotate_status::ok);
  t = pttl(p + "r:" + key("child"));
  CHECK(t > 48 * 3600 * 1000LL - 5000);
  CHECK(t <= 48 * 3600 * 1000LL);
  CHECK(pttl(p + "h:family-ttl") > 48 * 3600 * 1000LL - 5000);  // the family horizon follows its latest member

  // Reuse revokes the family for as long as its latest member lives.
  REQUIRE(c.s.rotate_refresh(key("rt"), key("x"), now + 1h, now + 1s).status == rotate_status::reused);
  t = pttl(p + "f:family-ttl");
  CHECK(t > 48 * 3600 * 1000LL - 5000);
  CHECK(t <= 48 * 3600 * 1000LL);

  // An expiry already past gets a short TTL instead of none (or of an instant deletion).
  c.s.put_session(key("past"), session(now - 1h));
  t = pttl(p + "e:" + key("past"));
  CHECK(t > 0);
  CHECK(t <= detail::redis_impl::floor_ttl_ms);

  std::this_thread::sleep_for(500ms);
  CHECK(raw.integer({"EXISTS", p + "j:short-jti"}) == 0);
  // gone from Redis: a fresh use, as the memory store after a sweep
  CHECK(c.s.use_once("short-jti", now + 10min, now + 400ms));

  // With the default slack, TTLs are a little longer than the lifetime.
  auto slack_settings = redis_test_settings();
  checked d(slack_settings);
  REQUIRE(d.s.use_once("jti", now + 10s, now));
  t = raw.integer({"PTTL", slack_settings.key_prefix + "j:jti"});
  CHECK(t > 10'000);
  CHECK(t <= 10'000 + slack_settings.ttl_slack.count());

  std::error_code ec;
  c.store.erase_all(ec);
  d.store.erase_all(ec);
}

// --- processes ------------------------------------------------------------------------------

TEST_CASE("two processes racing on codes, refresh tokens and jtis: exactly one wins each", "[redis][race]") {
  const auto settings = redis_test_settings();
  constexpr int rounds = 60;
  {
    checked setup(settings);
    for (int i = 0; i < rounds; ++i) {
      setup.s.put_code(key("code-" + std::to_string(i)), code(t0 + 10min));
      setup.s.put_refresh(key("rt-" + std::to_string(i)), refresh(t0 + 24h, "family-" + std::to_string(i)));
    }
  }
  int go[2], results[2];
  REQUIRE(::pipe(go) == 0);
  REQUIRE(::pipe(results) == 0);

  // What one process does in a round: three bytes, 1 where it won.
  auto play = [](redis& store, int i, const char* who) {
    std::error_code ec;
    std::array<char, 3> won{};
    const auto n = std::to_string(i);
    won[0] = store.consume_code(key("code-" + n), t0 + 1s, ec).status == consume_status::ok && !ec;
    won[1] = store.rotate_refresh(key("rt-" + n), key(std::string("child-") + who + n), t0 + 24h, t0 + 1s, {}, ec).status ==
                 rotate_status::ok && !ec;
    won[2] = store.use_once("jti-" + n, t0 + 5min, t0, ec) && !ec;
    return won;
  };

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    ::close(results[0]);
    int status = 0;
    try {
      redis store(settings);
      for (int i = 0; i < rounds; ++i) {
        char b;
        if (::read(go[0], &b, 1) != 1) ::_exit(3);
        auto won = play(store, i, "c");
        if (::write(results[1], won.data(), won.size()) != 3) ::_exit(4);
      }
    } catch (...) {
      status = 5;
    }
    ::_exit(status);
  }
  ::close(go[0]);
  ::close(results[1]);

  redis store(settings);
  int parent_wins = 0, child_wins = 0;
  for (int i = 0; i < rounds; ++i) {
    REQUIRE(::write(go[1], "g", 1) == 1);
    // Start at slightly different moments so that either process may be first.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds((i * 37) % 80);
    while (std::chrono::steady_clock::now() < until) {
    }
    auto mine = play(store, i, "p");
    std::array<char, 3> theirs{};
    REQUIRE(::read(results[0], theirs.data(), 3) == 3);
    INFO("round " << i);
    for (int k = 0; k < 3; ++k) {
      CHECK(mine[k] + theirs[k] == 1);
      parent_wins += mine[k];
      child_wins += theirs[k];
    }
  }
  ::close(go[1]);
  ::close(results[0]);
  int wstatus = 0;
  REQUIRE(::waitpid(child, &wstatus, 0) == child);
  CHECK(WIFEXITED(wstatus));
  CHECK(WEXITSTATUS(wstatus) == 0);
  INFO("parent won " << parent_wins << ", child won " << child_wins);
  CHECK(parent_wins + child_wins == 3 * rounds);

  std::error_code ec;
  store.erase_all(ec);
}

// --- TLS ------------------------------------------------------------------------------------

TEST_CASE("TLS: rediss with the right CA and name works; a wrong CA or name is refused", "[redis][tls]") {
  auto tls = redis_test_settings();
  tls.port = env_port("TESSERA_TEST_REDIS_TLS_PORT");
  tls.tls = true;
  tls.ca_file = env("TESSERA_TEST_REDIS_CA");

  SECTION("by IP address, the certificate naming it") {
    checked c(tls);
    c.s.put_code(key("tls-code"), code(t0 + 10min));
    CHECK(c.s.consume_code(key("tls-code"), t0).status == consume_status::ok);
    std::error_code ec;
    c.store.erase_all(ec);
  }
  SECTION("by name") {
    tls.server_name = "localhost";
    checked c(tls);
    CHECK(c.s.use_once("tls-jti", t0 + 1min, t0));
    std::error_code ec;
    c.store.erase_all(ec);
  }
  SECTION("through a rediss URL") {
    std::error_code ec;
    auto s = parse_redis_url("rediss://127.0.0.1:" + std::to_string(tls.port), ec);
    REQUIRE_FALSE(ec);
    s.ca_file = tls.ca_file;
    s.key_prefix = tls.key_prefix;
    checked c(s);
    CHECK_FALSE(c.s.family_revoked("nothing"));
  }
  SECTION("a certificate from another CA") {
    tls.ca_file = env("TESSERA_TEST_REDIS_OTHER_CA");
    std::error_code ec;
    redis store(tls, ec);
    CHECK(ec == tessera::error::store_unavailable);
    CHECK(store.last_error().find("not trusted") != std::string::npos);
    CHECK_FALSE(store.family_revoked("f", ec));
    CHECK(ec == tessera::error::store_unavailable);
  }
  SECTION("a certificate for another name") {
    tls.server_name = "redis.example.com";
    std::error_code ec;
    redis store(tls, ec);
    CHECK(ec == tessera::error::store_unavailable);
    CHECK(store.last_error().find("not for redis.example.com") != std::string::npos);
  }
  SECTION("the system's trust store does not know the test CA") {
    tls.ca_file.clear();
    std::error_code ec;
    redis store(tls, ec);
    CHECK(ec == tessera::error::store_unavailable);
  }
  SECTION("plain text to the TLS port fails cleanly") {
    tls.tls = false;
    tls.command_timeout = 2s;
    std::error_code ec;
    redis store(tls, ec);
    CHECK(ec == tessera::error::store_unavailable);
  }
  SECTION("TLS to a plain port fails cleanly, within connect_timeout") {
    tls.port = main_port();
    tls.connect_timeout = 500ms;
    const auto start = std::chrono::steady_clock::now();
    std::error_code ec;
    redis store(tls, ec);
    CHECK(ec == tessera::error::store_unavailable);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
}

// --- AUTH -----------------------------------------------------------------------------------

TEST_CASE("AUTH: the right credentials work, wrong or missing ones are a clear error", "[redis][auth]") {
  auto s = redis_test_settings();
  s.port = env_port("TESSERA_TEST_REDIS_AUTH_PORT");

  SECTION("an ACL user") {
    s.username = "alice";
    s.password = "alice-secret";
    checked c(s);
    CHECK(c.s.use_once("auth-jti", t0 + 1min, t0));
    CHECK_FALSE(c.s.use_once("auth-jti", t0 + 1min, t0));
    std::error_code ec;
    c.store.erase_all(ec);
  }
  SECTION("the default user's password, from a URL, with a database") {
    std::error_code ec;
    auto u = parse_redis_url("redis://:admin-secret@127.0.0.1:" + std::to_string(s.port) + "/2", ec);
    REQUIRE_FALSE(ec);
    u.key_prefix = s.key_prefix;
    checked c(u);
    c.s.put_code(key("db2"), code(t0 + 1min));
    raw_connection raw(s.port);
    REQUIRE(raw({"AUTH", "admin-secret"}).str == "OK");
    CHECK(raw.integer({"EXISTS", s.key_prefix + "c:" + key("db2")}) == 0);  // not in database 0
    REQUIRE(raw({"SELECT", "2"}).str == "OK");
    CHECK(raw.integer({"EXISTS", s.key_prefix + "c:" + key("db2")}) == 1);
    c.store.erase_all(ec);
  }
  SECTION("a wrong password") {
    s.username = "alice";
    s.password = "wrong";
    std::error_code ec;
    redis store(s, ec);
    CHECK(ec == tessera::error::store_failure);
    CHECK(store.last_error().find("WRONGPASS") != std::string::npos);
    CHECK(store.last_error().find("wrong") == std::string::npos);  // the password is not repeated
    try {
      redis throwing(s);
      FAIL("no exception");
    } catch (const std::system_error& e) {
      CHECK(e.code() == tessera::error::store_failure);
      CHECK(std::string(e.what()).find("AUTH refused") != std::string::npos);
    }
  }
  SECTION("no password") {
    std::error_code ec;
    redis store(s, ec);
    CHECK(ec == tessera::error::store_failure);
    CHECK(store.last_error().find("NOAUTH") != std::string::npos);
  }
}

// --- failures -------------------------------------------------------------------------------

TEST_CASE("an unreachable server is store_unavailable, within connect_timeout", "[redis][unavailable]") {
  SECTION("nothing listens on the port") {
    unsigned short port = 0;
    {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      socklen_t len = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
      port = ntohs(a.sin_port);
      ::close(fd);
    }
    auto s = redis_test_settings();
    s.port = port;
    std::error_code ec;
    redis store(s, ec);
    CHECK(ec == tessera::error::store_unavailable);
    // usable afterwards: every operation fails the same way, nothing hangs
    CHECK(store.consume_code(key("c"), t0, ec).status == consume_status::unknown);
    CHECK(ec == tessera::error::store_unavailable);
  }
  SECTION("a host that does not answer") {
    auto s = redis_test_settings();
    s.host = "10.255.255.1";  // not routed: the SYN is dropped, or refused at once
    s.connect_timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    std::error_code ec;
    redis store(s, ec);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(ec == tessera::error::store_unavailable);
    CHECK(took < 2s);
  }
  SECTION("a listener that never completes the handshake: the connect times out") {
    // A backlog already full: the kernel drops further SYNs, so connecting hangs.
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener, 0) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {  // fill the queue (non-blocking: the later ones stay pending)
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers.push_back(fd);
    }
    std::this_thread::sleep_for(50ms);
    auto s = redis_test_settings();
    s.port = ntohs(a.sin_port);
    s.connect_timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    std::error_code ec;
    redis store(s, ec);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(ec == tessera::error::store_unavailable);
    CHECK(took >= 250ms);
    CHECK(took < 1500ms);
    CHECK(store.last_error().find("timed out") != std::string::npos);
    for (int fd : fillers) ::close(fd);
    ::close(listener);
  }
}

TEST_CASE("after a server restart the store reconnects by itself", "[redis][restart]") {
  auto s = redis_test_settings();
  s.port = env_port("TESSERA_TEST_REDIS_RESTART_PORT");
  s.pool_size = 2;
  redis store(s);
  checked_store<redis> c(store);
  c.put_code(key("before"), code(t0 + 10min));
  REQUIRE(c.consume_code(key("before"), t0).status == consume_status::ok);
  // two pooled connections, both about to go stale
  race(2, [&](std::size_t i) { return c.use_once("warm-" + std::to_string(i), t0 + 1min, t0); });

  REQUIRE(std::system(env("TESSERA_TEST_REDIS_RESTART").c_str()) == 0);

  // The first operations may fail (cleanly), then everything works again — with the scripts
  // loaded anew (the restarted server has none cached) and the data gone (no persistence here).
  int failures = 0;
  bool recovered = false;
  for (int i = 0; i < 5 && !recovered; ++i) {
    std::error_code ec;
    store.put_code(key("after"), code(t0 + 10min), ec);
    if (ec) {
      CHECK(ec == tessera::error::store_unavailable);
      ++failures;
      continue;
    }
    recovered = true;
  }
  REQUIRE(recovered);
  CHECK(failures <= 2);
  CHECK(c.consume_code(key("after"), t0).status == consume_status::ok);
  CHECK(c.consume_code(key("before"), t0).status == consume_status::unknown);
  CHECK(c.use_once("after-jti", t0 + 1min, t0));
  std::error_code ec;
  store.erase_all(ec);
}

TEST_CASE("a connection killed by the server is replaced, and a consume is never run twice", "[redis][restart]") {
  auto s = redis_test_settings();
  s.pool_size = 1;
  redis store(s);
  checked_store<redis> c(store);
  c.put_code(key("k1"), code(t0 + 10min));
  c.put_code(key("k2"), code(t0 + 10min));
  REQUIRE(c.consume_code(key("k1"), t0).status == consume_status::ok);

  raw_connection raw(s.port);
  CHECK(raw.integer({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}) >= 1);
  std::this_thread::sleep_for(50ms);

  // The pooled connection is noticed dead before use: the consume runs once, on a new one.
  CHECK(c.consume_code(key("k2"), t0).status == consume_status::ok);
  CHECK(c.consume_code(key("k2"), t0).status == consume_status::replayed);
  std::error_code ec;
  store.erase_all(ec);
}

TEST_CASE("a busy server: commands time out, a full pool times out, both as store_unavailable", "[redis][timeout]") {
  auto s = redis_test_settings();
  s.pool_size = 1;
  s.command_timeout = 250ms;
  s.acquire_timeout = 150ms;
  redis store(s);
  checked_store<redis> c(store);
  c.put_code(key("busy"), code(t0 + 10min));
  REQUIRE(c.use_once("warm-up", t0 + 1min, t0));  // the server has the use_once script cached

  // A script that keeps the (single-threaded) server busy for 800 ms.
  std::thread busy([port = s.port] {
    raw_connection raw(port);
    raw({"EVAL",
         "local s = redis.call('TIME') repeat local t = redis.call('TIME') until (t[1] - s[1]) * 1000000 + (t[2] - s[2]) > 800000 "
         "return 1",
         "0"});
  });
  std::this_thread::sleep_for(100ms);

  // The pool's one connection waits for the server, past command_timeout ...
  std::error_code slow_ec;
  std::chrono::steady_clock::duration slow_took{};
  std::thread slow([&] {
    const auto start = std::chrono::steady_clock::now();
    store.use_once("busy-jti", t0 + 1min, t0, slow_ec);
    slow_took = std::chrono::steady_clock::now() - start;
  });
  std::this_thread::sleep_for(50ms);
  // ... while another caller finds no free connection within acquire_timeout.
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  store.find_session(key("none"), t0, ec);
  const auto took = std::chrono::steady_clock::now() - start;
  slow.join();
  busy.join();

  CHECK(slow_ec == tessera::error::store_unavailable);
  CHECK(slow_took < 600ms);  // command_timeout, not the server's 800 ms
  CHECK(ec == tessera::error::store_unavailable);
  CHECK(took < 500ms);

  // Afterwards everything works. The timed-out use_once had reached the server, which ran it
  // once the script was done: it was not sent again, so the jti is used exactly once.
  CHECK(c.consume_code(key("busy"), t0).status == consume_status::ok);
  CHECK_FALSE(c.use_once("busy-jti", t0 + 1min, t0));
  std::error_code ignored;
  store.erase_all(ignored);
}
