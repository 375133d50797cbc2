// tessera — server/grants/authorization_code.hpp
//
// The authorization-code grant as a module: the browser endpoints (server/endpoints/
// authorize.hpp: /oauth2/authorize and /oauth2/authorize_callback; consent.hpp:
// /oauth2/consent), their metadata, and the
// token request (RFC 6749 §4.1.3). PKCE (RFC 7636) is a sub-policy, so it cannot be misordered
// or left out for public clients:
//   pkce::required_for_public  public clients must send an S256 challenge (the default)
//   pkce::required             every client must (RFC 9700 §2.1.1 recommends it)
// There is no policy without PKCE for public clients, and no `plain` method (docs/security.md row 6).
//
// Redeeming a code is atomic and single use. A replayed code revokes the family of tokens the
// first redemption issued (RFC 6749 §4.1.2, docs/security.md row 7). A code presented with the wrong
// client, redirect URI or verifier is burned too: the store consumed it before the checks.
#ifndef TESSERA_SERVER_GRANTS_AUTHORIZATION_CODE_HPP
#define TESSERA_SERVER_GRANTS_AUTHORIZATION_CODE_HPP

#include <tessera/crypto/pkce.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/server/endpoints/authorize.hpp>
#include <tessera/server/endpoints/consent.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/transport/router.hpp>

namespace tessera::pkce {

/// PKCE S256 required of public clients; confidential clients may use it.
struct required_for_public {
  static constexpr bool applies_to(const server::client& c) noexcept { return c.is_public; }
};
/// PKCE S256 required of every client.
struct required {
  static constexpr bool applies_to(const server::client&) noexcept { return true; }
};

template <class P>
concept policy = requires(const server::client& c) {
  { P::applies_to(c) } -> std::same_as<bool>;
};

}  // namespace tessera::pkce

namespace tessera::grant {

template <pkce::policy Pkce = pkce::required_for_public>
struct authorization_code {
  static constexpr std::string_view grant_type = "authorization_code";
  using pkce_policy = Pkce;

  template <class Store>
  static constexpr void check_store() {
    static_assert(store::code_store<Store> && store::revocation_store<Store> && store::consent_store<Store>,
                  "tessera::grant::authorization_code needs a store that models tessera::store::code_store, "
                  "tessera::store::revocation_store and tessera::store::consent_store");
  }

  /// GET|POST /oauth2/authorize and GET /oauth2/authorize_callback.
  template <server::grant_context C>
  void install(transport::router& router, const C& c) const {
    using transport::request;
    using transport::request_context;
    const C* s = &c;
    router.add({transport::http::verb::get, transport::http::verb::post}, "/oauth2/authorize",
               [s](const request& q, const request_context& x) { return server::authorize_endpoint<Pkce>(*s, q, x); });
    router.get(std::string(server::detail::authorize_callback_path),
               [s](const request& q, const request_context& x) { return server::authorize_callback_endpoint<Pkce>(*s, q, x); });
    router.get(std::string(server::detail::consent_path),
               [s](const request& q, const request_context& x) { return server::consent_endpoint<Pkce>(*s, q, x); });
    router.post(std::string(server::detail::consent_path),
                [s](const request& q, const request_context& x) { return server::consent_decision_endpoint<Pkce>(*s, q, x); });
  }

  template <server::grant_context C>
  void describe(oauth::server_metadata& m, const C& c) const {
    const server::server_settings& st = c.settings();
    m.authorization_endpoint = st.endpoint("/oauth2/authorize");
    m.response_types_supported = {"code"};
    m.response_modes_supported = {"query"};
    m.code_challenge_methods_supported = {"S256"};
    m.authorization_response_iss_parameter_supported = true;
  }

  template <server::grant_context C>
  boost::json::object handle(const C& s, const server::token_request& r, std::error_code& ec) const {
    std::string_view code = r.params.required("code", ec);
    if (ec) return {};
    auto result = s.store().consume_code(store::token_hash(code), r.now, ec);
    if (ec) return {};
    switch (result.status) {
      case store::consume_status::unknown: ec = error::code_unknown; return {};
      case store::consume_status::expired: ec = error::code_expired; return {};
      case store::consume_status::replayed:
        s.revoke_family(result.record.grant.family_id, r.now, ec);
        if (!ec) ec = error::code_replayed;
        return {};
      case store::consume_status::ok: break;
    }
    const store::code_record& rec = result.record;
    if (rec.grant.client_id != r.who.id) {
      ec = error::code_client_mismatch;
      return {};
    }
    // §4.1.3: redirect_uri must be sent, identical, when the authorization request had it.
    if (!rec.redirect_uri.empty() && r.params.get("redirect_uri") != rec.redirect_uri) {
      ec = error::code_redirect_uri_mismatch;
      return {};
    }
    std::string_view verifier = r.params.get("code_verifier");
    if (!rec.code_challenge.empty()) {
      if (verifier.empty()) {
        ec = error::pkce_verifier_missing;
        return {};
      }
      if (!crypto::pkce::verify_s256(verifier, rec.code_challenge, ec)) {
        if (!ec) ec = error::pkce_verifier_mismatch;
        return {};
      }
    } else if (!verifier.empty()) {
      ec = error::pkce_unexpected_verifier;  // RFC 9700 §4.8.2: no downgrade either way
      return {};
    }
    return s.issue_tokens(rec.grant, r.who, r.now, {.refresh = true, .nonce = rec.nonce, .refresh_token = {}}, ec);
  }
};

}  // namespace tessera::grant

#endif
