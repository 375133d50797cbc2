// tessera — oauth.hpp: what the server, the identity layer, the resource server and the client
// share (include list only).
#ifndef TESSERA_OAUTH_HPP
#define TESSERA_OAUTH_HPP

#include <tessera/oauth/access_token.hpp>
#include <tessera/oauth/bearer.hpp>
#include <tessera/oauth/discovery.hpp>
#include <tessera/oauth/id_token.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/oauth/peer_error.hpp>
#include <tessera/oauth/remote_jwks.hpp>
#include <tessera/oauth/responses.hpp>
#include <tessera/oauth/scope.hpp>

#endif
