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

/// Sessions kept in `Store`, keyed by sealed cookies. Const member functions are thread-safe
/// when the store's are. Holds references: the store, the browser and the clock must outlive it.
template <class Store, class Clock = system_clock>
class session_manager {
  static_assert(store::session_store<Store>,
                "tessera::identity::session_manager needs a store that models tessera::store::session_store");

 public:
  /// The cookie's name in plain mode; `__Host-tessera_session` in secure mode.
  static constexpr std::string_view cookie = "tessera_session";

  /// A live session: the hash it is stored under, its record, and its upstream tokens opened
  /// (`upstream`, empty for a local login) with the key they are sealed under.
  struct session {
    std::string id_hash;
    store::session_record record;
    std::string upstream;
    std::string upstream_key;  // derived from the session id; never stored
  };

  session_manager(Store& store, const browser& b, seconds lifetime, const Clock& clock)
      : store_(store), browser_(b), lifetime_(lifetime), clock_(clock) {
    TESSERA_ASSERT(lifetime_.count() > 0);
  }

  seconds lifetime() const noexcept { return lifetime_; }
  /// The store sessions are kept in.
  Store& store() const noexcept { return store_; }
  /// The session cookie's name for this request.
  std::string cookie_name(const transport::request_context& ctx) const { return browser_.cookie_name(ctx, cookie); }

  /// Starts a session for `u` under a fresh random id and returns the `Set-Cookie` value that
  /// hands it to the browser. `claims` of `u` are stored as JSON, `upstream` (an external
  /// login's IdP tokens; at most `session_record::max_upstream_size` bytes, else
  /// `input_too_large`) sealed as the header comment says. Fails as the store does, or with
  /// `random_failure` / `crypto_failure`; then returns "" and stores nothing usable.
  std::string start(const user& u, const transport::request_context& ctx, std::error_code& ec,
                    std::string_view upstream = {}) const {
    ec = {};
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
    return header;
  }

  /// The live session the request's cookie names, or nullopt: no cookie, a cookie sent twice,
  /// one that does not open (tampered, swapped, another key, expired), or a session the store
  /// no longer has (logged out, expired). `ec` is set for store failures only.
  std::optional<session> find(const transport::request& req, const transport::request_context& ctx,
                              std::error_code& ec) const {
    ec = {};
    const time_point now = clock_.now();
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
  /// failures. `s.upstream` becomes `upstream`.
  void replace_upstream(session& s, std::string_view upstream, std::error_code& ec) const {
    ec = {};
    if (upstream.size() > store::session_record::max_upstream_size || s.upstream_key.empty()) {
      ec = s.upstream_key.empty() ? std::error_code(error::session_invalid) : std::error_code(error::input_too_large);
      return;
    }
    store::session_record rec = s.record;
    rec.upstream = crypto::sealer(s.upstream_key).seal(upstream, s.id_hash, ec);
    if (ec) return;
    store_.put_session(s.id_hash, rec, ec);
    if (ec) return;
    s.record = std::move(rec);
    s.upstream.assign(upstream);
  }

  /// Deletes session `s` from the store (its cookie then opens to nothing).
  void remove(const session& s, std::error_code& ec) const { store_.delete_session(s.id_hash, ec); }

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
  /// `Set-Cookie` value that removes the cookie. On a store failure the session is still
  /// alive: `ec` is set and "" returned, so the caller does not claim a logout that did not
  /// happen.
  std::string end(const transport::request& req, const transport::request_context& ctx, std::error_code& ec) const {
    auto s = find(req, ctx, ec);
    if (ec) return {};
    if (s) {
      store_.delete_session(s->id_hash, ec);
      if (ec) return {};
    }
    return browser_.expire_cookie(ctx, cookie, ec);
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
  Store& store_;
  const browser& browser_;
  seconds lifetime_;
  const Clock& clock_;
};

}  // namespace tessera::identity

#endif
