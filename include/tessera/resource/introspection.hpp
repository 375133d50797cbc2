// tessera — resource/introspection.hpp
//
// `introspection_client`: asks an authorization server about a token (RFC 7662), for the two
// things a resource server cannot learn from the token alone:
//  * opaque access tokens (Okta's org authorization server, Auth0 without an `audience`, any
//    server that does not issue JWTs): whether the token is active and what it allows;
//  * revocation of JWT access tokens: a JWT stays verifiable until `exp`, so a resource server
//    that must honour revocation asks the server (tessera's own answers `active: false` for a
//    revoked token).
//
// The request: POST `token=...&token_type_hint=access_token` to the endpoint with the resource
// server's own client credentials (`client_secret_basic`, each part form-encoded first as
// RFC 6749 §2.3.1 requires). The answer must be 200 JSON with a boolean `active`; anything else
// is `introspection_failed` (no answer, another status) or `introspection_invalid` (malformed,
// oversized) — both `temporarily_unavailable` on the wire, so a client retries instead of
// dropping a token that may be fine. An answer `active: false` is `token_inactive`.
// Tokens are sent only to the configured endpoint and never logged.
#ifndef TESSERA_RESOURCE_INTROSPECTION_HPP
#define TESSERA_RESOURCE_INTROSPECTION_HPP

#include <tessera/error.hpp>
#include <tessera/http/basic_auth.hpp>
#include <tessera/transport/any_client.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <string>
#include <string_view>

namespace tessera::resource {

struct introspection_options {
  /// The server's `introspection_endpoint`.
  std::string endpoint{};
  /// This resource server's credentials at the authorization server.
  std::string client_id{};
  std::string client_secret{};
  /// Largest answer accepted.
  std::size_t max_answer_bytes = 64 * 1024;
};

class introspection_client {
 public:
  introspection_client(transport::any_sync_client http, introspection_options options)
      : http_(std::move(http)), options_(std::move(options)) {}

  /// The answer's members when the token is active; `ec` otherwise (see the header comment).
  boost::json::object introspect(std::string_view token, std::error_code& ec) const {
    ec = {};
    transport::http::fields headers;
    headers.set(transport::http::field::authorization, http::basic_authorization(options_.client_id, options_.client_secret));
    headers.set(transport::http::field::accept, "application/json");
    auto res = http_.post_form(options_.endpoint, {{"token", std::string(token)}, {"token_type_hint", "access_token"}},
                               headers, ec);
    if (ec || res.result() != transport::http::status::ok) {
      ec = error::introspection_failed;
      return {};
    }
    if (res.body().size() > options_.max_answer_bytes) {
      ec = error::introspection_invalid;
      return {};
    }
    boost::json::parse_options popts;
    popts.max_depth = 16;
    std::error_code pec;
    auto v = boost::json::parse(res.body(), pec, {}, popts);
    auto* o = pec ? nullptr : v.if_object();
    const boost::json::value* active = o ? o->if_contains("active") : nullptr;
    if (!active || !active->is_bool()) {
      ec = error::introspection_invalid;
      return {};
    }
    if (!active->get_bool()) {
      ec = error::token_inactive;
      return {};
    }
    return std::move(*o);
  }

  const introspection_options& options() const noexcept { return options_; }

 private:
  transport::any_sync_client http_;
  introspection_options options_;
};

}  // namespace tessera::resource

#endif
