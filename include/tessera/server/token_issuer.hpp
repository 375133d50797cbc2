// tessera — server/token_issuer.hpp
//
// The server's signing keys and the tokens it makes from them.
//
// Keys: one current key signs; old keys (Flyte's `token_rsa_key_old.pem`) only verify; all are
// published in the JWKS, current first. Every key keeps its RFC 7638 thumbprint as `kid`.
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

 private:
  jose::jws_signer access_signer_;
  jose::jws_signer id_signer_;
  jose::jwk_set all_;
};

struct issued_access_token {
  std::string token;
  std::string jti;
  time_point expires_at;
};

class token_issuer {
 public:
  token_issuer(const server_settings& settings, const key_set& keys)
      : settings_(&settings), keys_(&keys), access_validator_(keys.verification_keys()) {
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
    out.token = jose::sign_jwt(keys_->access_signer(), claims, ec);
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
  /// the signing algorithm (oauth::token_hash).
  std::string at_hash(std::string_view access_token) const {
    return oauth::token_hash(keys_->current().alg(), access_token);
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
    if (!nonce.empty()) claims["nonce"] = nonce;
    if (!access_token.empty()) claims["at_hash"] = at_hash(access_token);
    return jose::sign_jwt(keys_->id_signer(), claims, ec);
  }

  /// The validator of the server's own access tokens (introspection, userinfo, revocation),
  /// built once: it owns a copy of the verification keys.
  const jose::jwt_validator& access_token_validator() const noexcept { return access_validator_; }

  const server_settings& settings() const noexcept { return *settings_; }
  const key_set& keys() const noexcept { return *keys_; }

 private:
  const server_settings* settings_;
  const key_set* keys_;
  jose::jwt_validator access_validator_;
};

}  // namespace tessera::server

#endif
