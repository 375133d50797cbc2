// tessera — server.hpp: the authorization server (include list only).
#ifndef TESSERA_SERVER_HPP
#define TESSERA_SERVER_HPP

#include <tessera/server/authorization_server.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/client_authentication.hpp>
#include <tessera/server/embedded.hpp>
#include <tessera/server/endpoints/authorize.hpp>
#include <tessera/server/endpoints/device.hpp>
#include <tessera/server/endpoints/metadata.hpp>
#include <tessera/server/endpoints/token.hpp>
#include <tessera/server/grant.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/server/grants/authorization_code.hpp>
#include <tessera/server/grants/client_credentials.hpp>
#include <tessera/server/grants/device_code.hpp>
#include <tessera/server/grants/refresh_token.hpp>
#include <tessera/server/grants/rotation.hpp>
#include <tessera/server/impl/authorization_server.hpp>
#include <tessera/server/settings.hpp>
#include <tessera/server/token_issuer.hpp>
#include <tessera/server/token_observer.hpp>
#include <tessera/store/memory.hpp>

#endif
