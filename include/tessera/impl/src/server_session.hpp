// tessera — impl/src/server_session.hpp: part of tessera/src.hpp (separate compilation): the
// server connection (transport::detail::session), shared by every server transport.
// Include it from one .cpp only, with TESSERA_SEPARATE_COMPILATION defined, instead of src.hpp
// when a build wants the parts in several sources (smaller, parallel compiler runs).
#ifndef TESSERA_IMPL_SRC_SERVER_SESSION_HPP
#define TESSERA_IMPL_SRC_SERVER_SESSION_HPP

#ifndef TESSERA_SEPARATE_COMPILATION
#error "tessera/impl/src/server_session.hpp is for TESSERA_SEPARATE_COMPILATION builds (see tessera/src.hpp)"
#endif

#include <tessera/transport/detail/session.hpp>
#include <tessera/transport/impl/session.hpp>

template class tessera::transport::detail::basic_session<tessera::transport::detail::server_stream>;

#endif
