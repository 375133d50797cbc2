// tessera — OAuth 2.0 and OpenID Connect for C++20. Umbrella header: includes only.
#ifndef TESSERA_TESSERA_HPP
#define TESSERA_TESSERA_HPP

#include <tessera/clock.hpp>
#include <tessera/config.hpp>
#include <tessera/error.hpp>

#include <tessera/crypto.hpp>
#include <tessera/http.hpp>
#include <tessera/identity.hpp>
#include <tessera/jose.hpp>
#include <tessera/oauth.hpp>
#include <tessera/ops.hpp>
#include <tessera/resource.hpp>
#include <tessera/server.hpp>
#include <tessera/store.hpp>
#include <tessera/transport.hpp>

#endif
