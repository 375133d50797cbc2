// tessera — impl/src/http_client.hpp: part of tessera/src.hpp (separate compilation): transport::http_client.
// Include it from one .cpp only, with TESSERA_SEPARATE_COMPILATION defined, instead of src.hpp
// when a build wants the parts in several sources (smaller, parallel compiler runs).
#ifndef TESSERA_IMPL_SRC_HTTP_CLIENT_HPP
#define TESSERA_IMPL_SRC_HTTP_CLIENT_HPP

#ifndef TESSERA_SEPARATE_COMPILATION
#error "tessera/impl/src/http_client.hpp is for TESSERA_SEPARATE_COMPILATION builds (see tessera/src.hpp)"
#endif

#include <tessera/transport/http_client.hpp>
#include <tessera/transport/impl/http_client.hpp>

#endif
