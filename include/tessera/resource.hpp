// tessera — resource.hpp: the resource server — bearer-token validation for tokens of
// tessera or of any authorization server, remote key sets, introspection, route guards
// (include list only).
#ifndef TESSERA_RESOURCE_HPP
#define TESSERA_RESOURCE_HPP

#include <tessera/resource/claims.hpp>
#include <tessera/resource/discovery.hpp>
#include <tessera/resource/external.hpp>
#include <tessera/resource/guard.hpp>
#include <tessera/resource/introspection.hpp>
#include <tessera/resource/remote_jwks.hpp>
#include <tessera/resource/self.hpp>
#include <tessera/resource/token_cache.hpp>
#include <tessera/resource/validator.hpp>

#endif
