// tessera — store/records.hpp
//
// What the authorization server keeps between requests. Records hold no secret in usable
// form: codes, refresh tokens, device codes, user codes and session ids are stored under
// the SHA-256 of their value (`token_hash`), so a dump of any store yields nothing that can
// be redeemed (docs/security.md row 24). Records are plain values; every store copies them.
#ifndef TESSERA_STORE_RECORDS_HPP
#define TESSERA_STORE_RECORDS_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/hash.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::store {

/// The key a secret value is stored under: base64url(SHA-256(value)). 43 characters.
/// Unkeyed: the values are 256-bit random strings, so the hash cannot be inverted, and every
/// replica of a deployment computes the same key without sharing one more secret.
inline std::string token_hash(std::string_view value) {
  auto d = crypto::sha256(value);
  return crypto::base64url_encode(std::span<const unsigned char>(d.data(), d.size()));
}

/// The longest value the server keeps from a request, in bytes (docs/security.md row 21):
/// everything a store record or a sealed cookie holds that a client or browser chose. Longer
/// values are refused (`error::parameter_too_long`) before anything is stored or sealed, so a
/// record's size is bounded however the request was made. Generous for real clients: a JWT-
/// shaped `state` fits, and scopes and audiences are further limited to what the client may ask.
struct limits {
  static constexpr std::size_t state = 1024;         // authorization request `state`
  static constexpr std::size_t nonce = 512;          // OIDC `nonce`
  static constexpr std::size_t scope = 1024;         // requested `scope` (then deduplicated)
  static constexpr std::size_t audience = 1024;      // requested `audience` (then validated, deduplicated)
  static constexpr std::size_t peer_address = 64;    // device_record::requester
};

/// How many device authorizations may be live (pending, or decided and not yet collected) at
/// once (RFC 8628; docs/security.md row 21). Zero: no cap of that kind.
struct device_caps {
  std::size_t per_client = 0;
  std::size_t per_address = 0;   // by device_record::requester; records without one are not counted
  std::size_t total = 0;
};

/// What `put_device` did: stored it, or refused it and stored nothing.
enum class put_device_status {
  ok,
  user_code_taken,   // another live device authorization has this user code: draw again
  client_full,       // device_caps::per_client reached
  address_full,      // device_caps::per_address reached
  store_full,        // device_caps::total reached
};

/// Who authorized a grant, and what they agreed to: shared by codes, refresh tokens and
/// device codes, and copied into the tokens issued from them.
struct grant_record {
  std::string client_id;
  std::string subject;         // the user, or the client id for client credentials
  std::string scope;           // space-separated, as granted
  std::string audience;        // space-separated resource audiences; empty: the default
  std::string family_id;       // ties together every token issued from one authorization
  std::string user_claims;     // JSON object of profile claims for ID tokens and userinfo
  time_point auth_time{};      // when the user authenticated
};

/// An authorization code (RFC 6749 §4.1.2), single use.
struct code_record {
  grant_record grant;
  std::string redirect_uri;    // as sent in the authorization request (§4.1.3 compares it)
  std::string code_challenge;  // S256 challenge; empty when none was sent
  std::string nonce;           // OIDC nonce for the ID token
  time_point expires_at{};
};

enum class consume_status { ok, unknown, expired, replayed };

struct consume_result {
  consume_status status = consume_status::unknown;
  code_record record;          // set for ok, expired and replayed
};

/// A refresh token. Rotation replaces a token by a child in the same family.
struct refresh_record {
  grant_record grant;
  time_point expires_at{};
};

/// How long and how often a rotated refresh token may still be used (two browser tabs
/// refreshing at once). Zero duration: no grace; any reuse revokes the family.
struct grace_policy {
  seconds window{0};
  unsigned max_uses = 0;
};

enum class rotate_status { ok, unknown, expired, revoked, reused };

struct rotate_result {
  rotate_status status = rotate_status::unknown;
  refresh_record record;       // the presented token's record for ok (the child inherits it)
};

/// A device authorization (RFC 8628).
enum class device_state { pending, approved, denied };

struct device_record {
  std::string client_id;
  std::string scope;
  std::string audience;
  std::string user_code_hash;  // token_hash of the normalized user code
  std::string requester;       // the asking peer's address key (IPv6 by /64), ≤ limits::peer_address;
                               // for device_caps::per_address
  time_point expires_at{};
  seconds interval{5};
  time_point last_poll{};
  device_state state = device_state::pending;
  grant_record grant;          // filled on approval
};

enum class poll_status { approved, pending, slow_down, denied, expired, unknown };

struct poll_result {
  poll_status status = poll_status::unknown;
  device_record record;        // set for approved
};

/// A logged-in browser session. No CSRF secret: forms are protected by the browser layer's
/// double-submit cookie (identity/browser.hpp), which also covers the login form, where no
/// session exists yet.
struct session_record {
  std::string subject;
  std::string user_claims;     // JSON object
  time_point auth_time{};
  time_point expires_at{};
  /// The identity provider's tokens of an external login (identity/oidc.hpp), sealed under a
  /// key derived from the session id, which the store never sees: a store dump reveals no
  /// IdP token. Empty for local logins. Opaque to stores; up to `max_upstream_size` bytes.
  std::string upstream;
  static constexpr std::size_t max_upstream_size = 64 * 1024;
};

/// What a person allowed a client (the consent page, docs/security.md row 37), kept per
/// (subject, client id). `scope` is everything they allowed it so far, space-separated; a
/// request for scopes within it needs no new consent until `expires_at`.
struct consent_record {
  std::string scope;
  time_point granted_at{};     // the last approval
  time_point expires_at{};
};

/// A revoked access token's `jti`, or an issued one (to revoke it with its family).
struct access_record {
  std::string family_id;
  time_point expires_at{};
  std::string user_claims;     // JSON object, for userinfo; empty for client tokens
};

}  // namespace tessera::store

#endif
