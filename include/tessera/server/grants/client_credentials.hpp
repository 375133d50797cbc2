// tessera — server/grants/client_credentials.hpp: RFC 6749 §4.4. The client is the subject
// (`sub` = client id); no refresh token (§4.4.3); scope defaults to all the client may have.
#ifndef TESSERA_SERVER_GRANTS_CLIENT_CREDENTIALS_HPP
#define TESSERA_SERVER_GRANTS_CLIENT_CREDENTIALS_HPP

#include <tessera/server/grant_context.hpp>
#include <tessera/store/concepts.hpp>

namespace tessera::grant {

struct client_credentials {
  static constexpr std::string_view grant_type = "client_credentials";

  template <class Store>
  static constexpr void check_store() {
    static_assert(store::revocation_store<Store>,
                  "tessera::grant::client_credentials needs a store that models tessera::store::revocation_store");
  }

  template <server::grant_context C>
  boost::json::object handle(const C& c, const server::token_request& r, std::error_code& ec) const {
    if (r.who.is_public) {  // a public client has no credentials to present (§4.4)
      ec = error::client_grant_not_allowed;
      return {};
    }
    store::grant_record g;
    g.client_id = r.who.id;
    g.subject = r.who.id;
    g.scope = c.granted_scope(r.who, r.params.get("scope"), ec);
    if (ec) return {};
    g.audience = std::string(r.params.get("audience"));
    if (!c.audience_allowed(r.who, g.audience)) {
      ec = error::parameter_invalid;
      return {};
    }
    // No family: a client's token is revoked by its jti alone, and names no grant.
    return c.issue_tokens(g, r.who, r.now, {.refresh = false, .nonce = {}, .refresh_token = {}, .for_user = false}, ec);
  }
};

}  // namespace tessera::grant

#endif
