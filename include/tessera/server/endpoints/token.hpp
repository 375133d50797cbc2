// tessera — server/endpoints/token.hpp
//
// The endpoints that speak to clients, not browsers:
//   POST /oauth2/token       RFC 6749 §3.2, §5: authenticate the client, run the grant
//   POST /oauth2/revoke      RFC 7009: revoke a refresh token (its family) or an access token
//   POST /oauth2/introspect  RFC 7662: for authenticated confidential clients
//   GET  /oauth2/userinfo    OIDC Core §5.3, with a bearer access token carrying `openid`
// Every answer is JSON with `Cache-Control: no-store`; errors are RFC 6749 §5.2 bodies.
#ifndef TESSERA_SERVER_ENDPOINTS_TOKEN_HPP
#define TESSERA_SERVER_ENDPOINTS_TOKEN_HPP

#include <tessera/http/form.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/server/client_authentication.hpp>
#include <tessera/oauth/access_token.hpp>
#include <tessera/oauth/bearer.hpp>
#include <tessera/oauth/responses.hpp>
#include <tessera/oauth/scope.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/server/settings.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/transport/message.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>

#include <optional>

namespace tessera::server {

using oauth::error_response;
using oauth::json_response;
using oauth::set_no_store;
using transport::request;
using transport::response;

namespace detail {

/// Parses the form body of a client request; `ec` set on a wrong content type or bad body.
inline http::parameters client_form(const request& req, std::error_code& ec) {
  if (!http::is_form_content_type(req[transport::http::field::content_type])) {
    ec = error::form_malformed;
    return {};
  }
  return http::parse_form(req.body(), ec);
}

/// Authenticates the caller, answering its failure: 401 `invalid_client`, or 429 with
/// `Retry-After` while the client or address is over its failure limit.
template <class Server>
std::optional<response> client_auth_failure(const Server&, const request& req, std::error_code ec,
                                            const client_authentication_result& auth) {
  if (!ec) return std::nullopt;
  auto res = error_response(req, ec);
  if (ec == error::client_authentication_rate_limited) {
    res.result(transport::http::status::too_many_requests);
    res.set(transport::http::field::retry_after, std::to_string(auth.retry_after.count()));
  }
  return res;
}

/// A compact JWS has exactly two dots; refresh tokens have none.
inline bool looks_like_jwt(std::string_view t) noexcept {
  return std::count(t.begin(), t.end(), '.') == 2;
}

}  // namespace detail

namespace detail {

// The token endpoint's answer; `out` learns the grant type served (a view into `params`, the
// form read here) and the cause of a failure.
template <class Server>
response answer_token_request(const Server& s, const request& req, const transport::request_context& ctx,
                              http::parameters& params, token_outcome& out) {
  std::error_code& ec = out.error;
  params = detail::client_form(req, ec);
  if (ec) return error_response(req, ec);
  std::string_view grant_type = params.required("grant_type", ec);
  if (ec) return error_response(req, ec);
  if (!Server::serves(grant_type)) return error_response(req, ec = error::grant_type_unsupported);
  out.grant_type = grant_type;
  auto auth = s.authenticate_client(req, params, ctx, ec);
  if (auto failed = detail::client_auth_failure(s, req, ec, auth)) return std::move(*failed);
  if (!auth.who->allows_grant(grant_type)) return error_response(req, ec = error::client_grant_not_allowed);
  token_request r{*auth.who, params, s.now()};
  auto body = s.run_grant(grant_type, r, ec);
  if (ec) {
    auto res = error_response(req, ec);
    // RFC 6749 §5.2: token errors are 400 "unless specified otherwise"; RFC 8628 §3.5's
    // `access_denied` is such an error, though at the authorization endpoint it means 403.
    if (res.result() == transport::http::status::forbidden) res.result(transport::http::status::bad_request);
    return res;
  }
  return json_response(req, transport::http::status::ok, body);
}

}  // namespace detail

template <class Server>
response token_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  http::parameters params;  // outlives the observer's call: the outcome's grant type views it
  token_outcome outcome;
  auto res = detail::answer_token_request(s, req, ctx, params, outcome);
  if (const auto& observe = static_cast<const server_settings&>(s.settings()).token_events) {
    try {
      observe(outcome);
    } catch (...) {
      // An observer's failure never changes the answer.
    }
  }
  return res;
}

/// The outcome of `check_access_token`.
struct access_token_status {
  std::optional<jose::verified_jwt> active;  // set when the token is active
  std::error_code why_not;                   // otherwise: the validation's cause or `token_revoked`
};

/// THE rule for every bearer check of the server's own access tokens — introspection,
/// userinfo, and whatever serves resources in-process — so no two of them can disagree
/// (docs/security.md, "One rule for access tokens"): the JWT verifies as one of this server's
/// access tokens (signature by a current or old key, issuer, `typ` at+jwt, the RFC 9068
/// claims, not expired), and the store's deny-list holds neither its `jti` nor its family.
/// No per-token record is needed for a token to be active, so a store that lost its records
/// (a restart of the memory store) answers the same everywhere. `ec`: store failures only.
template <class Server>
access_token_status check_access_token(const Server& s, std::string_view token, std::error_code& ec) {
  ec = {};
  access_token_status out;
  auto jwt = s.issuer().access_token_validator().validate(token, out.why_not, s.clock());
  if (out.why_not) return out;
  const bool revoked = s.access_revoked(jwt.jwt_id(), jwt.string_claim(oauth::grant_id_claim), jwt.expires_at().value_or(s.now()), ec);
  if (ec) return out;
  if (revoked) out.why_not = error::token_revoked;
  else out.active = std::move(jwt);
  return out;
}

template <class Server>
response revocation_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  std::error_code ec;
  auto params = detail::client_form(req, ec);
  if (ec) return error_response(req, ec);
  auto auth = s.authenticate_client(req, params, ctx, ec);
  if (auto failed = detail::client_auth_failure(s, req, ec, auth)) return std::move(*failed);
  std::string_view token = params.required("token", ec);
  if (ec) return error_response(req, ec);
  const time_point now = s.now();
  // RFC 7009 §2.2: unknown, expired and other clients' tokens are answered 200 as well, so
  // the endpoint tells nobody whether a token exists.
  if (detail::looks_like_jwt(token)) {
    auto jwt = s.issuer().access_token_validator().validate(token, ec, s.clock());
    if (!ec && jwt.string_claim("client_id") == auth.who->id) {
      s.store().revoke_access(jwt.jwt_id(), jwt.expires_at().value_or(now), ec);
      s.revocations_changed();
      if (ec) return error_response(req, ec);
    }
  } else if constexpr (store::refresh_token_store<typename Server::store_type>) {
    const auto h = store::token_hash(token);
    auto rec = s.store().find_refresh(h, now, ec);
    if (ec) return error_response(req, ec);
    if (rec && rec->grant.client_id == auth.who->id) {
      s.store().revoke_refresh(h, ec);
      s.revocations_changed();
      if (ec) return error_response(req, ec);
    }
  }
  auto res = transport::make_response(req, transport::http::status::ok);
  set_no_store(res);
  return res;
}

template <class Server>
response introspection_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  std::error_code ec;
  auto params = detail::client_form(req, ec);
  if (ec) return error_response(req, ec);
  auto auth = s.authenticate_client(req, params, ctx, ec);
  if (auto failed = detail::client_auth_failure(s, req, ec, auth)) return std::move(*failed);
  if (auth.who->is_public) return error_response(req, error::client_authentication_failed);
  std::string_view token = params.required("token", ec);
  if (ec) return error_response(req, ec);
  const time_point now = s.now();
  boost::json::object out;
  out["active"] = false;
  if (detail::looks_like_jwt(token)) {
    auto status = check_access_token(s, token, ec);
    if (ec) return error_response(req, ec);
    if (status.active) {
      out["active"] = true;
      for (auto name : {"scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time"})
        if (auto* v = status.active->claims.if_contains(name)) out[name] = *v;
      out["token_type"] = "Bearer";
    }
  } else if constexpr (store::refresh_token_store<typename Server::store_type>) {
    auto rec = s.store().find_refresh(store::token_hash(token), now, ec);
    if (ec) return error_response(req, ec);
    // A refresh token tells its subject and scope: only its own client learns them, unless
    // the operator lets this client introspect others' (`client::introspects_others`).
    if (rec && (rec->grant.client_id == auth.who->id || auth.who->introspects_others)) {
      out["active"] = true;
      out["scope"] = rec->grant.scope;
      out["client_id"] = rec->grant.client_id;
      out["sub"] = rec->grant.subject;
      out["exp"] = to_unix_seconds(rec->expires_at);
      out["iss"] = static_cast<const server_settings&>(s.settings()).issuer;
      out["token_type"] = "refresh_token";
    }
  }
  ec = {};
  return json_response(req, transport::http::status::ok, out);
}

template <class Server>
response userinfo_endpoint(const Server& s, const request& req) {
  const server_settings& st = s.settings();
  std::string_view token = oauth::bearer_token(req, st.flyte_client.authorization_metadata_key);
  // RFC 6750 §3.1: a request without credentials gets the challenge and no error code.
  if (token.empty()) return oauth::missing_token_response(req);
  std::error_code ec;
  auto status = check_access_token(s, token, ec);
  if (ec) return error_response(req, ec);
  if (!status.active) return error_response(req, status.why_not);
  const jose::verified_jwt& jwt = *status.active;
  // Userinfo describes a person (OIDC Core §5.3). A client-credentials token has the client as
  // its subject and no `auth_time`; a person's token has `auth_time`, or a subject that is not
  // its client's id (the server never issues a person's token under a client's id).
  if (!jwt.claims.contains("auth_time") && jwt.subject() == jwt.string_claim("client_id"))
    return error_response(req, error::token_not_for_person);
  if (!oauth::scope_contains(jwt.string_claim("scope"), "openid")) return error_response(req, error::scope_insufficient);
  // The profile claims live in the token's record; a store that no longer has it (a restart)
  // still answers `sub`, since the token is active by the one rule above.
  auto rec = s.store().find_access(jwt.jwt_id(), ec);
  if (ec) return error_response(req, ec);
  boost::json::object out;
  if (rec && !rec->user_claims.empty()) {
    auto v = boost::json::parse(rec->user_claims, ec);
    if (!ec && v.is_object()) out = std::move(v.get_object());
    ec = {};
  }
  out["sub"] = jwt.subject();
  return json_response(req, transport::http::status::ok, out);
}

}  // namespace tessera::server

#endif
