// tessera — client/flows/context.hpp
//
// What a flow gets from `client<Traits, Flows...>`, and the requests every flow shares: the
// token request with the client's authentication, refresh, revocation.
//
// A flow models `client::token_flow` when it has
//
//     static constexpr auth_type type;                        // the `authType` it answers to
//     static constexpr bool needs_server = true;              // discovery first (metadata, flyte_client)
//     static token_set run(const flow_context&, std::error_code&);
//
// Models: `flow::client_credentials`, `flow::pkce`, `flow::device_code`,
// `flow::external_command`.
//
// Resolution of the values left empty in the settings, as Flyte's clients do it: the client id,
// scopes and header name from the server's `flyte_client` document; the token URL from the
// metadata. Client authentication: with a secret, HTTP Basic over the form-encoded id and
// secret (RFC 6749 §2.3.1) or both in the body (`secret_method::post`, or when the metadata
// lists only `client_secret_post`); without one, a public client: `client_id` in the body.
#ifndef TESSERA_CLIENT_FLOWS_CONTEXT_HPP
#define TESSERA_CLIENT_FLOWS_CONTEXT_HPP

#include <tessera/client/server_info.hpp>
#include <tessera/client/settings.hpp>
#include <tessera/client/token_set.hpp>
#include <tessera/clock.hpp>
#include <tessera/http/basic_auth.hpp>
#include <tessera/oauth/peer_error.hpp>
#include <tessera/transport/any_client.hpp>

#include <algorithm>
#include <concepts>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace tessera::client {

struct flow_context {
  const client_settings& settings;
  const transport::any_sync_client& http;
  /// Empty (default) for flows that do not need the server's documents.
  const server_info& server;
  const interaction& ui;
  std::function<time_point()> now;
  /// Receives the server's error description when a request is refused.
  std::string* description = nullptr;

  void log(std::string_view s) const {
    if (ui.log) ui.log(s);
  }
  void sleep(std::chrono::milliseconds d) const {
    if (ui.sleep) ui.sleep(d);
    else std::this_thread::sleep_for(d);
  }

  std::string client_id() const {
    if (!settings.client_id.empty()) return settings.client_id;
    return server.flyte ? server.flyte->client_id : std::string{};
  }
  std::string scope() const {
    const auto& list = !settings.scopes.empty() || !server.flyte ? settings.scopes : server.flyte->scopes;
    std::string s;
    for (const auto& e : list) {
      if (!s.empty()) s += ' ';
      s += e;
    }
    return s;
  }
  /// The configured audience; without one, the server's advertised audience for the flows of a
  /// person (as flytekit and Flyte's device flow send it) and, for client credentials, only with
  /// `use_audience_from_server` (Flyte's Go client); `use_audience_from_server` also makes the
  /// server's win over the configured one.
  std::string audience() const {
    const bool from_server = settings.use_audience_from_server ||
                             (settings.audience.empty() && settings.type != auth_type::client_secret);
    if (from_server && server.flyte && !server.flyte->audience.empty()) return server.flyte->audience;
    return settings.audience;
  }
  std::string token_endpoint() const {
    return settings.token_url.empty() ? server.metadata.token_endpoint : settings.token_url;
  }

  /// Adds the client's authentication to a request to the token, device or revocation
  /// endpoint. `client_config_invalid` when there is no client id.
  /// `methods`: the endpoint's `*_auth_methods_supported`, when the metadata names them.
  void authenticate(transport::form_fields& form, transport::http::fields& headers, std::error_code& ec,
                    const std::vector<std::string>* methods = nullptr) const {
    ec = {};
    const std::string id = client_id();
    if (id.empty()) {
      ec = error::client_config_invalid;
      log("no client id: set clientId, or use a server that advertises one at /config/v1/flyte_client");
      return;
    }
    if (settings.client_secret.empty()) {
      form.emplace_back("client_id", id);
    } else if (settings.secret_auth == secret_method::basic &&
               !only_post(methods ? *methods : server.metadata.token_endpoint_auth_methods_supported)) {
      headers.set(transport::http::field::authorization, http::basic_authorization(id, settings.client_secret));
    } else {
      form.emplace_back("client_id", id);
      form.emplace_back("client_secret", settings.client_secret);
    }
  }

  /// Whether the server lists `client_secret_post` and not `client_secret_basic` among its
  /// token endpoint's methods: then the secret goes in the body whatever `secret_auth` says
  /// (RFC 8414 §2; Go's oauth2 package finds the same by trying Basic first).
  static bool only_post(const std::vector<std::string>& m) {
    auto has = [&](std::string_view x) { return std::find(m.begin(), m.end(), x) != m.end(); };
    return has("client_secret_post") && !has("client_secret_basic");
  }

  /// POSTs `form` (plus the client's authentication) to `url` and reads the answer as a token
  /// response (client/token_set.hpp).
  token_set token_request(const std::string& url, transport::form_fields form, std::error_code& ec) const {
    if (url.empty()) {
      ec = error::server_metadata_incomplete;
      log("the server's metadata names no token_endpoint");
      return {};
    }
    oauth::detail::require_secure(url, settings.allow_http, ec);
    if (ec) return {};
    transport::http::fields headers;
    authenticate(form, headers, ec);
    if (ec) return {};
    headers.set(transport::http::field::accept, "application/json");
    auto res = http.post_form(url, form, headers, ec);
    if (ec) return {};
    std::string desc;
    auto t = read_token_response(res, now(), ec, &desc);
    if (ec) refused("token endpoint", res, ec, desc);
    return t;
  }

  /// Logs a refusal: the condition, the HTTP status, the server's description.
  void refused(std::string_view what, const transport::response& res, const std::error_code& ec,
               const std::string& desc) const {
    if (description) *description = desc;
    std::string line = std::string(what) + " answered " + std::to_string(res.result_int()) + ": " + ec.message();
    if (!desc.empty()) line += " (" + desc + ")";
    log(line);
  }
};

template <class F>
concept token_flow = requires(const flow_context& ctx, std::error_code& ec) {
  { F::type } -> std::convertible_to<auth_type>;
  { F::needs_server } -> std::convertible_to<bool>;
  { F::run(ctx, ec) } -> std::same_as<token_set>;
};

/// RFC 6749 §6: a new token set for `old`'s refresh token. The answer may omit what did not
/// change: the refresh token (no rotation) and the ID token are kept from `old`.
inline token_set refresh(const flow_context& ctx, const token_set& old, std::error_code& ec) {
  ctx.log("refreshing the access token at " + ctx.token_endpoint());
  transport::form_fields form{{"grant_type", "refresh_token"}, {"refresh_token", old.refresh_token}};
  auto t = ctx.token_request(ctx.token_endpoint(), std::move(form), ec);
  if (ec) return {};
  if (t.refresh_token.empty()) t.refresh_token = old.refresh_token;
  if (t.id_token.empty()) t.id_token = old.id_token;
  return t;
}

/// RFC 7009: revokes `token` (with its type hint). `server_metadata_incomplete` when the server
/// names no revocation endpoint. A 200 means revoked or already invalid (§2.2).
inline void revoke(const flow_context& ctx, const std::string& token, std::string_view hint, std::error_code& ec) {
  const std::string& url = ctx.server.metadata.revocation_endpoint;
  if (url.empty()) {
    ec = error::server_metadata_incomplete;
    return;
  }
  oauth::detail::require_secure(url, ctx.settings.allow_http, ec);
  if (ec) return;
  transport::form_fields form{{"token", token}, {"token_type_hint", std::string(hint)}};
  transport::http::fields headers;
  const auto& methods = ctx.server.metadata.revocation_endpoint_auth_methods_supported;
  ctx.authenticate(form, headers, ec, methods.empty() ? nullptr : &methods);
  if (ec) return;
  auto res = ctx.http.post_form(url, form, headers, ec);
  if (ec) return;
  if (res.result() != transport::http::status::ok) {
    std::string desc;
    ec = oauth::read_error_response(res, &desc);
    ctx.refused("revocation endpoint", res, ec, desc);
  }
}

}  // namespace tessera::client

#endif
