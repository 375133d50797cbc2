// MUST NOT COMPILE: two grants serving the same grant_type. Expected:
//   two grants serve the same grant_type
// Valid neighbour: custom_grant.cpp (a grant of its own type beside the shipped ones).
#include "common.hpp"

struct another_client_credentials : tessera::grant::client_credentials {};
template void cf::construct_server<tessera::store::memory, tessera::grant::client_credentials,
                                   another_client_credentials>();
