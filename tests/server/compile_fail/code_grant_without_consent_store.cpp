// MUST NOT COMPILE: grant::authorization_code<> over a store that does not model
// store::consent_store (docs/security.md row 37: people are asked before a code is issued, and
// their answer is remembered). Expected diagnostic:
//   tessera::grant::authorization_code needs a store that models ... tessera::store::consent_store
// Valid neighbour: client_credentials_without_consent_store.cpp.
#include "common.hpp"

template void cf::construct_server<cf::store_without_consent, tessera::grant::authorization_code<>>();
