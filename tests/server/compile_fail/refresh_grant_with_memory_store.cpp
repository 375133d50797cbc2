// Valid neighbour of refresh_grant_without_refresh_store.cpp: the same server over the full
// memory store compiles; and the store without refresh tokens is fine without that grant.
#include "common.hpp"

template void cf::construct_server<tessera::store::memory, tessera::grant::authorization_code<>,
                                   tessera::grant::refresh_token<>>();
template void cf::construct_server<cf::store_without_refresh, tessera::grant::authorization_code<>>();
