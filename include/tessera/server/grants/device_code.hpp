// tessera — server/grants/device_code.hpp
//
// The device authorization grant (RFC 8628) as a module: the device endpoints
// (server/endpoints/device.hpp: /oauth2/device/authorize and the verification page
// /oauth2/device), their metadata, the per-user limit on wrong user codes (§5.1, the grant's
// own state), and the token side (§3.4–3.5): the device polls with its device code; the store
// answers atomically: `authorization_pending` until the user decides, `slow_down` when polled
// faster than the interval (which then grows by 5 s), `access_denied`, `expired_token`, or
// the tokens — exactly once.
#ifndef TESSERA_SERVER_GRANTS_DEVICE_CODE_HPP
#define TESSERA_SERVER_GRANTS_DEVICE_CODE_HPP

#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/server/endpoints/device.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/transport/router.hpp>

namespace tessera::grant {

class device_code {
 public:
  static constexpr std::string_view grant_type = server::device_code_grant_type;

  explicit device_code(const server::server_settings& s) : user_code_failures_(s.device_user_code_failures) {}

  template <class Store>
  static constexpr void check_store() {
    static_assert(store::device_code_store<Store> && store::revocation_store<Store>,
                  "tessera::grant::device_code needs a store that models tessera::store::device_code_store and "
                  "tessera::store::revocation_store");
  }

  /// POST /oauth2/device/authorize and GET|POST /oauth2/device.
  template <server::grant_context C>
  void install(transport::router& router, const C& c) const {
    using transport::request;
    using transport::request_context;
    const C* s = &c;
    auto* failures = &user_code_failures_;
    router.post("/oauth2/device/authorize",
                [s](const request& q, const request_context& x) { return server::device_authorization_endpoint(*s, q, x); });
    router.add({transport::http::verb::get, transport::http::verb::post}, "/oauth2/device",
               [s, failures](const request& q, const request_context& x) {
                 return server::device_verification_endpoint(*s, *failures, q, x);
               });
  }

  template <server::grant_context C>
  void describe(oauth::server_metadata& m, const C& c) const {
    const server::server_settings& st = c.settings();
    m.device_authorization_endpoint = st.endpoint("/oauth2/device/authorize");
  }

  template <server::grant_context C>
  boost::json::object handle(const C& c, const server::token_request& r, std::error_code& ec) const {
    std::string_view code = r.params.required("device_code", ec);
    if (ec) return {};
    // The store checks the client before it touches the record: another client's poll must
    // neither consume an approved code nor move its polling interval.
    auto polled = c.store().poll_device(store::token_hash(code), r.who.id, r.now, ec);
    if (ec) return {};
    switch (polled.status) {
      case store::poll_status::unknown: ec = error::device_code_unknown; return {};
      case store::poll_status::pending: ec = error::device_authorization_pending; return {};
      case store::poll_status::slow_down: ec = error::device_slow_down; return {};
      case store::poll_status::denied: ec = error::device_access_denied; return {};
      case store::poll_status::expired: ec = error::device_code_expired; return {};
      case store::poll_status::approved: break;
    }
    return c.issue_tokens(polled.record.grant, r.who, r.now, {.refresh = true, .nonce = {}, .refresh_token = {}}, ec);
  }

  /// Wrong user codes entered on the verification page, per logged-in user (thread-safe).
  crypto::failure_rate_limiter& user_code_failures() const noexcept { return user_code_failures_; }

 private:
  mutable crypto::failure_rate_limiter user_code_failures_;
};

}  // namespace tessera::grant

#endif
