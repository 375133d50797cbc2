// MUST COMPILE: a grant defined outside the library, with its own settings_type, beside the
// shipped grants, over traits whose settings derive from both. The valid neighbour of
// grant_settings_missing.cpp, duplicate_grant_type.cpp and grant_handle_mismatch.cpp.
#include "common.hpp"
#include "custom_grant.hpp"

namespace cf {
struct settings_with_counting : tessera::server::server_settings, counting_settings {};

void construct_custom() {
  struct traits : tessera::server_defaults {
    using identity = cf::identity;
    using settings = settings_with_counting;
  };
  settings_with_counting settings;
  settings.issuer = "https://auth.example.com";
  tessera::store::memory st;
  cf::identity idp;
  tessera::authorization_server<traits, tessera::grant::client_credentials, counting_grant> srv{settings, {}, {}, st, idp};
  (void)srv;
}
}  // namespace cf
