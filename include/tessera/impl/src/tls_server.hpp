// tessera — impl/src/tls_server.hpp: part of tessera/src.hpp (separate compilation): transport::basic_server<tls>.
// Include it from one .cpp only, with TESSERA_SEPARATE_COMPILATION defined, instead of src.hpp
// when a build wants the parts in several sources (smaller, parallel compiler runs).
#ifndef TESSERA_IMPL_SRC_TLS_SERVER_HPP
#define TESSERA_IMPL_SRC_TLS_SERVER_HPP

#ifndef TESSERA_SEPARATE_COMPILATION
#error "tessera/impl/src/tls_server.hpp is for TESSERA_SEPARATE_COMPILATION builds (see tessera/src.hpp)"
#endif

#include <tessera/transport/server.hpp>
#include <tessera/transport/impl/server.hpp>
#include <tessera/transport/tls.hpp>

template class tessera::transport::basic_server<tessera::transport::tls>;

#endif
