// tessera — transport.hpp: routing, the Beast HTTP(S) server and client, and the in-memory
// transport (include list only).
#ifndef TESSERA_TRANSPORT_HPP
#define TESSERA_TRANSPORT_HPP

#include <tessera/transport/access_log.hpp>
#include <tessera/transport/any_client.hpp>
#include <tessera/transport/http_client.hpp>
#include <tessera/transport/in_memory.hpp>
#include <tessera/transport/limits.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/plain.hpp>
#include <tessera/transport/request_id.hpp>
#include <tessera/transport/router.hpp>
#include <tessera/transport/server.hpp>
#include <tessera/transport/sync_client.hpp>
#include <tessera/transport/tls.hpp>

#endif
