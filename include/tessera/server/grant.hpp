// tessera — server/grant.hpp
//
// Grants are the unit of composition of `authorization_server<Traits, Grants...>`: each grant
// declares what it needs and contributes what it serves, and the server folds over them and
// names none. Adding a grant (token exchange, a sender-constrained refresh) needs no edit of
// the server: `tests/server/server_extension.cpp` defines one in the test alone.
//
// A type G models `grant_module` when it has
//
//   static constexpr std::string_view grant_type;    the `grant_type` value it serves at the
//                                                    token endpoint (RFC 6749 §4, §6, RFC 8628)
//
// and, for a context `c` modelling `grant_context` (server/grant_context.hpp), a `const G& g`:
//
//   g.handle(c, token_request, ec) -> boost::json::object
//       the token endpoint's work after client authentication: the RFC 6749 §5.1 body, or
//       `ec` (the endpoint turns it into the §5.2 error). Required.
//
// Optional hooks, each detected and used only when present:
//
//   template <class Store> static constexpr void check_store()
//       fails to compile, with one readable message, when `Store` lacks a capability the grant
//       needs (`store::code_store`, ...)
//   G(const server_settings&)
//       the grant reads its settings (and builds its state) from the server's; otherwise it is
//       default-constructed. State is the grant's own (rate limiters, caches), thread-safe.
//   g.install(router, c)
//       registers the grant's own endpoints (the authorization endpoint, the device endpoints)
//   g.describe(metadata, c)
//       adds what the grant serves to the server's metadata (endpoints, PKCE methods, ...)
//   static constexpr bool issues_refresh_tokens; g.refresh_allowed_for(client) -> bool
//       the grant redeems refresh tokens, so other grants may issue them — to clients it allows
//
// Exemplar: `grant_archetype` below.
#ifndef TESSERA_SERVER_GRANT_HPP
#define TESSERA_SERVER_GRANT_HPP

#include <tessera/oauth/metadata.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/transport/router.hpp>

#include <concepts>
#include <string_view>
#include <type_traits>

namespace tessera::server {

template <class G>
concept grant_module = requires {
  { G::grant_type } -> std::convertible_to<std::string_view>;
};

/// Whether `G::handle` serves token requests with context `C`.
template <class G, class C>
concept token_grant_for = requires(const G& g, const C& c, const token_request& r, std::error_code& ec) {
  { g.handle(c, r, ec) } -> std::same_as<boost::json::object>;
};

template <class G, class C>
concept installs_endpoints = requires(const G& g, transport::router& r, const C& c) { g.install(r, c); };

template <class G, class C>
concept describes_metadata = requires(const G& g, oauth::server_metadata& m, const C& c) { g.describe(m, c); };

template <class G>
concept redeems_refresh_tokens = requires(const G& g, const client& c) {
  requires G::issues_refresh_tokens;
  { g.refresh_allowed_for(c) } -> std::same_as<bool>;
};

template <class G, class Store>
concept checks_store = requires { G::template check_store<Store>(); };

/// A grant gets the server's settings when it takes them, else it is default-constructed.
template <class G>
G make_grant(const server_settings& s) {
  if constexpr (std::is_constructible_v<G, const server_settings&>) return G(s);
  else return G();
}

/// The least a grant must be.
struct grant_archetype {
  static constexpr std::string_view grant_type = "urn:example:archetype";
  template <grant_context C>
  boost::json::object handle(const C&, const token_request&, std::error_code& ec) const {
    ec = error::grant_type_unsupported;
    return {};
  }
};
static_assert(grant_module<grant_archetype>);

}  // namespace tessera::server

#endif
