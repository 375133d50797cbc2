// tessera — server/embedded.hpp
//
// The common combination, named: every grant, the store and the login both chosen at run time
// — `store::any` (memory, SQLite, PostgreSQL, Redis) and `identity::any_identity` (the users
// file, `identity::local`, what `tessera-server` runs with no configuration, or an external
// IdP, `identity::oidc`) — and the system clock: one compiled server for every deployment.
//
//     tessera::store::sqlite db(sqlite_settings);          // or memory, postgres, redis
//     tessera::store::any store(db);
//     tessera::identity::local<tessera::store::any> users(login_settings, store);
//     tessera::identity::any_identity login(users);
//     tessera::embedded_server server(settings, clients, keys, store, login);
#ifndef TESSERA_SERVER_EMBEDDED_HPP
#define TESSERA_SERVER_EMBEDDED_HPP

#include <tessera/identity/any_identity.hpp>
#include <tessera/identity/local.hpp>
#include <tessera/server/authorization_server.hpp>
#include <tessera/server/impl/authorization_server.hpp>
#include <tessera/store/any.hpp>

namespace tessera {

struct embedded_traits : server_defaults {
  using store = tessera::store::any;
  using identity = tessera::identity::any_identity;
};

using embedded_server =
    authorization_server<embedded_traits, grant::authorization_code<pkce::required_for_public>, grant::client_credentials,
                         grant::refresh_token<rotation::reuse_detection>, grant::device_code>;

}  // namespace tessera

// With TESSERA_SEPARATE_COMPILATION the composition is compiled once, by tessera/src.hpp.
#ifdef TESSERA_SEPARATE_COMPILATION
extern template class tessera::identity::session_identity<tessera::store::any, tessera::system_clock,
                                                          tessera::identity::password_authenticator>;
extern template class tessera::identity::local<tessera::store::any>;
extern template class tessera::authorization_server<
    tessera::embedded_traits, tessera::grant::authorization_code<tessera::pkce::required_for_public>,
    tessera::grant::client_credentials, tessera::grant::refresh_token<tessera::rotation::reuse_detection>,
    tessera::grant::device_code>;
#endif

#endif
