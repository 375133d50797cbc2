// tessera — server/token_issuer.hpp
//
// The server's signing keys and the tokens it makes from them.
//
// Keys: one current key signs; old keys (Flyte's `token_rsa_key_old.pem`) only verify; all are
// published in the JWKS, current first. Every key keeps its RFC 7638 thumbprint as `kid`.
// A `key_ring` holds the server's `key_set` while it serves and replaces it whole (rotation
// without a restart: tessera-server does it on SIGHUP). Each signature and each verification
// takes the set current when it starts; the key that signed until a rotation keeps verifying
// for as long as the tokens it signed live.
//
// Tokens:
//  * access tokens: RFC 9068 JWTs — header `typ: at+jwt`, `kid`; claims `iss`, `sub`, `aud`,
//    `client_id`, `scope` (space-separated) and `scp` (the same as an array, which Flyte's
//    resource side reads), `exp`, `iat`, `jti`. Client-credentials tokens have `sub` = the
//    client id (Flyte leaves it out). A person's token also names its grant (`grant_id`, for
//    revocation) and carries Flyte's `user_info` (subject, name, preferred_username,
//    given_name, family_name, email, picture: what the person's claims have).
//  * ID tokens (OIDC Core §2): `iss`, `sub`, `aud` = client id, `azp`, `exp`, `iat`,
//    `auth_time`, `nonce` when one was sent, `at_hash`, and the user's profile claims.
//  * refresh tokens, codes, device codes: 256-bit random strings, stored only as hashes.
#ifndef TESSERA_SERVER_TOKEN_ISSUER_HPP
#define TESSERA_SERVER_TOKEN_ISSUER_HPP

#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/oauth/access_token.hpp>
#include <tessera/oauth/id_token.hpp>
#include <tessera/oauth/scope.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/settings.hpp>
#include <tessera/store/records.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace tessera::server {

class key_set {
 public:
  key_set() = default;
  /// `current` signs; `old` keys stay valid for verification during rotation.
  explicit key_set(jose::jwk current, std::vector<jose::jwk> old = {})
      : access_signer_(current, oauth::access_token_type), id_signer_(current, "JWT") {
    TESSERA_ASSERT(current.has_private_key());
    all_.add(current);
    for (auto& k : old) {
      std::error_code ec;
      all_.add(k.public_key(), ec);  // a duplicate of the current key is simply not added twice
    }
  }

  const jose::jws_signer& access_signer() const noexcept { return access_signer_; }
  const jose::jws_signer& id_signer() const noexcept { return id_signer_; }
  const jose::jwk& current() const noexcept { return access_signer_.key(); }
  /// Every key that verifies the server's tokens.
  const jose::jwk_set& verification_keys() const noexcept { return all_; }
  boost::json::object jwks() const { return all_.public_json(); }

  /// This set with `more` public keys that verify too (those it has already are skipped).
  key_set with_verification_keys(const std::vector<jose::jwk>& more) const {
    key_set out = *this;
    for (const auto& k : more) {
      std::error_code ec;
      out.all_.add(k.public_key(), ec);
    }
    return out;
  }

 private:
  jose::jws_signer access_signer_;
  jose::jws_signer id_signer_;
  jose::jwk_set all_;
};

/// The server's keys while it runs: a `key_set` that `replace` swaps for another at any time,
/// from any thread, while other threads sign and verify.
///
/// `current()` is the set for one operation: a signature (and the `at_hash` beside it) uses
/// one snapshot from start to end, so a rotation in between never mixes two keys. Verifiers
/// read `verification()`, a `jose::shared_key_set` that follows every replacement.
///
/// Rotation keeps what was signed verifiable: `replace(next, keep_until)` adds the key that
/// was current until then to `next`'s verification keys (and JWKS) until `keep_until` — the
/// server passes the longest lifetime of what that key signed — together with keys kept from
/// earlier rotations whose time has not come. A kept key is dropped at the first replacement
/// after its time. A key that must stop verifying at once (a leaked one) needs a restart
/// without it, not a rotation.
///
/// Thread safety: all members may be called concurrently. `current()` copies a shared_ptr
/// under a mutex (tens of nanoseconds beside a signature's tens of microseconds).
class key_ring {
 public:
  explicit key_ring(key_set initial)
      : current_(std::make_shared<const key_set>(std::move(initial))), verify_(current_->verification_keys()) {}

  key_ring(const key_ring&) = delete;
  key_ring& operator=(const key_ring&) = delete;

  std::shared_ptr<const key_set> current() const noexcept {
    std::lock_guard lk(mutex_);
    return current_;
  }

  /// The verification keys of the current set, for validators (follows `replace`).
  const jose::shared_key_set& verification() const noexcept { return verify_; }

  /// Makes `next` current for every operation that starts after this returns. The key
  /// current until now verifies until `keep_until` (nothing kept when it is not after `now`,
  /// or when `next` signs with that very key).
  void replace(key_set next, time_point now, time_point keep_until) {
    std::lock_guard serial(replace_mutex_);  // one rotation at a time
    auto previous = current();
    std::vector<kept_key> kept;
    for (auto& k : kept_)
      if (k.until > now) kept.push_back(std::move(k));
    const auto& prev_key = previous->current();
    if (keep_until > now && prev_key.kid() != next.current().kid()) {
      bool already = false;
      for (auto& k : kept)
        if (k.key.kid() == prev_key.kid()) {
          k.until = std::max(k.until, keep_until);
          already = true;
        }
      if (!already) kept.push_back({prev_key.public_key(), keep_until});
    }
    std::vector<jose::jwk> extra;  // the most recently replaced first
    extra.reserve(kept.size());
    for (auto k = kept.rbegin(); k != kept.rend(); ++k)
      if (k->key.kid() != next.current().kid()) extra.push_back(k->key);
    auto installed = std::make_shared<const key_set>(next.with_verification_keys(extra));
    verify_.update(installed->verification_keys());
    kept_ = std::move(kept);
    std::lock_guard lk(mutex_);
    current_.swap(installed);
  }

 private:
  struct kept_key {
    jose::jwk key;  // public
    time_point until;
  };
  mutable std::mutex mutex_;            // guards current_
  std::shared_ptr<const key_set> current_;
  jose::shared_key_set verify_;
  std::mutex replace_mutex_;            // guards kept_, serialises replace
  std::vector<kept_key> kept_;
};

struct issued_access_token {
  std::string token;
  std::string jti;
  time_point expires_at;
};

class token_issuer {
 public:
  token_issuer(const server_settings& settings, const key_ring& keys)
      : settings_(&settings), keys_(&keys), access_validator_(keys.verification()) {
    oauth::access_token_profile(access_validator_, settings.issuer).leeway(seconds(0));
  }

  /// The `aud` of a client's access tokens, allocated from `sp`.
  boost::json::value audience_for(const client& c, std::string_view requested, boost::json::storage_ptr sp = {}) const {
    std::vector<std::string_view> aud;
    if (!requested.empty()) aud = oauth::split_scope(requested);
    else if (!c.audience.empty()) aud.assign(c.audience.begin(), c.audience.end());
    else if (!settings_->default_audience.empty())
      aud.assign(settings_->default_audience.begin(), settings_->default_audience.end());
    else aud.push_back(settings_->issuer);
    if (aud.size() == 1) return boost::json::string(aud.front(), std::move(sp));
    boost::json::array a(std::move(sp));
    a.reserve(aud.size());
    for (auto s : aud) a.emplace_back(s);
    return a;
  }

  issued_access_token access_token(const store::grant_record& g, const client& c, time_point now,
                                   std::error_code& ec) const {
    issued_access_token out;
    out.jti = crypto::random_token<16>();
    out.expires_at = now + settings_->access_token_lifespan;
    // The claims live only until they are serialized: built in a stack arena (spilling to the
    // heap if a long scope or audience needs more), not member by member on the heap.
    unsigned char arena[2048];
    boost::json::monotonic_resource mr(arena, sizeof arena);
    boost::json::object claims(&mr);
    claims.reserve(11);
    claims["iss"] = settings_->issuer;
    claims["sub"] = g.subject;
    claims["aud"] = audience_for(c, g.audience, &mr);
    claims["client_id"] = g.client_id;
    claims["scope"] = g.scope;
    auto scopes = oauth::split_scope(g.scope);
    boost::json::array scp(&mr);
    scp.reserve(scopes.size());
    for (auto s : scopes) scp.emplace_back(s);
    claims["scp"] = std::move(scp);
    claims["iat"] = to_unix_seconds(now);
    claims["exp"] = to_unix_seconds(out.expires_at);
    if (g.auth_time != time_point{}) claims["auth_time"] = to_unix_seconds(g.auth_time);
    claims["jti"] = out.jti;
    if (!g.family_id.empty()) claims[oauth::grant_id_claim] = g.family_id;
    if (!g.user_claims.empty()) claims[oauth::flyte_user_info_claim] = flyte_user_info(g);
    out.token = jose::sign_jwt(keys_->current()->access_signer(), claims, ec);
    return out;
  }

  /// Flyte's `user_info` claim (its `UserInfoResponse`: flyteadmin's audit trail reads the
  /// person from it): the subject and the person's profile claims that it has fields for.
  static boost::json::object flyte_user_info(const store::grant_record& g) {
    boost::json::object info;
    info["subject"] = g.subject;
    std::error_code pec;
    auto v = boost::json::parse(g.user_claims, pec);
    if (pec || !v.is_object()) return info;
    for (std::string_view name : {"name", "preferred_username", "given_name", "family_name", "email", "picture"})
      if (const auto* c = v.get_object().if_contains(name); c && c->is_string()) info[name] = *c;
    return info;
  }

  /// OIDC Core §3.1.3.6: the left half of the hash of the access token, with the hash of
  /// the ID token's signing algorithm (oauth::token_hash).
  static std::string at_hash(const key_set& keys, std::string_view access_token) {
    return oauth::token_hash(keys.current().alg(), access_token);
  }

  std::string id_token(const store::grant_record& g, std::string_view nonce, std::string_view access_token,
                       time_point now, std::error_code& ec) const {
    boost::json::object claims;
    if (!g.user_claims.empty()) {
      std::error_code pec;
      auto v = boost::json::parse(g.user_claims, pec);
      if (!pec && v.is_object()) claims = std::move(v.get_object());
    }
    claims["iss"] = settings_->issuer;
    claims["sub"] = g.subject;
    claims["aud"] = g.client_id;
    claims["azp"] = g.client_id;
    claims["iat"] = to_unix_seconds(now);
    claims["exp"] = to_unix_seconds(now + settings_->id_token_lifespan);
    if (g.auth_time != time_point{}) claims["auth_time"] = to_unix_seconds(g.auth_time);
    const auto keys = keys_->current();  // one key for the hash and the signature
    if (!nonce.empty()) claims["nonce"] = nonce;
    if (!access_token.empty()) claims["at_hash"] = at_hash(*keys, access_token);
    return jose::sign_jwt(keys->id_signer(), claims, ec);
  }

  /// The validator of the server's own access tokens (introspection, userinfo, revocation),
  /// built once over the ring's verification keys (it follows rotations).
  const jose::shared_jwt_validator& access_token_validator() const noexcept { return access_validator_; }

  const server_settings& settings() const noexcept { return *settings_; }
  const key_ring& keys() const noexcept { return *keys_; }

 private:
  const server_settings* settings_;
  const key_ring* keys_;
  jose::shared_jwt_validator access_validator_;
};

}  // namespace tessera::server

#endif
