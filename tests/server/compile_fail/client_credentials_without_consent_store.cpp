// MUST COMPILE: the valid neighbour of code_grant_without_consent_store.cpp — client
// credentials ask no person, so a store without consents serves them.
#include "common.hpp"

template void cf::construct_server<cf::store_without_consent, tessera::grant::client_credentials>();
