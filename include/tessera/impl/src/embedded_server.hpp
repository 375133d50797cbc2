// tessera — impl/src/embedded_server.hpp: part of tessera/src.hpp (separate compilation): embedded_server and its identity.
// Include it from one .cpp only, with TESSERA_SEPARATE_COMPILATION defined, instead of src.hpp
// when a build wants the parts in several sources (smaller, parallel compiler runs).
#ifndef TESSERA_IMPL_SRC_EMBEDDED_SERVER_HPP
#define TESSERA_IMPL_SRC_EMBEDDED_SERVER_HPP

#ifndef TESSERA_SEPARATE_COMPILATION
#error "tessera/impl/src/embedded_server.hpp is for TESSERA_SEPARATE_COMPILATION builds (see tessera/src.hpp)"
#endif

#include <tessera/server/embedded.hpp>

template class tessera::identity::session_identity<tessera::store::any, tessera::system_clock,
                                                   tessera::identity::password_authenticator>;
template class tessera::identity::local<tessera::store::any>;
template class tessera::authorization_server<
    tessera::embedded_traits, tessera::grant::authorization_code<tessera::pkce::required_for_public>,
    tessera::grant::client_credentials, tessera::grant::refresh_token<tessera::rotation::reuse_detection>,
    tessera::grant::device_code>;

#endif
