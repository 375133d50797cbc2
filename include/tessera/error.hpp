// tessera — error.hpp
//
// Two enumerations, as Boost.JSON does it:
//
//  * `tessera::error` — the detailed cause of a failure ("the token's `exp` is in the past").
//    Logs and `error_code::message()` show it; it never contains secrets or token text.
//  * `tessera::condition` — the wire code a client may see: RFC 6749 §4.1.2.1 and §5.2,
//    RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 8628 §3.5 and OpenID Connect Core §3.1.2.6.
//
// Every cause maps to exactly one condition, so
//     if (ec == tessera::condition::invalid_grant) ...
// works for any `error_code` tessera produces, and an endpoint turns a failure into the RFC's
// JSON body with `wire_name(condition)` and `http_status(condition)` without knowing causes.
#ifndef TESSERA_ERROR_HPP
#define TESSERA_ERROR_HPP

#include <tessera/config.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera {

/// Wire error codes. `none` is the "no condition" value of a default error_condition.
enum class condition {
  none = 0,
  // RFC 6749 §4.1.2.1, §5.2
  invalid_request,
  invalid_client,
  invalid_grant,
  unauthorized_client,
  unsupported_grant_type,
  unsupported_response_type,
  invalid_scope,
  access_denied,
  server_error,
  temporarily_unavailable,
  // RFC 6750 §3.1
  invalid_token,
  insufficient_scope,
  // RFC 7009 §2.2.1
  unsupported_token_type,
  // RFC 8628 §3.5
  authorization_pending,
  slow_down,
  expired_token,
  // OpenID Connect Core §3.1.2.6
  login_required,
  interaction_required,
  consent_required,
  request_not_supported,
};

/// Detailed causes. Grouped by layer; each maps to one `condition` (see the table below).
enum class error {
  // --- encoding and parsing -------------------------------------------------------------
  base64_invalid_character = 1,
  base64_padding,
  base64_invalid_length,
  base64_non_canonical,
  json_syntax,
  json_too_deep,
  json_not_object,
  input_too_large,

  // --- JOSE: keys -----------------------------------------------------------------------
  pem_invalid,
  jwk_invalid,
  jwk_missing_member,
  jwk_private_member_in_public_key,
  key_type_unsupported,
  curve_unsupported,
  rsa_key_too_small,
  hmac_key_too_small,
  key_not_private,
  key_algorithm_mismatch,
  algorithm_unsupported,
  jwks_invalid,
  jwks_duplicate_kid,

  // --- JOSE: JWS ------------------------------------------------------------------------
  jws_malformed,
  jws_header_invalid,
  jws_alg_missing,
  jws_alg_none,
  jws_alg_not_allowed,
  jws_kid_unknown,
  jws_key_ambiguous,
  jws_header_key_reference,
  jws_crit_unsupported,
  jws_b64_unsupported,
  signature_invalid,
  signature_length,
  token_too_large,

  // --- JWT claims -------------------------------------------------------------------------
  claims_invalid,
  claim_type,
  claim_missing,
  issuer_missing,
  audience_missing,
  expiration_missing,
  issued_at_missing,
  issuer_mismatch,
  audience_mismatch,
  token_expired,
  token_not_yet_valid,
  token_issued_in_future,
  token_lifetime_too_long,
  token_too_old,
  typ_mismatch,
  issuer_tenant_not_allowed,
  issuer_template_invalid,
  claim_check_failed,

  // --- crypto -----------------------------------------------------------------------------
  crypto_failure,
  random_failure,
  aead_open_failed,
  secret_hash_invalid,
  secret_mismatch,
  aead_key_invalid,
  secret_hash_cost,

  // --- HTTP and transport -----------------------------------------------------------------
  form_malformed,
  query_malformed,
  parameter_duplicated,
  parameter_missing,
  parameter_invalid,
  cookie_malformed,
  cookie_invalid,
  cookie_attributes_invalid,
  authorization_header_malformed,
  header_too_large,
  body_too_large,
  timeout,
  too_many_connections,
  tls_failure,
  certificate_invalid,
  host_name_mismatch,
  redirect_not_followed,
  response_too_large,
  connection_failed,
  url_invalid,
  http_status_unexpected,
  redirect_limit_exceeded,
  redirect_insecure,
  redirect_cross_origin_body,
  metadata_invalid,

  // --- authorization server -----------------------------------------------------------------
  client_unknown,
  client_authentication_failed,
  client_authentication_missing,
  client_authentication_rate_limited,
  client_assertion_invalid,
  client_assertion_replayed,
  client_grant_not_allowed,
  response_type_unsupported,
  grant_type_unsupported,
  redirect_uri_mismatch,
  redirect_uri_missing,
  scope_not_allowed,
  scope_insufficient,
  pkce_missing,
  pkce_challenge_malformed,
  pkce_method_unsupported,
  pkce_verifier_missing,
  pkce_verifier_malformed,
  pkce_verifier_mismatch,
  pkce_unexpected_verifier,
  code_unknown,
  code_expired,
  code_replayed,
  code_client_mismatch,
  code_redirect_uri_mismatch,
  refresh_token_unknown,
  refresh_token_expired,
  refresh_token_reused,
  refresh_token_revoked,
  refresh_token_client_mismatch,
  refresh_family_expired,
  grant_user_unknown,
  device_code_unknown,
  device_authorization_pending,
  device_slow_down,
  device_code_expired,
  device_access_denied,
  device_user_code_rate_limited,
  device_authorizations_full,
  device_user_code_unavailable,
  parameter_too_long,
  user_code_unknown,
  token_revoked,
  token_type_unsupported,
  login_required,
  user_authentication_failed,
  csrf_token_invalid,
  session_invalid,
  user_authentication_rate_limited,
  subject_is_client_id,
  token_not_for_person,
  prompt_unsupported,
  prompt_none_combined,
  max_age_invalid,
  consent_required,
  consent_denied,
  users_file_malformed,
  users_file_duplicate_user,
  users_file_unreadable,
  users_file_permissions,

  // --- configuration files (tessera::flyte loaders) ----------------------------------------
  config_type_mismatch,
  config_member_missing,
  config_member_unknown,
  config_value_invalid,
  config_too_large,
  config_file_unreadable,

  // --- stores -------------------------------------------------------------------------------
  store_failure,
  store_unavailable,

  // --- resource server: bearer tokens, remote keys, introspection -----------------------------
  token_missing,
  token_scheme_unsupported,
  token_opaque_unsupported,
  token_inactive,
  token_not_access_token,
  introspection_failed,
  introspection_invalid,
  jwks_unavailable,
  jwks_fetch_failed,
  metadata_issuer_mismatch,
  url_insecure,

  // --- OpenID Connect ID tokens, as a relying party checks them --------------------------------
  id_token_audience_untrusted,
  id_token_azp_missing,
  id_token_azp_mismatch,
  id_token_nonce_missing,
  id_token_nonce_mismatch,
  id_token_auth_time_missing,
  id_token_auth_too_old,
  id_token_at_hash_mismatch,

  // --- identity: people logging in through an external identity provider ----------------------
  id_token_tenant_mismatch,
  login_state_missing,
  login_state_mismatch,
  login_state_replayed,
  upstream_provider_unknown,
  upstream_error,
  upstream_code_missing,
  upstream_issuer_mismatch,
  upstream_issuer_missing,
  upstream_token_refused,
  upstream_token_invalid,
  upstream_id_token_missing,
  userinfo_failed,
  userinfo_subject_mismatch,
  upstream_unavailable,
  upstream_refresh_refused,
  upstream_not_interactive,
  id_token_hint_invalid,
  post_logout_redirect_uri_unregistered,
  session_end_unsupported,

  // --- client: getting tokens from an authorization server (tessera::client) ------------------
  peer_error_unrecognized,
  token_response_invalid,
  token_type_not_bearer,
  server_metadata_incomplete,
  authorization_response_state_mismatch,
  authorization_response_issuer_mismatch,
  authorization_response_code_missing,
  authorization_timeout,
  device_authorization_invalid,
  client_secret_missing,
  external_command_failed,
  token_cache_failure,
  auth_type_unavailable,
  client_config_invalid,
  store_schema_newer,
  store_settings_invalid,
};

//------------------------------------------------------------------------------------------
// The table: cause → (condition, message). Indexed by the enumerator's value; the
// static_assert below keeps it in step with the enum.
namespace detail {

struct error_entry {
  error code;
  condition cond;
  std::string_view message;
};

namespace tables {
using enum error;
using c = condition;
inline constexpr error_entry error_table[] = {
    {static_cast<error>(0), c::none, "success"},
    {base64_invalid_character, c::invalid_request, "base64 input has a character outside its alphabet"},
    {base64_padding, c::invalid_request, "base64url input has padding or misplaced '='"},
    {base64_invalid_length, c::invalid_request, "base64 input has an impossible length"},
    {base64_non_canonical, c::invalid_request, "base64 input has non-zero trailing bits"},
    {json_syntax, c::invalid_request, "JSON text is malformed"},
    {json_too_deep, c::invalid_request, "JSON text is nested too deeply"},
    {json_not_object, c::invalid_request, "JSON text is not an object"},
    {input_too_large, c::invalid_request, "input exceeds the configured size limit"},

    {pem_invalid, c::server_error, "PEM text holds no usable key"},
    {jwk_invalid, c::invalid_request, "JWK is malformed"},
    {jwk_missing_member, c::invalid_request, "JWK lacks a required member"},
    {jwk_private_member_in_public_key, c::invalid_request, "public JWK carries private key members"},
    {key_type_unsupported, c::invalid_request, "key type is not supported"},
    {curve_unsupported, c::invalid_request, "elliptic curve is not supported"},
    {rsa_key_too_small, c::invalid_request, "RSA key is shorter than 2048 bits"},
    {hmac_key_too_small, c::invalid_request, "HMAC key is shorter than the hash output"},
    {key_not_private, c::server_error, "signing needs a private key"},
    {key_algorithm_mismatch, c::invalid_request, "key cannot be used with that algorithm"},
    {algorithm_unsupported, c::invalid_request, "algorithm is not supported"},
    {jwks_invalid, c::invalid_request, "JWK set is malformed"},
    {jwks_duplicate_kid, c::invalid_request, "JWK set has two keys with the same kid"},

    {jws_malformed, c::invalid_token, "token is not a JWS in compact serialization"},
    {jws_header_invalid, c::invalid_token, "JWS protected header is malformed"},
    {jws_alg_missing, c::invalid_token, "JWS header has no alg"},
    {jws_alg_none, c::invalid_token, "unsecured JWS (alg none) is never accepted"},
    {jws_alg_not_allowed, c::invalid_token, "JWS alg does not match the key's algorithm"},
    {jws_kid_unknown, c::invalid_token, "JWS kid names no configured key"},
    {jws_key_ambiguous, c::invalid_token, "JWS has no kid and several keys could verify it"},
    {jws_header_key_reference, c::invalid_token, "JWS header names a key by jku, x5u, jwk or x5c; such keys are never trusted"},
    {jws_crit_unsupported, c::invalid_token, "JWS crit header names an extension that is not understood"},
    {jws_b64_unsupported, c::invalid_token, "JWS unencoded payload (b64 false) is not supported"},
    {signature_invalid, c::invalid_token, "signature does not verify"},
    {signature_length, c::invalid_token, "signature has the wrong length for its algorithm"},
    {token_too_large, c::invalid_token, "token exceeds the maximum accepted size"},

    {claims_invalid, c::invalid_token, "JWT claims set is not a JSON object"},
    {claim_type, c::invalid_token, "JWT claim has the wrong type"},
    {claim_missing, c::invalid_token, "JWT lacks a claim the validator requires"},
    {issuer_missing, c::invalid_token, "JWT has no iss claim and an issuer is required"},
    {audience_missing, c::invalid_token, "JWT has no aud claim and an audience is required"},
    {expiration_missing, c::invalid_token, "JWT has no exp claim"},
    {issued_at_missing, c::invalid_token, "JWT has no iat claim and a maximum age is set"},
    {issuer_mismatch, c::invalid_token, "JWT issuer is not the expected one"},
    {audience_mismatch, c::invalid_token, "JWT audience does not include an accepted audience"},
    {token_expired, c::invalid_token, "token has expired"},
    {token_not_yet_valid, c::invalid_token, "token is not valid yet (nbf)"},
    {token_issued_in_future, c::invalid_token, "token was issued in the future (iat)"},
    {token_lifetime_too_long, c::invalid_token, "token lifetime exceeds the accepted maximum"},
    {token_too_old, c::invalid_token, "token was issued longer ago than the accepted maximum age (iat)"},
    {typ_mismatch, c::invalid_token, "JWS typ is not the expected token type"},
    {issuer_tenant_not_allowed, c::invalid_token, "JWT issuer fits the tenant template but names a tenant not allowed"},
    {issuer_template_invalid, c::server_error, "issuer template lacks a fixed scheme or one {tenantid}, or allows no tenant"},
    {claim_check_failed, c::invalid_token, "JWT failed a claim check the application configured"},

    {crypto_failure, c::server_error, "cryptographic library call failed"},
    {random_failure, c::server_error, "random number generator failed"},
    {aead_open_failed, c::invalid_request, "sealed value failed authentication"},
    {secret_hash_invalid, c::server_error, "stored secret hash is malformed"},
    {secret_mismatch, c::invalid_client, "secret does not match"},
    {aead_key_invalid, c::server_error, "AEAD key must be exactly 32 bytes"},
    {secret_hash_cost, c::server_error, "bcrypt cost is outside the accepted bounds"},

    {form_malformed, c::invalid_request, "form body is malformed"},
    {query_malformed, c::invalid_request, "query string is malformed"},
    {parameter_duplicated, c::invalid_request, "request parameter is repeated"},
    {parameter_missing, c::invalid_request, "request lacks a required parameter"},
    {parameter_invalid, c::invalid_request, "request parameter has an invalid value"},
    {cookie_malformed, c::invalid_request, "cookie header is malformed"},
    {cookie_invalid, c::invalid_request, "cookie failed authentication or has expired"},
    {cookie_attributes_invalid, c::server_error, "cookie name, value or attributes break RFC 6265 or its prefix rules"},
    {authorization_header_malformed, c::invalid_client, "Authorization header is not well-formed Basic credentials"},
    {header_too_large, c::invalid_request, "request header exceeds the limit"},
    {body_too_large, c::invalid_request, "request body exceeds the limit"},
    {timeout, c::temporarily_unavailable, "operation timed out"},
    {too_many_connections, c::temporarily_unavailable, "connection limit reached"},
    {tls_failure, c::server_error, "TLS handshake or session failed"},
    {certificate_invalid, c::server_error, "peer certificate did not verify"},
    {host_name_mismatch, c::server_error, "peer certificate does not match the host name"},
    {redirect_not_followed, c::server_error, "response is a redirect and following was not asked for"},
    {response_too_large, c::server_error, "response exceeds the size limit"},
    {connection_failed, c::temporarily_unavailable, "could not connect"},
    {url_invalid, c::invalid_request, "URL is malformed or not absolute"},
    {http_status_unexpected, c::server_error, "peer answered with an unexpected HTTP status"},
    {redirect_limit_exceeded, c::server_error, "too many redirects"},
    {redirect_insecure, c::server_error, "redirect from https to http refused"},
    {redirect_cross_origin_body, c::server_error,
     "307/308 redirect to another origin refused: it would resend the request body there"},
    {metadata_invalid, c::server_error, "server metadata document is malformed or lacks its issuer"},

    {client_unknown, c::invalid_client, "client is not registered"},
    {client_authentication_failed, c::invalid_client, "client authentication failed"},
    {client_authentication_missing, c::invalid_client, "client sent no authentication"},
    {client_authentication_rate_limited, c::invalid_client, "too many failed authentications; try later"},
    {client_assertion_invalid, c::invalid_client, "client assertion is invalid"},
    {client_assertion_replayed, c::invalid_client, "client assertion jti was already used"},
    {client_grant_not_allowed, c::unauthorized_client, "client may not use this grant type"},
    {response_type_unsupported, c::unsupported_response_type, "response type is not supported"},
    {grant_type_unsupported, c::unsupported_grant_type, "grant type is not supported"},
    {redirect_uri_mismatch, c::invalid_request, "redirect URI is not registered for the client"},
    {redirect_uri_missing, c::invalid_request, "redirect URI is required"},
    {scope_not_allowed, c::invalid_scope, "requested scope is not allowed for the client"},
    {scope_insufficient, c::insufficient_scope, "token lacks the required scope"},
    {pkce_missing, c::invalid_request, "PKCE code_challenge is required"},
    {pkce_challenge_malformed, c::invalid_request, "PKCE code_challenge is not 43 base64url characters"},
    {pkce_method_unsupported, c::invalid_request, "PKCE method must be S256"},
    {pkce_verifier_missing, c::invalid_grant, "code_verifier is required for this code"},
    {pkce_verifier_malformed, c::invalid_grant, "code_verifier is not 43-128 unreserved characters"},
    {pkce_verifier_mismatch, c::invalid_grant, "code_verifier does not match the challenge"},
    {pkce_unexpected_verifier, c::invalid_grant, "code_verifier sent for a code issued without a challenge"},
    {code_unknown, c::invalid_grant, "authorization code is unknown"},
    {code_expired, c::invalid_grant, "authorization code has expired"},
    {code_replayed, c::invalid_grant, "authorization code was already used; its tokens are revoked"},
    {code_client_mismatch, c::invalid_grant, "authorization code was issued to another client"},
    {code_redirect_uri_mismatch, c::invalid_grant, "redirect URI differs from the authorization request"},
    {refresh_token_unknown, c::invalid_grant, "refresh token is unknown"},
    {refresh_token_expired, c::invalid_grant, "refresh token has expired"},
    {refresh_token_reused, c::invalid_grant, "refresh token was already rotated; its family is revoked"},
    {refresh_token_revoked, c::invalid_grant, "refresh token has been revoked"},
    {refresh_token_client_mismatch, c::invalid_grant, "refresh token was issued to another client"},
    {refresh_family_expired, c::invalid_grant, "the authorization is older than the longest a refresh may extend it; log in again"},
    {grant_user_unknown, c::invalid_grant, "the user of this authorization no longer exists"},
    {device_code_unknown, c::invalid_grant, "device code is unknown"},
    {device_authorization_pending, c::authorization_pending, "the user has not yet approved the device"},
    {device_slow_down, c::slow_down, "device is polling too fast"},
    {device_code_expired, c::expired_token, "device code has expired"},
    {device_access_denied, c::access_denied, "the user denied the device"},
    {device_user_code_rate_limited, c::access_denied, "too many wrong device codes from this user; try later"},
    {device_authorizations_full, c::slow_down, "too many pending device authorizations; try later"},
    {device_user_code_unavailable, c::temporarily_unavailable, "no unused user code could be drawn; try again"},
    {parameter_too_long, c::invalid_request, "request parameter is too long"},
    {user_code_unknown, c::invalid_request, "user code is unknown or expired"},
    {token_revoked, c::invalid_token, "token has been revoked"},
    {token_type_unsupported, c::unsupported_token_type, "token type hint is not supported"},
    {login_required, c::login_required, "the user must log in"},
    {user_authentication_failed, c::access_denied, "user name or password is wrong"},
    {csrf_token_invalid, c::invalid_request, "CSRF token is missing or wrong"},
    {session_invalid, c::login_required, "session is missing, expired or tampered"},
    {user_authentication_rate_limited, c::access_denied, "too many failed logins for this user or address; try later"},
    {subject_is_client_id, c::access_denied, "the user's subject is the id of a registered client; tokens for it could be taken for the client's"},
    {token_not_for_person, c::invalid_token, "the token was issued to a client, not to a person"},
    {prompt_unsupported, c::invalid_request, "prompt holds a value other than none, login, consent and select_account"},
    {prompt_none_combined, c::invalid_request, "prompt=none cannot be combined with another prompt value"},
    {max_age_invalid, c::invalid_request, "max_age is not a non-negative whole number of seconds"},
    {consent_required, c::consent_required, "the user has not allowed this client the requested scopes"},
    {consent_denied, c::access_denied, "the user denied the authorization request"},
    {users_file_malformed, c::server_error, "users file line is not user:bcrypt-hash[:email[:display name]]"},
    {users_file_duplicate_user, c::server_error, "users file lists the same user twice"},
    {users_file_unreadable, c::server_error, "users file cannot be read"},
    {users_file_permissions, c::server_error, "users file is readable or writable by users other than its owner"},

    {config_type_mismatch, c::server_error, "configuration value has the wrong JSON type"},
    {config_member_missing, c::server_error, "configuration lacks a required member"},
    {config_member_unknown, c::server_error, "configuration has a member tessera does not know"},
    {config_value_invalid, c::server_error, "configuration value is invalid"},
    {config_too_large, c::server_error, "configuration exceeds a size or count limit"},
    {config_file_unreadable, c::server_error, "configuration or key file cannot be read"},

    {store_failure, c::server_error, "token store failed"},
    {store_unavailable, c::temporarily_unavailable, "token store is unavailable"},

    {token_missing, c::invalid_token, "request carries no access token"},
    {token_scheme_unsupported, c::invalid_token, "the token's authorization scheme is not accepted here"},
    {token_opaque_unsupported, c::invalid_token,
     "token is not a JWT and no introspection endpoint is configured to check it"},
    {token_inactive, c::invalid_token, "the authorization server reports the token inactive"},
    {token_not_access_token, c::invalid_token, "the authorization server reports a token of another type than an access token"},
    {introspection_failed, c::temporarily_unavailable, "token introspection at the authorization server failed"},
    {introspection_invalid, c::temporarily_unavailable, "token introspection answer is malformed"},
    {jwks_unavailable, c::temporarily_unavailable, "the issuer's signing keys could not be fetched and none are known"},
    {jwks_fetch_failed, c::temporarily_unavailable, "fetching the issuer's key set failed"},
    {metadata_issuer_mismatch, c::server_error,
     "metadata document names an issuer other than the one it was fetched for"},
    {url_insecure, c::server_error, "URL is plain http to a host other than this machine's loopback"},

    {id_token_audience_untrusted, c::invalid_token, "ID token names an audience the client does not trust"},
    {id_token_azp_missing, c::invalid_token, "ID token has several audiences and no azp"},
    {id_token_azp_mismatch, c::invalid_token, "ID token azp is not this client"},
    {id_token_nonce_missing, c::invalid_token, "ID token lacks the nonce the login sent"},
    {id_token_nonce_mismatch, c::invalid_token, "ID token nonce is not the one this login sent"},
    {id_token_auth_time_missing, c::invalid_token, "ID token lacks auth_time and the login asked for max_age"},
    {id_token_auth_too_old, c::login_required, "the person authenticated longer ago than max_age allows"},
    {id_token_at_hash_mismatch, c::invalid_token, "ID token at_hash does not match the access token"},

    {id_token_tenant_mismatch, c::invalid_token, "ID token tid is not the tenant its issuer names"},
    {login_state_missing, c::invalid_request, "no sign-in is in progress in this browser (its state cookie is missing or expired)"},
    {login_state_mismatch, c::invalid_request, "callback state is not the one this browser's sign-in sent"},
    {login_state_replayed, c::invalid_request, "callback state was already used"},
    {upstream_provider_unknown, c::invalid_request, "no identity provider of that name is configured"},
    {upstream_error, c::access_denied, "the identity provider answered the sign-in with an error"},
    {upstream_code_missing, c::invalid_request, "callback carries neither a code nor an error"},
    {upstream_issuer_mismatch, c::invalid_request,
     "callback iss is not the issuer of the identity provider this sign-in went to (RFC 9207)"},
    {upstream_issuer_missing, c::invalid_request, "callback lacks the iss its identity provider promises (RFC 9207)"},
    {upstream_token_refused, c::access_denied, "the identity provider refused the code exchange"},
    {upstream_token_invalid, c::server_error, "the identity provider's token answer is malformed or too large"},
    {upstream_id_token_missing, c::server_error, "the identity provider returned no ID token"},
    {userinfo_failed, c::server_error, "the identity provider's userinfo answer is missing, malformed or too large"},
    {userinfo_subject_mismatch, c::access_denied, "userinfo sub differs from the ID token's"},
    {upstream_unavailable, c::temporarily_unavailable, "the identity provider's metadata could not be fetched yet"},
    {upstream_refresh_refused, c::login_required, "the identity provider refused to refresh the session's tokens"},
    {upstream_not_interactive, c::server_error, "this identity provider only vouches for tokens; nobody signs in through it"},
    {id_token_hint_invalid, c::invalid_request, "id_token_hint is not an ID token this server issued to that client"},
    {post_logout_redirect_uri_unregistered, c::invalid_request,
     "post_logout_redirect_uri is not registered for the client (or no client is known)"},
    {session_end_unsupported, c::server_error, "this deployment's identity cannot end sessions"},

    {peer_error_unrecognized, c::server_error, "the server answered with an error code OAuth does not define"},
    {token_response_invalid, c::server_error, "the token endpoint's answer is not a valid token response (or too large)"},
    {token_type_not_bearer, c::server_error, "the token endpoint issued a token type other than Bearer"},
    {server_metadata_incomplete, c::server_error, "the server's metadata lacks the endpoint this flow needs"},
    {authorization_response_state_mismatch, c::access_denied,
     "the browser came back with a state this login did not send (a forged or stale redirect)"},
    {authorization_response_issuer_mismatch, c::access_denied,
     "the browser came back with an iss other than the server's (RFC 9207: a mix-up)"},
    {authorization_response_code_missing, c::invalid_request, "the browser came back with neither a code nor an error"},
    {authorization_timeout, c::access_denied, "no login arrived from the browser before the timeout"},
    {device_authorization_invalid, c::server_error, "the device authorization answer is malformed or too large"},
    {client_secret_missing, c::invalid_client, "no client secret is configured (file, environment variable or value)"},
    {external_command_failed, c::server_error, "the token command failed, timed out or printed no token"},
    {token_cache_failure, c::server_error, "the token cache could not be read or written"},
    {auth_type_unavailable, c::invalid_request, "this client was built without the configured authentication flow"},
    {client_config_invalid, c::invalid_request, "the client configuration is invalid"},
    {store_schema_newer, c::server_error, "the store's schema is newer than this program (upgrade the program)"},
    {store_settings_invalid, c::server_error, "the store settings are invalid (connection string, URL, path or pool size)"},
};
}  // namespace tables
using tables::error_table;

constexpr bool error_table_in_order() {
  for (std::size_t i = 1; i < std::size(error_table); ++i)
    if (static_cast<std::size_t>(error_table[i].code) != i) return false;
  return true;
}
static_assert(error_table_in_order(), "tessera::detail::error_table must list causes in enum order");
static_assert(static_cast<std::size_t>(error::store_settings_invalid) + 1 == std::size(error_table),
              "every tessera::error needs an entry in error_table");

struct condition_entry {
  std::string_view wire;
  unsigned status;  // HTTP status an endpoint answers with
};
inline constexpr condition_entry condition_table[] = {
    {"", 200},
    {"invalid_request", 400},
    {"invalid_client", 401},
    {"invalid_grant", 400},
    {"unauthorized_client", 400},
    {"unsupported_grant_type", 400},
    {"unsupported_response_type", 400},
    {"invalid_scope", 400},
    {"access_denied", 403},
    {"server_error", 500},
    {"temporarily_unavailable", 503},
    {"invalid_token", 401},
    {"insufficient_scope", 403},
    {"unsupported_token_type", 400},
    {"authorization_pending", 400},
    {"slow_down", 400},
    {"expired_token", 400},
    {"login_required", 400},
    {"interaction_required", 400},
    {"consent_required", 400},
    {"request_not_supported", 400},
};
static_assert(static_cast<std::size_t>(condition::request_not_supported) + 1 == std::size(condition_table),
              "every tessera::condition needs an entry in condition_table");

}  // namespace detail

/// The wire string of a condition (`"invalid_grant"`); empty for `condition::none`.
constexpr std::string_view wire_name(condition c) noexcept {
  auto i = static_cast<std::size_t>(c);
  return i < std::size(detail::condition_table) ? detail::condition_table[i].wire : std::string_view{};
}

/// The HTTP status an endpoint answers a condition with (RFC 6749 §5.2: 400, 401 for
/// `invalid_client`; RFC 6750 §3.1: 401 `invalid_token`, 403 `insufficient_scope`).
constexpr unsigned http_status(condition c) noexcept {
  auto i = static_cast<std::size_t>(c);
  return i < std::size(detail::condition_table) ? detail::condition_table[i].status : 500;
}

/// The condition a cause maps to.
constexpr condition to_condition(error e) noexcept {
  auto i = static_cast<std::size_t>(e);
  return i < std::size(detail::error_table) ? detail::error_table[i].cond : condition::server_error;
}

/// A safe, fixed description of a cause: no input text, no secrets.
constexpr std::string_view description(error e) noexcept {
  auto i = static_cast<std::size_t>(e);
  return i < std::size(detail::error_table) ? detail::error_table[i].message : "unknown tessera error";
}

//------------------------------------------------------------------------------------------

namespace detail {

class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.condition"; }
  std::string message(int v) const override {
    auto w = wire_name(static_cast<condition>(v));
    return w.empty() ? std::string("success") : std::string(w);
  }
};

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera"; }
  std::string message(int v) const override { return std::string(description(static_cast<error>(v))); }
  std::error_condition default_error_condition(int v) const noexcept override;
};

}  // namespace detail

inline const std::error_category& condition_category() noexcept {
  static const detail::condition_category_impl instance;
  return instance;
}

inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl instance;
  return instance;
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

inline std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

inline std::error_condition detail::error_category_impl::default_error_condition(int v) const noexcept {
  return make_error_condition(to_condition(static_cast<error>(v)));
}

/// The wire condition of any error_code: tessera causes map through the table; any other
/// category (OS, Asio, OpenSSL) is a `server_error`; a clear code is `none`.
inline condition condition_of(const std::error_code& ec) noexcept {
  if (!ec) return condition::none;
  if (ec.category() == error_category()) return to_condition(static_cast<error>(ec.value()));
  return condition::server_error;
}

/// Thrown by the throwing overloads; carries the error_code.
class system_error : public std::system_error {
 public:
  using std::system_error::system_error;
};

namespace detail {
[[noreturn]] inline void throw_error(std::error_code ec) { throw tessera::system_error(ec); }
inline void throw_if(const std::error_code& ec) {
  if (ec) throw_error(ec);
}
}  // namespace detail

}  // namespace tessera

template <>
struct std::is_error_code_enum<tessera::error> : std::true_type {};
template <>
struct std::is_error_condition_enum<tessera::condition> : std::true_type {};

#endif
