// tessera — tests/store/postgres/postgres_engine.cpp: what only store::postgres promises, beyond
// the conformance suite: two processes on one schema, migrations by replicas starting together
// and refusal of a newer schema, recovery from a server restart, an unreachable server, settings,
// two schemas side by side, byte-exact values, timeouts and the background sweep.
#include "conformance.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace tessera::store;
using namespace tessera::store::test;
using tessera::error;
using namespace std::chrono_literals;

namespace {

constexpr auto lifespan = std::chrono::hours(24 * 30);

std::string numbered(std::string_view what, int n) { return std::string(what) + "-" + std::to_string(n); }

// A schema dropped at the end of the test, for tests that open stores of their own.
struct scoped_schema {
  std::string name = unique_schema("e");
  scoped_schema() = default;
  scoped_schema(const scoped_schema&) = delete;
  scoped_schema& operator=(const scoped_schema&) = delete;
  ~scoped_schema() { drop_schema(name); }
};

// Writes and reads one byte on a pipe; false when the other end is gone.
bool put_byte(int fd, char b) { return ::write(fd, &b, 1) == 1; }
bool get_byte(int fd, char& b) { return ::read(fd, &b, 1) == 1; }

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int closed_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

// The pg_ctl command prefix from with_postgres.sh, or empty when the server is not ours to restart.
std::string pg_ctl() {
  const char* v = std::getenv("TESSERA_TEST_PG_CTL");
  return v ? v : "";
}

bool run_pg_ctl(const std::string& args) {
  return std::system((pg_ctl() + " " + args + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

// --- two processes ---------------------------------------------------------------------------

TEST_CASE("postgres: two processes racing on one schema: exactly one wins each code and each refresh token",
          "[store][postgres][race]") {
  store_fixture<postgres> f;
  checked_store<postgres> s(f.store());
  constexpr int rounds = 60;
  for (int i = 0; i < rounds; ++i) {
    s.put_code(key(numbered("code", i)), code(t0 + 10min, numbered("code-family", i)));
    s.put_refresh(key(numbered("rt", i)), refresh(t0 + lifespan, numbered("rt-family", i)));
  }

  int go[2], back[2];
  REQUIRE(::pipe(go) == 0);
  REQUIRE(::pipe(back) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: its own store (its own connections), the same schema. It never touches the
    // parent's store, and leaves with _exit, so the parent's connections are not closed.
    ::close(go[1]);
    ::close(back[0]);
    std::error_code ec;
    postgres mine(pg_settings(f.schema()), ec);
    if (ec || !put_byte(back[1], 'R')) ::_exit(1);
    for (int i = 0; i < 2 * rounds; ++i) {
      char b;
      if (!get_byte(go[0], b)) ::_exit(2);
      char result = 'E';
      if (i < rounds) {
        auto r = mine.consume_code(key(numbered("code", i)), t0 + 1s, ec);
        if (!ec) result = r.status == consume_status::ok ? 'W' : r.status == consume_status::replayed ? 'L' : 'X';
      } else {
        const int n = i - rounds;
        auto r = mine.rotate_refresh(key(numbered("rt", n)), key(numbered("child-of-child", n)), t0 + lifespan, t0 + 1s,
                                     {}, ec);
        if (!ec)
          result = r.status == rotate_status::ok                                               ? 'W'
                   : (r.status == rotate_status::reused || r.status == rotate_status::revoked) ? 'L'
                                                                                               : 'X';
      }
      if (!put_byte(back[1], result)) ::_exit(3);
    }
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(back[1]);
  char ready = 0;
  REQUIRE(get_byte(back[0], ready));
  REQUIRE(ready == 'R');

  int parent_wins = 0, child_wins = 0;
  for (int i = 0; i < 2 * rounds; ++i) {
    REQUIRE(put_byte(go[1], 'G'));  // released together: the child wakes as the parent starts
    bool parent_won = false;
    if (i < rounds) {
      auto r = s.consume_code(key(numbered("code", i)), t0 + 1s);
      CHECK((r.status == consume_status::ok || r.status == consume_status::replayed));
      parent_won = r.status == consume_status::ok;
    } else {
      const int n = i - rounds;
      auto r = s.rotate_refresh(key(numbered("rt", n)), key(numbered("child-of-parent", n)), t0 + lifespan, t0 + 1s);
      CHECK((r.status == rotate_status::ok || r.status == rotate_status::reused || r.status == rotate_status::revoked));
      parent_won = r.status == rotate_status::ok;
    }
    char theirs = 0;
    REQUIRE(get_byte(back[0], theirs));
    INFO("round " << i << ", child answered " << theirs);
    REQUIRE((theirs == 'W' || theirs == 'L'));
    CHECK(parent_won != (theirs == 'W'));  // exactly one winner
    parent_wins += parent_won;
    child_wins += theirs == 'W';
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  ::close(go[1]);
  ::close(back[0]);
  CHECK(parent_wins + child_wins == 2 * rounds);
  // Every refresh-token race ended with a revoked family: the loser presented a rotated token.
  for (int n = 0; n < rounds; ++n) CHECK(s.family_revoked(numbered("rt-family", n)));
  WARN("wins: parent " << parent_wins << ", child " << child_wins);
}

// --- migrations ----------------------------------------------------------------------------

TEST_CASE("postgres: a second store on a migrated schema starts and shares its rows", "[store][postgres][schema]") {
  store_fixture<postgres> f;
  checked_store<postgres> first(f.store());
  first.put_code(key("code"), code(t0 + 10min));

  postgres second_store(pg_settings(f.schema()));
  checked_store<postgres> second(second_store);
  CHECK(second.consume_code(key("code"), t0).status == consume_status::ok);
  CHECK(first.consume_code(key("code"), t0).status == consume_status::replayed);
  CHECK(raw_pg().value("SELECT string_agg(version::text, ',') FROM \"" + f.schema() + "\".schema_version") ==
        std::to_string(postgres::schema_version));
}

TEST_CASE("postgres: a schema from a newer program is refused and left as it is", "[store][postgres][schema]") {
  store_fixture<postgres> f;
  checked_store<postgres>(f.store()).put_code(key("code"), code(t0 + 10min));
  const auto newer = std::to_string(postgres::schema_version + 1);
  raw_pg().exec("INSERT INTO \"" + f.schema() + "\".schema_version (version) VALUES (" + newer + ")");

  std::error_code ec;
  postgres refused(pg_settings(f.schema()), ec);
  CHECK(ec == error::store_schema_newer);
  // A store that did not start does nothing.
  std::error_code op;
  refused.put_code(key("other"), code(t0 + 10min), op);
  CHECK(op == error::store_unavailable);

  try {
    postgres throws(pg_settings(f.schema()));
    FAIL("a newer schema was accepted");
  } catch (const std::system_error& e) {
    CHECK(e.code() == error::store_schema_newer);
  }
  CHECK(raw_pg().value("SELECT max(version) FROM \"" + f.schema() + "\".schema_version") == newer);
  CHECK(raw_pg().value("SELECT count(*) FROM \"" + f.schema() + "\".codes") == "1");
}

TEST_CASE("postgres: replicas starting together on a fresh schema all come up, and it is migrated once",
          "[store][postgres][schema]") {
  scoped_schema schema;
  constexpr std::size_t replicas = 6;
  auto results = race(replicas, [&](std::size_t) {
    std::error_code ec;
    postgres s(pg_settings(schema.name), ec);
    if (ec) return ec;
    s.use_once("jti", t0 + 5min, t0, ec);
    return ec;
  });
  for (const auto& ec : results) CHECK_FALSE(ec);
  CHECK(raw_pg().value("SELECT count(*) FROM \"" + schema.name + "\".schema_version") ==
        std::to_string(postgres::schema_version));
  // Exactly one of them used the jti first.
  postgres s(pg_settings(schema.name));
  std::error_code ec;
  CHECK_FALSE(s.use_once("jti", t0 + 5min, t0 + 1s, ec));
  CHECK_FALSE(ec);
}

TEST_CASE("postgres: a schema an administrator created empty is filled in", "[store][postgres][schema]") {
  scoped_schema schema;
  raw_pg().exec("CREATE SCHEMA \"" + schema.name + "\"");
  postgres s(pg_settings(schema.name));
  checked_store<postgres> c(s);
  CHECK(c.use_once("jti", t0 + 5min, t0));
}

// --- reconnecting ----------------------------------------------------------------------------

TEST_CASE("postgres: after a server restart the open store recovers without a false replay",
          "[store][postgres][reconnect]") {
  if (pg_ctl().empty()) {
    WARN("TESSERA_TEST_PG_CTL is not set: not restarting the server");
    return;
  }
  store_fixture<postgres> f;
  postgres& store = f.store();
  checked_store<postgres> s(store);
  // Several pooled connections, all of which the restart kills.
  race(6, [&](std::size_t i) { return s.use_once("warm-up-" + std::to_string(i), t0 + 5min, t0); });
  for (int i = 0; i < 8; ++i) s.put_code(key(numbered("code", i)), code(t0 + 10min));

  REQUIRE(run_pg_ctl("-m fast -w restart"));

  // Each first use of a dead connection either fails cleanly (store_unavailable) or succeeds on
  // a connection replaced at checkout; never a wrong answer. A failed consume cannot have
  // reached the restarted server, so the code is still unused.
  int failures = 0;
  for (int i = 0; i < 8; ++i) {
    for (int attempt = 0;; ++attempt) {
      REQUIRE(attempt < 10);
      std::error_code ec;
      auto r = store.consume_code(key(numbered("code", i)), t0 + 1s, ec);
      if (ec) {
        CHECK(ec == error::store_unavailable);
        ++failures;
        continue;
      }
      CHECK(r.status == consume_status::ok);
      break;
    }
  }
  CHECK(failures <= 8);
  CHECK(s.consume_code(key(numbered("code", 0)), t0 + 2s).status == consume_status::replayed);
  // Idempotent operations retry by themselves.
  CHECK(s.use_once("after-restart", t0 + 5min, t0));
  WARN("operations failed after the restart: " << failures);
}

TEST_CASE("postgres: a stopped server is store_unavailable at once, and the store works again when it is back",
          "[store][postgres][reconnect]") {
  if (pg_ctl().empty()) {
    WARN("TESSERA_TEST_PG_CTL is not set: not stopping the server");
    return;
  }
  store_fixture<postgres> f;
  postgres& store = f.store();
  checked_store<postgres> s(store);
  s.put_code(key("code"), code(t0 + 10min));
  s.put_refresh(key("rt"), refresh(t0 + lifespan));

  REQUIRE(run_pg_ctl("-m fast -w stop"));
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  store.consume_code(key("code"), t0 + 1s, ec);
  CHECK(ec == error::store_unavailable);
  store.rotate_refresh(key("rt"), key("child"), t0 + lifespan, t0 + 1s, {}, ec);
  CHECK(ec == error::store_unavailable);
  CHECK_FALSE(store.find_refresh(key("rt"), t0, ec));
  CHECK(ec == error::store_unavailable);
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // refused connections, not timeouts
  REQUIRE(run_pg_ctl("-w start"));

  CHECK(s.consume_code(key("code"), t0 + 1s).status == consume_status::ok);
  CHECK(s.rotate_refresh(key("rt"), key("child"), t0 + lifespan, t0 + 1s).status == rotate_status::ok);
  CHECK(s.find_refresh(key("child"), t0 + 1s));
}

namespace {
// Terminates the backend of a tessera connection that waits for a lock (other than `not_pid`),
// once one does; returns its pid, or 0 after 5 s.
int terminate_waiting_backend(raw_pg& db, int not_pid = 0) {
  for (int i = 0; i < 500; ++i) {
    auto pid = db.value(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'tessera' AND wait_event_type = 'Lock' "
        "AND pid <> " +
        std::to_string(not_pid) + " LIMIT 1");
    if (!pid.empty()) {
      db.value("SELECT pg_terminate_backend(" + pid + ")");
      return std::stoi(pid);
    }
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}
int waiting_backend(raw_pg& db, int not_pid) {
  for (int i = 0; i < 500; ++i) {
    auto pid = db.value(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'tessera' AND wait_event_type = 'Lock' "
        "AND pid <> " +
        std::to_string(not_pid) + " LIMIT 1");
    if (!pid.empty()) return std::stoi(pid);
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}
}  // namespace

TEST_CASE("postgres: a connection lost with a single-use statement in flight is store_unavailable, never a replay",
          "[store][postgres][reconnect]") {
  store_fixture<postgres> f;
  postgres& store = f.store();
  checked_store<postgres> s(store);
  s.put_code(key("code"), code(t0 + 10min));
  raw_pg locker, admin;
  locker.exec("BEGIN; SELECT 1 FROM \"" + f.schema() + "\".codes FOR UPDATE");

  std::error_code ec;
  consume_result r;
  std::thread consumer([&] { r = store.consume_code(key("code"), t0 + 1s, ec); });
  const int killed = terminate_waiting_backend(admin);
  consumer.join();
  locker.exec("ROLLBACK");
  REQUIRE(killed != 0);
  // The statement was sent: whether it committed is unknown to the store, so it neither answers
  // nor asks again (asked again, it could find its own first use and call it a replay).
  CHECK(ec == error::store_unavailable);
  // It had not committed; the code is still redeemable, once.
  CHECK(s.consume_code(key("code"), t0 + 2s).status == consume_status::ok);
  CHECK(s.consume_code(key("code"), t0 + 3s).status == consume_status::replayed);
}

TEST_CASE("postgres: a connection lost inside a transaction before COMMIT is retried on another connection",
          "[store][postgres][reconnect]") {
  store_fixture<postgres> f;
  postgres& store = f.store();
  checked_store<postgres> s(store);
  s.put_refresh(key("rt"), refresh(t0 + lifespan));
  raw_pg locker, admin;
  locker.exec("BEGIN; SELECT 1 FROM \"" + f.schema() + "\".refresh_tokens FOR UPDATE");

  std::error_code ec;
  rotate_result r;
  std::thread rotator([&] { r = store.rotate_refresh(key("rt"), key("child"), t0 + lifespan, t0 + 1s, {}, ec); });
  const int killed = terminate_waiting_backend(admin);
  // The retry waits for the same row on a new connection; then the lock goes.
  const int retried = killed ? waiting_backend(admin, killed) : 0;
  locker.exec("ROLLBACK");
  rotator.join();
  REQUIRE(killed != 0);
  CHECK(retried != 0);
  CHECK_FALSE(ec);
  CHECK(r.status == rotate_status::ok);
  CHECK(s.find_refresh(key("child"), t0 + 1s));
  CHECK_FALSE(s.family_revoked("family-1"));
}

// --- unreachable servers and settings ----------------------------------------------------------------

TEST_CASE("postgres: an unreachable server is store_unavailable within the connect timeout",
          "[store][postgres][unavailable]") {
  postgres_settings settings;
  settings.schema = "tessera";
  settings.connect_timeout = 2s;
  settings.sweep_interval = 0s;

  SECTION("nothing listens on the port") {
    settings.conninfo = "host=127.0.0.1 port=" + std::to_string(closed_port()) + " user=postgres dbname=postgres";
  }
  SECTION("the address does not answer") {
    settings.conninfo =
        "host=10.255.255.1 port=5432 user=postgres dbname=postgres";  // unroutable: times out, or no route
  }
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  postgres s(settings, ec);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(ec == error::store_unavailable);
  CHECK(took < 4s);  // libpq's connect_timeout is whole seconds, at least 2

  CHECK_THROWS_AS(postgres(settings), std::system_error);
}

TEST_CASE("postgres: invalid settings are refused before connecting", "[store][postgres][settings]") {
  auto refused = [](postgres_settings s) {
    s.conninfo = s.conninfo.empty() ? "host=127.0.0.1 port=1" : s.conninfo;  // never dialled
    std::error_code ec;
    const auto start = std::chrono::steady_clock::now();
    postgres store(s, ec);
    const bool quick = std::chrono::steady_clock::now() - start < 1s;
    return ec == error::store_settings_invalid && quick && postgres::validate(s) == error::store_settings_invalid;
  };
  postgres_settings s;
  for (const char* schema : {"", "Tessera", "1tessera", "tes-sera", "tes sera", "tessera\"; DROP TABLE x; --",
                             "pg_tessera", "t\xc3\xa9ssera"}) {
    INFO("schema " << schema);
    s = {};
    s.schema = schema;
    CHECK(refused(s));
  }
  s = {};
  s.schema = std::string(64, 'a');
  CHECK(refused(s));
  s.schema = std::string(63, 'a');
  CHECK_FALSE(postgres::validate(s));

  s = {};
  s.pool_size = 0;
  CHECK(refused(s));
  s = {};
  s.statement_timeout = -1ms;
  CHECK(refused(s));
  s = {};
  s.conninfo = "host=localhost port";  // not a connection string
  CHECK(refused(s));
  s = {};
  s.conninfo = "postgresql://[::1";  // not a URI
  CHECK(refused(s));

  CHECK_FALSE(postgres::validate(postgres_settings{}));
  s = {};
  s.schema = "_tessera_2";
  s.conninfo = "postgresql://user@db.example.com:5433/auth?sslmode=verify-full";
  CHECK_FALSE(postgres::validate(s));

  try {
    s = {};
    s.schema = "BAD";
    postgres throws(s);
    FAIL("invalid settings were accepted");
  } catch (const std::system_error& e) {
    CHECK(e.code() == error::store_settings_invalid);
  }
}

// --- schemas side by side --------------------------------------------------------------------

TEST_CASE("postgres: two schemas in one database are two independent stores", "[store][postgres][schema]") {
  store_fixture<postgres> a_fixture, b_fixture;
  checked_store<postgres> a(a_fixture.store()), b(b_fixture.store());

  a.put_code(key("code"), code(t0 + 10min));
  CHECK(b.consume_code(key("code"), t0).status == consume_status::unknown);
  CHECK(a.consume_code(key("code"), t0).status == consume_status::ok);

  a.put_refresh(key("rt"), refresh(t0 + lifespan));
  b.put_refresh(key("rt"), refresh(t0 + lifespan));
  CHECK(a.revoke_refresh(key("rt")));
  CHECK(a.family_revoked("family-1"));
  CHECK_FALSE(b.family_revoked("family-1"));
  CHECK(b.rotate_refresh(key("rt"), key("child"), t0 + lifespan, t0).status == rotate_status::ok);

  CHECK(a.use_once("jti", t0 + 5min, t0));
  CHECK(b.use_once("jti", t0 + 5min, t0));

  // Device caps count per schema, and user codes are unique per schema.
  const device_caps caps{.per_client = 0, .per_address = 0, .total = 1};
  CHECK(a.put_device(key("device"), device("WDJB-MJHT", t0 + 10min), caps, t0) == put_device_status::ok);
  CHECK(b.put_device(key("device"), device("WDJB-MJHT", t0 + 10min), caps, t0) == put_device_status::ok);
  CHECK(a.put_device(key("device-2"), device("XXXX-XXXX", t0 + 10min), caps, t0) == put_device_status::store_full);
}

// --- values ----------------------------------------------------------------------------------

TEST_CASE("postgres: any bytes round-trip exactly, and times to the microsecond", "[store][postgres][values]") {
  store_fixture<postgres> f;
  checked_store<postgres> s(f.store());
  const std::string odd("a\0b\xff\xfe'\"\\x00;--", 14);  // NUL, invalid UTF-8, quotes
  const auto when = t0 + 123456us;                       // microseconds are kept

  code_record c = code(when + 10min, odd);
  c.grant.subject = odd;
  c.grant.user_claims = odd;
  c.grant.auth_time = when;
  c.nonce = odd;
  s.put_code(key("code"), c);
  auto got = s.consume_code(key("code"), when);
  REQUIRE(got.status == consume_status::ok);
  CHECK(same(got.record, c));

  session_record session = test::session(when + 8h);
  session.subject = odd;
  session.upstream = std::string(session_record::max_upstream_size, '\0');
  s.put_session(key("session"), session);
  auto found = s.find_session(key("session"), when);
  REQUIRE(found);
  CHECK(same(*found, session));
  CHECK(found->upstream == session.upstream);
  // Just before the expiry, to the microsecond.
  CHECK(s.find_session(key("session"), when + 8h - 1us));
  CHECK_FALSE(s.find_session(key("session"), when + 8h));

  s.put_consent(odd, odd, consent_record{odd, when, when + 1h});
  auto consent = s.find_consent(odd, odd, when);
  REQUIRE(consent);
  CHECK(consent->scope == odd);
  CHECK(consent->granted_at == when);
}

TEST_CASE("postgres: a session whose upstream tokens exceed the limit is refused, not stored",
          "[store][postgres][values]") {
  store_fixture<postgres> f;
  auto session = test::session(t0 + 8h);
  session.upstream = std::string(session_record::max_upstream_size + 1, 'x');
  std::error_code ec;
  f.store().put_session(key("session"), session, ec);
  CHECK(ec == error::store_failure);
  CHECK_FALSE(checked_store<postgres>(f.store()).find_session(key("session"), t0));
}

// --- timeouts and the pool -----------------------------------------------------------------------

TEST_CASE("postgres: a statement that waits past statement_timeout is store_unavailable, and the store goes on",
          "[store][postgres][timeout]") {
  scoped_schema schema;
  auto settings = pg_settings(schema.name);
  settings.statement_timeout = 300ms;
  postgres store(settings);
  checked_store<postgres> s(store);
  s.put_code(key("code"), code(t0 + 10min));

  raw_pg locker;  // holds the code's row, as a stuck replica would
  locker.exec("BEGIN; SELECT 1 FROM \"" + schema.name + "\".codes WHERE hash = convert_to('" + key("code") +
              "', 'UTF8') FOR UPDATE");
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  store.consume_code(key("code"), t0 + 1s, ec);
  CHECK(ec == error::store_unavailable);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  locker.exec("ROLLBACK");

  CHECK(s.consume_code(key("code"), t0 + 1s).status == consume_status::ok);
}

TEST_CASE("postgres: a pool that stays busy past acquire_timeout is store_unavailable", "[store][postgres][timeout]") {
  scoped_schema schema;
  auto settings = pg_settings(schema.name);
  settings.pool_size = 1;
  settings.acquire_timeout = 200ms;
  settings.statement_timeout = 3000ms;
  postgres store(settings);
  checked_store<postgres> s(store);
  s.put_code(key("code"), code(t0 + 10min));

  raw_pg locker;
  locker.exec("BEGIN; SELECT 1 FROM \"" + schema.name + "\".codes WHERE hash = convert_to('" + key("code") +
              "', 'UTF8') FOR UPDATE");
  // One operation holds the only connection, waiting for the row; the next finds no connection.
  std::error_code blocked_ec;
  std::thread blocked([&] { store.consume_code(key("code"), t0 + 1s, blocked_ec); });
  std::this_thread::sleep_for(500ms);
  std::error_code ec;
  const auto start = std::chrono::steady_clock::now();
  store.use_once("jti", t0 + 5min, t0, ec);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(ec == error::store_unavailable);
  CHECK(took >= 150ms);
  CHECK(took < 2s);
  locker.exec("ROLLBACK");
  blocked.join();
  CHECK_FALSE(blocked_ec);
  CHECK(s.use_once("jti", t0 + 5min, t0));
}

// --- housekeeping ------------------------------------------------------------------------------

TEST_CASE("postgres: the background sweep deletes what expired a minute before the system clock, and stops at once",
          "[store][postgres][sweep]") {
  scoped_schema schema;
  auto settings = pg_settings(schema.name);
  settings.sweep_interval = 1s;
  auto store = std::make_unique<postgres>(settings);
  checked_store<postgres> s(*store);
  const auto now = std::chrono::system_clock::now();
  s.put_code(key("expired"), code(now - 2min));
  s.put_code(key("recent"), code(now - 1s));  // expired, but within the minute a lagging replica may still need
  s.put_code(key("live"), code(now + 1h));
  s.revoke_access("old-jti", now - 2min);

  REQUIRE(s.consume_code(key("expired"), now).status == consume_status::expired);  // not swept yet
  bool swept = false;
  for (int i = 0; i < 50 && !swept; ++i) {
    std::this_thread::sleep_for(100ms);
    swept = s.consume_code(key("expired"), now).status == consume_status::unknown;
  }
  CHECK(swept);
  CHECK_FALSE(s.access_revoked("old-jti"));
  CHECK(s.consume_code(key("recent"), now).status == consume_status::expired);  // kept
  CHECK(s.consume_code(key("live"), now).status == consume_status::ok);

  const auto start = std::chrono::steady_clock::now();
  store.reset();
  CHECK(std::chrono::steady_clock::now() - start < 1s);  // woken, not slept through
}

TEST_CASE("postgres: sweeping deletes in batches until nothing expired is left", "[store][postgres][sweep]") {
  store_fixture<postgres> f;
  raw_pg db;
  const auto table = "\"" + f.schema() + "\".one_time_ids";
  // 2500 expired ids and one live one, written directly: more than two batches.
  db.exec("INSERT INTO " + table +
          " (key, expires_at) SELECT convert_to('k' || i, 'UTF8'), 0 FROM generate_series(1, 2500) i");
  checked_store<postgres> s(f.store());
  CHECK(s.use_once("live", t0 + 5min, t0));
  f.housekeep(t0);
  CHECK(db.value("SELECT count(*) FROM " + table) == "1");
}
