// tessera — server/grants/token_request.hpp
//
// What a grant policy gets from the token endpoint, and the concept every grant models.
//
// A type G models `grant_policy` when it has
//   static constexpr std::string_view grant_type;          // the `grant_type` value it serves
//   template <class Store> static constexpr bool store_fits; // its store needs are met
//   template <class Server> boost::json::object handle(Server&, const token_request&, std::error_code&) const;
// and `G::template check_store<Store>()` fails to compile with one readable message when
// the store lacks what the grant needs. Models: `grant::authorization_code<Pkce>`,
// `grant::client_credentials`, `grant::refresh_token<Rotation>`, `grant::device_code`.
#ifndef TESSERA_SERVER_GRANTS_TOKEN_REQUEST_HPP
#define TESSERA_SERVER_GRANTS_TOKEN_REQUEST_HPP

#include <tessera/clock.hpp>
#include <tessera/http/form.hpp>
#include <tessera/server/client.hpp>

#include <boost/json/object.hpp>

namespace tessera::server {

/// A token request after client authentication.
struct token_request {
  const client& who;
  const http::parameters& params;
  time_point now;
};

template <class G>
concept grant_policy = requires {
  { G::grant_type } -> std::convertible_to<std::string_view>;
};

}  // namespace tessera::server

#endif
