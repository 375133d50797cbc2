// tessera — transport/sync_client.hpp: what code that *calls* HTTP (IdP discovery, JWKS
// fetching, the CLI's token requests) asks of its transport, so tests can swap the network
// client for the in-memory one.
//
// Exemplar:
//
//     struct my_client {
//       response send(request, std::string_view url, std::error_code&);
//       response get(std::string_view url, std::error_code&);
//       response post_form(std::string_view url, const form_fields&, const http::fields&,
//                          std::error_code&);
//     };
//
// Models: `http_client` (http_client.hpp, the network), `in_memory` (in_memory.hpp, a router
// called directly).
#ifndef TESSERA_TRANSPORT_SYNC_CLIENT_HPP
#define TESSERA_TRANSPORT_SYNC_CLIENT_HPP

#include <tessera/transport/detail/form.hpp>
#include <tessera/transport/message.hpp>

#include <concepts>
#include <string_view>
#include <system_error>

namespace tessera::transport {

template <class C>
concept sync_client = requires(C& c, request req, std::string_view url, const form_fields& form,
                               const http::fields& headers, std::error_code& ec) {
  { c.send(std::move(req), url, ec) } -> std::same_as<response>;
  { c.get(url, ec) } -> std::same_as<response>;
  { c.post_form(url, form, headers, ec) } -> std::same_as<response>;
};

}  // namespace tessera::transport

#endif
