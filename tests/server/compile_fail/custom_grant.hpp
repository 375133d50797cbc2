// A grant of the tests' own, with settings of its own: for custom_grant.cpp and
// grant_settings_missing.cpp.
#pragma once

#include <tessera/server.hpp>

namespace cf {

struct counting_settings {
  unsigned limit = 3;
};

struct counting_grant {
  using settings_type = counting_settings;
  static constexpr std::string_view grant_type = "urn:example:grant:counting";
  explicit counting_grant(const counting_settings& s) : limit(s.limit) {}
  unsigned limit;

  template <tessera::server::grant_context C>
  boost::json::object handle(const C&, const tessera::server::token_request&, std::error_code& ec) const {
    ec = tessera::error::grant_type_unsupported;
    return {};
  }
};

}  // namespace cf
