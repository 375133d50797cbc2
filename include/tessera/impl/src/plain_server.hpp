// tessera — impl/src/plain_server.hpp: part of tessera/src.hpp (separate compilation): transport::basic_server<plain>.
// Include it from one .cpp only, with TESSERA_SEPARATE_COMPILATION defined, instead of src.hpp
// when a build wants the parts in several sources (smaller, parallel compiler runs).
#ifndef TESSERA_IMPL_SRC_PLAIN_SERVER_HPP
#define TESSERA_IMPL_SRC_PLAIN_SERVER_HPP

#ifndef TESSERA_SEPARATE_COMPILATION
#error "tessera/impl/src/plain_server.hpp is for TESSERA_SEPARATE_COMPILATION builds (see tessera/src.hpp)"
#endif

#include <tessera/transport/plain.hpp>
#include <tessera/transport/server.hpp>
#include <tessera/transport/impl/server.hpp>

template class tessera::transport::basic_server<tessera::transport::plain>;

#endif
