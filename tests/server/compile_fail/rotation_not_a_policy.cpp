// MUST NOT COMPILE: a refresh grant with a rotation that is not a rotation policy. Expected:
//   Rotation must model tessera::rotation::policy
// Valid neighbour: grants_with_archetype_context.cpp (both shipped rotation policies).
#include "common.hpp"

struct rotate_sometimes {};
template struct tessera::grant::refresh_token<rotate_sometimes>;
