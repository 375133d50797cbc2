// MUST NOT COMPILE: grant::refresh_token<> over a store that does not model
// store::refresh_token_store. Expected diagnostic:
//   tessera::grant::refresh_token needs a store that models tessera::store::refresh_token_store
// Valid neighbour: refresh_grant_with_memory_store.cpp.
#include "common.hpp"

template void cf::construct_server<cf::store_without_refresh, tessera::grant::authorization_code<>,
                                   tessera::grant::refresh_token<>>();
