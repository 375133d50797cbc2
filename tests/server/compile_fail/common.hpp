// Shared by the must-not-compile cases: an identity policy and traits, so that each case
// differs from its valid neighbour only in what it is about.
#pragma once

#include <tessera/server.hpp>

namespace cf {

struct identity {
  std::optional<tessera::identity::user> current_user(const tessera::transport::request&,
                                                      const tessera::transport::request_context&,
                                                      std::error_code& ec) const {
    ec = {};
    return std::nullopt;
  }
  std::string_view login_path() const { return "/login"; }
  void install(tessera::transport::router&) const {}
  const tessera::identity::browser& browser() const;
};

/// The memory store with everything but refresh tokens: it models code_store,
/// revocation_store, device_code_store, jti_store and consent_store, not refresh_token_store.
class store_without_refresh : private tessera::store::memory {
 public:
  using memory::put_code;
  using memory::consume_code;
  using memory::find_access;
  using memory::revoke_family;
  using memory::family_revoked;
  using memory::put_access;
  using memory::revoke_access;
  using memory::access_revoked;
  using memory::put_device;
  using memory::find_device_by_user_code;
  using memory::decide_device;
  using memory::poll_device;
  using memory::use_once;
  using memory::put_consent;
  using memory::find_consent;
  using memory::delete_consents;
};
static_assert(tessera::store::revocation_store<store_without_refresh>);
static_assert(tessera::store::jti_store<store_without_refresh>);
static_assert(tessera::store::consent_store<store_without_refresh>);
static_assert(!tessera::store::refresh_token_store<store_without_refresh>);

/// The memory store without consents (docs/security.md row 37): enough for client
/// credentials, not for the authorization-code grant, which asks people before issuing.
class store_without_consent : private tessera::store::memory {
 public:
  using memory::put_code;
  using memory::consume_code;
  using memory::find_access;
  using memory::revoke_family;
  using memory::family_revoked;
  using memory::put_access;
  using memory::revoke_access;
  using memory::access_revoked;
  using memory::use_once;
};
static_assert(tessera::store::code_store<store_without_consent>);
static_assert(!tessera::store::consent_store<store_without_consent>);

template <class Store, class... Grants>
void construct_server() {
  struct traits : tessera::server_defaults {
    using store = Store;
    using identity = cf::identity;
  };
  tessera::server::server_settings settings;
  settings.issuer = "https://auth.example.com";
  Store st;
  cf::identity idp;
  tessera::authorization_server<traits, Grants...> srv{settings, {}, {}, st, idp};
  (void)srv;
}

}  // namespace cf
