// MUST NOT COMPILE: a Grants parameter that is not a grant module (no grant_type). Expected:
//   every Grants parameter must model tessera::server::grant_module
// Valid neighbour: refresh_grant_with_memory_store.cpp.
#include "common.hpp"

struct not_a_grant {};
template void cf::construct_server<tessera::store::memory, tessera::grant::client_credentials, not_a_grant>();
