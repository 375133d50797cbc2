// tessera — resource.hpp: the resource server — bearer-token validation for tokens of
// tessera or of any authorization server, introspection, route guards; the remote key sets
// and discovery it uses live in oauth/ (include list only).
#ifndef TESSERA_RESOURCE_HPP
#define TESSERA_RESOURCE_HPP

#include <tessera/resource/claims.hpp>
#include <tessera/resource/external.hpp>
#include <tessera/resource/guard.hpp>
#include <tessera/resource/id_tokens.hpp>
#include <tessera/resource/introspection.hpp>
#include <tessera/resource/self.hpp>
#include <tessera/resource/token_cache.hpp>
#include <tessera/resource/validator.hpp>

#endif
