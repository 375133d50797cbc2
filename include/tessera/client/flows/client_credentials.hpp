// tessera — client/flows/client_credentials.hpp: a service's own token (RFC 6749 §4.4), as
// FlytePropeller and CI get theirs: the client's id and secret, `scope`, `audience`.
// `client_secret_missing` when no secret is configured (the secret is never sent empty).
#ifndef TESSERA_CLIENT_FLOWS_CLIENT_CREDENTIALS_HPP
#define TESSERA_CLIENT_FLOWS_CLIENT_CREDENTIALS_HPP

#include <tessera/client/flows/context.hpp>

namespace tessera::client::flow {

struct client_credentials {
  static constexpr auth_type type = auth_type::client_secret;
  static constexpr bool needs_server = true;

  static token_set run(const flow_context& ctx, std::error_code& ec) {
    if (ctx.settings.client_secret.empty()) {
      ec = error::client_secret_missing;
      return {};
    }
    transport::form_fields form{{"grant_type", "client_credentials"}};
    if (auto s = ctx.scope(); !s.empty()) form.emplace_back("scope", std::move(s));
    if (auto a = ctx.audience(); !a.empty()) form.emplace_back("audience", std::move(a));
    ctx.log("client credentials for " + ctx.client_id() + " at " + ctx.token_endpoint());
    return ctx.token_request(ctx.token_endpoint(), std::move(form), ec);
  }
};

static_assert(token_flow<client_credentials>);

}  // namespace tessera::client::flow

#endif
