// tessera — redis/store.hpp
//
// `store::redis`: every store concept on a Redis server (5 or later; tested with 7.0), shared by
// the replicas of a deployment. Component tessera::redis (hiredis, Debian: libhiredis-dev).
//
//     store::redis db(store::parse_redis_url("rediss://tessera:secret@redis.internal:6380/2", ec));
//
// Design
//  * I/O is tessera's own (Boost.Asio, TCP or TLS 1.2+ through OpenSSL, with certificate and
//    host-name checks), hiredis only encodes commands and parses replies: the hiredis of
//    Debian 12 (0.14) has no TLS, and managed Redis services require it in transit. Every step
//    has a deadline (connect_timeout, command_timeout); replies over 1 MiB are refused.
//    connect_timeout bounds resolving the host name too: the system resolver, which cannot be
//    interrupted, runs on a thread of its own that is left to finish in the background when
//    the deadline passes (transport/detail/sync_stream.hpp).
//  * A bounded pool of connections (pool_size, waiting at most acquire_timeout). New
//    connections send AUTH (with the user name when one is set) and SELECT. A connection that
//    fails is dropped; an idle one the server closed (a restart) is noticed before use and
//    replaced, so the store reconnects without restarting the process.
//  * Every operation that reads and changes state is one Lua script (EVALSHA, EVAL on
//    NOSCRIPT), atomic across all processes that use the server: consuming a code, rotating a
//    refresh token (grace window and count, reuse revokes the family), polling and deciding a
//    device code, the device caps and user-code uniqueness, using a jti. The key layout and
//    the scripts are in redis/detail/scripts.hpp.
//  * Retries. A command is sent again (once, on a new connection) only when a pooled
//    connection failed and either the command never left this host entirely (Redis executes
//    only complete commands) or the command is idempotent (reads, puts, deletes, revocations).
//    Consuming, rotating, polling, deciding, put_device and use_once are never retried once
//    sent: their reply may have been lost after they ran, and running them again would turn a
//    success into "replayed" or "reused" — which revokes a family. The caller gets
//    `error::store_unavailable` and answers temporarily_unavailable. (A reply lost after the
//    script ran cannot be told from one that never ran: when the client then retries, it sees
//    the replay, as over any networked store. For rotation the grace policy absorbs that
//    retry; a replayed code revokes a family to which nothing was issued.)
//  * Time. Like every tessera store, this one follows the caller's clock, never its own:
//    records keep their expiry inside, and reads that are given `now` check it exactly as
//    store::memory does (tests run at a fixed date in 2023). Redis forgets keys by TTL: the
//    TTL is the expiry minus the operation's `now`, or — for operations given no `now`
//    (put_*, revoke_family, revoke_access) — minus the latest `now` this object has seen
//    (the system clock before it has seen one), plus `ttl_slack` so that a replica whose clock
//    lags the writer's still finds the record until its own clock says it expired. A record
//    whose expiry is already past gets a short TTL (10 minutes) rather than none. `sweep(now)`
//    forgets everything expired by `now` whatever Redis's clock says (maintenance and tests).
//  * Family revocation lasts until the latest expiry of any refresh or access record of the
//    family: every write of such a record raises the family's horizon key (P h:<family>) in
//    the same script, so a reuse revokes the family atomically for as long as it matters.
//  * Records are stored in a compact length-prefixed binary form (times as int64 nanoseconds,
//    exact); what scripts compare (expiries, states) is kept beside it in hash fields.
//
// Redis Cluster: each operation passes the keys it knows in KEYS, but scripts also reach keys
// derived from stored values (a record's family, a user code's device, the device caps). Give
// the prefix a hash tag, e.g. "{tessera}:", to put every key of the store in one slot.
// Several stores may share a database under different prefixes, as long as no prefix is
// another's prefix followed by one of the store's key kinds ("tessera:" and "tessera:c:").
// Device authorizations that expire uncollected are forgotten by put_device itself (at most
// once a minute of store time, O(live authorizations)); everything else leaves by its TTL.
//
// Operating Redis for tessera (docs/security.md rows 7 and 12 depend on it):
//  * Durability. What Redis loses in a crash, tessera forgets: with RDB snapshots only, or AOF
//    with `appendfsync everysec` (the usual default), up to a second (or a snapshot interval)
//    of writes — a consumed code becomes redeemable again, a rotated refresh token un-rotated
//    (its reuse no longer detected), a used jti usable again, a revocation undone. Use
//    `appendonly yes` with `appendfsync always` for the authorization store, or accept that
//    window knowingly. Replication is asynchronous: a failover to a replica loses what it had
//    not received yet (WAIT is not used).
//  * Eviction. Use `maxmemory-policy noeviction`: an evicting policy may drop a consumed-code
//    mark or a family revocation, which undoes single use and revocation. With noeviction a
//    full server refuses writes, which tessera reports as a store failure.
//  * Scripts are not transactions: a script stopped midway (out of memory under a policy that
//    allows it, SCRIPT KILL) keeps the writes it made. noeviction and a sane maxmemory avoid it.
#ifndef TESSERA_REDIS_STORE_HPP
#define TESSERA_REDIS_STORE_HPP

#include <tessera/error.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/detail/codec.hpp>
#include <tessera/redis/detail/connection.hpp>
#include <tessera/redis/detail/scripts.hpp>
#include <tessera/transport/detail/tls_context.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::store {

/// Where and how to reach the Redis server. `parse_redis_url` fills the connection part.
struct redis_settings {
  std::string host = "127.0.0.1";
  unsigned short port = 6379;
  bool tls = false;           // TLS 1.2+; the server's certificate is always verified
  std::string ca_file;        // PEM trust anchors; empty: the system's default store
  std::string server_name;    // the name the certificate must carry; empty: `host`
  std::string username, password;  // AUTH [username] password when password is set
  int database = 0;           // SELECT
  std::string key_prefix = "tessera:";  // 1..64 of [A-Za-z0-9_.:/{}-]; a hash tag for Cluster
  std::size_t pool_size = 8;  // connections, 1..1024
  std::chrono::milliseconds connect_timeout{5000}, command_timeout{5000}, acquire_timeout{5000};
  /// Added to every TTL: a replica whose clock lags the writer's by less than this still finds
  /// a record until its own clock says it expired (0..1 h).
  std::chrono::milliseconds ttl_slack{5000};
};

namespace detail::redis_impl {

inline constexpr std::size_t max_url_size = 4096;
inline constexpr std::size_t max_user_size = 256;
inline constexpr std::size_t max_password_size = 1024;
inline constexpr std::size_t max_host_size = 253;
inline constexpr std::size_t max_prefix_size = 64;
inline constexpr std::int64_t floor_ttl_ms = 10 * 60 * 1000;
inline constexpr std::int64_t max_ttl_ms = 100'000'000'000'000;  // ~3000 years: never overflows Redis

inline bool prefix_valid(std::string_view p) noexcept {
  if (p.empty() || p.size() > max_prefix_size) return false;
  for (char c : p) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == ':' || c == '/' || c == '{' || c == '}' || c == '-';
    if (!ok) return false;
  }
  return true;
}

inline bool host_valid(std::string_view h) noexcept {
  if (h.empty() || h.size() > max_host_size) return false;
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

inline bool settings_valid(const redis_settings& s) noexcept {
  using std::chrono::milliseconds;
  auto timeout_ok = [](milliseconds t) { return t > milliseconds(0) && t <= std::chrono::hours(1); };
  return host_valid(s.host) && s.port != 0 && prefix_valid(s.key_prefix) && s.pool_size >= 1 && s.pool_size <= 1024 &&
         s.database >= 0 && timeout_ok(s.connect_timeout) && timeout_ok(s.command_timeout) &&
         timeout_ok(s.acquire_timeout) && s.ttl_slack >= milliseconds(0) && s.ttl_slack <= std::chrono::hours(1) &&
         s.username.size() <= max_user_size && s.password.size() <= max_password_size &&
         (s.username.empty() || !s.password.empty()) && s.server_name.size() <= max_host_size;
}

// --- times and records: stored as every one-value store keeps them (store/detail/codec.hpp) --
using store::detail::decode;
using store::detail::decode_static;
using store::detail::encode;
using store::detail::encode_static;
/// "<seconds>:<nanoseconds>", seconds floored: what the scripts compare (redis/detail/scripts.hpp).
inline std::string time_arg(time_point t) {
  const std::int64_t ns = to_stored(t);
  std::int64_t s = ns / 1'000'000'000;
  std::int64_t n = ns % 1'000'000'000;
  if (n < 0) {
    n += 1'000'000'000;
    --s;
  }
  return std::to_string(s) + ":" + std::to_string(n);
}
inline bool parse_time_arg(std::string_view v, time_point& out) noexcept {
  auto colon = v.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= v.size()) return false;
  bool neg = v[0] == '-';
  std::int64_t s = 0, n = 0;
  for (std::size_t i = neg ? 1 : 0; i < colon; ++i) {
    if (v[i] < '0' || v[i] > '9' || s > 100'000'000'000) return false;
    s = s * 10 + (v[i] - '0');
  }
  for (std::size_t i = colon + 1; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9' || n >= 1'000'000'000) return false;
    n = n * 10 + (v[i] - '0');
  }
  if (n >= 1'000'000'000) return false;
  std::int64_t total = 0;
  if (__builtin_mul_overflow(neg ? -s : s, std::int64_t{1'000'000'000}, &total) || __builtin_add_overflow(total, n, &total))
    return false;
  out = from_stored(total);
  return true;
}
/// Milliseconds from `ref` to `x`, rounded up, plus `slack`; the floor when `x` is not later.
inline std::int64_t ttl_ms(time_point x, time_point ref, std::int64_t slack) noexcept {
  std::int64_t d = 0;
  if (__builtin_sub_overflow(to_stored(x), to_stored(ref), &d)) return to_stored(x) > to_stored(ref) ? max_ttl_ms + slack : floor_ttl_ms;
  if (d <= 0) return floor_ttl_ms;
  std::int64_t ms = d / 1'000'000 + (d % 1'000'000 != 0 ? 1 : 0);
  if (ms > max_ttl_ms) ms = max_ttl_ms;
  return ms + slack;
}


// --- scripts ------------------------------------------------------------------------------
enum class script_id {
  put_record,
  consume_code,
  revoke_family,
  revoke_access,
  access_revoked,
  find_access,
  rotate_refresh,
  find_refresh,
  revoke_refresh,
  put_device,
  find_device,
  decide_device,
  poll_device,
  use_once,
  put_consent,
  sweep,
  count
};

struct script {
  std::string text;
  std::string sha;  // hex SHA-1 of text, as EVALSHA names it
};

inline std::string sha1_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(s.data(), s.size(), md, &len, EVP_sha1(), nullptr) != 1) throw std::bad_alloc();
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

inline const script& lua(script_id id) {
  static const auto all = [] {
    namespace L = detail::redis_lua;
    const std::array<std::string_view, static_cast<std::size_t>(script_id::count)> bodies = {
        L::put_record,     L::consume_code,   L::revoke_family, L::revoke_access, L::access_revoked, L::find_access,
        L::rotate_refresh, L::find_refresh,   L::revoke_refresh, L::put_device,   L::find_device,    L::decide_device,
        L::poll_device,    L::use_once,       L::put_consent,   L::sweep};
    std::array<script, static_cast<std::size_t>(script_id::count)> out;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      out[i].text = std::string(L::prelude) + std::string(bodies[i]);
      out[i].sha = sha1_hex(out[i].text);
    }
    return out;
  }();
  return all[static_cast<std::size_t>(id)];
}

/// Error replies that mean "not now" rather than "no": the server is loading, busy with a
/// script, failing over or read-only (a replica promoted away).
inline bool transient_reply(std::string_view e) noexcept {
  for (std::string_view p : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY"})
    if (e.substr(0, p.size()) == p) return true;
  return false;
}

}  // namespace detail::redis_impl

/// Parses redis://[[user]:password@]host[:port][/db] and rediss://… (TLS), as redis-cli does:
/// user information without a colon is a password; user and password are percent-decoded; an
/// IPv6 host is written in brackets; no query or fragment. Every other setting keeps its
/// default. Fails with `error::store_settings_invalid` (and returns the defaults).
inline redis_settings parse_redis_url(std::string_view url, std::error_code& ec) {
  namespace impl = detail::redis_impl;
  namespace urls = boost::urls;
  ec.clear();
  redis_settings out;
  auto bad = [&] {
    ec = error::store_settings_invalid;
    return redis_settings{};
  };
  if (url.empty() || url.size() > impl::max_url_size) return bad();
  auto parsed = urls::parse_uri(url);
  if (!parsed) return bad();
  const urls::url_view& u = *parsed;
  std::string scheme(u.scheme());
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme == "rediss") out.tls = true;
  else if (scheme != "redis") return bad();
  if (!u.has_authority() || u.has_query() || u.has_fragment()) return bad();
  if (u.has_userinfo()) {
    if (u.has_password()) {
      out.username = u.user();
      out.password = u.password();
    } else {
      out.password = u.user();
    }
    if (out.username.size() > impl::max_user_size || out.password.size() > impl::max_password_size) return bad();
    if (out.password.empty() && !out.username.empty()) return bad();
  }
  switch (u.host_type()) {
    case urls::host_type::name:
    case urls::host_type::ipv4:
    case urls::host_type::ipv6: break;
    default: return bad();
  }
  std::string_view host = u.encoded_host_address();
  if (host.empty() || host.find('%') != std::string_view::npos || !impl::host_valid(host)) return bad();
  if (u.host_type() == urls::host_type::ipv6) {
    boost::system::error_code aec;
    boost::asio::ip::make_address_v6(host, aec);
    if (aec) return bad();
  }
  out.host = std::string(host);
  if (u.has_port()) {
    if (u.port().empty() || u.port().size() > 5 || u.port_number() == 0) return bad();
    out.port = u.port_number();
  }
  std::string_view path = u.encoded_path();
  if (!path.empty() && path != "/") {
    if (path[0] != '/' || path.size() > 10) return bad();
    int db = 0;
    for (char c : path.substr(1)) {
      if (c < '0' || c > '9') return bad();
      db = db * 10 + (c - '0');
    }
    out.database = db;
  }
  return out;
}

/// The Redis store. Thread-safe; not copyable. See the file comment for the design.
class redis {
 public:
  /// Validates `s` (`error::store_settings_invalid`), loads the TLS trust anchors, and opens
  /// one connection to check that the server answers and accepts the credentials
  /// (`error::store_unavailable`, or `error::store_failure` when the server refuses AUTH or
  /// SELECT; `last_error()` says which). The object is usable after a connection failure:
  /// later operations try again.
  redis(redis_settings s, std::error_code& ec) : settings_(std::move(s)) {
    ec.clear();
    namespace impl = detail::redis_impl;
    if (!impl::settings_valid(settings_)) {
      note("invalid settings");
      ec = error::store_settings_invalid;
      return;
    }
    verify_name_ = settings_.server_name.empty() ? settings_.host : settings_.server_name;
    floor_arg_ = std::to_string(impl::floor_ttl_ms);
    slack_ = settings_.ttl_slack.count();
    slack_arg_ = std::to_string(slack_);
    if (settings_.tls) {
      ssl_.emplace(boost::asio::ssl::context::tls_client);
      transport::detail::harden_tls_context(*ssl_, ec);
      boost::system::error_code bec;
      if (!ec) {
        if (settings_.ca_file.empty()) ssl_->set_default_verify_paths(bec);
        else ssl_->load_verify_file(settings_.ca_file, bec);
      }
      ERR_clear_error();
      if (ec || bec) {
        note("TLS: cannot load the trust anchors");
        ec = error::store_settings_invalid;
        return;
      }
    }
    valid_ = true;
    bool reused = false;
    auto c = acquire(reused, ec);
    if (c) release(std::move(c), true);
  }

  /// As above, throwing `tessera::system_error` (a std::system_error) whose text names the cause.
  explicit redis(redis_settings s) : redis(std::move(s), throw_ec_) {
    if (throw_ec_) throw tessera::system_error(throw_ec_, "tessera::store::redis: " + last_error());
  }

  redis(const redis&) = delete;
  redis& operator=(const redis&) = delete;
  ~redis() = default;

  // --- codes ---------------------------------------------------------------------------
  void put_code(std::string_view h, const code_record& r, std::error_code& ec) {
    put_record(key("c:", h), detail::redis_impl::encode(r), r.expires_at, "", ec);
  }

  consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::consume_code, {key("c:", h)}, {time_arg(now)}, false, rep, ec)) return {};
    const auto status = status_of(rep);
    if (status == 0) return {};
    consume_result out;
    if (!decode_at(rep, 1, out.record, ec)) return {};
    out.status = status == 1 ? consume_status::ok : status == 2 ? consume_status::expired : consume_status::replayed;
    return out;
  }

  // --- families and access tokens -------------------------------------------------------
  void revoke_family(std::string_view id, time_point until, std::error_code& ec) {
    detail::redis_reply rep;
    run(detail::redis_impl::script_id::revoke_family, {key("f:", id)}, {std::string(id), time_arg(until), time_arg(reference_now())},
        true, rep, ec);
  }

  bool family_revoked(std::string_view id, std::error_code& ec) {
    ec.clear();
    if (id.empty()) return false;
    detail::redis_reply rep;
    const std::string k = key("f:", id);
    if (!command({"EXISTS", k}, true, rep, ec)) return false;
    return rep.is_integer() && rep.integer == 1;
  }

  void put_access(std::string_view jti, const access_record& a, std::error_code& ec) {
    put_record(key("a:", jti), detail::redis_impl::encode(a), a.expires_at, a.family_id, ec);
  }

  void revoke_access(std::string_view jti, time_point until, std::error_code& ec) {
    detail::redis_reply rep;
    run(detail::redis_impl::script_id::revoke_access, {key("a:", jti)}, {time_arg(until), time_arg(reference_now())}, true, rep,
        ec);
  }

  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) {
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::access_revoked, {key("a:", jti), key("f:", family_id)}, {std::string(family_id)},
             true, rep, ec))
      return false;
    return rep.is_integer() && rep.integer == 1;
  }

  std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) {
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::find_access, {key("a:", jti)}, {}, true, rep, ec) || rep.is_nil()) return std::nullopt;
    access_record a;
    if (!rep.is_string() || !detail::redis_impl::decode(rep.str, a)) return corrupt<std::optional<access_record>>(ec);
    return a;
  }

  // --- refresh tokens -------------------------------------------------------------------
  void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) {
    put_record(key("r:", h), detail::redis_impl::encode(r.grant), r.expires_at, r.grant.family_id, ec);
  }

  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at, time_point now,
                               grace_policy grace, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::rotate_refresh, {key("r:", old_h), key("r:", new_h)},
             {time_arg(now), time_arg(new_expires_at), ttl_arg(new_expires_at, now), std::to_string(grace.window.count()),
              std::to_string(grace.max_uses)},
             false, rep, ec))
      return {};
    const auto status = status_of(rep);
    if (status == 0) return {};
    rotate_result out;
    if (!decode_refresh(rep, 1, out.record, ec)) return {};
    static constexpr rotate_status map[] = {rotate_status::unknown, rotate_status::ok, rotate_status::expired,
                                            rotate_status::revoked, rotate_status::reused};
    if (status < 0 || status > 4) return corrupt<rotate_result>(ec);
    out.status = map[status];
    return out;
  }

  std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::find_refresh, {key("r:", h)}, {time_arg(now)}, true, rep, ec) || rep.is_nil())
      return std::nullopt;
    refresh_record r;
    if (!decode_refresh(rep, 0, r, ec)) return std::nullopt;
    return r;
  }

  bool revoke_refresh(std::string_view h, std::error_code& ec) {
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::revoke_refresh, {key("r:", h)}, {time_arg(reference_now())}, true, rep, ec))
      return false;
    return rep.is_integer() && rep.integer == 1;
  }

  // --- device codes ---------------------------------------------------------------------
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps, time_point now,
                               std::error_code& ec) {
    namespace impl = detail::redis_impl;
    saw(now);
    detail::redis_reply rep;
    if (!run(impl::script_id::put_device,
             {key("d:", h), key("u:", r.user_code_hash), key("da:", ""), key("dc:", r.client_id), key("dq:", r.requester),
              key("ds:", "")},
             {time_arg(now), std::string(h), impl::encode_static(r), time_arg(r.expires_at), ttl_arg(r.expires_at, now),
              r.client_id, r.requester, r.user_code_hash, std::to_string(r.interval.count()), time_arg(r.last_poll),
              std::to_string(static_cast<int>(r.state)), impl::encode(r.grant), std::to_string(caps.total),
              std::to_string(caps.per_client), std::to_string(caps.per_address)},
             false, rep, ec))
      return put_device_status::ok;
    if (!rep.is_integer() || rep.integer < 0 || rep.integer > 4) return corrupt<put_device_status>(ec);
    return static_cast<put_device_status>(rep.integer);
  }

  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::find_device, {key("u:", uh)}, {time_arg(now)}, true, rep, ec) || rep.is_nil())
      return std::nullopt;
    device_record d;
    if (!decode_device(rep, 0, d, ec)) return std::nullopt;
    return d;
  }

  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::decide_device, {key("u:", uh)},
             {time_arg(now), approved ? "1" : "0", approved ? detail::redis_impl::encode(g) : std::string()}, false, rep, ec))
      return false;
    return rep.is_integer() && rep.integer == 1;
  }

  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::poll_device, {key("d:", h)}, {time_arg(now), std::string(client_id), std::string(h)},
             false, rep, ec))
      return {};
    const auto status = status_of(rep);
    if (status < 0 || status > 5) return corrupt<poll_result>(ec);
    poll_result out;
    out.status = static_cast<poll_status>(status);
    if (rep.elements.size() > 1 && !decode_device(rep, 1, out.record, ec)) return {};
    return out;
  }

  // --- one-time ids ---------------------------------------------------------------------
  bool use_once(std::string_view k, time_point expires_at, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    if (!run(detail::redis_impl::script_id::use_once, {key("j:", k)}, {time_arg(expires_at), time_arg(now), ttl_arg(expires_at, now)},
             false, rep, ec))
      return false;
    return rep.is_integer() && rep.integer == 1;
  }

  // --- sessions -------------------------------------------------------------------------
  /// Refuses (`error::store_failure`) an `upstream` over session_record::max_upstream_size.
  void put_session(std::string_view h, const session_record& r, std::error_code& ec) {
    if (r.upstream.size() > session_record::max_upstream_size) {
      ec = error::store_failure;
      return;
    }
    put_record(key("e:", h), detail::redis_impl::encode(r), r.expires_at, "", ec);
  }

  std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    const std::string k = key("e:", h);
    if (!command({"HGET", k, "r"}, true, rep, ec) || rep.is_nil()) return std::nullopt;
    session_record s;
    if (!rep.is_string() || !detail::redis_impl::decode(rep.str, s)) return corrupt<std::optional<session_record>>(ec);
    if (now >= s.expires_at) return std::nullopt;
    return s;
  }

  void delete_session(std::string_view h, std::error_code& ec) {
    detail::redis_reply rep;
    const std::string k = key("e:", h);
    command({"DEL", k}, true, rep, ec);
  }

  // --- consents -------------------------------------------------------------------------
  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r, std::error_code& ec) {
    detail::redis_reply rep;
    run(detail::redis_impl::script_id::put_consent, {key("s:", subject)},
        {std::string(client_id), time_arg(r.expires_at) + ";" + detail::redis_impl::encode(r), ttl_arg(r.expires_at, reference_now())},
        true, rep, ec);
  }

  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now,
                                             std::error_code& ec) {
    saw(now);
    detail::redis_reply rep;
    const std::string k = key("s:", subject);
    if (!command({"HGET", k, client_id}, true, rep, ec) || rep.is_nil()) return std::nullopt;
    consent_record c;
    const auto semi = rep.str.find(';');
    if (!rep.is_string() || semi == std::string::npos ||
        !detail::redis_impl::decode(std::string_view(rep.str).substr(semi + 1), c))
      return corrupt<std::optional<consent_record>>(ec);
    if (now >= c.expires_at) return std::nullopt;
    return c;
  }

  void delete_consents(std::string_view subject, std::error_code& ec) {
    detail::redis_reply rep;
    const std::string k = key("s:", subject);
    command({"DEL", k}, true, rep, ec);
  }

  // --- maintenance ----------------------------------------------------------------------
  /// Forgets everything of this store that expired by `now` (SCAN over the key prefix, a
  /// script per batch), whatever Redis's own clock says. Redis's TTLs do this in production;
  /// this is for maintenance and for tests that move a fake clock. O(keys of the store).
  void sweep(time_point now, std::error_code& ec) {
    // Not `saw(now)`: a maintenance sweep "as of tomorrow" must not move the clock that later
    // writes count their TTLs from.
    const std::string now_arg = time_arg(now);
    scan([&](std::vector<std::string>& keys) {
      detail::redis_reply rep;
      return run(detail::redis_impl::script_id::sweep, std::move(keys), {now_arg}, true, rep, ec);
    }, ec);
  }

  /// Deletes every key of this store (tests; decommissioning a deployment): the keys under
  /// the prefix whose next part is one of the store's kinds, so a store whose prefix extends
  /// this one ("tessera:" and "tessera:staging:") keeps its keys.
  void erase_all(std::error_code& ec) {
    scan([&](std::vector<std::string>& keys) {
      std::vector<std::string_view> argv{"UNLINK"};
      for (auto& k : keys)
        if (own_key(k)) argv.push_back(k);
      if (argv.size() == 1) return true;
      detail::redis_reply rep;
      return command(argv, true, rep, ec);
    }, ec);
  }

  /// The last failure's cause in words (server error text, connection or TLS failure) for
  /// logs; empty if none. Never contains a secret.
  std::string last_error() const {
    std::lock_guard lock(diag_mu_);
    return last_error_;
  }

  const redis_settings& settings() const noexcept { return settings_; }

 private:
  std::error_code throw_ec_;  // the throwing constructor's

  using connection_ptr = std::unique_ptr<detail::redis_connection>;

  std::string key(std::string_view kind, std::string_view id) const {
    std::string k;
    k.reserve(settings_.key_prefix.size() + kind.size() + id.size());
    k.append(settings_.key_prefix).append(kind).append(id);
    return k;
  }
  static std::string time_arg(time_point t) { return detail::redis_impl::time_arg(t); }
  bool own_key(std::string_view k) const noexcept {
    if (k.substr(0, settings_.key_prefix.size()) != settings_.key_prefix) return false;
    k.remove_prefix(settings_.key_prefix.size());
    const auto colon = k.find(':');
    if (colon == std::string_view::npos) return false;
    const auto kind = k.substr(0, colon);
    for (std::string_view known : {"c", "r", "a", "f", "h", "j", "e", "s", "d", "u", "da", "dc", "dq", "ds", "dp"})
      if (kind == known) return true;
    return false;
  }
  std::string ttl_arg(time_point x, time_point ref) const { return std::to_string(detail::redis_impl::ttl_ms(x, ref, slack_)); }

  // The latest `now` any operation was given: TTLs of writes that get none are counted from it.
  // Never more than a few minutes ahead of this host's clock: one request with a wild `now`
  // must not shorten every later TTL.
  void saw(time_point now) noexcept {
    const auto v = std::min(detail::to_stored(now),
                            detail::to_stored(std::chrono::system_clock::now() + std::chrono::minutes(5)));
    auto cur = last_now_.load(std::memory_order_relaxed);
    while (v > cur && !last_now_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
  }
  time_point reference_now() const noexcept {
    const auto v = last_now_.load(std::memory_order_relaxed);
    return v != 0 ? detail::from_stored(v) : std::chrono::system_clock::now();
  }

  void note(std::string why) {
    std::lock_guard lock(diag_mu_);
    last_error_ = std::move(why);
  }

  template <class R>
  R corrupt(std::error_code& ec) {
    note("malformed record or reply");
    ec = error::store_failure;
    return R{};
  }

  static long long status_of(const detail::redis_reply& rep) {
    return rep.is_array() && !rep.elements.empty() && rep.elements[0].is_integer() ? rep.elements[0].integer : -1;
  }

  bool decode_at(const detail::redis_reply& rep, std::size_t i, code_record& r, std::error_code& ec) {
    if (rep.elements.size() <= i || !rep.elements[i].is_string() || !detail::redis_impl::decode(rep.elements[i].str, r))
      return corrupt<bool>(ec);
    return true;
  }
  // {grant, x} at i
  bool decode_refresh(const detail::redis_reply& rep, std::size_t i, refresh_record& r, std::error_code& ec) {
    if (rep.elements.size() < i + 2 || !rep.elements[i].is_string() || !rep.elements[i + 1].is_string() ||
        !detail::redis_impl::decode(rep.elements[i].str, r.grant) ||
        !detail::redis_impl::parse_time_arg(rep.elements[i + 1].str, r.expires_at))
      return corrupt<bool>(ec);
    return true;
  }
  // {static record, interval, last poll, state, grant} at i
  bool decode_device(const detail::redis_reply& rep, std::size_t i, device_record& d, std::error_code& ec) {
    if (rep.elements.size() < i + 5) return corrupt<bool>(ec);
    for (std::size_t k = i; k < i + 5; ++k)
      if (!rep.elements[k].is_string()) return corrupt<bool>(ec);
    const auto& e = rep.elements;
    long long interval = 0;
    int state = -1;
    try {
      interval = std::stoll(e[i + 1].str);
      state = std::stoi(e[i + 3].str);
    } catch (...) {
      return corrupt<bool>(ec);
    }
    if (!detail::redis_impl::decode_static(e[i].str, d) || !detail::redis_impl::parse_time_arg(e[i + 2].str, d.last_poll) ||
        state < 0 || state > 2)
      return corrupt<bool>(ec);
    d.interval = seconds(interval);
    d.state = static_cast<device_state>(state);
    d.grant = {};
    if (!e[i + 4].str.empty() && !detail::redis_impl::decode(e[i + 4].str, d.grant)) return corrupt<bool>(ec);
    return true;
  }

  // Replaces a record (hash: r, x, f) and raises its family's horizon.
  void put_record(std::string k, std::string blob, time_point x, std::string_view family, std::error_code& ec) {
    const auto ref = reference_now();
    std::vector<std::string> keys{std::move(k)};
    if (!family.empty()) keys.push_back(key("h:", family));
    detail::redis_reply rep;
    run(detail::redis_impl::script_id::put_record, std::move(keys),
        {std::move(blob), time_arg(x), ttl_arg(x, ref), std::string(family), time_arg(ref)}, true, rep, ec);
  }

  // Runs a script (EVALSHA; EVAL when the server does not have it cached). An error reply is
  // a failure: store_unavailable when transient, store_failure otherwise.
  bool run(detail::redis_impl::script_id id, std::vector<std::string> keys, std::vector<std::string> args, bool idempotent,
           detail::redis_reply& rep, std::error_code& ec) {
    ec.clear();
    const auto& s = detail::redis_impl::lua(id);
    const std::string nkeys = std::to_string(keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(6 + keys.size() + args.size());
    argv.push_back("EVALSHA");
    argv.push_back(s.sha);
    argv.push_back(nkeys);
    for (auto& k : keys) argv.push_back(k);
    for (auto& a : args) argv.push_back(a);
    argv.push_back(settings_.key_prefix);
    argv.push_back(floor_arg_);
    argv.push_back(slack_arg_);
    if (!command(argv, idempotent, rep, ec, false)) return false;
    if (rep.is_error() && rep.str.starts_with("NOSCRIPT")) {
      // Not run: the server does not know the script (restarted, SCRIPT FLUSH). EVAL caches it.
      argv[0] = "EVAL";
      argv[1] = s.text;
      if (!command(argv, idempotent, rep, ec, false)) return false;
    }
    return !server_error(rep, ec);
  }

  bool command(std::vector<std::string_view> argv, bool idempotent, detail::redis_reply& rep, std::error_code& ec,
               bool check_reply = true) {
    ec.clear();
    if (!valid_) {
      ec = error::store_settings_invalid;
      return false;
    }
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto c = acquire(reused, ec);
      if (!c) return false;
      bool sent = false;
      std::error_code e;
      try {
        e = c->exec(argv, rep, settings_.command_timeout, sent);
      } catch (...) {  // out of memory while encoding or reading: the connection's state is unknown
        release(std::move(c), false);
        ec = error::store_failure;
        return false;
      }
      if (!e) {
        const bool keep = c->reusable();
        release(std::move(c), keep);
        return !check_reply || !server_error(rep, ec);
      }
      note(c->last_error());
      const bool timed_out = c->timed_out();
      release(std::move(c), false);
      // Once more, on a new connection, only if running it twice cannot change the outcome:
      // the command never left whole (the server cannot have run it), or it is idempotent.
      if (attempt == 0 && reused && !timed_out && e == error::store_unavailable && (!sent || idempotent)) continue;
      ec = e;
      return false;
    }
  }

  bool server_error(const detail::redis_reply& rep, std::error_code& ec) {
    if (!rep.is_error()) return false;
    note("server: " + rep.str.substr(0, 200));
    ec = detail::redis_impl::transient_reply(rep.str) ? error::store_unavailable : error::store_failure;
    return true;
  }

  // SCAN over the prefix, `f(keys)` for each non-empty batch; stops at the first failure.
  template <class F>
  void scan(F&& f, std::error_code& ec) {
    ec.clear();
    std::string cursor = "0";
    const std::string pattern = settings_.key_prefix + "*";  // the prefix has no glob character
    do {
      detail::redis_reply rep;
      if (!command({"SCAN", cursor, "MATCH", pattern, "COUNT", "500"}, true, rep, ec)) return;
      if (!rep.is_array() || rep.elements.size() != 2 || !rep.elements[0].is_string() || !rep.elements[1].is_array()) {
        corrupt<bool>(ec);
        return;
      }
      cursor = rep.elements[0].str;
      std::vector<std::string> keys;
      for (auto& k : rep.elements[1].elements)
        if (k.is_string()) keys.push_back(std::move(k.str));
      if (!keys.empty() && !f(keys)) return;
    } while (cursor != "0");
  }

  // --- pool -----------------------------------------------------------------------------
  connection_ptr acquire(bool& reused, std::error_code& ec) {
    const auto deadline = std::chrono::steady_clock::now() + settings_.acquire_timeout;
    std::unique_lock lock(mu_);
    for (;;) {
      while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        lock.unlock();
        if (c->still_open()) {
          reused = true;
          return c;
        }
        c.reset();  // closed by the server (a restart, an idle timeout): replace it
        lock.lock();
        --open_;
      }
      if (open_ < settings_.pool_size) {
        ++open_;
        lock.unlock();
        connection_ptr c;
        try {
          c = connect(ec);
        } catch (...) {  // the slot must not leak
          ec = error::store_failure;
        }
        if (c) {
          reused = false;
          return c;
        }
        lock.lock();
        --open_;
        cv_.notify_one();
        return nullptr;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= settings_.pool_size) {
        lock.unlock();
        note("no connection became free within acquire_timeout");
        ec = error::store_unavailable;
        return nullptr;
      }
    }
  }

  void release(connection_ptr c, bool keep) {
    {
      std::lock_guard lock(mu_);
      if (keep) idle_.push_back(std::move(c));
      else --open_;
    }
    cv_.notify_one();
    // a connection not kept closes here, outside the lock
  }

  connection_ptr connect(std::error_code& ec) {
    auto c = std::make_unique<detail::redis_connection>();
    if (auto e = c->connect(settings_.host, settings_.port, ssl_ ? &*ssl_ : nullptr, verify_name_, settings_.connect_timeout)) {
      note(c->last_error());
      ec = e;
      return nullptr;
    }
    auto step = [&](std::vector<std::string_view> argv, const char* what) {
      detail::redis_reply rep;
      bool sent = false;
      if (auto e = c->exec(argv, rep, settings_.command_timeout, sent)) {
        note(c->last_error());
        ec = e;
        return false;
      }
      if (rep.is_error()) {
        note(std::string(what) + " refused: " + rep.str.substr(0, 200));
        ec = detail::redis_impl::transient_reply(rep.str) ? error::store_unavailable : error::store_failure;
        return false;
      }
      return true;
    };
    if (!settings_.password.empty()) {
      std::vector<std::string_view> auth{"AUTH"};
      if (!settings_.username.empty()) auth.push_back(settings_.username);
      auth.push_back(settings_.password);
      if (!step(std::move(auth), "AUTH")) return nullptr;
    }
    if (settings_.database != 0) {
      const std::string db = std::to_string(settings_.database);
      if (!step({"SELECT", db}, "SELECT")) return nullptr;
    }
    // Something must have been answered before the connection counts as open: a plain
    // connection to a TLS port, or to a server that wants AUTH, fails here, not later.
    if (settings_.password.empty() && settings_.database == 0 && !step({"PING"}, "PING")) return nullptr;
    return c;
  }

  redis_settings settings_;
  std::string verify_name_;
  std::string floor_arg_, slack_arg_;
  std::int64_t slack_ = 0;
  bool valid_ = false;
  std::optional<boost::asio::ssl::context> ssl_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<connection_ptr> idle_;
  std::size_t open_ = 0;

  std::atomic<std::int64_t> last_now_{0};
  mutable std::mutex diag_mu_;
  std::string last_error_;
};

static_assert(full_store<redis>);

}  // namespace tessera::store

#endif
