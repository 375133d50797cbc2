// tessera — identity/session.hpp
//
// Browser sessions of the identity layer: a random session id in an AES-256-GCM sealed cookie,
// the session itself in a `store::session_store` under `store::token_hash(id)`. Shared by every
// identity policy (the local users file here; the external-IdP relying party later).
//
// Why both a sealed cookie and a store entry:
//  * the store entry makes logout real — deleting it kills the session everywhere, even if
//    the cookie was copied (Flyte only clears cookies: a copied cookie lives on);
//  * the store keeps only the hash of the id (attack row 24), so a store dump logs nobody in;
//  * sealing the id (`http::seal_cookie`: the cookie name is associated data, the expiry is
//    inside) means a tampered, swapped or stale cookie is refused before the store is asked.
//
// Session fixation (attack row 16): `start` always draws a fresh 256-bit id; nothing a
// browser presents is ever promoted to a session. Callers end any session the browser
// already carries before starting a new one (`local` does).
//
// Cookie names and the Secure attribute, decided per request by `secure_cookies(ctx)`:
//  * `options.secure_cookies` true (the default; set it when TLS ends at a proxy in front of
//    tessera), or the request came over TLS (`request_context::tls`):
//        `__Host-tessera_session`, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain.
//    The `__Host-` prefix makes the browser refuse a cookie of that name set by a sibling
//    subdomain or over plain HTTP (cookie tossing).
//  * otherwise (plain-HTTP loopback development only: browsers drop Secure and `__Host-`
//    cookies on http): `tessera_session`, HttpOnly, SameSite=Lax, Path=/, without Secure.
// A request only ever reads the cookie of its own mode, so in secure mode a plain
// `tessera_session` planted over http is never looked at, and a value moved from one name to
// the other fails to open (the name is sealed in). A cookie sent twice is refused.
//
// Lifetime is absolute (`options.lifetime`, default 8 h, from login): no sliding renewal, so a
// stolen cookie has a bounded life. The cookie's Max-Age, the sealed expiry and the store
// record's `expires_at` are the same instant.
#ifndef TESSERA_IDENTITY_SESSION_HPP
#define TESSERA_IDENTITY_SESSION_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/aead.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/sealed_cookie.hpp>
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

struct session_options {
  seconds lifetime{std::chrono::hours(8)};  // absolute, from login
  bool secure_cookies = true;               // false only for plain-HTTP loopback development
};

/// Whether cookies for this request get the `__Host-` name and Secure (rules above).
inline bool secure_cookies(bool configured, const transport::request_context& ctx) noexcept {
  return configured || ctx.tls;
}

/// The attributes of a cookie tessera sets for a browser: host-only, Path=/, HttpOnly.
inline http::cookie_attributes browser_cookie_attributes(bool secure, seconds max_age,
                                                        http::same_site_policy same_site = http::same_site_policy::lax) {
  http::cookie_attributes a;
  a.secure = secure;
  a.http_only = true;
  a.same_site = same_site;
  a.path = "/";
  a.max_age = max_age;
  return a;
}

/// The cookies of a request (all `Cookie` fields joined, as RFC 6265 §5.4 would send them in
/// one). A malformed or oversized header reads as no cookies: the caller is then simply not
/// logged in.
inline http::request_cookies request_cookies_of(const transport::request& req) {
  std::string joined;
  for (auto it = req.find(transport::http::field::cookie); it != req.end() && it->name() == transport::http::field::cookie;
       ++it) {
    if (!joined.empty()) joined.append("; ");
    joined.append(it->value());
  }
  std::error_code ec;
  auto cookies = http::parse_cookie_header(joined, ec);
  return ec ? http::request_cookies{} : cookies;
}

/// Sessions kept in `Store`, keyed by sealed cookies. Const member functions are thread-safe
/// when the store's are. Holds references: the store, the sealer and the clock must outlive it.
template <class Store, class Clock = system_clock>
class session_manager {
  static_assert(store::session_store<Store>,
                "tessera::identity::session_manager needs a store that models tessera::store::session_store");

 public:
  static constexpr std::string_view secure_cookie_name = "__Host-tessera_session";
  static constexpr std::string_view plain_cookie_name = "tessera_session";

  /// A live session: the hash it is stored under, and its record.
  struct session {
    std::string id_hash;
    store::session_record record;
  };

  session_manager(Store& store, const crypto::sealer& sealer, session_options options, const Clock& clock)
      : store_(store), sealer_(sealer), options_(options), clock_(clock) {
    TESSERA_ASSERT(options_.lifetime.count() > 0);
  }

  const session_options& options() const noexcept { return options_; }
  bool secure(const transport::request_context& ctx) const noexcept { return secure_cookies(options_.secure_cookies, ctx); }
  std::string_view cookie_name(const transport::request_context& ctx) const noexcept {
    return secure(ctx) ? secure_cookie_name : plain_cookie_name;
  }

  /// Starts a session for `u` under a fresh random id and returns the `Set-Cookie` value that
  /// hands it to the browser. `claims` of `u` are stored as JSON. Fails as the store does,
  /// or with `random_failure` / `crypto_failure`; then returns "" and stores nothing usable.
  std::string start(const user& u, const transport::request_context& ctx, std::error_code& ec) const {
    ec = {};
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
    rec.expires_at = std::chrono::floor<seconds>(now) + options_.lifetime;
    rec.csrf_secret = crypto::random_token();

    const bool sec = secure(ctx);
    const std::string_view name = sec ? secure_cookie_name : plain_cookie_name;
    std::string sealed = http::seal_cookie(sealer_, name, id, rec.expires_at, ec);
    std::string hash = store::token_hash(id);
    OPENSSL_cleanse(id.data(), id.size());
    if (ec) return {};
    std::string header = http::set_cookie(name, sealed, browser_cookie_attributes(sec, options_.lifetime), ec);
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
    const auto cookies = request_cookies_of(req);
    const time_point now = clock_.now();
    std::error_code cookie_ec;
    auto id = http::open_cookie(sealer_, cookies, cookie_name(ctx), now, cookie_ec);
    if (!id) return std::nullopt;
    session s{store::token_hash(*id), {}};
    OPENSSL_cleanse(id->data(), id->size());
    auto rec = store_.find_session(s.id_hash, now, ec);
    if (ec || !rec) return std::nullopt;
    s.record = std::move(*rec);
    return s;
  }

  /// The user of the request's session (see `find`). A record whose claims are not a JSON
  /// object reads as no session.
  std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                   std::error_code& ec) const {
    auto s = find(req, ctx, ec);
    if (!s) return std::nullopt;
    return to_user(s->record);
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
    return expire_cookie_header(ctx, ec);
  }

  /// The `Set-Cookie` value that removes the session cookie of this request's mode.
  std::string expire_cookie_header(const transport::request_context& ctx, std::error_code& ec) const {
    const bool sec = secure(ctx);
    return http::expire_cookie(sec ? secure_cookie_name : plain_cookie_name, browser_cookie_attributes(sec, seconds{0}), ec);
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
  const crypto::sealer& sealer_;
  session_options options_;
  const Clock& clock_;
};

}  // namespace tessera::identity

#endif
