// The one source of the separate-compilation mode: tessera's servers, client and embedded
// server, compiled once for the whole program.
#include <tessera/src.hpp>
