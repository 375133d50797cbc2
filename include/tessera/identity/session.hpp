// tessera — identity/session.hpp
//
// Browser sessions of the identity layer: a random session id in an AES-256-GCM sealed cookie,
// the session itself in a `store::session_store` under `store::token_hash(id)`. Shared by every
// identity policy through `session_identity` (the local users file; the external-IdP relying
// party).
//
// Why both a sealed cookie and a store entry:
//  * the store entry makes logout real — deleting it kills the session everywhere, even if
//    the cookie was copied (Flyte only clears cookies: a copied cookie lives on);
//  * the store keeps only the hash of the id (docs/security.md row 24), so a store dump logs nobody in;
//  * sealing the id (`browser::seal_cookie`: the cookie name is associated data, the expiry is
//    inside) means a tampered, swapped or stale cookie is refused before the store is asked.
//
// Session fixation (docs/security.md row 16): `start` always draws a fresh 256-bit id; nothing a
// browser presents is ever promoted to a session. Callers end any session the browser
// already carries before starting a new one (`session_identity` does).
//
// The cookie is the browser layer's (`browser.hpp`), named by its mode:
// `__Host-tessera_session`, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain — or, in
// plain-HTTP loopback development, `tessera_session` without Secure. A request only ever reads
// the cookie of its own mode, so in secure mode a plain `tessera_session` planted over http is
// never looked at, and a value moved from one name to the other fails to open (the name is
// sealed in). A cookie sent twice is refused.
//
// An external login (identity/oidc.hpp) keeps the identity provider's tokens with the session
// (`upstream`, the authenticator's own format): sealed with AES-256-GCM under a key derived
// from the session id (HMAC-SHA-256), which only the browser's cookie holds — the store sees
// the id's hash and the sealed bytes, so neither a store dump nor a stolen cookie key alone
// reveals an IdP token. The id hash is the associated data: sealed tokens moved to another
// session do not open.
//
// Stateless sessions (`session_storage::cookies`): for deployments without a shared store
// (several replicas on the memory store), the session itself — person, claims, auth time,
// expiry, IdP tokens — travels in sealed cookies, split into numbered chunks of under 4 KB each
// (`tessera_session_1`, `tessera_session_2`, ...; Azure AD's tokens alone exceed 4,096 bytes).
// Each chunk is sealed under its own name and carries the session's random id and the chunk
// count, so chunks cannot be reordered, dropped or mixed with another session's. The price, as
// in Flyte: logout clears this browser's cookies, but a copied cookie stays valid until it
// expires, and a silent refresh of the IdP's tokens can only be kept where the answer is the
// identity's own (/me), since it needs new cookies. Requests then carry the session's size in
// `Cookie` (up to 8 chunks of under 4 KiB): raise the server's `header_limit` (8 KiB by
// default; 48 KiB covers the largest).
//
// Lifetime is absolute (`lifetime`, default 8 h, from login): no sliding renewal, so a stolen
// cookie has a bounded life. The cookie's Max-Age, the sealed expiry and the store record's
// `expires_at` are the same instant.
#ifndef TESSERA_IDENTITY_SESSION_HPP
#define TESSERA_IDENTITY_SESSION_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/aead.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::identity {

/// Where sessions live (header comment).
enum class session_storage {
  store,    // the store keeps the session; the cookie holds its id
  cookies,  // the sealed cookies hold the whole session
};

/// Sessions kept in `Store`, keyed by sealed cookies. Const member functions are thread-safe
/// when the store's are. Holds references: the store, the browser and the clock must outlive it.
template <class Store, class Clock = system_clock>
class session_manager {
  static_assert(store::session_store<Store>,
                "tessera::identity::session_manager needs a store that models tessera::store::session_store");

 public:
  /// The cookie's name in plain mode; `__Host-tessera_session` in secure mode.
  static constexpr std::string_view cookie = "tessera_session";

  /// Stateless sessions: plain bytes of a session per cookie chunk, and chunks at most.
  static constexpr std::size_t chunk_bytes = 2800;
  static constexpr std::size_t max_chunks = 8;

  /// A live session: the hash it is stored under (stateless: of its random id), its record,
  /// and its upstream tokens opened (`upstream`, empty for a local login) with the key they are
  /// sealed under (store mode).
  struct session {
    std::string id_hash;
    store::session_record record;
    std::string upstream;
    std::string upstream_key;  // derived from the session id; never stored
  };

  session_manager(Store& store, const browser& b, seconds lifetime, const Clock& clock,
                  session_storage storage = session_storage::store)
      : store_(store), browser_(b), lifetime_(lifetime), clock_(clock), storage_(storage) {
    TESSERA_ASSERT(lifetime_.count() > 0);
  }

  seconds lifetime() const noexcept { return lifetime_; }
  session_storage storage() const noexcept { return storage_; }
  /// The store sessions are kept in.
  Store& store() const noexcept { return store_; }
  /// The session cookie's name for this request.
  std::string cookie_name(const transport::request_context& ctx) const { return browser_.cookie_name(ctx, cookie); }

  /// Starts a session for `u` under a fresh random id and returns the `Set-Cookie` values that
  /// hand it to the browser (`req`: the request it answers, whose stale chunks are expired).
  /// `claims` of `u` are stored as JSON, `upstream` (an external login's IdP tokens; at most
  /// `session_record::max_upstream_size` bytes, else `input_too_large`) sealed as the header
  /// comment says. Fails as the store does, with `random_failure` / `crypto_failure`, or
  /// (stateless) `input_too_large` past `max_chunks`; then returns nothing and stores nothing
  /// usable.
  set_cookie_lines start(const user& u, const transport::request& req, const transport::request_context& ctx,
                         std::error_code& ec, std::string_view upstream = {}) const {
    ec = {};
    if (storage_ == session_storage::cookies) return start_in_cookies(u, req, ctx, ec, upstream);
    if (upstream.size() > store::session_record::max_upstream_size) {
      ec = error::input_too_large;
      return {};
    }
    std::array<unsigned char, 32> raw;
    crypto::random_bytes(raw, ec);
    if (ec) return {};
    std::string id = crypto::base64url_encode(raw);
    OPENSSL_cleanse(raw.data(), raw.size());

    const time_point now = clock_.now();
    store::session_record rec;
    rec.subject = u.subject;
    rec.user_claims = boost::json::serialize(u.claims);
    rec.auth_time = u.auth_time == time_point{} ? now : u.auth_time;
    // Whole seconds: the sealed cookie carries its expiry in Unix seconds.
    rec.expires_at = std::chrono::floor<seconds>(now) + lifetime_;

    std::string header = browser_.seal_cookie(ctx, cookie, id, lifetime_, now, ec);
    std::string hash = store::token_hash(id);
    if (!ec && !upstream.empty()) {
      std::string key = upstream_key(id, ec);
      if (!ec) rec.upstream = crypto::sealer(key).seal(upstream, hash, ec);
      OPENSSL_cleanse(key.data(), key.size());
    }
    OPENSSL_cleanse(id.data(), id.size());
    if (ec) return {};
    store_.put_session(hash, rec, ec);
    if (ec) return {};
    set_cookie_lines out;
    out.add(std::move(header));
    return out;
  }

  /// The live session the request's cookie names, or nullopt: no cookie, a cookie sent twice,
  /// one that does not open (tampered, swapped, another key, expired), or a session the store
  /// no longer has (logged out, expired). `ec` is set for store failures only.
  std::optional<session> find(const transport::request& req, const transport::request_context& ctx,
                              std::error_code& ec) const {
    ec = {};
    const time_point now = clock_.now();
    if (storage_ == session_storage::cookies) return find_in_cookies(req, ctx, now);
    std::error_code cookie_ec;
    auto id = browser_.open_cookie(req, ctx, cookie, now, cookie_ec);
    if (!id) return std::nullopt;
    session s{store::token_hash(*id), {}, {}, {}};
    auto rec = store_.find_session(s.id_hash, now, ec);
    if (ec || !rec) {
      OPENSSL_cleanse(id->data(), id->size());
      return std::nullopt;
    }
    s.record = std::move(*rec);
    if (!s.record.upstream.empty()) {
      std::error_code open_ec;
      s.upstream_key = upstream_key(*id, open_ec);
      if (!open_ec) s.upstream = crypto::sealer(s.upstream_key).open(s.record.upstream, s.id_hash, open_ec);
      if (open_ec) {  // not sealed for this session: no session
        OPENSSL_cleanse(id->data(), id->size());
        return std::nullopt;
      }
    }
    OPENSSL_cleanse(id->data(), id->size());
    return s;
  }

  /// Replaces the upstream tokens of live session `s` (a silent refresh at the IdP), keeping
  /// everything else. `input_too_large` past `session_record::max_upstream_size`; the store's
  /// failures. `s.upstream` becomes `upstream`. Stateless: the new cookies are returned (the
  /// answer to `req` must carry them).
  set_cookie_lines replace_upstream(session& s, std::string_view upstream, const transport::request& req,
                                    const transport::request_context& ctx, std::error_code& ec) const {
    ec = {};
    if (storage_ == session_storage::cookies) {
      auto out = seal_in_cookies(s, upstream, req, ctx, ec);
      if (!ec) s.upstream.assign(upstream);
      return out;
    }
    if (upstream.size() > store::session_record::max_upstream_size || s.upstream_key.empty()) {
      ec = s.upstream_key.empty() ? std::error_code(error::session_invalid) : std::error_code(error::input_too_large);
      return {};
    }
    store::session_record rec = s.record;
    rec.upstream = crypto::sealer(s.upstream_key).seal(upstream, s.id_hash, ec);
    if (ec) return {};
    store_.put_session(s.id_hash, rec, ec);
    if (ec) return {};
    s.record = std::move(rec);
    s.upstream.assign(upstream);
    return {};
  }

  /// Ends session `s`: deleted from the store (its cookie then opens to nothing); stateless,
  /// the returned values expire its cookies.
  set_cookie_lines remove(const session& s, const transport::request& req, const transport::request_context& ctx,
                          std::error_code& ec) const {
    ec = {};
    if (storage_ == session_storage::cookies) return expire_cookies(req, ctx, ec);
    store_.delete_session(s.id_hash, ec);
    return {};
  }

  /// The user of the request's session (see `find`), with a `login_id` that names this
  /// session. A record whose claims are not a JSON object reads as no session.
  std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                   std::error_code& ec) const {
    auto s = find(req, ctx, ec);
    if (!s) return std::nullopt;
    return user_of(*s);
  }

  /// The user of live session `s`, as `current_user` describes.
  static std::optional<user> user_of(const session& s) {
    auto u = to_user(s.record);
    // Every login draws a new session id, so a one-way function of it names the login
    // (docs/security.md row 35) without revealing the key the session is stored under.
    if (u) u->login_id = store::token_hash(s.id_hash);
    return u;
  }

  /// Deletes the request's session from the store (when it has one) and returns the
  /// `Set-Cookie` values that remove its cookies. On a store failure the session is still
  /// alive: `ec` is set and nothing returned, so the caller does not claim a logout that did
  /// not happen.
  set_cookie_lines end(const transport::request& req, const transport::request_context& ctx, std::error_code& ec) const {
    if (storage_ == session_storage::cookies) return expire_cookies(req, ctx, ec);
    auto s = find(req, ctx, ec);
    if (ec) return {};
    if (s) {
      store_.delete_session(s->id_hash, ec);
      if (ec) return {};
    }
    set_cookie_lines out;
    out.add(browser_.expire_cookie(ctx, cookie, ec));
    return out;
  }

  /// The key a session's upstream tokens are sealed under: HMAC-SHA-256 of a fixed label under
  /// the session id.
  static std::string upstream_key(std::string_view id, std::error_code& ec) {
    auto d = crypto::hmac_sha256(id, "tessera session upstream tokens v1", ec);
    std::string key(reinterpret_cast<const char*>(d.data()), d.size());
    OPENSSL_cleanse(d.data(), d.size());
    return key;
  }

  /// A session record as a user; nullopt when its claims are not a JSON object.
  static std::optional<user> to_user(const store::session_record& rec) {
    user u;
    u.subject = rec.subject;
    u.auth_time = rec.auth_time;
    if (!rec.user_claims.empty()) {
      std::error_code json_ec;
      auto v = boost::json::parse(rec.user_claims, json_ec);
      if (json_ec || !v.is_object()) return std::nullopt;
      u.claims = std::move(v.as_object());
    }
    return u;
  }

 private:
  // --- stateless sessions ---------------------------------------------------------------

  std::string chunk_name(std::size_t i) const { return std::string(cookie) + "_" + std::to_string(i); }

  set_cookie_lines start_in_cookies(const user& u, const transport::request& req, const transport::request_context& ctx,
                                    std::error_code& ec, std::string_view upstream) const {
    std::array<unsigned char, 16> raw;
    crypto::random_bytes(raw, ec);
    if (ec) return {};
    session s;
    s.id_hash = crypto::base64url_encode(raw);  // the session's random id (public: names the chunks)
    const time_point now = clock_.now();
    s.record.subject = u.subject;
    s.record.user_claims = boost::json::serialize(u.claims);
    s.record.auth_time = u.auth_time == time_point{} ? now : u.auth_time;
    s.record.expires_at = std::chrono::floor<seconds>(now) + lifetime_;
    return seal_in_cookies(s, upstream, req, ctx, ec);
  }

  // The cookies of session `s` with `upstream`; expires chunks of a longer earlier session.
  set_cookie_lines seal_in_cookies(const session& s, std::string_view upstream, const transport::request& req,
                                   const transport::request_context& ctx, std::error_code& ec) const {
    if (upstream.size() > store::session_record::max_upstream_size) {
      ec = error::input_too_large;
      return {};
    }
    boost::json::object o{{"s", s.record.subject},
                          {"c", s.record.user_claims},
                          {"a", to_unix_seconds(s.record.auth_time)},
                          {"e", to_unix_seconds(s.record.expires_at)}};
    if (!upstream.empty()) o["u"] = upstream;
    std::string plain = boost::json::serialize(o);
    const std::size_t n = (plain.size() + chunk_bytes - 1) / chunk_bytes;
    if (n > max_chunks) {
      OPENSSL_cleanse(plain.data(), plain.size());
      ec = error::input_too_large;
      return {};
    }
    const time_point now = clock_.now();
    const seconds left = std::chrono::duration_cast<seconds>(s.record.expires_at - std::chrono::floor<seconds>(now));
    if (left.count() <= 0) {
      ec = error::session_invalid;
      return {};
    }
    set_cookie_lines out;
    for (std::size_t i = 1; i <= n; ++i) {
      std::string piece = s.id_hash + "." + std::to_string(i) + "." + std::to_string(n) + ".";
      piece.append(std::string_view(plain).substr((i - 1) * chunk_bytes, chunk_bytes));
      out.add(browser_.seal_cookie(ctx, chunk_name(i), piece, left, now, ec));
      OPENSSL_cleanse(piece.data(), piece.size());
      if (ec) break;
    }
    OPENSSL_cleanse(plain.data(), plain.size());
    if (ec) return {};
    // Chunks beyond n that the browser still holds would otherwise linger.
    std::error_code read_ec;
    auto cookies = browser::read_cookies(req, read_ec);
    for (std::size_t i = n + 1; i <= max_chunks && !read_ec; ++i)
      if (cookies.find(browser_.cookie_name(ctx, chunk_name(i)))) out.add(browser_.expire_cookie(ctx, chunk_name(i), ec));
    return out;
  }

  std::optional<session> find_in_cookies(const transport::request& req, const transport::request_context& ctx,
                                         time_point now) const {
    std::string plain;
    std::string id;
    std::size_t count = 0;
    for (std::size_t i = 1; i <= max_chunks && (count == 0 || i <= count); ++i) {
      std::error_code cookie_ec;
      auto piece = browser_.open_cookie(req, ctx, chunk_name(i), now, cookie_ec);
      if (!piece) return std::nullopt;
      // "<id>.<i>.<n>." then the bytes.
      const auto a = piece->find('.');
      const auto b = a == std::string::npos ? a : piece->find('.', a + 1);
      const auto c = b == std::string::npos ? b : piece->find('.', b + 1);
      if (c == std::string::npos) return std::nullopt;
      const std::string_view pid = std::string_view(*piece).substr(0, a);
      const std::string_view index = std::string_view(*piece).substr(a + 1, b - a - 1);
      const std::string_view total = std::string_view(*piece).substr(b + 1, c - b - 1);
      if (index != std::to_string(i) || total.empty() || total.size() > 1 || total[0] < '1' ||
          static_cast<std::size_t>(total[0] - '0') > max_chunks)
        return std::nullopt;
      if (i == 1) {
        id = std::string(pid);
        count = static_cast<std::size_t>(total[0] - '0');
      } else if (pid != id || static_cast<std::size_t>(total[0] - '0') != count) {
        return std::nullopt;
      }
      plain.append(std::string_view(*piece).substr(c + 1));
      OPENSSL_cleanse(piece->data(), piece->size());
    }
    if (count == 0) return std::nullopt;
    std::error_code json_ec;
    auto v = boost::json::parse(plain, json_ec);
    OPENSSL_cleanse(plain.data(), plain.size());
    if (json_ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    const auto* sub = o.if_contains("s");
    const auto* claims = o.if_contains("c");
    const auto* auth = o.if_contains("a");
    const auto* exp = o.if_contains("e");
    const auto* up = o.if_contains("u");
    if (!sub || !sub->is_string() || !claims || !claims->is_string() || !auth || !auth->is_int64() || !exp ||
        !exp->is_int64() || (up && !up->is_string()))
      return std::nullopt;
    session s;
    s.id_hash = std::move(id);
    s.record.subject = std::string(sub->get_string());
    s.record.user_claims = std::string(claims->get_string());
    s.record.auth_time = from_unix_seconds(auth->get_int64());
    s.record.expires_at = from_unix_seconds(exp->get_int64());
    if (now >= s.record.expires_at) return std::nullopt;
    if (up) s.upstream = std::string(up->get_string());
    return s;
  }

  set_cookie_lines expire_cookies(const transport::request& req, const transport::request_context& ctx,
                                  std::error_code& ec) const {
    ec = {};
    set_cookie_lines out;
    std::error_code read_ec;
    auto cookies = browser::read_cookies(req, read_ec);
    for (std::size_t i = 1; i <= max_chunks; ++i)
      if (i == 1 || (!read_ec && cookies.find(browser_.cookie_name(ctx, chunk_name(i)))))
        out.add(browser_.expire_cookie(ctx, chunk_name(i), ec));
    return out;
  }

  Store& store_;
  const browser& browser_;
  seconds lifetime_;
  const Clock& clock_;
  session_storage storage_;
};

}  // namespace tessera::identity

#endif
