// MUST NOT COMPILE: a grant whose handle() does not take the server as its grant_context.
// Expected:
//   must accept the server as its grant_context
// Valid neighbour: custom_grant.cpp.
#include "common.hpp"

struct handle_takes_nothing {
  static constexpr std::string_view grant_type = "urn:example:grant:broken";
  boost::json::object handle() const { return {}; }
};
template void cf::construct_server<tessera::store::memory, handle_takes_nothing>();
