// tessera — server/embedded.hpp
//
// The common combination, named: every grant, local login from a users file, the memory
// store, the system clock — what `tessera-server` runs with no configuration.
//
//     tessera::store::memory store;
//     tessera::identity::local<tessera::store::memory> login(login_settings, store);
//     tessera::embedded_server server(settings, clients, keys, store, login);
#ifndef TESSERA_SERVER_EMBEDDED_HPP
#define TESSERA_SERVER_EMBEDDED_HPP

#include <tessera/identity/local.hpp>
#include <tessera/server/authorization_server.hpp>
#include <tessera/server/impl/authorization_server.hpp>

namespace tessera {

struct embedded_traits : server_defaults {
  using identity = tessera::identity::local<tessera::store::memory>;
};

using embedded_server =
    authorization_server<embedded_traits, grant::authorization_code<pkce::required_for_public>, grant::client_credentials,
                         grant::refresh_token<rotation::reuse_detection>, grant::device_code>;

}  // namespace tessera

#endif
