// tessera — server/grants/refresh_token.hpp
//
// RFC 6749 §6, with a rotation policy (server/grants/rotation.hpp):
// `rotation::reuse_detection` (the default) returns a new refresh token on every use and
// retires the presented one; presenting a retired token again means one of two parties holds
// a stolen copy, so the whole family (every refresh and access token of that authorization)
// is revoked — unless it happens within the configured grace window and count, which covers
// two tabs refreshing at once (`server_settings::refresh_grace`). The check and the rotation
// are one atomic store operation, so of two racing refreshes outside grace exactly one wins.
// `rotation::none` keeps the token and serves confidential clients only.
//
// A token presented by another client than its own is compromised: its family is revoked.
// A narrower `scope` may be requested (§6); a wider one is refused.
#ifndef TESSERA_SERVER_GRANTS_REFRESH_TOKEN_HPP
#define TESSERA_SERVER_GRANTS_REFRESH_TOKEN_HPP

#include <tessera/oauth/scope.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/server/grants/rotation.hpp>
#include <tessera/store/concepts.hpp>

namespace tessera::grant {

template <class Rotation = rotation::reuse_detection>
struct refresh_token {
  static_assert(rotation::policy<Rotation>,
                "tessera::grant::refresh_token: Rotation must model tessera::rotation::policy "
                "(rotation::reuse_detection or rotation::none)");
  static constexpr std::string_view grant_type = "refresh_token";
  static constexpr bool issues_refresh_tokens = true;
  using rotation_policy = Rotation;

  template <class Store>
  static constexpr void check_store() {
    static_assert(store::refresh_token_store<Store>,
                  "tessera::grant::refresh_token needs a store that models tessera::store::refresh_token_store");
  }

  /// Whether other grants may issue refresh tokens to `c`.
  bool refresh_allowed_for(const server::client& c) const noexcept { return rotation_.allows(c); }

  template <server::grant_context C>
  boost::json::object handle(const C& c, const server::token_request& r, std::error_code& ec) const {
    std::string_view presented = r.params.required("refresh_token", ec);
    if (ec) return {};
    if (!rotation_.allows(r.who)) {
      ec = error::client_grant_not_allowed;
      return {};
    }
    auto ex = rotation_.exchange(c, presented, r.now, ec);
    if (ec) return {};
    switch (ex.status) {
      case store::rotate_status::unknown: ec = error::refresh_token_unknown; return {};
      case store::rotate_status::expired: ec = error::refresh_token_expired; return {};
      case store::rotate_status::revoked: ec = error::refresh_token_revoked; return {};
      case store::rotate_status::reused: ec = error::refresh_token_reused; return {};
      case store::rotate_status::ok: break;
    }
    store::grant_record& g = ex.grant;
    if (g.client_id != r.who.id) {
      // Another client holds this client's token: it is compromised.
      c.revoke_family(g.family_id, r.now, ec);
      if (!ec) ec = error::refresh_token_client_mismatch;
      return {};
    }
    if (auto requested = r.params.get("scope"); !requested.empty()) {
      if (!oauth::scope_within(requested, g.scope)) {
        ec = error::scope_not_allowed;
        return {};
      }
      g.scope = std::string(requested);
    }
    return c.issue_tokens(g, r.who, r.now,
                          {.refresh = Rotation::rotates, .nonce = {}, .refresh_token = std::move(ex.next_token)}, ec);
  }

 private:
  [[no_unique_address]] Rotation rotation_;
};

}  // namespace tessera::grant

#endif
