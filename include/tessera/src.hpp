// tessera — src.hpp: the opt-in separate-compilation mode's one source.
//
// tessera is header-only by default. A program that compiles many translation units against
// it can instead compile the heavy, fixed parts once:
//
//  1. define TESSERA_SEPARATE_COMPILATION for *every* translation unit of the program (in
//     CMake: target_compile_definitions(app PRIVATE TESSERA_SEPARATE_COMPILATION));
//  2. include this header in exactly one of its .cpp files, and in no other:
//
//         // tessera_src.cpp
//         #include <tessera/src.hpp>
//
// The headers then only declare what this file defines:
//  * `transport::http_client` (and the Beast client machinery under it);
//  * the server connection (Beast's HTTP reading and writing, deadlines, closing), one for
//    every transport since the stream is erased (transport/detail/server_stream.hpp);
//  * `transport::basic_server<plain>` and `basic_server<tls>` (`plain_server`, `tls_server`):
//    their listeners and their transport's four stream operations — a server over a transport
//    of your own instantiates those in the file that uses it, which then includes
//    <tessera/transport/impl/server.hpp> (the connection is already compiled here);
//  * `embedded_server` (server/embedded.hpp) and the identity it usually runs with, `identity::local<store::memory>`.
// Everything else (other server compositions, stores, JOSE) stays a template or inline
// function and is compiled where it is used, as in the header-only mode.
//
// The five parts are also headers of their own (tessera/impl/src/*.hpp): a build may compile
// them as five sources instead of this one (smaller and parallel compiler runs); each part
// must still be compiled exactly once.
//
// Mixing the modes inside one program is an ODR violation: a translation unit without the
// macro would define inline what this file defines out of line. Works with the include/ tree
// (not the single header).
#ifndef TESSERA_SRC_HPP
#define TESSERA_SRC_HPP

#ifndef TESSERA_SEPARATE_COMPILATION
#error "tessera/src.hpp is for TESSERA_SEPARATE_COMPILATION builds: define it for every translation unit"
#endif

#include <tessera/impl/src/embedded_server.hpp>
#include <tessera/impl/src/http_client.hpp>
#include <tessera/impl/src/plain_server.hpp>
#include <tessera/impl/src/server_session.hpp>
#include <tessera/impl/src/tls_server.hpp>

#endif
