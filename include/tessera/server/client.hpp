// tessera — server/client.hpp
//
// Registered OAuth clients, in the shape of Flyte's static clients
// (`selfAuthServer.staticClients`: id, client_secret, rotated_secrets, redirect_uris,
// grant_types, response_types, scopes, audience, public), plus the keys of clients that
// authenticate with private_key_jwt (RFC 7523 §2.2).
//
// Secrets are kept only as bcrypt hashes. Flyte writes them as standard base64 of the bcrypt
// string; `add_flyte_secret` takes that form, `add_secret_hash` the plain bcrypt string.
// The registry is filled before serving and read-only afterwards (thread-safe to share).
#ifndef TESSERA_SERVER_CLIENT_HPP
#define TESSERA_SERVER_CLIENT_HPP

#include <tessera/crypto/secret_hash.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/jose/jwks.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace tessera::server {

struct client {
  std::string id;
  std::vector<std::string> secret_hashes;   // bcrypt strings: the current secret and rotated ones
  std::vector<std::string> redirect_uris;
  /// Where tessera's end_session_endpoint may send the browser after logout (OpenID Connect
  /// RP-Initiated Logout 1.0 §3.1): exact matches only, same rules as `redirect_uris`.
  std::vector<std::string> post_logout_redirect_uris;
  std::vector<std::string> grant_types;     // "authorization_code", "refresh_token", ...
  std::vector<std::string> response_types{"code"};
  std::vector<std::string> scopes;          // the scopes this client may be granted
  std::vector<std::string> audience;        // `aud` of its access tokens; empty: the default
  bool is_public = false;                   // no secret; PKCE required
  bool introspects_others = false;          // may introspect refresh tokens of other clients
  /// The operator's own application: people are not asked to allow it (docs/security.md row
  /// 37) — unless it is public and redirects to a native app (loopback or private-use scheme),
  /// which any local program can claim to be; `server_settings::
  /// first_party_native_skips_consent` decides that case.
  bool first_party = false;
  jose::jwk_set assertion_keys;             // private_key_jwt

  bool allows_grant(std::string_view g) const noexcept {
    return std::find(grant_types.begin(), grant_types.end(), g) != grant_types.end();
  }
  bool allows_scope(std::string_view s) const noexcept {
    return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
  }
  bool allows_response_type(std::string_view r) const noexcept {
    return std::find(response_types.begin(), response_types.end(), r) != response_types.end();
  }

  /// Adds a bcrypt hash in Flyte's form (standard base64 of the bcrypt string).
  void add_flyte_secret(std::string_view base64_hash, std::error_code& ec) {
    std::string h = crypto::base64_decode(base64_hash, ec);
    if (ec) {
      ec = error::secret_hash_invalid;
      return;
    }
    add_secret_hash(std::move(h), ec);
  }
  void add_secret_hash(std::string bcrypt_hash, std::error_code& ec) {
    crypto::check_secret_hash(bcrypt_hash, ec);
    if (!ec) secret_hashes.push_back(std::move(bcrypt_hash));
  }
};

/// Why a client definition was refused at load time.
enum class client_problem {
  none,
  empty_id,
  public_with_secret,
  confidential_without_credentials,
  redirect_uri_invalid,
  duplicate_id,
};

inline std::string_view to_string(client_problem p) noexcept {
  switch (p) {
    case client_problem::none: return "ok";
    case client_problem::empty_id: return "client id is empty";
    case client_problem::public_with_secret: return "a public client cannot have a secret";
    case client_problem::confidential_without_credentials: return "a confidential client needs a secret or keys";
    case client_problem::redirect_uri_invalid: return "redirect URI is not https, loopback http or a private-use scheme, or has a fragment or userinfo";
    case client_problem::duplicate_id: return "client id is registered twice";
  }
  return "";
}

/// Whether `uri` may be registered: `http::check_redirect_uri`, the validator that also
/// guards matching, so a URI registers exactly when it can match (https; http on loopback
/// only; RFC 8252 private-use schemes; never a fragment or userinfo).
inline bool valid_redirect_uri(std::string_view uri) {
  std::error_code ec;
  http::check_redirect_uri(uri, ec);
  return !ec;
}

class client_registry {
 public:
  client_problem add(client c) {
    if (c.id.empty()) return client_problem::empty_id;
    if (c.is_public && (!c.secret_hashes.empty() || !c.assertion_keys.empty())) return client_problem::public_with_secret;
    if (!c.is_public && c.secret_hashes.empty() && c.assertion_keys.empty())
      return client_problem::confidential_without_credentials;
    for (const auto& uri : c.redirect_uris)
      if (!valid_redirect_uri(uri)) return client_problem::redirect_uri_invalid;
    for (const auto& uri : c.post_logout_redirect_uris)
      if (!valid_redirect_uri(uri)) return client_problem::redirect_uri_invalid;
    if (clients_.contains(c.id)) return client_problem::duplicate_id;
    std::string id = c.id;
    clients_.emplace(std::move(id), std::move(c));
    return client_problem::none;
  }

  const client* find(std::string_view id) const noexcept {
    auto it = clients_.find(id);
    return it == clients_.end() ? nullptr : &it->second;
  }

  std::size_t size() const noexcept { return clients_.size(); }
  auto begin() const noexcept { return clients_.begin(); }
  auto end() const noexcept { return clients_.end(); }

  /// The CSP sources of every registered redirect URI (`http::redirect_csp_source`), each
  /// once: what a login page's `form-action` must allow so that the redirect ending an
  /// authorization request is not blocked (`identity::local_settings::form_action_sources`).
  std::vector<std::string> redirect_csp_sources() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& uri) {
      if (auto src = http::redirect_csp_source(uri); !src.empty() && std::find(out.begin(), out.end(), src) == out.end())
        out.push_back(std::move(src));
    };
    // The end-session confirmation form redirects to a post-logout URI too.
    for (const auto& [id, c] : clients_) {
      for (const auto& uri : c.redirect_uris) add(uri);
      for (const auto& uri : c.post_logout_redirect_uris) add(uri);
    }
    return out;
  }

 private:
  std::map<std::string, client, std::less<>> clients_;
};

}  // namespace tessera::server

#endif
