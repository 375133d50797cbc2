// tessera — resource/guard.hpp
//
// Protecting routes of a `transport::router` with a bearer validator (validator.hpp):
//
//     resource::validator<oauth::remote_jwks<>> tokens(...);
//     routes.get("/api/projects", resource::guard(tokens, {"all"}, list_projects));
//     // list_projects(const request&, const access_claims&) or
//     //              (const request&, const request_context&, const access_claims&)
//
// The handler runs only for a request whose token the validator accepts and whose scopes
// include every scope the route requires. Otherwise the answer follows RFC 6750 §3:
//   no token at all           401, `WWW-Authenticate: Bearer realm="..."`, no error code
//   refused token             401, `Bearer realm="...", error="invalid_token"`
//   missing scope             403, `Bearer realm="...", error="insufficient_scope", scope="..."`
//                             naming every scope the route requires
//   keys or introspection     503 `temporarily_unavailable` (the token may be fine; retry;
//   unavailable               docs/security.md row 45)
// each with the JSON error body of oauth/responses.hpp (`error`, the cause's fixed
// description — never the token). The token is read from `Authorization` and then from
// `guard_options::extra_header` (Flyte's `flyte-authorization`), scheme `Bearer`. An
// `IDToken` token (Flyte's clients may send ID tokens) is checked by `guard_options::id_tokens`
// when set, and refused with `token_scheme_unsupported` otherwise.
#ifndef TESSERA_RESOURCE_GUARD_HPP
#define TESSERA_RESOURCE_GUARD_HPP

#include <tessera/oauth/bearer.hpp>
#include <tessera/oauth/responses.hpp>
#include <tessera/resource/claims.hpp>
#include <tessera/transport/router.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::resource {

struct guard_options {
  /// Read after `Authorization`; empty: none.
  std::string extra_header{std::string(oauth::flyte_authorization_header)};
  /// The realm of the challenges.
  std::string realm{std::string(oauth::default_realm)};
  /// Validates tokens presented with the `IDToken` scheme; unset: they are refused.
  std::function<std::shared_ptr<const access_claims>(std::string_view, std::error_code&)> id_tokens{};
};

/// A handler of a protected route.
template <class F>
concept protected_handler =
    (std::invocable<const F&, const transport::request&, const access_claims&> &&
     std::convertible_to<std::invoke_result_t<const F&, const transport::request&, const access_claims&>,
                         transport::response>) ||
    (std::invocable<const F&, const transport::request&, const transport::request_context&, const access_claims&> &&
     std::convertible_to<std::invoke_result_t<const F&, const transport::request&, const transport::request_context&,
                                              const access_claims&>,
                         transport::response>);

/// The RFC 6750 answer for a refused request (see the header comment). `required` is named in
/// an `insufficient_scope` challenge.
inline transport::response refusal(const transport::request& req, std::error_code ec, const guard_options& opt,
                                   const std::vector<std::string>& required = {}) {
  if (ec == error::token_missing) return oauth::missing_token_response(req, opt.realm);
  auto res = oauth::error_response(req, ec);
  const condition c = condition_of(ec);
  if (c == condition::invalid_token || c == condition::insufficient_scope)
    res.set(transport::http::field::www_authenticate,
            oauth::bearer_challenge(c, opt.realm, c == condition::insufficient_scope ? oauth::join_scope(required) : ""));
  return res;
}

/// Wraps `handler` so that it runs only for an accepted token with every scope of `required`.
/// `v` must outlive the returned handler.
template <class Validator, protected_handler H>
transport::handler_function guard(const Validator& v, std::vector<std::string> required, H handler,
                                  guard_options options = {}) {
  return [&v, required = std::move(required), handler = std::move(handler), options = std::move(options)](
             const transport::request& req, const transport::request_context& ctx) -> transport::response {
    std::error_code ec;
    std::shared_ptr<const access_claims> who;
    auto presented = oauth::presented_token_of(req, options.extra_header);
    if (!presented) {
      ec = error::token_missing;
    } else if (presented->scheme == oauth::token_scheme::bearer) {
      who = v.validate(presented->token, ec);
    } else if (options.id_tokens) {
      who = options.id_tokens(presented->token, ec);
    } else {
      ec = error::token_scheme_unsupported;
    }
    if (!ec && !who) ec = error::token_missing;
    if (ec) return refusal(req, ec, options);
    if (!who->has_scopes(required)) return refusal(req, error::scope_insufficient, options, required);
    if constexpr (std::invocable<const H&, const transport::request&, const transport::request_context&,
                                 const access_claims&>)
      return handler(req, ctx, *who);
    else
      return handler(req, *who);
  };
}

}  // namespace tessera::resource

#endif
