// MUST NOT COMPILE: a grant with its own settings_type over traits whose settings lack it.
// Expected:
//   a grant's settings_type is missing from Traits::settings
// Valid neighbour: custom_grant.cpp (the same grant, with settings that derive from it).
#include "common.hpp"
#include "custom_grant.hpp"

template void cf::construct_server<tessera::store::memory, cf::counting_grant>();
