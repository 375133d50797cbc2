// tessera — client: getting and keeping tokens (PKCE, client credentials, device code,
// external command, refresh, token caches). Umbrella header: includes only. Not included by
// tessera/tessera.hpp (nor the single header): the PKCE loopback listener instantiates Asio's
// acceptor and Beast's async I/O inline, ~3.5 s more for every source that includes the
// umbrella; a program that gets tokens includes this one.
#ifndef TESSERA_CLIENT_HPP
#define TESSERA_CLIENT_HPP

#include <tessera/client/cache.hpp>
#include <tessera/client/client.hpp>
#include <tessera/client/console.hpp>
#include <tessera/client/file_cache.hpp>
#include <tessera/client/flows/client_credentials.hpp>
#include <tessera/client/flows/context.hpp>
#include <tessera/client/flows/device_code.hpp>
#include <tessera/client/flows/external_command.hpp>
#include <tessera/client/flows/pkce.hpp>
#include <tessera/client/qr.hpp>
#include <tessera/client/server_info.hpp>
#include <tessera/client/settings.hpp>
#include <tessera/client/token_set.hpp>

#endif
