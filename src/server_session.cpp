// One part of tessera/src.hpp, compiled once for tessera's own tests, examples and benchmarks
// (src/CMakeLists.txt).
#include <tessera/impl/src/server_session.hpp>
