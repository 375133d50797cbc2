// tessera — flyte.hpp: Flyte-compatible configuration (the CMake component tessera::flyte).
// Umbrella header: includes only. Not part of tessera/tessera.hpp nor of the single header:
// the core never needs it.
#ifndef TESSERA_FLYTE_HPP
#define TESSERA_FLYTE_HPP

#include <tessera/flyte/client_config.hpp>
#include <tessera/flyte/clients.hpp>
#include <tessera/flyte/config_error.hpp>
#include <tessera/flyte/keys.hpp>
#include <tessera/flyte/secrets.hpp>
#include <tessera/flyte/server_config.hpp>

#endif
