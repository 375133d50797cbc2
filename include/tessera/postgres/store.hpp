// tessera — postgres/store.hpp
//
// `store::postgres`: every store concept in one PostgreSQL schema (component tessera::postgres,
// Debian's libpq-dev), shared by any number of replicas of a server.
//
//     store::postgres db({.conninfo = "host=db.internal dbname=auth sslmode=verify-full"});
//
// How it keeps its promises:
//   * Connections. `conninfo` goes to libpq unchanged (keywords or a postgresql:// URI; empty:
//     libpq's defaults, the PG* environment and ~/.pgpass), so TLS (sslmode, sslrootcert, ...)
//     and passwords (PGPASSFILE, a service file) work as every PostgreSQL user knows them. A
//     bounded pool of connections (`pool_size`), each with its statements prepared once, with
//     `statement_timeout` set, reporting itself as application_name `tessera` unless the
//     conninfo names another. A pooled connection is checked before each use and replaced when
//     the server closed it (a restart, a failover), so the store recovers without a restart.
//   * Atomicity. Every operation that reads and changes is one statement (UPDATE ... RETURNING,
//     INSERT ... ON CONFLICT) or one READ COMMITTED transaction that locks the row it decides on
//     (SELECT ... FOR UPDATE); admitting a device authorization under caps takes a transaction-
//     scoped advisory lock. Unique keys enforce what must be unique: code, refresh-token,
//     device-code, user-code and one-time-id keys. Serialization failures and deadlocks are
//     retried (a few times, then `store_unavailable`).
//   * Retries never double an effect. An operation is run again on another connection only
//     when the failed attempt cannot have committed (the statement was never sent, or the
//     connection broke inside a transaction before COMMIT), or when running it twice gives the
//     same answer (lookups, puts, revocations). A connection lost after a single-use operation
//     was sent (consume_code, rotate_refresh, poll_device, use_once, decide_device,
//     put_device) is `store_unavailable`: asked again, the store would see its own first use
//     and answer "replayed" or "reused" and revoke a family. Timeouts are `store_unavailable`.
//   * Schema. Tables live in `schema` (created when missing), versioned by its table
//     `schema_version`; migrations run at construction in one transaction under an advisory
//     lock, so replicas starting together migrate once. A schema from a newer program is
//     refused (`error::store_schema_newer`), never changed. The schema name is checked
//     ([a-z_][a-z0-9_]*, not pg_*) and quoted; every value is a bound parameter.
//   * Values. Strings are `bytea`, compared as bytes, so any byte (NUL, invalid UTF-8) round-
//     trips; times are `bigint` microseconds since the Unix epoch (exact for whole seconds,
//     portable across standard libraries whatever their clock's unit).
//   * Housekeeping. Expired rows are deleted by `sweep(now)` and, every `sweep_interval`, by a
//     background thread at the system clock's now, in small batches that skip rows in use. A
//     family revocation is kept past its `until` while any token of the family is still stored.
//   * Privacy. Nothing is logged; libpq's notices are swallowed. Keys are hashes (records.hpp).
//
// Statements go through the extended protocol with named prepared statements: behind
// PgBouncer, use session pooling (or a PgBouncer that tracks prepared statements).
// An unreachable server, a pool that stays busy past `acquire_timeout` and a server that shuts
// down are `store_unavailable`; any other failed statement is `store_failure`.
#ifndef TESSERA_POSTGRES_STORE_HPP
#define TESSERA_POSTGRES_STORE_HPP

#include <tessera/error.hpp>
#include <tessera/store/concepts.hpp>

#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera::store {

/// How `store::postgres` reaches its database.
struct postgres_settings {
  /// A libpq connection string (`host=... dbname=... sslmode=verify-full`) or URI
  /// (`postgresql://user@host/db?sslmode=verify-full`). Empty: libpq's defaults (PGHOST,
  /// PGDATABASE, ... and ~/.pgpass or PGPASSFILE). Passed to libpq as it is.
  std::string conninfo;
  /// The schema holding tessera's tables, created when missing. Two deployments sharing a
  /// database use two schemas. Lower-case letters, digits and '_', not starting with a digit
  /// or `pg_`, at most 63 characters.
  std::string schema = "tessera";
  /// Connections at most; operations beyond wait (`acquire_timeout`).
  std::size_t pool_size = 8;
  /// Connecting (libpq's connect_timeout, in whole seconds, at least 2). Zero: libpq's
  /// default (no limit, or the conninfo's connect_timeout).
  std::chrono::milliseconds connect_timeout{5000};
  /// The server's statement_timeout for every statement (lock waits included); the client
  /// gives up 2 s later on a server that stopped answering. Zero: no limit.
  std::chrono::milliseconds statement_timeout{5000};
  /// How long an operation waits for a free connection of the pool.
  std::chrono::milliseconds acquire_timeout{5000};
  /// How often a background thread deletes what expired (by the system clock). Zero: never;
  /// call `sweep`.
  std::chrono::seconds sweep_interval{60};
};

namespace detail::pg {

// Type OIDs of the parameters (server catalog values, stable since PostgreSQL 7).
inline constexpr Oid bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23;

/// A time as stored: microseconds since the Unix epoch (floor).
inline std::int64_t to_us(time_point t) noexcept {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}
/// A stored time, saturated to [earliest_time, latest_time] as `from_unix_seconds` does.
inline time_point from_us(std::int64_t us) noexcept {
  constexpr std::int64_t hi = std::chrono::floor<std::chrono::microseconds>(latest_time.time_since_epoch()).count();
  constexpr std::int64_t lo = std::chrono::ceil<std::chrono::microseconds>(earliest_time.time_since_epoch()).count();
  if (us > hi) return latest_time;
  if (us < lo) return earliest_time;
  return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::microseconds(us)));
}
/// A duration in whole seconds as microseconds, saturated (a grace window of years is "always").
inline std::int64_t seconds_to_us(seconds s) noexcept {
  constexpr std::int64_t cap = INT64_MAX / 1'000'000;
  const auto n = s.count();
  if (n >= cap) return INT64_MAX;
  if (n <= -cap) return -INT64_MAX;
  return n * 1'000'000;
}

/// Why an attempt failed, which decides whether the operation may run again.
enum class fault {
  retry,        // cannot have committed (not sent; connection lost inside a transaction before
                // COMMIT; serialization failure or deadlock): safe to run again
  ambiguous,    // the connection broke after a statement that commits was sent: may have committed
  unavailable,  // a timeout, or the server refused for lack of resources
  failed,       // the statement failed (store_failure)
};

/// Thrown inside an operation, caught by `postgres::run`; never escapes the store.
struct failure {
  fault kind = fault::failed;
  std::array<char, 6> sqlstate{};
  bool is(const char* state) const noexcept { return std::strncmp(sqlstate.data(), state, 5) == 0; }
};

inline failure make_failure(fault k, const char* state = nullptr) noexcept {
  failure f;
  f.kind = k;
  if (state) std::strncpy(f.sqlstate.data(), state, 5);
  return f;
}

inline void put_be(char* p, std::uint64_t v, int n) noexcept {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
inline std::uint64_t get_be(const char* p, int n) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

/// Statement parameters, all in binary format: bytea as its bytes, integers big-endian.
class params {
 public:
  params& bytes(std::string_view s) {
    // Far beyond any record (sessions are the largest, ~64 KiB); libpq lengths are ints.
    if (s.size() > static_cast<std::size_t>(INT_MAX / 2)) throw make_failure(fault::failed);
    return push(s.empty() ? "" : s.data(), static_cast<int>(s.size()));  // never null: null is SQL NULL
  }
  params& i64(std::int64_t v) { return integer(static_cast<std::uint64_t>(v), 8); }
  params& i32(std::int32_t v) { return integer(static_cast<std::uint32_t>(v), 4); }
  params& boolean(bool v) { return push(v ? "\1" : "\0", 1); }
  params& time(time_point t) { return i64(to_us(t)); }

  int size() const noexcept { return static_cast<int>(values_.size()); }
  const char* const* values() const noexcept { return values_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  params& integer(std::uint64_t v, int n) {
    auto& b = ints_.emplace_back();  // a deque: earlier buffers stay where they are
    put_be(b.data(), v, n);
    return push(b.data(), n);
  }
  params& push(const char* p, int n) {
    values_.push_back(p);
    lengths_.push_back(n);
    formats_.push_back(1);
    return *this;
  }
  std::deque<std::array<char, 8>> ints_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

/// A statement's rows in binary format. A column of an unexpected size (a schema changed by
/// hand) is a failure, never a misread.
class rows {
 public:
  rows() = default;
  explicit rows(result_ptr r) noexcept : r_(std::move(r)) {}

  int size() const noexcept { return r_ ? PQntuples(r_.get()) : 0; }
  bool empty() const noexcept { return size() == 0; }
  /// Rows a DELETE or UPDATE changed.
  long affected() const noexcept {
    const char* s = r_ ? PQcmdTuples(r_.get()) : "";
    return *s ? std::strtol(s, nullptr, 10) : 0;
  }
  bool null(int row, int col) const noexcept { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string bytes(int row, int col) const {
    check(row, col);
    return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::int64_t i64(int row, int col) const { return static_cast<std::int64_t>(integer(row, col, 8)); }
  std::int32_t i32(int row, int col) const {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(integer(row, col, 4)));
  }
  std::int16_t i16(int row, int col) const {
    return static_cast<std::int16_t>(static_cast<std::uint16_t>(integer(row, col, 2)));
  }
  bool boolean(int row, int col) const { return integer(row, col, 1) != 0; }
  time_point time(int row, int col) const { return from_us(i64(row, col)); }

 private:
  void check(int row, int col) const {
    if (!r_ || row >= PQntuples(r_.get()) || col >= PQnfields(r_.get()) || PQfformat(r_.get(), col) != 1 ||
        PQgetisnull(r_.get(), row, col))
      throw make_failure(fault::failed);
  }
  std::uint64_t integer(int row, int col, int n) const {
    check(row, col);
    if (PQgetlength(r_.get(), row, col) != n) throw make_failure(fault::failed);
    return get_be(PQgetvalue(r_.get(), row, col), n);
  }
  result_ptr r_;
};

/// One pooled connection. Heap-allocated: libpq's notice receiver points at it.
struct connection {
  PGconn* raw = nullptr;
  std::vector<bool> prepared;  // by statement index
  bool doomed = false;         // the server said FATAL, or a failure left it in an unknown state

  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() {
    if (raw) PQfinish(raw);
  }
};

// libpq prints notices to stderr by default; a library keeps quiet. A FATAL arriving while
// the connection is idle (the server shutting down, an administrator's pg_terminate_backend)
// comes this way too: it condemns the connection.
inline void on_notice(void* arg, const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity && (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0))
    static_cast<connection*>(arg)->doomed = true;
}

/// Whether an idle pooled connection can take a statement: libpq says it is up, and whatever
/// the server sent while it sat idle (a FATAL, the end of the stream) is read first.
inline bool usable(connection& c) {
  if (c.doomed || PQstatus(c.raw) != CONNECTION_OK || PQtransactionStatus(c.raw) != PQTRANS_IDLE) return false;
  for (int i = 0; i < 8; ++i) {
    pollfd p{PQsocket(c.raw), POLLIN, 0};
    if (p.fd < 0) return false;
    int n = ::poll(&p, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (p.revents & (POLLERR | POLLNVAL))) return false;
    if (n == 0) return true;
    if (!PQconsumeInput(c.raw) || c.doomed || PQstatus(c.raw) != CONNECTION_OK) return false;
    while (PGnotify* note = PQnotifies(c.raw)) PQfreemem(note);
  }
  return false;  // still talking while idle: not a connection to trust
}

using steady = std::chrono::steady_clock;

/// Waits until libpq has the whole reply of what was sent; the first error wins.
struct reply {
  result_ptr result;
  bool lost = false;       // the connection broke
  bool timed_out = false;  // no reply before the deadline
};

inline reply await(PGconn* c, std::optional<steady::time_point> deadline) {
  reply out;
  for (;;) {
    while (PQisBusy(c)) {
      pollfd p{PQsocket(c), POLLIN, 0};
      if (p.fd < 0) {
        out.lost = true;
        return out;
      }
      int wait_ms = -1;
      if (deadline) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - steady::now()).count();
        if (left <= 0) {
          out.timed_out = true;
          return out;
        }
        wait_ms = static_cast<int>(std::min<long long>(left, INT_MAX));
      }
      int n = ::poll(&p, 1, wait_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out.lost = true;
        return out;
      }
      if (n == 0) continue;  // the deadline is checked above
      if (!PQconsumeInput(c)) {
        out.lost = true;
        return out;
      }
    }
    PGresult* r = PQgetResult(c);
    if (!r) break;
    if (!out.result || PQresultStatus(out.result.get()) != PGRES_FATAL_ERROR)
      out.result.reset(r);
    else
      PQclear(r);
  }
  if (PQstatus(c) == CONNECTION_BAD) out.lost = true;
  return out;
}

/// FNV-1a, for advisory lock keys: the same on every replica and every server version.
inline std::int32_t lock_key(std::string_view s) noexcept {
  std::uint32_t h = 2166136261u;
  for (unsigned char ch : s) h = (h ^ ch) * 16777619u;
  return static_cast<std::int32_t>(h);
}

// --- statements ------------------------------------------------------------------------------
// `@` stands for the quoted schema and a dot. Parameter types: b bytea, i int8, n int4.

enum class stmt : int {
  put_code,
  consume_code,
  revoke_family,
  family_revoked,
  put_access,
  revoke_access,
  access_revoked,
  find_access,
  put_refresh,
  lock_refresh,
  rotate_refresh,
  revoke_family_of,
  revoke_refresh,
  find_refresh,
  lock_devices,
  device_census,
  insert_device,
  find_device,
  approve_device,
  deny_device,
  lock_device,
  slow_device,
  touch_device,
  delete_device,
  use_once,
  put_session,
  find_session,
  delete_session,
  put_consent,
  find_consent,
  delete_consents,
  sweep_codes,
  sweep_refresh,
  sweep_access,
  sweep_families,
  sweep_devices,
  sweep_one_time_ids,
  sweep_sessions,
  sweep_consents,
  count_
};

struct statement {
  const char* sql;
  const char* types;
};

// clang-format off
#define TESSERA_PG_GRANT_COLUMNS "client_id, subject, scope, audience, family_id, user_claims, auth_time"
#define TESSERA_PG_GRANT_UPDATE                                                                          \
  "client_id = EXCLUDED.client_id, subject = EXCLUDED.subject, scope = EXCLUDED.scope, "                 \
  "audience = EXCLUDED.audience, family_id = EXCLUDED.family_id, user_claims = EXCLUDED.user_claims, " \
  "auth_time = EXCLUDED.auth_time"
#define TESSERA_PG_DEVICE_COLUMNS                                                                     \
  "client_id, scope, audience, user_code_hash, requester, expires_at, interval_s, last_poll, state, " \
  "g_client_id, g_subject, g_scope, g_audience, g_family_id, g_user_claims, g_auth_time"
#define TESSERA_PG_SWEEP(table, column)                                                              \
  "DELETE FROM @" table " WHERE ctid = ANY (ARRAY (SELECT ctid FROM @" table " WHERE " column        \
  " <= $1 LIMIT 1000 FOR UPDATE SKIP LOCKED))"
// The latest expiry of any refresh or access token of family `f`.
#define TESSERA_PG_FAMILY_UNTIL(f)                                                                    \
  "GREATEST(COALESCE((SELECT max(expires_at) FROM @refresh_tokens WHERE family_id = " f "), 0), "      \
  "COALESCE((SELECT max(expires_at) FROM @access_tokens WHERE family_id = " f "), 0))"
// Whether the family of a row aliased `x` is revoked; the empty family is never revoked.
#define TESSERA_PG_REVOKED(x)                                                             \
  "(octet_length(" x ".family_id) > 0 AND EXISTS (SELECT 1 FROM @revoked_families f "     \
  "WHERE f.family_id = " x ".family_id))"

inline constexpr std::size_t sweep_batch = 1000;

inline const std::array<statement, static_cast<std::size_t>(stmt::count_)>& statements() {
  static const std::array<statement, static_cast<std::size_t>(stmt::count_)> all{{
      // put_code(hash, grant..., redirect_uri, code_challenge, nonce, expires_at)
      {"INSERT INTO @codes AS c (hash, " TESSERA_PG_GRANT_COLUMNS
       ", redirect_uri, code_challenge, nonce, expires_at, used) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, false) "
       "ON CONFLICT (hash) DO UPDATE SET " TESSERA_PG_GRANT_UPDATE
       ", redirect_uri = EXCLUDED.redirect_uri, code_challenge = EXCLUDED.code_challenge, "
       "nonce = EXCLUDED.nonce, expires_at = EXCLUDED.expires_at, used = false",
       "bbbbbbbibbbi"},
      // consume_code(hash, now): whether this statement marked it used, and the record as it was.
      // A concurrent consumer that got there first makes the UPDATE find the row used (READ
      // COMMITTED re-checks the row it waited for), so exactly one statement wins.
      {"WITH won AS (UPDATE @codes SET used = true WHERE hash = $1 AND NOT used AND expires_at > $2 RETURNING 1) "
       "SELECT EXISTS (SELECT 1 FROM won), " TESSERA_PG_GRANT_COLUMNS
       ", redirect_uri, code_challenge, nonce, expires_at FROM @codes WHERE hash = $1",
       "bi"},
      // revoke_family(family_id, until)
      {"INSERT INTO @revoked_families AS r (family_id, until) VALUES ($1, $2) "
       "ON CONFLICT (family_id) DO UPDATE SET until = GREATEST(r.until, EXCLUDED.until)",
       "bi"},
      // family_revoked(family_id)
      {"SELECT EXISTS (SELECT 1 FROM @revoked_families WHERE family_id = $1)", "b"},
      // put_access(jti, family_id, expires_at, user_claims)
      {"INSERT INTO @access_tokens AS a (jti, family_id, expires_at, user_claims, revoked) "
       "VALUES ($1, $2, $3, $4, false) "
       // recorded again: a revoked jti stays revoked, denied at least as long as before
       "ON CONFLICT (jti) DO UPDATE SET family_id = EXCLUDED.family_id, "
       "expires_at = CASE WHEN a.revoked THEN GREATEST(a.expires_at, EXCLUDED.expires_at) ELSE EXCLUDED.expires_at END, "
       "user_claims = EXCLUDED.user_claims",
       "bbib"},
      // revoke_access(jti, until)
      {"INSERT INTO @access_tokens AS a (jti, family_id, expires_at, user_claims, revoked) "
       "VALUES ($1, ''::bytea, $2, ''::bytea, true) "
       "ON CONFLICT (jti) DO UPDATE SET revoked = true, expires_at = GREATEST(a.expires_at, EXCLUDED.expires_at)",
       "bi"},
      // access_revoked(jti, family_id)
      {"SELECT (octet_length($2) > 0 AND EXISTS (SELECT 1 FROM @revoked_families WHERE family_id = $2)) "
       "OR EXISTS (SELECT 1 FROM @access_tokens a WHERE a.jti = $1 AND (a.revoked OR " TESSERA_PG_REVOKED("a") "))",
       "bb"},
      // find_access(jti)
      {"SELECT family_id, expires_at, user_claims FROM @access_tokens a "
       "WHERE a.jti = $1 AND NOT a.revoked AND NOT " TESSERA_PG_REVOKED("a"),
       "b"},
      // put_refresh(hash, grant..., expires_at)
      {"INSERT INTO @refresh_tokens AS r (hash, " TESSERA_PG_GRANT_COLUMNS ", expires_at, rotated_at, grace_uses) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 0) "
       "ON CONFLICT (hash) DO UPDATE SET " TESSERA_PG_GRANT_UPDATE
       ", expires_at = EXCLUDED.expires_at, rotated_at = NULL, grace_uses = 0",
       "bbbbbbbii"},
      // lock_refresh(hash): in rotate_refresh's transaction; concurrent rotations of one token queue here
      {"SELECT " TESSERA_PG_GRANT_COLUMNS ", expires_at, rotated_at, grace_uses FROM @refresh_tokens "
       "WHERE hash = $1 FOR UPDATE",
       "b"},
      // rotate_refresh(old_hash, new_hash, new_expires_at, now): mark the parent rotated (or count a
      // grace use) and store the child with the parent's grant
      {"WITH parent AS (UPDATE @refresh_tokens SET rotated_at = COALESCE(rotated_at, $4), "
       "grace_uses = grace_uses + CASE WHEN rotated_at IS NULL THEN 0 ELSE 1 END "
       "WHERE hash = $1 RETURNING " TESSERA_PG_GRANT_COLUMNS ") "
       "INSERT INTO @refresh_tokens AS r (hash, " TESSERA_PG_GRANT_COLUMNS ", expires_at, rotated_at, grace_uses) "
       "SELECT $2, " TESSERA_PG_GRANT_COLUMNS ", $3, NULL, 0 FROM parent "
       "ON CONFLICT (hash) DO UPDATE SET " TESSERA_PG_GRANT_UPDATE
       ", expires_at = EXCLUDED.expires_at, rotated_at = NULL, grace_uses = 0",
       "bbii"},
      // revoke_family_of(family_id): revoked until the last of its tokens expires
      {"INSERT INTO @revoked_families AS r (family_id, until) SELECT $1, " TESSERA_PG_FAMILY_UNTIL("$1") " "
       "ON CONFLICT (family_id) DO UPDATE SET until = GREATEST(r.until, EXCLUDED.until)",
       "b"},
      // revoke_refresh(hash): one row when the token is known
      {"INSERT INTO @revoked_families AS r (family_id, until) "
       "SELECT t.family_id, " TESSERA_PG_FAMILY_UNTIL("t.family_id") " FROM @refresh_tokens t WHERE t.hash = $1 "
       "ON CONFLICT (family_id) DO UPDATE SET until = GREATEST(r.until, EXCLUDED.until) RETURNING 1",
       "b"},
      // find_refresh(hash, now)
      {"SELECT " TESSERA_PG_GRANT_COLUMNS ", expires_at FROM @refresh_tokens t "
       "WHERE t.hash = $1 AND t.rotated_at IS NULL AND t.expires_at > $2 AND NOT " TESSERA_PG_REVOKED("t"),
       "bi"},
      // lock_devices: serializes admissions under caps (the statement is completed per store)
      {"SELECT pg_advisory_xact_lock(%LOCK%)", ""},
      // device_census(user_code_hash, now, client_id, requester): drops an expired holder of the
      // user code; then whether a live one holds it, and the live authorizations in all, of the
      // client, of the requester
      {"WITH gone AS (DELETE FROM @device_codes WHERE user_code_hash = $1 AND expires_at <= $2 RETURNING 1) "
       "SELECT (SELECT count(*) FROM gone), "
       "EXISTS (SELECT 1 FROM @device_codes WHERE user_code_hash = $1 AND expires_at > $2), "
       "count(*), count(*) FILTER (WHERE client_id = $3), count(*) FILTER (WHERE requester = $4) "
       "FROM @device_codes WHERE expires_at > $2",
       "bibb"},
      // insert_device(hash, client_id, scope, audience, user_code_hash, requester, expires_at,
      // interval_s, last_poll, state, grant...)
      {"INSERT INTO @device_codes AS d (hash, " TESSERA_PG_DEVICE_COLUMNS ") "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
       "ON CONFLICT (hash) DO UPDATE SET client_id = EXCLUDED.client_id, scope = EXCLUDED.scope, "
       "audience = EXCLUDED.audience, user_code_hash = EXCLUDED.user_code_hash, requester = EXCLUDED.requester, "
       "expires_at = EXCLUDED.expires_at, interval_s = EXCLUDED.interval_s, last_poll = EXCLUDED.last_poll, "
       "state = EXCLUDED.state, g_client_id = EXCLUDED.g_client_id, g_subject = EXCLUDED.g_subject, "
       "g_scope = EXCLUDED.g_scope, g_audience = EXCLUDED.g_audience, g_family_id = EXCLUDED.g_family_id, "
       "g_user_claims = EXCLUDED.g_user_claims, g_auth_time = EXCLUDED.g_auth_time",
       "bbbbbbiiinbbbbbbi"},
      // find_device(user_code_hash, now): pending only
      {"SELECT " TESSERA_PG_DEVICE_COLUMNS " FROM @device_codes "
       "WHERE user_code_hash = $1 AND state = 0 AND expires_at > $2",
       "bi"},
      // approve_device(user_code_hash, now, grant...)
      {"UPDATE @device_codes SET state = 1, g_client_id = $3, g_subject = $4, g_scope = $5, g_audience = $6, "
       "g_family_id = $7, g_user_claims = $8, g_auth_time = $9 "
       "WHERE user_code_hash = $1 AND state = 0 AND expires_at > $2 RETURNING 1",
       "bibbbbbbi"},
      // deny_device(user_code_hash, now)
      {"UPDATE @device_codes SET state = 2 WHERE user_code_hash = $1 AND state = 0 AND expires_at > $2 RETURNING 1",
       "bi"},
      // lock_device(hash, client_id): in poll_device's transaction; another client's code is not found
      {"SELECT " TESSERA_PG_DEVICE_COLUMNS " FROM @device_codes WHERE hash = $1 AND client_id = $2 FOR UPDATE",
       "bb"},
      // slow_device(hash, now): RFC 8628 §3.5
      {"UPDATE @device_codes SET interval_s = interval_s + 5, last_poll = $2 WHERE hash = $1", "bi"},
      // touch_device(hash, now)
      {"UPDATE @device_codes SET last_poll = $2 WHERE hash = $1", "bi"},
      // delete_device(hash)
      {"DELETE FROM @device_codes WHERE hash = $1", "b"},
      // use_once(key, expires_at, now): a row when this use is the first within the lifetime
      {"INSERT INTO @one_time_ids AS o (key, expires_at) VALUES ($1, $2) "
       "ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE o.expires_at <= $3 RETURNING 1",
       "bii"},
      // put_session(hash, subject, user_claims, auth_time, expires_at, upstream)
      {"INSERT INTO @sessions AS s (hash, subject, user_claims, auth_time, expires_at, upstream) "
       "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO UPDATE SET subject = EXCLUDED.subject, "
       "user_claims = EXCLUDED.user_claims, auth_time = EXCLUDED.auth_time, expires_at = EXCLUDED.expires_at, "
       "upstream = EXCLUDED.upstream",
       "bbbiib"},
      // find_session(hash, now)
      {"SELECT subject, user_claims, auth_time, expires_at, upstream FROM @sessions "
       "WHERE hash = $1 AND expires_at > $2",
       "bi"},
      // delete_session(hash)
      {"DELETE FROM @sessions WHERE hash = $1", "b"},
      // put_consent(subject, client_id, scope, granted_at, expires_at)
      {"INSERT INTO @consents AS c (subject, client_id, scope, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5) "
       "ON CONFLICT (subject, client_id) DO UPDATE SET scope = EXCLUDED.scope, granted_at = EXCLUDED.granted_at, "
       "expires_at = EXCLUDED.expires_at",
       "bbbii"},
      // find_consent(subject, client_id, now)
      {"SELECT scope, granted_at, expires_at FROM @consents WHERE subject = $1 AND client_id = $2 AND expires_at > $3",
       "bbi"},
      // delete_consents(subject)
      {"DELETE FROM @consents WHERE subject = $1", "b"},
      // sweeps(now): at most sweep_batch rows each, skipping rows an operation holds
      {TESSERA_PG_SWEEP("codes", "expires_at"), "i"},
      {TESSERA_PG_SWEEP("refresh_tokens", "expires_at"), "i"},
      {TESSERA_PG_SWEEP("access_tokens", "expires_at"), "i"},
      // a family revocation outlives its `until` while any token of the family is stored: the
      // tokens' sweeps above run first, so what is left of the family is live
      {"DELETE FROM @revoked_families WHERE ctid = ANY (ARRAY (SELECT ctid FROM @revoked_families r "
       "WHERE r.until <= $1 AND NOT EXISTS (SELECT 1 FROM @refresh_tokens t WHERE t.family_id = r.family_id) "
       "AND NOT EXISTS (SELECT 1 FROM @access_tokens a WHERE a.family_id = r.family_id) "
       "LIMIT 1000 FOR UPDATE SKIP LOCKED))",
       "i"},
      {TESSERA_PG_SWEEP("device_codes", "expires_at"), "i"},
      {TESSERA_PG_SWEEP("one_time_ids", "expires_at"), "i"},
      {TESSERA_PG_SWEEP("sessions", "expires_at"), "i"},
      {TESSERA_PG_SWEEP("consents", "expires_at"), "i"},
  }};
  return all;
}

#undef TESSERA_PG_GRANT_COLUMNS
#undef TESSERA_PG_GRANT_UPDATE
#undef TESSERA_PG_DEVICE_COLUMNS
#undef TESSERA_PG_SWEEP
#undef TESSERA_PG_FAMILY_UNTIL
#undef TESSERA_PG_REVOKED

// --- migrations --------------------------------------------------------------------------------
// migrations()[i] takes a schema from version i to i + 1. Never edit a released one: add one.

#define TESSERA_PG_GRANT_DDL                                                                        \
  "client_id bytea NOT NULL, subject bytea NOT NULL, scope bytea NOT NULL, audience bytea NOT NULL, " \
  "family_id bytea NOT NULL, user_claims bytea NOT NULL, auth_time bigint NOT NULL"

inline constexpr int migration_count = 1;

inline const std::array<const char*, migration_count>& migrations() {
  static const std::array<const char*, migration_count> all{{
      // 1: every table. Times are bigint microseconds since the Unix epoch.
      "CREATE TABLE @codes (hash bytea PRIMARY KEY, " TESSERA_PG_GRANT_DDL ", "
      "redirect_uri bytea NOT NULL, code_challenge bytea NOT NULL, nonce bytea NOT NULL, "
      "expires_at bigint NOT NULL, used boolean NOT NULL DEFAULT false);"
      "CREATE INDEX codes_expires_at ON @codes (expires_at);"
      "CREATE TABLE @refresh_tokens (hash bytea PRIMARY KEY, " TESSERA_PG_GRANT_DDL ", "
      "expires_at bigint NOT NULL, rotated_at bigint, grace_uses integer NOT NULL DEFAULT 0);"
      "CREATE INDEX refresh_tokens_family ON @refresh_tokens (family_id, expires_at);"
      "CREATE INDEX refresh_tokens_expires_at ON @refresh_tokens (expires_at);"
      "CREATE TABLE @access_tokens (jti bytea PRIMARY KEY, family_id bytea NOT NULL, expires_at bigint NOT NULL, "
      "user_claims bytea NOT NULL, revoked boolean NOT NULL DEFAULT false);"
      "CREATE INDEX access_tokens_family ON @access_tokens (family_id, expires_at);"
      "CREATE INDEX access_tokens_expires_at ON @access_tokens (expires_at);"
      "CREATE TABLE @revoked_families (family_id bytea PRIMARY KEY, until bigint NOT NULL);"
      "CREATE INDEX revoked_families_until ON @revoked_families (until);"
      "CREATE TABLE @device_codes (hash bytea PRIMARY KEY, client_id bytea NOT NULL, scope bytea NOT NULL, "
      "audience bytea NOT NULL, user_code_hash bytea NOT NULL UNIQUE, requester bytea NOT NULL, "
      "expires_at bigint NOT NULL, interval_s bigint NOT NULL, last_poll bigint NOT NULL, state smallint NOT NULL, "
      "g_client_id bytea NOT NULL, g_subject bytea NOT NULL, g_scope bytea NOT NULL, g_audience bytea NOT NULL, "
      "g_family_id bytea NOT NULL, g_user_claims bytea NOT NULL, g_auth_time bigint NOT NULL);"
      "CREATE INDEX device_codes_expires_at ON @device_codes (expires_at);"
      "CREATE INDEX device_codes_client ON @device_codes (client_id, expires_at);"
      "CREATE INDEX device_codes_requester ON @device_codes (requester, expires_at);"
      "CREATE TABLE @one_time_ids (key bytea PRIMARY KEY, expires_at bigint NOT NULL);"
      "CREATE INDEX one_time_ids_expires_at ON @one_time_ids (expires_at);"
      "CREATE TABLE @sessions (hash bytea PRIMARY KEY, subject bytea NOT NULL, user_claims bytea NOT NULL, "
      "auth_time bigint NOT NULL, expires_at bigint NOT NULL, upstream bytea NOT NULL);"
      "CREATE INDEX sessions_expires_at ON @sessions (expires_at);"
      "CREATE TABLE @consents (subject bytea NOT NULL, client_id bytea NOT NULL, scope bytea NOT NULL, "
      "granted_at bigint NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (subject, client_id));"
      "CREATE INDEX consents_expires_at ON @consents (expires_at);",
  }};
  return all;
}

#undef TESSERA_PG_GRANT_DDL
// clang-format on

/// Replaces every `@` by the quoted schema and a dot (`@` appears in no statement otherwise).
inline std::string qualify(std::string_view sql, std::string_view schema) {
  std::string out;
  out.reserve(sql.size() + 16 * schema.size());
  for (char ch : sql) {
    if (ch == '@') {
      out += '"';
      out += schema;
      out += "\".";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace detail::pg

/// Every store concept in a PostgreSQL schema, shared by replicas (see the top of this file).
/// Thread-safe; not copyable or movable. Operations report `error::store_unavailable` when the
/// database cannot be reached in time and `error::store_failure` when a statement fails.
class postgres {
 public:
  /// The schema version this program writes and reads.
  static constexpr int schema_version = detail::pg::migration_count;

  /// Connects, creates or migrates the schema, and starts the sweeper. Errors:
  /// `store_settings_invalid`, `store_unavailable` (no connection within connect_timeout),
  /// `store_schema_newer`, `store_failure` (e.g. no right to create the schema or its tables).
  /// A store whose construction failed answers every operation with `store_unavailable`.
  explicit postgres(postgres_settings settings, std::error_code& ec) : settings_(std::move(settings)) { init(ec); }

  /// As above; throws std::system_error on failure.
  explicit postgres(postgres_settings settings) : settings_(std::move(settings)) {
    std::error_code ec;
    init(ec);
    if (ec) throw std::system_error(ec, "tessera::store::postgres");
  }

  postgres(const postgres&) = delete;
  postgres& operator=(const postgres&) = delete;

  /// Stops and joins the sweeper (at most one batch in flight), closes the connections.
  /// No operation may be running.
  ~postgres() {
    {
      std::lock_guard lock(stop_mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
  }

  /// Checks settings without connecting: `store_settings_invalid` or success.
  static std::error_code validate(const postgres_settings& s) noexcept {
    auto invalid = make_error_code(error::store_settings_invalid);
    const auto& n = s.schema;
    if (n.empty() || n.size() > 63 || n.starts_with("pg_")) return invalid;
    if (!((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_')) return invalid;
    for (char ch : n)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return invalid;
    if (s.pool_size == 0 || s.pool_size > 10'000) return invalid;
    if (s.connect_timeout.count() < 0 || s.statement_timeout.count() < 0 || s.acquire_timeout.count() < 0 ||
        s.sweep_interval.count() < 0 || s.statement_timeout.count() > INT_MAX / 4)
      return invalid;
    if (!s.conninfo.empty()) {
      char* message = nullptr;
      PQconninfoOption* parsed = PQconninfoParse(s.conninfo.c_str(), &message);
      if (message) PQfreemem(message);  // may quote the conninfo: not shown anywhere
      if (!parsed) return invalid;
      PQconninfoFree(parsed);
    }
    return {};
  }

  // --- codes ---------------------------------------------------------------------------
  void put_code(std::string_view h, const code_record& r, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(h);
      add_grant(p, r.grant);
      p.bytes(r.redirect_uri).bytes(r.code_challenge).bytes(r.nonce).time(r.expires_at);
      c.exec(stmt::put_code, p);
      return true;
    });
  }

  consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) {
    return run(kind::once, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(h).time(now);
      auto rows = c.exec(stmt::consume_code, p);
      consume_result out;
      if (rows.empty()) return out;
      out.record.grant = grant_at(rows, 0, 1);
      out.record.redirect_uri = rows.bytes(0, 8);
      out.record.code_challenge = rows.bytes(0, 9);
      out.record.nonce = rows.bytes(0, 10);
      out.record.expires_at = rows.time(0, 11);
      // Expiry before replay, as store::memory: a code never redeemed stays `expired`.
      if (rows.boolean(0, 0))
        out.status = consume_status::ok;
      else if (detail::pg::to_us(now) >= rows.i64(0, 11))
        out.status = consume_status::expired;
      else
        out.status = consume_status::replayed;
      return out;
    });
  }

  // --- families and access tokens -------------------------------------------------------
  void revoke_family(std::string_view id, time_point until, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(id).time(until);
      c.exec(stmt::revoke_family, p);
      return true;
    });
  }

  bool family_revoked(std::string_view id, std::error_code& ec) {
    if (id.empty()) {  // no family: never revoked (store::memory)
      ec = ready_ ? std::error_code{} : make_error_code(error::store_unavailable);
      return false;
    }
    return run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(id);
      return c.exec(stmt::family_revoked, p).boolean(0, 0);
    });
  }

  void put_access(std::string_view jti, const access_record& a, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(jti).bytes(a.family_id).time(a.expires_at).bytes(a.user_claims);
      c.exec(stmt::put_access, p);
      return true;
    });
  }

  void revoke_access(std::string_view jti, time_point until, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(jti).time(until);
      c.exec(stmt::revoke_access, p);
      return true;
    });
  }

  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(jti).bytes(family_id);
      return c.exec(stmt::access_revoked, p).boolean(0, 0);
    });
  }

  std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) -> std::optional<access_record> {
      detail::pg::params p;
      p.bytes(jti);
      auto rows = c.exec(stmt::find_access, p);
      if (rows.empty()) return std::nullopt;
      return access_record{rows.bytes(0, 0), rows.time(0, 1), rows.bytes(0, 2)};
    });
  }

  // --- refresh tokens -------------------------------------------------------------------
  void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(h);
      add_grant(p, r.grant);
      p.time(r.expires_at);
      c.exec(stmt::put_refresh, p);
      return true;
    });
  }

  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at,
                               time_point now, grace_policy grace, std::error_code& ec) {
    return run(kind::once, ec, [&](call& c) -> rotate_result {
      const auto now_us = detail::pg::to_us(now);
      c.begin();
      detail::pg::params key;
      key.bytes(old_h);
      auto row = c.exec(stmt::lock_refresh, key);
      if (row.empty()) {
        c.rollback();
        return {};
      }
      refresh_record rec{grant_at(row, 0, 0), row.time(0, 7)};
      const auto expires_us = row.i64(0, 7);
      const bool rotated = !row.null(0, 8);
      const auto rotated_us = rotated ? row.i64(0, 8) : 0;
      const auto uses = row.i32(0, 9);
      // A separate statement: it sees what committed while this one waited for the row lock.
      if (!rec.grant.family_id.empty()) {
        detail::pg::params fam;
        fam.bytes(rec.grant.family_id);
        if (c.exec(stmt::family_revoked, fam).boolean(0, 0)) {
          c.rollback();
          return {rotate_status::revoked, std::move(rec)};
        }
      }
      if (now_us >= expires_us) {
        c.rollback();
        return {rotate_status::expired, std::move(rec)};
      }
      if (rotated) {
        const bool in_grace = grace.window.count() > 0 &&
                              now_us - rotated_us <= detail::pg::seconds_to_us(grace.window) &&
                              static_cast<std::int64_t>(uses) < static_cast<std::int64_t>(grace.max_uses);
        if (!in_grace) {
          detail::pg::params fam;
          fam.bytes(rec.grant.family_id);
          c.exec(stmt::revoke_family_of, fam);
          c.commit();
          return {rotate_status::reused, std::move(rec)};
        }
      }
      detail::pg::params p;
      p.bytes(old_h).bytes(new_h).time(new_expires_at).i64(now_us);
      c.exec(stmt::rotate_refresh, p);
      c.commit();
      return {rotate_status::ok, std::move(rec)};
    });
  }

  std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) -> std::optional<refresh_record> {
      detail::pg::params p;
      p.bytes(h).time(now);
      auto rows = c.exec(stmt::find_refresh, p);
      if (rows.empty()) return std::nullopt;
      return refresh_record{grant_at(rows, 0, 0), rows.time(0, 7)};
    });
  }

  bool revoke_refresh(std::string_view h, std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(h);
      return !c.exec(stmt::revoke_refresh, p).empty();
    });
  }

  // --- device codes ---------------------------------------------------------------------
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps, time_point now,
                               std::error_code& ec) {
    return run(kind::once, ec, [&](call& c) -> put_device_status {
      c.begin();
      if (caps.per_client || caps.per_address || caps.total) c.exec(stmt::lock_devices, {});
      detail::pg::params q;
      q.bytes(r.user_code_hash).time(now).bytes(r.client_id).bytes(r.requester);
      auto census = c.exec(stmt::device_census, q);
      auto reached = [](std::int64_t n, std::size_t cap) { return cap != 0 && static_cast<std::uint64_t>(n) >= cap; };
      put_device_status refusal = put_device_status::ok;
      if (census.boolean(0, 1))
        refusal = put_device_status::user_code_taken;
      else if (reached(census.i64(0, 2), caps.total))
        refusal = put_device_status::store_full;
      else if (reached(census.i64(0, 3), caps.per_client))
        refusal = put_device_status::client_full;
      else if (!r.requester.empty() && reached(census.i64(0, 4), caps.per_address))
        refusal = put_device_status::address_full;
      if (refusal != put_device_status::ok) {
        c.rollback();
        return refusal;
      }
      detail::pg::params p;
      p.bytes(h).bytes(r.client_id).bytes(r.scope).bytes(r.audience).bytes(r.user_code_hash).bytes(r.requester);
      p.time(r.expires_at).i64(r.interval.count()).time(r.last_poll).i32(static_cast<std::int32_t>(r.state));
      add_grant(p, r.grant);
      try {
        c.exec(stmt::insert_device, p);
      } catch (const detail::pg::failure& f) {
        // A concurrent put took the user code first (the unique index decided).
        if (!f.is("23505")) throw;
        c.rollback();
        return put_device_status::user_code_taken;
      }
      c.commit();
      return put_device_status::ok;
    });
  }

  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now, std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) -> std::optional<device_record> {
      detail::pg::params p;
      p.bytes(uh).time(now);
      auto rows = c.exec(stmt::find_device, p);
      if (rows.empty()) return std::nullopt;
      return device_at(rows, 0);
    });
  }

  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now, std::error_code& ec) {
    return run(kind::once, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(uh).time(now);
      if (!approved) return !c.exec(stmt::deny_device, p).empty();
      add_grant(p, g);
      return !c.exec(stmt::approve_device, p).empty();
    });
  }

  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now, std::error_code& ec) {
    return run(kind::once, ec, [&](call& c) -> poll_result {
      const auto now_us = detail::pg::to_us(now);
      c.begin();
      detail::pg::params key;
      key.bytes(h).bytes(client_id);
      auto row = c.exec(stmt::lock_device, key);
      if (row.empty()) {  // unknown, or another client's: as if it did not exist, changing nothing
        c.rollback();
        return {};
      }
      device_record d = device_at(row, 0);
      detail::pg::params at;
      at.bytes(h).i64(now_us);
      detail::pg::params just;
      just.bytes(h);
      if (now_us >= row.i64(0, 5)) {
        c.exec(stmt::delete_device, just);
        c.commit();
        return {poll_status::expired, std::move(d)};
      }
      const auto last_us = row.i64(0, 7);
      if (last_us != 0 && now_us - last_us < detail::pg::seconds_to_us(d.interval)) {
        c.exec(stmt::slow_device, at);
        c.commit();
        return {poll_status::slow_down, {}};
      }
      d.last_poll = now;
      if (d.state == device_state::pending) {
        c.exec(stmt::touch_device, at);
        c.commit();
        return {poll_status::pending, {}};
      }
      c.exec(stmt::delete_device, just);
      c.commit();
      return {d.state == device_state::approved ? poll_status::approved : poll_status::denied, std::move(d)};
    });
  }

  // --- one-time ids ---------------------------------------------------------------------
  bool use_once(std::string_view key, time_point expires_at, time_point now, std::error_code& ec) {
    return run(kind::once, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(key).time(expires_at).time(now);
      return !c.exec(stmt::use_once, p).empty();
    });
  }

  // --- sessions -------------------------------------------------------------------------
  /// Refuses (`store_failure`) a record whose `upstream` exceeds session_record::max_upstream_size.
  void put_session(std::string_view h, const session_record& r, std::error_code& ec) {
    if (r.upstream.size() > session_record::max_upstream_size) {
      ec = make_error_code(error::store_failure);
      return;
    }
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(h).bytes(r.subject).bytes(r.user_claims).time(r.auth_time).time(r.expires_at).bytes(r.upstream);
      c.exec(stmt::put_session, p);
      return true;
    });
  }

  std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) -> std::optional<session_record> {
      detail::pg::params p;
      p.bytes(h).time(now);
      auto rows = c.exec(stmt::find_session, p);
      if (rows.empty()) return std::nullopt;
      session_record s;
      s.subject = rows.bytes(0, 0);
      s.user_claims = rows.bytes(0, 1);
      s.auth_time = rows.time(0, 2);
      s.expires_at = rows.time(0, 3);
      s.upstream = rows.bytes(0, 4);
      return s;
    });
  }

  void delete_session(std::string_view h, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(h);
      c.exec(stmt::delete_session, p);
      return true;
    });
  }

  // --- consents -------------------------------------------------------------------------
  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(subject).bytes(client_id).bytes(r.scope).time(r.granted_at).time(r.expires_at);
      c.exec(stmt::put_consent, p);
      return true;
    });
  }

  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now,
                                             std::error_code& ec) {
    return run(kind::idempotent, ec, [&](call& c) -> std::optional<consent_record> {
      detail::pg::params p;
      p.bytes(subject).bytes(client_id).time(now);
      auto rows = c.exec(stmt::find_consent, p);
      if (rows.empty()) return std::nullopt;
      return consent_record{rows.bytes(0, 0), rows.time(0, 1), rows.time(0, 2)};
    });
  }

  void delete_consents(std::string_view subject, std::error_code& ec) {
    run(kind::idempotent, ec, [&](call& c) {
      detail::pg::params p;
      p.bytes(subject);
      c.exec(stmt::delete_consents, p);
      return true;
    });
  }

  // --- housekeeping ---------------------------------------------------------------------
  /// Deletes what expired by `now`: codes, tokens, revocations (a family's once none of its
  /// tokens is left), device authorizations, one-time ids, sessions, consents. In batches of
  /// a thousand rows, each its own statement; safe to run from several replicas at once.
  void sweep(time_point now, std::error_code& ec) {
    ec = {};
    for (auto s : {stmt::sweep_codes, stmt::sweep_refresh, stmt::sweep_access, stmt::sweep_families,
                   stmt::sweep_devices, stmt::sweep_one_time_ids, stmt::sweep_sessions, stmt::sweep_consents}) {
      for (;;) {
        const long n = run(kind::idempotent, ec, [&](call& c) {
          detail::pg::params p;
          p.time(now);
          return c.exec(s, p).affected();
        });
        if (ec) return;
        if (n < static_cast<long>(detail::pg::sweep_batch) || stopping()) break;
      }
    }
  }

 private:
  using stmt = detail::pg::stmt;
  using fault = detail::pg::fault;
  using connection_ptr = std::unique_ptr<detail::pg::connection>;

  // Whether an operation may run again after a connection broke with its statement sent.
  enum class kind {
    idempotent,  // the same answer and state the second time: lookups, puts, revocations, sweeps
    once,        // single use: a second run would see the first
  };

  static constexpr int max_attempts = 4;

  void init(std::error_code& ec) {
    ec = validate(settings_);
    if (ec) return;
    const auto& table = detail::pg::statements();
    sql_.reserve(table.size());
    const std::string lock_args = std::to_string(detail::pg::lock_key("tessera")) + ", " +
                                  std::to_string(detail::pg::lock_key(settings_.schema + ":devices"));
    for (std::size_t i = 0; i < table.size(); ++i) {
      std::string sql = detail::pg::qualify(table[i].sql, settings_.schema);
      if (auto at = sql.find("%LOCK%"); at != std::string::npos) sql.replace(at, 6, lock_args);
      sql_.push_back(std::move(sql));
      names_.push_back("tessera_" + std::to_string(i));
    }
    ready_ = true;
    migrate(ec);
    if (ec) {
      ready_ = false;
      std::lock_guard lock(mu_);
      idle_.clear();
      open_ = 0;
      return;
    }
    if (settings_.sweep_interval.count() > 0) sweeper_ = std::thread([this] { sweep_loop(); });
  }

  // --- one operation's connection and statements ---------------------------------------------
  class call {
   public:
    call(postgres& store, detail::pg::connection& c) noexcept : store_(store), c_(c) {}

    /// Runs a prepared statement (preparing it on this connection the first time).
    detail::pg::rows exec(stmt id, const detail::pg::params& p) {
      const auto i = static_cast<std::size_t>(id);
      const auto& def = detail::pg::statements()[i];
      if (!c_.prepared[i]) {
        Oid types[24];
        const int n = static_cast<int>(std::strlen(def.types));
        for (int k = 0; k < n; ++k) types[k] = oid_of(def.types[k]);
        if (!PQsendPrepare(c_.raw, store_.names_[i].c_str(), store_.sql_[i].c_str(), n, types)) not_sent();
        finish(false);
        c_.prepared[i] = true;
      }
      if (!PQsendQueryPrepared(c_.raw, store_.names_[i].c_str(), p.size(), p.values(), p.lengths(), p.formats(), 1))
        not_sent();
      return finish(!in_tx_);
    }

    /// Runs SQL without parameters through the simple protocol (several statements allowed).
    void simple(const std::string& sql) {
      if (!PQsendQuery(c_.raw, sql.c_str())) not_sent();
      finish(!in_tx_);
    }

    /// Runs one parameterless query, rows in binary format.
    detail::pg::rows query(const std::string& sql) {
      if (!PQsendQueryParams(c_.raw, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1)) not_sent();
      return finish(!in_tx_);
    }

    void begin() {
      if (!PQsendQuery(c_.raw, "BEGIN ISOLATION LEVEL READ COMMITTED")) not_sent();
      finish(false);  // commits nothing
      in_tx_ = true;
    }
    void commit() {
      if (!PQsendQuery(c_.raw, "COMMIT")) not_sent();
      finish(true);
      in_tx_ = false;
    }
    void rollback() {
      if (!PQsendQuery(c_.raw, "ROLLBACK")) not_sent();
      finish(false);
      in_tx_ = false;
    }

    /// After a failure: leave the connection idle, or condemned.
    void abandon() noexcept {
      if (!in_tx_) return;
      in_tx_ = false;
      if (c_.doomed || PQstatus(c_.raw) != CONNECTION_OK) return;
      if (!PQsendQuery(c_.raw, "ROLLBACK")) {
        c_.doomed = true;
        return;
      }
      auto r = detail::pg::await(c_.raw, deadline());
      if (r.lost || r.timed_out || !r.result || PQresultStatus(r.result.get()) != PGRES_COMMAND_OK) c_.doomed = true;
    }

    /// How long to wait for a reply beyond the server's statement_timeout.
    void set_wait(std::chrono::milliseconds server_timeout) noexcept { wait_ = server_timeout; }

   private:
    static Oid oid_of(char t) noexcept {
      switch (t) {
        case 'b':
          return detail::pg::bytea_oid;
        case 'i':
          return detail::pg::int8_oid;
        case 'n':
          return detail::pg::int4_oid;
        case 'o':
          return detail::pg::bool_oid;
        case 's':
          return detail::pg::int2_oid;
      }
      return 0;
    }

    std::optional<detail::pg::steady::time_point> deadline() const {
      if (wait_.count() <= 0) return std::nullopt;
      return detail::pg::steady::now() + wait_ + std::chrono::seconds(2);
    }

    [[noreturn]] void not_sent() {
      // Nothing of this statement ran: safe to run the operation again, on another connection.
      c_.doomed = true;
      throw detail::pg::make_failure(fault::retry);
    }

    // Waits for the reply; throws a failure classified for `run`. `may_commit`: the statement
    // commits by itself (autocommit) or is COMMIT.
    detail::pg::rows finish(bool may_commit) {
      auto r = detail::pg::await(c_.raw, deadline());
      if (r.timed_out) {
        c_.doomed = true;
        throw detail::pg::make_failure(fault::unavailable);
      }
      const char* state = r.result ? PQresultErrorField(r.result.get(), PG_DIAG_SQLSTATE) : nullptr;
      const std::string_view code = state ? state : "";
      // 08: connection exception; 57P01-57P03: the server shuts down or restarts.
      const bool gone = r.lost || code.starts_with("08") || code.starts_with("57P");
      if (gone) {
        c_.doomed = true;
        throw detail::pg::make_failure(may_commit ? fault::ambiguous : fault::retry, state);
      }
      if (!r.result) throw detail::pg::make_failure(fault::failed);
      const auto status = PQresultStatus(r.result.get());
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return detail::pg::rows(std::move(r.result));
      if (code == "40001" || code == "40P01")  // serialization failure, deadlock: rolled back
        throw detail::pg::make_failure(fault::retry, state);
      if (code == "26000") {  // our prepared statements are gone (DISCARD ALL): nothing ran
        c_.prepared.assign(c_.prepared.size(), false);
        throw detail::pg::make_failure(fault::retry, state);
      }
      if (code == "57014" || code == "55P03" || code.starts_with("53"))  // timeout, lock timeout, resources
        throw detail::pg::make_failure(fault::unavailable, state);
      throw detail::pg::make_failure(fault::failed, state);
    }

    postgres& store_;
    detail::pg::connection& c_;
    bool in_tx_ = false;
    std::chrono::milliseconds wait_ = store_.settings_.statement_timeout;
  };

  // Runs `body` on a pooled connection, again (up to max_attempts) when the failure allows it.
  template <class F>
  auto run(kind k, std::error_code& ec, F&& body) -> decltype(body(std::declval<call&>())) {
    using result = decltype(body(std::declval<call&>()));
    ec = {};
    if (!ready_) {
      ec = make_error_code(error::store_unavailable);
      return result{};
    }
    for (int attempt = 1;; ++attempt) {
      connection_ptr conn = acquire(ec);
      if (!conn) return result{};
      call c(*this, *conn);
      try {
        result r = body(c);
        release(std::move(conn));
        return r;
      } catch (const detail::pg::failure& f) {
        c.abandon();
        release(std::move(conn));
        fault why = f.kind;
        if (why == fault::ambiguous && k == kind::idempotent) why = fault::retry;
        if (why == fault::retry && attempt < max_attempts) continue;
        ec = make_error_code(why == fault::failed ? error::store_failure : error::store_unavailable);
        return result{};
      } catch (...) {
        c.abandon();
        release(std::move(conn));
        throw;
      }
    }
  }

  // --- the pool ------------------------------------------------------------------------------
  connection_ptr acquire(std::error_code& ec) {
    const auto deadline = detail::pg::steady::now() + settings_.acquire_timeout;
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        connection_ptr c = std::move(idle_.back());
        idle_.pop_back();
        lock.unlock();
        if (detail::pg::usable(*c)) return c;
        c.reset();  // closed outside the lock; its slot is ours to fill
        lock.lock();
        --open_;
        continue;
      }
      if (open_ < settings_.pool_size) {
        ++open_;
        lock.unlock();
        connection_ptr c;
        try {
          c = connect();
        } catch (...) {  // out of memory: the slot must not leak
        }
        if (c) return c;
        lock.lock();
        --open_;
        lock.unlock();
        cv_.notify_one();
        ec = make_error_code(error::store_unavailable);
        return nullptr;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= settings_.pool_size) {
        ec = make_error_code(error::store_unavailable);
        return nullptr;
      }
    }
  }

  void release(connection_ptr c) {
    const bool keep =
        c && !c->doomed && PQstatus(c->raw) == CONNECTION_OK && PQtransactionStatus(c->raw) == PQTRANS_IDLE;
    if (!keep) c.reset();
    {
      std::lock_guard lock(mu_);
      if (keep)
        idle_.push_back(std::move(c));
      else
        --open_;
    }
    cv_.notify_one();
  }

  connection_ptr connect() {
    const char* keys[4];
    const char* values[4];
    int n = 0;
    if (!settings_.conninfo.empty()) {
      keys[n] = "dbname";  // expanded: a whole connection string or URI
      values[n++] = settings_.conninfo.c_str();
    }
    keys[n] = "fallback_application_name";
    values[n++] = "tessera";
    std::string timeout;
    if (settings_.connect_timeout.count() > 0) {
      timeout = std::to_string(std::max<long long>(2, (settings_.connect_timeout.count() + 999) / 1000));
      keys[n] = "connect_timeout";
      values[n++] = timeout.c_str();
    }
    keys[n] = nullptr;
    values[n] = nullptr;
    auto c = std::make_unique<detail::pg::connection>();
    c->raw = PQconnectdbParams(keys, values, 1);
    if (!c->raw || PQstatus(c->raw) != CONNECTION_OK) return nullptr;
    PQsetNoticeReceiver(c->raw, detail::pg::on_notice, c.get());
    c->prepared.assign(sql_.size(), false);
    const auto ms = settings_.statement_timeout.count();
    std::string setup =
        "SET statement_timeout = " + std::to_string(ms) + "; SET default_transaction_isolation = 'read committed'";
    // A transaction of ours left idle (a stalled thread) must not hold its row locks forever.
    if (ms > 0)
      setup += "; SET idle_in_transaction_session_timeout = " + std::to_string(std::max<long long>(ms, 1000) * 2);
    if (!PQsendQuery(c->raw, setup.c_str())) return nullptr;
    auto r =
        detail::pg::await(c->raw, detail::pg::steady::now() + std::max<std::chrono::milliseconds>(
                                                                  settings_.connect_timeout, std::chrono::seconds(2)));
    if (r.lost || r.timed_out || !r.result || PQresultStatus(r.result.get()) != PGRES_COMMAND_OK) return nullptr;
    return c;
  }

  // --- schema -------------------------------------------------------------------------------
  void migrate(std::error_code& ec) {
    const std::string& s = settings_.schema;  // validated: safe as a literal and an identifier
    const std::string quoted = "\"" + s + "\"";
    const auto migration_timeout =
        std::max<std::chrono::milliseconds>(settings_.statement_timeout, std::chrono::minutes(1));
    const bool newer = run(kind::idempotent, ec, [&](call& c) {
      c.set_wait(migration_timeout);
      c.begin();
      c.simple("SET LOCAL statement_timeout = " + std::to_string(migration_timeout.count()));
      c.query("SELECT pg_advisory_xact_lock(" + std::to_string(detail::pg::lock_key("tessera")) + ", " +
              std::to_string(detail::pg::lock_key(s + ":migrate")) + ")");
      // Only what is missing is created: a role that may not create schemas can still run on
      // one prepared for it.
      const std::string probe = "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '" + s + "'), " +
                                "to_regclass('" + quoted + ".schema_version') IS NOT NULL";
      auto found = c.query(probe);
      if (!found.boolean(0, 0)) c.simple("CREATE SCHEMA IF NOT EXISTS " + quoted);
      if (!found.boolean(0, 1))
        c.simple("CREATE TABLE IF NOT EXISTS " + quoted +
                 ".schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      const int current =
          c.query("SELECT COALESCE(max(version), 0)::integer FROM " + quoted + ".schema_version").i32(0, 0);
      if (current > schema_version) {
        c.rollback();
        return true;
      }
      for (int v = current; v < schema_version; ++v) {
        c.simple(detail::pg::qualify(detail::pg::migrations()[static_cast<std::size_t>(v)], s));
        c.simple("INSERT INTO " + quoted + ".schema_version (version) VALUES (" + std::to_string(v + 1) + ")");
      }
      c.commit();
      return false;
    });
    if (!ec && newer) ec = make_error_code(error::store_schema_newer);
  }

  // --- records --------------------------------------------------------------------------------
  static void add_grant(detail::pg::params& p, const grant_record& g) {
    p.bytes(g.client_id).bytes(g.subject).bytes(g.scope).bytes(g.audience).bytes(g.family_id).bytes(g.user_claims);
    p.time(g.auth_time);
  }

  static grant_record grant_at(const detail::pg::rows& r, int row, int col) {
    return {.client_id = r.bytes(row, col),
            .subject = r.bytes(row, col + 1),
            .scope = r.bytes(row, col + 2),
            .audience = r.bytes(row, col + 3),
            .family_id = r.bytes(row, col + 4),
            .user_claims = r.bytes(row, col + 5),
            .auth_time = r.time(row, col + 6)};
  }

  static device_record device_at(const detail::pg::rows& r, int row) {
    device_record d;
    d.client_id = r.bytes(row, 0);
    d.scope = r.bytes(row, 1);
    d.audience = r.bytes(row, 2);
    d.user_code_hash = r.bytes(row, 3);
    d.requester = r.bytes(row, 4);
    d.expires_at = r.time(row, 5);
    d.interval = seconds(r.i64(row, 6));
    d.last_poll = r.time(row, 7);
    const auto state = r.i16(row, 8);
    if (state < 0 || state > 2) throw detail::pg::make_failure(fault::failed);
    d.state = static_cast<device_state>(state);
    d.grant = grant_at(r, row, 9);
    return d;
  }

  // --- the sweeper ------------------------------------------------------------------------------
  bool stopping() {
    std::lock_guard lock(stop_mu_);
    return stop_;
  }

  void sweep_loop() {
    std::unique_lock lock(stop_mu_);
    for (;;) {
      if (stop_cv_.wait_for(lock, settings_.sweep_interval, [this] { return stop_; })) return;
      lock.unlock();
      std::error_code ec;  // a failed sweep is retried at the next interval
      // A minute behind this host's clock: replicas whose clocks lag a little must not find a
      // revocation or a used jti gone while their own clock still says it lives.
      sweep(std::chrono::system_clock::now() - std::chrono::minutes(1), ec);
      lock.lock();
    }
  }

  postgres_settings settings_;
  std::vector<std::string> sql_;    // by statement index, schema filled in
  std::vector<std::string> names_;  // prepared statement names
  // Statements built and schema current; written before any other thread starts.
  bool ready_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<connection_ptr> idle_;
  std::size_t open_ = 0;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread sweeper_;
};

static_assert(full_store<postgres>);

}  // namespace tessera::store

#endif
