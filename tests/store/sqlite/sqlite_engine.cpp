// What only a file-backed store must show: two processes on one file never both win, a
// process killed mid-burst loses nothing it was told was done, the schema is versioned and a
// newer file refused, the file is private, and the data outlives the store object.
#include "conformance.hpp"
#include "sqlite/sqlite_fixture.hpp"

#include <sqlite3.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace tessera::store;
using namespace tessera::store::test;

namespace {

constexpr auto lifespan = std::chrono::hours(24 * 30);

std::string numbered(std::string_view what, int a, int b = 0) {
  return std::string(what) + "-" + std::to_string(a) + "-" + std::to_string(b);
}

// Writes all of `s` to `fd` (a pipe; a report line per committed change).
void write_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    auto n = ::write(fd, s.data() + at, s.size() - at);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

int exit_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

TEST_CASE("sqlite: two processes on one file — each code consumed once, each refresh token rotated once",
          "[store][sqlite][process]") {
  temp_dir dir;
  const auto file = dir.path() / "tessera.db";
  constexpr int n = 200;
  {
    sqlite s(test_sqlite_settings(file));
    checked_store<sqlite> c(s);
    for (int i = 0; i < n; ++i) {
      c.put_code(key(numbered("code", i)), code(t0 + std::chrono::minutes(10), numbered("family", i)));
      c.put_refresh(key(numbered("refresh", i)), refresh(t0 + lifespan, numbered("rfamily", i)));
    }
  }
  int go[2];
  int report[2];
  REQUIRE(::pipe(go) == 0);
  REQUIRE(::pipe(report) == 0);

  // Both processes try every code and every refresh token: the child from the end, the parent
  // from the start, so they meet in the middle and collide there; each counts its wins.
  auto contend = [&](bool forward) {
    sqlite s(test_sqlite_settings(file));
    int wins = 0;
    for (int k = 0; k < n; ++k) {
      const int i = forward ? k : n - 1 - k;
      std::error_code ec;
      if (s.consume_code(key(numbered("code", i)), t0 + std::chrono::seconds(1), ec).status == consume_status::ok) ++wins;
      if (ec) return -1;
      if (s.rotate_refresh(key(numbered("refresh", i)), key(numbered("child", i, forward)), t0 + lifespan,
                           t0 + std::chrono::seconds(1), {}, ec)
              .status == rotate_status::ok)
        ++wins;
      if (ec) return -1;
    }
    return wins;
  };

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    ::close(report[0]);
    char c;
    if (::read(go[0], &c, 1) != 1) ::_exit(2);
    const int wins = contend(false);
    write_all(report[1], std::to_string(wins));
    ::_exit(wins < 0 ? 1 : 0);
  }
  ::close(go[0]);
  ::close(report[1]);
  write_all(go[1], "x");
  const int parent_wins = contend(true);
  const std::string child_wins = read_all(report[0]);
  ::close(go[1]);
  ::close(report[0]);
  REQUIRE(exit_status(child) == 0);
  REQUIRE(parent_wins >= 0);
  INFO("parent won " << parent_wins << ", child won " << child_wins);
  CHECK(parent_wins + std::stoi(child_wins) == 2 * n);  // one winner for each of the 2n items
}

TEST_CASE("sqlite: kill -9 during a burst of rotations loses nothing a client was told", "[store][sqlite][process]") {
  temp_dir dir;
  const auto file = dir.path() / "tessera.db";
  auto durable = test_sqlite_settings(file);
  durable.synchronous = sqlite_settings::sync::full;
  constexpr int families = 8;
  {
    sqlite s(durable);
    checked_store<sqlite> c(s);
    for (int f = 0; f < families; ++f) c.put_refresh(key(numbered("token", f, 0)), refresh(t0 + lifespan, numbered("family", f)));
  }
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A client per family, rotating its refresh token as fast as it can and writing down every
    // token the store said it now holds: "family generation\n".
    ::close(report[0]);
    sqlite s(durable);
    for (int gen = 1;; ++gen)
      for (int f = 0; f < families; ++f) {
        std::error_code ec;
        auto r = s.rotate_refresh(key(numbered("token", f, gen - 1)), key(numbered("token", f, gen)), t0 + lifespan,
                                  t0 + std::chrono::seconds(gen), {}, ec);
        if (ec || r.status != rotate_status::ok) ::_exit(1);
        write_all(report[1], std::to_string(f) + " " + std::to_string(gen) + "\n");
      }
  }
  ::close(report[1]);
  // Let it run for a while, then kill it without warning.
  std::string seen;
  char buf[4096];
  while (std::count(seen.begin(), seen.end(), '\n') < 400) {
    auto n = ::read(report[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(child, SIGKILL);
  seen += read_all(report[0]);
  ::close(report[0]);
  CHECK(exit_status(child) == 128 + SIGKILL);

  std::map<int, int> last;  // family → the last generation the client was given
  std::istringstream lines(seen);
  int f = 0, gen = 0;
  while (lines >> f >> gen) last[f] = std::max(last[f], gen);
  REQUIRE(last.size() == families);

  sqlite s(durable);
  checked_store<sqlite> c(s);
  const auto later = t0 + std::chrono::hours(1);
  for (auto [family, g] : last) {
    INFO("family " << family << ", last generation told " << g);
    // The token the client holds works — unless the process committed one more rotation and
    // died before telling anyone, in which case that one is the live token.
    const bool held_live = c.find_refresh(key(numbered("token", family, g)), later).has_value();
    const bool next_live = c.find_refresh(key(numbered("token", family, g + 1)), later).has_value();
    CHECK(held_live != next_live);
    // Every token it held before is rotated: presenting one is reuse.
    CHECK(c.rotate_refresh(key(numbered("token", family, g - 1)), key(numbered("attacker", family)), t0 + lifespan, later)
              .status == rotate_status::reused);
  }
}

TEST_CASE("sqlite: what was written outlives the store object", "[store][sqlite]") {
  temp_dir dir;
  const auto file = dir.path() / "tessera.db";
  {
    sqlite s(test_sqlite_settings(file));
    checked_store<sqlite> c(s);
    c.put_code(key("code"), code(t0 + std::chrono::minutes(10)));
    c.put_code(key("used"), code(t0 + std::chrono::minutes(10)));
    REQUIRE(c.consume_code(key("used"), t0).status == consume_status::ok);
    c.put_refresh(key("parent"), refresh(t0 + lifespan));
    REQUIRE(c.rotate_refresh(key("parent"), key("child"), t0 + lifespan, t0).status == rotate_status::ok);
    c.revoke_access("jti", t0 + std::chrono::hours(1));
  }
  sqlite s(test_sqlite_settings(file));
  checked_store<sqlite> c(s);
  CHECK(c.consume_code(key("code"), t0 + std::chrono::seconds(1)).status == consume_status::ok);
  CHECK(c.consume_code(key("used"), t0 + std::chrono::seconds(1)).status == consume_status::replayed);
  CHECK(c.find_refresh(key("child"), t0 + std::chrono::seconds(1)));
  CHECK(c.access_revoked("jti"));
  CHECK(c.rotate_refresh(key("parent"), key("again"), t0 + lifespan, t0 + std::chrono::seconds(1)).status ==
        rotate_status::reused);
}

TEST_CASE("sqlite: a database written by a newer program is refused and left alone", "[store][sqlite]") {
  temp_dir dir;
  const auto file = dir.path() / "tessera.db";
  { sqlite s(test_sqlite_settings(file)); }
  auto user_version = [&](const char* set) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    if (set) REQUIRE(sqlite3_exec(db, set, nullptr, nullptr, nullptr) == SQLITE_OK);
    int v = -1;
    sqlite3_exec(
        db, "PRAGMA user_version",
        [](void* out, int, char** values, char**) {
          *static_cast<int*>(out) = std::atoi(values[0]);
          return 0;
        },
        &v, nullptr);
    sqlite3_close(db);
    return v;
  };
  CHECK(user_version(nullptr) == sqlite::schema_version);
  user_version("PRAGMA user_version = 999");

  std::error_code ec;
  sqlite s(test_sqlite_settings(file), ec);
  CHECK(ec == tessera::error::store_schema_newer);
  CHECK(user_version(nullptr) == 999);
  CHECK_THROWS_AS(sqlite(test_sqlite_settings(file)), std::system_error);
}

TEST_CASE("sqlite: the database file is private to its owner", "[store][sqlite]") {
  temp_dir dir;
  const auto file = dir.path() / "tessera.db";
  sqlite s(test_sqlite_settings(file));
  std::error_code ec;
  s.put_code(key("c"), code(t0 + std::chrono::minutes(1)), ec);  // the WAL exists once something is written
  REQUIRE_FALSE(ec);
  for (const auto& p : {file, std::filesystem::path(file.string() + "-wal")}) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    INFO(p.string());
    CHECK((st.st_mode & 0777) == 0600);
  }
}

TEST_CASE("sqlite: bad settings and unusable paths are clear errors", "[store][sqlite]") {
  temp_dir dir;
  std::error_code ec;
  {
    sqlite s(sqlite_settings{}, ec);
    CHECK(ec == tessera::error::store_settings_invalid);
  }
  {
    auto st = test_sqlite_settings(dir.path() / "tessera.db");
    st.readers = 0;
    sqlite s(st, ec);
    CHECK(ec == tessera::error::store_settings_invalid);
  }
  {
    sqlite s(test_sqlite_settings(dir.path() / "missing-directory" / "tessera.db"), ec);
    CHECK(ec == tessera::error::store_unavailable);
  }
  {
    // A symbolic link where the database should be is not followed.
    std::filesystem::create_symlink(dir.path() / "elsewhere.db", dir.path() / "link.db");
    sqlite s(test_sqlite_settings(dir.path() / "link.db"), ec);
    CHECK(ec == tessera::error::store_unavailable);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "elsewhere.db"));
  }
  {
    // Not a database at all.
    const auto junk = dir.path() / "junk.db";
    std::FILE* f = std::fopen(junk.c_str(), "w");
    std::fputs("this is not an SQLite database, but it is long enough to look like a header", f);
    std::fclose(f);
    sqlite s(test_sqlite_settings(junk), ec);
    CHECK(ec);
  }
}

TEST_CASE("sqlite: a store that failed to open answers store_unavailable, never crashes or hangs", "[store][sqlite]") {
  temp_dir dir;
  std::error_code ec;
  sqlite s(test_sqlite_settings(dir.path() / "missing-directory" / "tessera.db"), ec);
  REQUIRE(ec == tessera::error::store_unavailable);
  s.put_code(key("c"), code(t0 + std::chrono::minutes(1)), ec);
  CHECK(ec == tessera::error::store_unavailable);
  CHECK(s.consume_code(key("c"), t0, ec).status == consume_status::unknown);
  CHECK(ec == tessera::error::store_unavailable);
  CHECK_FALSE(s.family_revoked("f", ec));  // a read: answered, not waited for
  CHECK(ec == tessera::error::store_unavailable);
  CHECK_FALSE(s.find_session(key("s"), t0, ec));
  CHECK(ec == tessera::error::store_unavailable);
}

TEST_CASE("sqlite: a sweep deletes a backlog larger than one batch and keeps what lives", "[store][sqlite]") {
  temp_dir dir;
  const auto path = dir.path() / "tessera.db";
  auto st = test_sqlite_settings(path);
  st.sweep_interval = std::chrono::seconds(0);
  sqlite s(st);
  checked_store<sqlite> c(s);
  const int expired = static_cast<int>(sqlite::sweep_batch) * 2 + 7;  // three batches
  for (int i = 0; i < expired; ++i) REQUIRE(c.use_once("old-" + std::to_string(i), t0 + std::chrono::minutes(1), t0));
  for (int i = 0; i < 10; ++i) REQUIRE(c.use_once("new-" + std::to_string(i), t0 + std::chrono::hours(1), t0));
  auto rows = [&] {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM jtis", -1, &q, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    const auto n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
  };
  CHECK(rows() == expired + 10);
  std::error_code ec;
  s.sweep(t0 + std::chrono::minutes(2), ec);
  REQUIRE_FALSE(ec);
  CHECK(rows() == 10);
  CHECK_FALSE(c.use_once("new-3", t0 + std::chrono::hours(1), t0 + std::chrono::minutes(2)));  // still remembered
  CHECK(c.use_once("old-3", t0 + std::chrono::hours(1), t0 + std::chrono::minutes(2)));        // forgotten: expired
}

TEST_CASE("sqlite: the background sweep forgets what expired, at the store's latest time", "[store][sqlite]") {
  temp_dir dir;
  auto st = test_sqlite_settings(dir.path() / "tessera.db");
  st.sweep_interval = std::chrono::seconds(1);
  sqlite s(st);
  checked_store<sqlite> c(s);
  c.revoke_access("short", t0 + std::chrono::minutes(1));
  c.revoke_access("long", t0 + std::chrono::hours(1));
  c.use_once("marker", t0 + std::chrono::minutes(5), t0 + std::chrono::minutes(2));  // the store has now seen t0 + 2 min
  for (int i = 0; i < 50 && c.access_revoked("short"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(c.access_revoked("short"));
  CHECK(c.access_revoked("long"));
}
