// tessera — server/grants/device_code.hpp
//
// RFC 8628 §3.4–3.5, the token side of the device authorization grant. The device polls with
// its device code; the store answers atomically: `authorization_pending` until the user
// decides, `slow_down` when polled faster than the interval (which then grows by 5 s),
// `access_denied`, `expired_token`, or the tokens — exactly once.
#ifndef TESSERA_SERVER_GRANTS_DEVICE_CODE_HPP
#define TESSERA_SERVER_GRANTS_DEVICE_CODE_HPP

#include <tessera/server/grants/token_request.hpp>
#include <tessera/store/concepts.hpp>

namespace tessera::grant {

struct device_code {
  static constexpr std::string_view grant_type = "urn:ietf:params:oauth:grant-type:device_code";

  template <class Store>
  static constexpr void check_store() {
    static_assert(store::device_code_store<Store> && store::revocation_store<Store>,
                  "tessera::grant::device_code needs a store that models tessera::store::device_code_store and "
                  "tessera::store::revocation_store");
  }

  template <class Server>
  boost::json::object handle(Server& s, const server::token_request& r, std::error_code& ec) const {
    std::string_view code = r.params.required("device_code", ec);
    if (ec) return {};
    // The store checks the client before it touches the record: another client's poll must
    // neither consume an approved code nor move its polling interval.
    auto polled = s.store().poll_device(store::token_hash(code), r.who.id, r.now, ec);
    if (ec) return {};
    switch (polled.status) {
      case store::poll_status::unknown: ec = error::device_code_unknown; return {};
      case store::poll_status::pending: ec = error::device_authorization_pending; return {};
      case store::poll_status::slow_down: ec = error::device_slow_down; return {};
      case store::poll_status::denied: ec = error::device_access_denied; return {};
      case store::poll_status::expired: ec = error::device_code_expired; return {};
      case store::poll_status::approved: break;
    }
    return s.issue_tokens(polled.record.grant, r.who, r.now, {.refresh = true, .nonce = {}, .refresh_token = {}}, ec);
  }
};

}  // namespace tessera::grant

#endif
