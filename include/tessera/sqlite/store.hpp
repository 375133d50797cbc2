// tessera — sqlite/store.hpp
//
// `store::sqlite`: every store concept in one SQLite file (component tessera::sqlite, Debian's
// libsqlite3-dev) — the embedded default of tessera-server: state survives restarts and
// crashes on one host. Replicas on several hosts share PostgreSQL or Redis instead.
//
//     store::sqlite db({.path = data_dir / "tessera.db"});     // throws std::system_error
//
// How it keeps its promises:
//   * Durability. WAL journal; a change is committed before the operation returns, and with
//     `synchronous = full` (the default) the WAL is fsynced at every commit, so neither
//     `kill -9` nor a power cut loses what a client was told. `normal` survives `kill -9`
//     but may lose the last commits on power loss.
//   * Atomicity. Every operation that reads and changes runs in one `BEGIN IMMEDIATE`
//     transaction (the database's write lock from the first statement), so two threads, or two
//     processes on the same file, never both consume one code or rotate one refresh token.
//     Within a process one connection writes, behind a mutex: writers queue without SQLite's
//     sleeping busy handler. Reads use a small pool of read connections, which WAL keeps from
//     waiting for the writer.
//   * Schema. Versioned with `PRAGMA user_version`; migrations run at open in one transaction;
//     a file from a newer program is refused (`error::store_schema_newer`), never changed.
//   * Housekeeping. Expired rows are deleted every `sweep_interval` by a background thread, at
//     the latest `now` any operation was given (the store follows the server's clock policy,
//     as the memory store does), and by `sweep(now)`, in write transactions of at most
//     `sweep_batch` rows each: a backlog never holds the write lock for long.
//   * Privacy. The file is created 0600 (SQLite gives its -wal and -shm files the same mode);
//     it holds hashes of every secret value (records.hpp), never the values.
//
// Busy beyond `busy_timeout` (another process holds the write lock) is `store_unavailable`;
// any other SQLite failure is `store_failure`. Values are bound, never spliced into SQL.
#ifndef TESSERA_SQLITE_STORE_HPP
#define TESSERA_SQLITE_STORE_HPP

#include <tessera/error.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/detail/codec.hpp>

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace tessera::store {

struct sqlite_settings {
  /// The database file; created (0600) when missing, with its directory left as it is.
  std::filesystem::path path;
  /// How long to wait for another process's write lock before `store_unavailable`.
  std::chrono::milliseconds busy_timeout{5000};
  /// Read connections (reads never wait for the writer in WAL mode).
  std::size_t readers = 4;
  /// fsync at every commit (`full`) or only at checkpoints (`normal`; see above).
  enum class sync { full, normal } synchronous = sync::full;
  /// How often the background sweep deletes expired rows; zero: never (call `sweep`).
  std::chrono::seconds sweep_interval{60};
};

namespace detail {

/// One prepared statement: bind by position from 1, step, read columns from 0.
class sqlite_statement {
 public:
  sqlite_statement() = default;
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;
  ~sqlite_statement() { sqlite3_finalize(s_); }

  bool prepare(sqlite3* db, std::string_view sql) {
    return sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s_, nullptr) ==
           SQLITE_OK;
  }
  sqlite_statement& bind(int i, std::string_view v) {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
  }
  sqlite_statement& blob(int i, std::string_view v) {
    sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT);
    return *this;
  }
  sqlite_statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  sqlite_statement& bind(int i, time_point t) { return bind(i, to_stored(t)); }

  /// SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() noexcept { return sqlite3_step(s_); }
  void reset() noexcept {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::int64_t i64(int c) const noexcept { return sqlite3_column_int64(s_, c); }
  time_point time(int c) const noexcept { return from_stored(i64(c)); }
  bool null(int c) const noexcept { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string_view text(int c) const noexcept {
    auto* p = sqlite3_column_blob(s_, c);
    auto n = sqlite3_column_bytes(s_, c);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string_view{};
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

inline std::error_code sqlite_error(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN: return error::store_unavailable;
    default: return error::store_failure;
  }
}

// What each connection prepares, by index.
enum sqlite_sql : std::size_t {
  q_put_code,
  q_get_code,
  q_use_code,
  q_upsert_family,
  q_family_revoked,
  q_put_access,
  q_revoke_access,
  q_get_access,
  q_family_until,
  q_put_refresh,
  q_get_refresh,
  q_rotate_mark,
  q_grace_use,
  q_find_refresh,
  q_get_device_by_user_code,
  q_delete_device,
  q_count_devices,
  q_count_devices_client,
  q_count_devices_requester,
  q_put_device,
  q_find_device,
  q_decide_device,
  q_get_device,
  q_device_slow_down,
  q_device_polled,
  q_get_jti,
  q_put_jti,
  q_put_session,
  q_find_session,
  q_delete_session,
  q_put_consent,
  q_find_consent,
  q_delete_consents,
  q_extend_family,
  q_begin,
  q_commit,
  q_rollback,
  q_count
};

inline constexpr std::array<std::string_view, q_count> sqlite_statements{
    "INSERT OR REPLACE INTO codes(hash, record, expires_at, used) VALUES(?1, ?2, ?3, 0)",
    "SELECT record, expires_at, used FROM codes WHERE hash = ?1",
    "UPDATE codes SET used = 1 WHERE hash = ?1",
    "INSERT INTO families(id, until) VALUES(?1, ?2) ON CONFLICT(id) DO UPDATE SET until = max(until, excluded.until)",
    "SELECT 1 FROM families WHERE id = ?1",
    "INSERT INTO access(jti, family, expires_at, user_claims, revoked) VALUES(?1, ?2, ?3, ?4, 0) "
    "ON CONFLICT(jti) DO UPDATE SET family = excluded.family, user_claims = excluded.user_claims, "
    "expires_at = CASE WHEN revoked <> 0 THEN max(expires_at, excluded.expires_at) ELSE excluded.expires_at END",
    "INSERT INTO access(jti, family, expires_at, user_claims, revoked) VALUES(?1, '', ?2, '', 1) "
    "ON CONFLICT(jti) DO UPDATE SET revoked = 1, expires_at = max(expires_at, excluded.expires_at)",
    "SELECT family, expires_at, user_claims, revoked FROM access WHERE jti = ?1",
    "SELECT max(m) FROM (SELECT max(expires_at) AS m FROM refresh WHERE family = ?1 "
    "UNION ALL SELECT max(expires_at) FROM access WHERE family = ?1)",
    "INSERT OR REPLACE INTO refresh(hash, family, grant_record, expires_at, rotated_at, grace_uses) "
    "VALUES(?1, ?2, ?3, ?4, NULL, 0)",
    "SELECT grant_record, expires_at, rotated_at, grace_uses, family FROM refresh WHERE hash = ?1",
    "UPDATE refresh SET rotated_at = ?2 WHERE hash = ?1",
    "UPDATE refresh SET grace_uses = grace_uses + 1 WHERE hash = ?1",
    "SELECT grant_record, expires_at FROM refresh WHERE hash = ?1 AND rotated_at IS NULL AND expires_at > ?2 "
    "AND NOT EXISTS (SELECT 1 FROM families WHERE id = refresh.family AND refresh.family <> '')",
    "SELECT hash, expires_at FROM devices WHERE user_code_hash = ?1",
    "DELETE FROM devices WHERE hash = ?1",
    "SELECT count(*) FROM devices WHERE expires_at > ?1",
    "SELECT count(*) FROM devices WHERE client_id = ?1 AND expires_at > ?2",
    "SELECT count(*) FROM devices WHERE requester = ?1 AND expires_at > ?2",
    "INSERT OR REPLACE INTO devices(hash, client_id, scope, audience, user_code_hash, requester, expires_at, "
    "interval_ns, last_poll, state, grant_record) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "SELECT hash, client_id, scope, audience, user_code_hash, requester, expires_at, interval_ns, last_poll, state, "
    "grant_record FROM devices WHERE user_code_hash = ?1 AND state = 0 AND expires_at > ?2",
    "UPDATE devices SET state = ?2, grant_record = ?3 WHERE user_code_hash = ?1 AND state = 0 AND expires_at > ?4",
    "SELECT hash, client_id, scope, audience, user_code_hash, requester, expires_at, interval_ns, last_poll, state, "
    "grant_record FROM devices WHERE hash = ?1",
    "UPDATE devices SET interval_ns = interval_ns + ?2, last_poll = ?3 WHERE hash = ?1",
    "UPDATE devices SET last_poll = ?2 WHERE hash = ?1",
    "SELECT expires_at FROM jtis WHERE key = ?1",
    "INSERT OR REPLACE INTO jtis(key, expires_at) VALUES(?1, ?2)",
    "INSERT OR REPLACE INTO sessions(hash, record, expires_at) VALUES(?1, ?2, ?3)",
    "SELECT record FROM sessions WHERE hash = ?1 AND expires_at > ?2",
    "DELETE FROM sessions WHERE hash = ?1",
    "INSERT OR REPLACE INTO consents(subject, client_id, scope, granted_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5)",
    "SELECT scope, granted_at, expires_at FROM consents WHERE subject = ?1 AND client_id = ?2 AND expires_at > ?3",
    "DELETE FROM consents WHERE subject = ?1",
    "UPDATE families SET until = max(until, ?2) WHERE id = ?1",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
};

/// The migrations, in order: index i takes the schema from version i to i + 1.
inline constexpr std::array<std::string_view, 1> sqlite_migrations{
    R"sql(
CREATE TABLE codes(hash TEXT PRIMARY KEY, record BLOB NOT NULL, expires_at INTEGER NOT NULL,
                   used INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX codes_expiry ON codes(expires_at);
CREATE TABLE families(id TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX families_expiry ON families(until);
CREATE TABLE access(jti TEXT PRIMARY KEY, family TEXT NOT NULL, expires_at INTEGER NOT NULL,
                    user_claims TEXT NOT NULL, revoked INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX access_family ON access(family);
CREATE INDEX access_expiry ON access(expires_at);
CREATE TABLE refresh(hash TEXT PRIMARY KEY, family TEXT NOT NULL, grant_record BLOB NOT NULL,
                     expires_at INTEGER NOT NULL, rotated_at INTEGER, grace_uses INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX refresh_family ON refresh(family);
CREATE INDEX refresh_expiry ON refresh(expires_at);
CREATE TABLE devices(hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL, audience TEXT NOT NULL,
                     user_code_hash TEXT NOT NULL UNIQUE, requester TEXT NOT NULL, expires_at INTEGER NOT NULL,
                     interval_ns INTEGER NOT NULL, last_poll INTEGER NOT NULL, state INTEGER NOT NULL,
                     grant_record BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX devices_client ON devices(client_id, expires_at);
CREATE INDEX devices_requester ON devices(requester, expires_at);
CREATE INDEX devices_expiry ON devices(expires_at);
CREATE TABLE jtis(key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX jtis_expiry ON jtis(expires_at);
CREATE TABLE sessions(hash TEXT PRIMARY KEY, record BLOB NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE TABLE consents(subject TEXT NOT NULL, client_id TEXT NOT NULL, scope TEXT NOT NULL, granted_at INTEGER NOT NULL,
                      expires_at INTEGER NOT NULL, PRIMARY KEY(subject, client_id)) WITHOUT ROWID;
CREATE INDEX consents_expiry ON consents(expires_at);
)sql",
};

/// A connection and its prepared statements; used by one thread at a time.
class sqlite_connection {
 public:
  sqlite_connection() = default;
  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;
  ~sqlite_connection() {
    for (auto& s : stmts_) s.reset();
    sqlite3_close_v2(db_);
  }

  void open(const sqlite_settings& st, bool writer, std::error_code& ec) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    if (int rc = sqlite3_open_v2(st.path.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) return void(ec = sqlite_error(rc));
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(std::min<std::int64_t>(st.busy_timeout.count(), 1'000'000'000)));
    std::string pragmas = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF; PRAGMA synchronous = ";
    pragmas += st.synchronous == sqlite_settings::sync::full ? "FULL;" : "NORMAL;";
    if (!writer) pragmas += " PRAGMA query_only = ON;";
    exec(pragmas, ec);
  }

  /// Prepares every statement (after the migrations: they name the tables).
  void prepare(std::error_code& ec) {
    for (std::size_t i = 0; i < q_count; ++i) {
      stmts_[i] = std::make_unique<sqlite_statement>();
      if (!stmts_[i]->prepare(db_, sqlite_statements[i])) return void(ec = sqlite_error(sqlite3_errcode(db_)));
    }
  }

  void exec(const std::string& sql, std::error_code& ec) {
    if (int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) ec = sqlite_error(rc);
  }
  /// Rows changed by the last statement.
  std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }

  /// Statement `q`, reset and unbound: bind, step, read. `release` resets it again.
  sqlite_statement& operator[](sqlite_sql q) {
    auto& s = *stmts_[q];
    s.reset();
    if (std::find(used_.begin(), used_.end(), q) == used_.end()) used_.push_back(q);
    return s;
  }

  /// Resets every statement used since the last release. A statement left on a row keeps its
  /// connection's read snapshot open: later reads on it would see old data, and the WAL could
  /// not be checkpointed past it.
  void release() noexcept {
    for (auto q : used_) stmts_[q]->reset();
    used_.clear();
  }

  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::array<std::unique_ptr<sqlite_statement>, q_count> stmts_;
  std::vector<sqlite_sql> used_;
};

}  // namespace detail

class sqlite {
 public:
  /// Opens (creating and migrating when needed) the database at `st.path`. `ec`:
  /// `store_settings_invalid` (no path, no readers), `store_schema_newer`, `store_unavailable`
  /// (the file cannot be opened or stays locked), `store_failure`. After a failure the object
  /// answers every operation with `store_unavailable`: make a new one to try again.
  sqlite(sqlite_settings st, std::error_code& ec) : settings_(std::move(st)) { open(ec); }

  /// As above; throws std::system_error.
  explicit sqlite(sqlite_settings st) : settings_(std::move(st)) {
    std::error_code ec;
    open(ec);
    if (ec) throw std::system_error(ec, "tessera::store::sqlite: " + settings_.path.string());
  }

  sqlite(const sqlite&) = delete;
  sqlite& operator=(const sqlite&) = delete;

  ~sqlite() {
    {
      std::lock_guard lock(sweeper_mu_);
      stopping_ = true;
    }
    sweeper_cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
  }

  /// The schema version this program writes.
  static constexpr int schema_version = static_cast<int>(detail::sqlite_migrations.size());

  // --- codes ---------------------------------------------------------------------------
  void put_code(std::string_view h, const code_record& r, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) {
      done(c[detail::q_put_code].bind(1, h).blob(2, detail::encode(r)).bind(3, r.expires_at), e);
    });
  }

  consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) {
    saw(now);
    consume_result out;
    write(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_get_code].bind(1, h);
      if (!row(q, e)) return;
      if (!detail::decode(q.text(0), out.record)) return void(e = error::store_failure);
      const bool used = q.i64(2) != 0;
      if (now >= out.record.expires_at) return void(out.status = consume_status::expired);
      if (used) return void(out.status = consume_status::replayed);
      done(c[detail::q_use_code].bind(1, h), e);
      if (!e) out.status = consume_status::ok;
    });
    if (ec || out.status == consume_status::unknown) out = {};
    return out;
  }

  // --- families and access tokens -------------------------------------------------------
  void revoke_family(std::string_view id, time_point until, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) { done(c[detail::q_upsert_family].bind(1, id).bind(2, until), e); });
  }
  bool family_revoked(std::string_view id, std::error_code& ec) {
    bool out = false;
    read(ec, [&](auto& c, std::error_code& e) { out = family_revoked_in(c, id, e); });
    return out;
  }
  void put_access(std::string_view jti, const access_record& a, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) {
      if (done(c[detail::q_put_access].bind(1, jti).bind(2, a.family_id).bind(3, a.expires_at).bind(4, a.user_claims), e))
        outlive_revocation(c, a.family_id, a.expires_at, e);
    });
  }
  void revoke_access(std::string_view jti, time_point until, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) { done(c[detail::q_revoke_access].bind(1, jti).bind(2, until), e); });
  }
  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) {
    bool out = false;
    read(ec, [&](auto& c, std::error_code& e) {
      if (family_revoked_in(c, family_id, e) || e) return void(out = !e);
      auto& q = c[detail::q_get_access].bind(1, jti);
      if (!row(q, e)) return;
      if (q.i64(3) != 0) return void(out = true);
      const std::string family(q.text(0));
      out = family_revoked_in(c, family, e);
    });
    return !ec && out;
  }
  std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) {
    std::optional<access_record> out;
    read(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_get_access].bind(1, jti);
      if (!row(q, e) || q.i64(3) != 0) return;
      access_record a{std::string(q.text(0)), q.time(1), std::string(q.text(2))};
      if (!family_revoked_in(c, a.family_id, e) && !e) out = std::move(a);
    });
    if (ec) out.reset();
    return out;
  }

  // --- refresh tokens -------------------------------------------------------------------
  void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) {
      if (done(c[detail::q_put_refresh].bind(1, h).bind(2, r.grant.family_id).blob(3, detail::encode(r.grant)).bind(4, r.expires_at),
               e))
        outlive_revocation(c, r.grant.family_id, r.expires_at, e);
    });
  }

  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at, time_point now,
                               grace_policy grace, std::error_code& ec) {
    saw(now);
    rotate_result out;
    write(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_get_refresh].bind(1, old_h);
      if (!row(q, e)) return;
      refresh_record rec;
      if (!detail::decode(q.text(0), rec.grant)) return void(e = error::store_failure);
      rec.expires_at = q.time(1);
      const bool rotated = !q.null(2);
      const time_point rotated_at = q.time(2);
      const auto grace_uses = static_cast<unsigned>(std::max<std::int64_t>(0, q.i64(3)));
      out.record = rec;
      if (family_revoked_in(c, rec.grant.family_id, e) || e) return void(out.status = rotate_status::revoked);
      if (now >= rec.expires_at) return void(out.status = rotate_status::expired);
      if (rotated) {
        const bool in_grace = grace.window.count() > 0 && now - rotated_at <= grace.window && grace_uses < grace.max_uses;
        if (!in_grace) {
          revoke_family_in(c, rec.grant.family_id, e);
          if (!e) out.status = rotate_status::reused;
          return;
        }
        if (!done(c[detail::q_grace_use].bind(1, old_h), e)) return;
      } else if (!done(c[detail::q_rotate_mark].bind(1, old_h).bind(2, now), e)) {
        return;
      }
      if (!done(c[detail::q_put_refresh]
                    .bind(1, new_h)
                    .bind(2, rec.grant.family_id)
                    .blob(3, detail::encode(rec.grant))
                    .bind(4, new_expires_at),
                e))
        return;
      out.status = rotate_status::ok;
    });
    if (ec) out = {};
    return out;
  }

  std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) {
    saw(now);
    std::optional<refresh_record> out;
    read(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_find_refresh].bind(1, h).bind(2, now);
      if (!row(q, e)) return;
      refresh_record r;
      if (!detail::decode(q.text(0), r.grant)) return void(e = error::store_failure);
      r.expires_at = q.time(1);
      out = std::move(r);
    });
    if (ec) out.reset();
    return out;
  }

  bool revoke_refresh(std::string_view h, std::error_code& ec) {
    bool out = false;
    write(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_get_refresh].bind(1, h);
      if (!row(q, e)) return;
      const std::string family(q.text(4));
      revoke_family_in(c, family, e);
      out = !e;
    });
    return !ec && out;
  }

  // --- device codes ---------------------------------------------------------------------
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps, time_point now,
                               std::error_code& ec) {
    saw(now);
    auto status = put_device_status::ok;
    write(ec, [&](auto& c, std::error_code& e) {
      {
        auto& q = c[detail::q_get_device_by_user_code].bind(1, r.user_code_hash);
        if (row(q, e)) {
          if (now < q.time(1)) return void(status = put_device_status::user_code_taken);
          const std::string other(q.text(0));
          if (!done(c[detail::q_delete_device].bind(1, other), e)) return;
        }
        if (e) return;
      }
      auto count = [&](detail::sqlite_statement& q) -> std::size_t {
        if (!row(q, e)) return 0;
        return static_cast<std::size_t>(q.i64(0));
      };
      if (caps.total && count(c[detail::q_count_devices].bind(1, now)) >= caps.total)
        return void(status = put_device_status::store_full);
      if (e) return;
      if (caps.per_client && count(c[detail::q_count_devices_client].bind(1, r.client_id).bind(2, now)) >= caps.per_client)
        return void(status = put_device_status::client_full);
      if (e) return;
      if (caps.per_address && !r.requester.empty() &&
          count(c[detail::q_count_devices_requester].bind(1, r.requester).bind(2, now)) >= caps.per_address)
        return void(status = put_device_status::address_full);
      if (e) return;
      auto& q = c[detail::q_put_device];
      bind_device(q, h, r);
      done(q, e);
    });
    return ec ? put_device_status::ok : status;
  }

  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now, std::error_code& ec) {
    saw(now);
    std::optional<device_record> out;
    read(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_find_device].bind(1, uh).bind(2, now);
      if (!row(q, e)) return;
      device_record d;
      if (!read_device(q, d)) return void(e = error::store_failure);
      out = std::move(d);
    });
    if (ec) out.reset();
    return out;
  }

  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now, std::error_code& ec) {
    saw(now);
    bool out = false;
    write(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_decide_device]
                    .bind(1, uh)
                    .bind(2, static_cast<std::int64_t>(approved ? device_state::approved : device_state::denied))
                    .blob(3, detail::encode(approved ? g : grant_record{}))
                    .bind(4, now);
      if (done(q, e)) out = sqlite3_changes(c.handle()) == 1;
    });
    return !ec && out;
  }

  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now, std::error_code& ec) {
    saw(now);
    poll_result out;
    write(ec, [&](auto& c, std::error_code& e) {
      device_record d;
      {
        auto& q = c[detail::q_get_device].bind(1, h);
        if (!row(q, e)) return;
        if (!read_device(q, d)) return void(e = error::store_failure);
      }
      if (d.client_id != client_id) return;  // another client's code: as if it did not exist
      auto finish = [&](poll_status s) {
        if (done(c[detail::q_delete_device].bind(1, h), e)) out = {s, std::move(d)};
      };
      if (now >= d.expires_at) return finish(poll_status::expired);
      if (d.last_poll != time_point{} && now - d.last_poll < d.interval) {  // RFC 8628 §3.5
        if (done(c[detail::q_device_slow_down]
                     .bind(1, h)
                     .bind(2, static_cast<std::int64_t>(std::chrono::nanoseconds(seconds(5)).count()))
                     .bind(3, now),
                 e))
          out.status = poll_status::slow_down;
        return;
      }
      switch (d.state) {
        case device_state::pending:
          if (done(c[detail::q_device_polled].bind(1, h).bind(2, now), e)) out.status = poll_status::pending;
          return;
        case device_state::denied: return finish(poll_status::denied);
        case device_state::approved: return finish(poll_status::approved);
      }
    });
    if (ec) out = {};
    return out;
  }

  // --- one-time ids ---------------------------------------------------------------------
  bool use_once(std::string_view key, time_point expires_at, time_point now, std::error_code& ec) {
    saw(now);
    bool out = false;
    write(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_get_jti].bind(1, key);
      if (row(q, e) && now < q.time(0)) return;
      if (e) return;
      out = done(c[detail::q_put_jti].bind(1, key).bind(2, expires_at), e);
    });
    return !ec && out;
  }

  // --- sessions -------------------------------------------------------------------------
  void put_session(std::string_view h, const session_record& r, std::error_code& ec) {
    if (r.upstream.size() > session_record::max_upstream_size) return void(ec = error::store_failure);
    write(ec, [&](auto& c, std::error_code& e) {
      done(c[detail::q_put_session].bind(1, h).blob(2, detail::encode(r)).bind(3, r.expires_at), e);
    });
  }
  std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) {
    saw(now);
    std::optional<session_record> out;
    read(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_find_session].bind(1, h).bind(2, now);
      if (!row(q, e)) return;
      session_record s;
      if (!detail::decode(q.text(0), s)) return void(e = error::store_failure);
      out = std::move(s);
    });
    if (ec) out.reset();
    return out;
  }
  void delete_session(std::string_view h, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) { done(c[detail::q_delete_session].bind(1, h), e); });
  }

  // --- consents -------------------------------------------------------------------------
  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) {
      done(c[detail::q_put_consent].bind(1, subject).bind(2, client_id).bind(3, r.scope).bind(4, r.granted_at).bind(5, r.expires_at),
           e);
    });
  }
  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now,
                                             std::error_code& ec) {
    saw(now);
    std::optional<consent_record> out;
    read(ec, [&](auto& c, std::error_code& e) {
      auto& q = c[detail::q_find_consent].bind(1, subject).bind(2, client_id).bind(3, now);
      if (row(q, e)) out = consent_record{std::string(q.text(0)), q.time(1), q.time(2)};
    });
    if (ec) out.reset();
    return out;
  }
  void delete_consents(std::string_view subject, std::error_code& ec) {
    write(ec, [&](auto& c, std::error_code& e) { done(c[detail::q_delete_consents].bind(1, subject), e); });
  }

  /// Deletes everything that expired by `now` (also done in the background every
  /// `sweep_interval`). Revocations go only once every token they cover has expired: each
  /// lasts until its own `until`, which covers its family. Rows go in batches of
  /// `sweep_batch`, one write transaction each, through the expiry indexes: a large backlog
  /// (a server that was down for a day) never holds the write lock for long, and requests'
  /// writes take turns with the sweep.
  void sweep(time_point now, std::error_code& ec) {
    ec = {};
    const auto t = std::to_string(detail::to_stored(now));
    const auto n = std::to_string(sweep_batch);
    struct table {
      const char* name;
      const char* key;  // the primary key's columns
      const char* expiry;
    };
    static constexpr table tables[] = {
        {"codes", "hash", "expires_at"},    {"refresh", "hash", "expires_at"}, {"access", "jti", "expires_at"},
        {"families", "id", "until"},        {"devices", "hash", "expires_at"}, {"jtis", "key", "expires_at"},
        {"sessions", "hash", "expires_at"}, {"consents", "subject, client_id", "expires_at"},
    };
    for (const auto& tb : tables) {
      const std::string sql = std::string("DELETE FROM ") + tb.name + " WHERE (" + tb.key + ") IN (SELECT " + tb.key +
                              " FROM " + tb.name + " WHERE " + tb.expiry + " <= " + t + " LIMIT " + n + ")";
      for (;;) {
        std::int64_t deleted = 0;
        write(ec, [&](auto& c, std::error_code& e) {
          c.exec(sql, e);
          deleted = c.changes();
        });
        if (ec) return;
        if (deleted < static_cast<std::int64_t>(sweep_batch)) break;
      }
    }
  }
  /// Rows one sweep transaction deletes at most.
  static constexpr std::size_t sweep_batch = 512;

  const sqlite_settings& settings() const noexcept { return settings_; }

 private:
  using connection = detail::sqlite_connection;

  // Steps a statement that returns nothing: true when it ran.
  static bool done(detail::sqlite_statement& q, std::error_code& e) {
    const int rc = q.step();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
    e = detail::sqlite_error(rc);
    return false;
  }
  // Steps to the first row: true when there is one (`e` on failure).
  static bool row(detail::sqlite_statement& q, std::error_code& e) {
    const int rc = q.step();
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) e = detail::sqlite_error(rc);
    return false;
  }

  // A record written for a family that is revoked already must not outlive the revocation.
  static void outlive_revocation(connection& c, std::string_view family, time_point expires_at, std::error_code& e) {
    if (!family.empty()) done(c[detail::q_extend_family].bind(1, family).bind(2, expires_at), e);
  }

  static bool family_revoked_in(connection& c, std::string_view id, std::error_code& e) {
    if (id.empty()) return false;
    return row(c[detail::q_family_revoked].bind(1, id), e);
  }

  // Revokes a family for as long as any of its tokens lives (as the memory store does): the
  // presented token's children and grace siblings expire later than it.
  static void revoke_family_in(connection& c, std::string_view id, std::error_code& e) {
    if (id.empty()) return;
    time_point until{};
    auto& q = c[detail::q_family_until].bind(1, id);
    if (row(q, e) && !q.null(0)) until = q.time(0);
    if (e) return;
    done(c[detail::q_upsert_family].bind(1, id).bind(2, until), e);
  }

  static void bind_device(detail::sqlite_statement& q, std::string_view h, const device_record& r) {
    q.bind(1, h)
        .bind(2, r.client_id)
        .bind(3, r.scope)
        .bind(4, r.audience)
        .bind(5, r.user_code_hash)
        .bind(6, r.requester)
        .bind(7, r.expires_at)
        .bind(8, static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(r.interval).count()))
        .bind(9, r.last_poll)
        .bind(10, static_cast<std::int64_t>(r.state))
        .blob(11, detail::encode(r.grant));
  }
  static bool read_device(detail::sqlite_statement& q, device_record& d) {
    d.client_id = q.text(1);
    d.scope = q.text(2);
    d.audience = q.text(3);
    d.user_code_hash = q.text(4);
    d.requester = q.text(5);
    d.expires_at = q.time(6);
    d.interval = std::chrono::duration_cast<seconds>(std::chrono::nanoseconds(q.i64(7)));
    d.last_poll = q.time(8);
    const auto state = q.i64(9);
    if (state < 0 || state > 2) return false;
    d.state = static_cast<device_state>(state);
    return detail::decode(q.text(10), d.grant);
  }

  // Runs `f` in one BEGIN IMMEDIATE transaction on the writer connection; commits when `f`
  // leaves no error, else rolls back.
  template <class F>
  void write(std::error_code& ec, F&& f) {
    ec = {};
    if (!ready_) return void(ec = error::store_unavailable);
    std::lock_guard lock(write_mu_);
    connection& c = *writer_;
    if (!done(c[detail::q_begin], ec)) return c.release();
    try {
      f(c, ec);
    } catch (...) {  // out of memory mid-transaction: roll back, never leave the write lock held
      ec = error::store_failure;
    }
    c.release();
    if (!ec && done(c[detail::q_commit], ec)) return c.release();
    std::error_code ignored;
    done(c[detail::q_rollback], ignored);
    c.release();
  }

  // Runs `f` on a read connection (a consistent snapshot per statement).
  template <class F>
  void read(std::error_code& ec, F&& f) {
    ec = {};
    if (!ready_) return void(ec = error::store_unavailable);
    std::unique_ptr<connection> c;
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock, [&] { return !readers_.empty(); });
      c = std::move(readers_.back());
      readers_.pop_back();
    }
    try {
      f(*c, ec);
    } catch (...) {
      ec = error::store_failure;
    }
    c->release();
    {
      std::lock_guard lock(readers_mu_);
      readers_.push_back(std::move(c));
    }
    readers_cv_.notify_one();
  }

  // Never more than a few minutes ahead of this host's clock: one wild `now` must not make
  // the background sweep delete what is still live.
  void saw(time_point now) noexcept {
    const auto t = std::min(detail::to_stored(now), detail::to_stored(std::chrono::system_clock::now() + std::chrono::minutes(5)));
    auto seen = last_now_.load(std::memory_order_relaxed);
    while (t > seen && !last_now_.compare_exchange_weak(seen, t, std::memory_order_relaxed)) {
    }
  }

  void open(std::error_code& ec) {
    ec = {};
    if (settings_.path.empty() || settings_.readers == 0) return void(ec = error::store_settings_invalid);
    // Created 0600 before SQLite sees it (SQLite would create it 0644).
    const int fd = ::open(settings_.path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return void(ec = error::store_unavailable);
    ::close(fd);

    writer_ = std::make_unique<connection>();
    writer_->open(settings_, true, ec);
    if (!ec) migrate(ec);
    if (!ec) writer_->prepare(ec);
    for (std::size_t i = 0; !ec && i < settings_.readers; ++i) {
      auto r = std::make_unique<connection>();
      r->open(settings_, false, ec);
      if (!ec) r->prepare(ec);
      if (!ec) readers_.push_back(std::move(r));
    }
    if (ec) return;
    ready_ = true;
    if (settings_.sweep_interval.count() > 0) sweeper_ = std::thread([this] { sweep_loop(); });
  }

  void migrate(std::error_code& ec) {
    connection& c = *writer_;
    c.exec("BEGIN IMMEDIATE", ec);
    if (ec) return;
    int version = -1;
    sqlite3_exec(
        c.handle(), "PRAGMA user_version",
        [](void* out, int, char** values, char**) {
          *static_cast<int*>(out) = values[0] ? std::atoi(values[0]) : 0;
          return 0;
        },
        &version, nullptr);
    if (version < 0) ec = error::store_failure;
    else if (version > schema_version) ec = error::store_schema_newer;
    for (int v = version; !ec && v < schema_version; ++v) c.exec(std::string(detail::sqlite_migrations[v]), ec);
    if (!ec && version < schema_version) c.exec("PRAGMA user_version = " + std::to_string(schema_version), ec);
    std::error_code end;
    c.exec(ec ? "ROLLBACK" : "COMMIT", end);
    if (!ec && end) ec = end;
  }

  void sweep_loop() {
    std::unique_lock lock(sweeper_mu_);
    while (!sweeper_cv_.wait_for(lock, settings_.sweep_interval, [&] { return stopping_; })) {
      const auto now = last_now_.load(std::memory_order_relaxed);
      if (now == 0) continue;
      lock.unlock();
      std::error_code ec;
      sweep(detail::from_stored(now), ec);  // a failed sweep is retried at the next interval
      lock.lock();
    }
  }

  sqlite_settings settings_;
  bool ready_ = false;  // opened and migrated: else every operation is store_unavailable
  std::mutex write_mu_;
  std::unique_ptr<connection> writer_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<connection>> readers_;
  std::atomic<std::int64_t> last_now_{0};
  std::mutex sweeper_mu_;
  std::condition_variable sweeper_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

static_assert(full_store<sqlite>);

}  // namespace tessera::store

#endif
