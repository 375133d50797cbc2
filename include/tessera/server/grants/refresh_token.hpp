// tessera — server/grants/refresh_token.hpp
//
// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every refresh returns a new refresh token and
// retires the presented one. Presenting a retired token again means one of two parties holds
// a stolen copy, so the whole family (every refresh and access token of that authorization)
// is revoked — unless it happens within the configured grace window and count, which covers
// two tabs refreshing at once (`server_settings::refresh_grace`). The check and the rotation
// are one atomic store operation, so of two racing refreshes outside grace exactly one wins.
//
// Rotation is a policy so that sender-constrained refresh tokens (DPoP) can be added as
// another model; `rotation::reuse_detection` is the only one today. A narrower `scope` may be
// requested (§6); a wider one is refused.
#ifndef TESSERA_SERVER_GRANTS_REFRESH_TOKEN_HPP
#define TESSERA_SERVER_GRANTS_REFRESH_TOKEN_HPP

#include <tessera/server/grants/token_request.hpp>
#include <tessera/server/token_issuer.hpp>
#include <tessera/store/concepts.hpp>

namespace tessera::rotation {
/// Rotate on every use; reuse outside the grace window revokes the family.
struct reuse_detection {};
}  // namespace tessera::rotation

namespace tessera::grant {

template <class Rotation = rotation::reuse_detection>
struct refresh_token {
  static_assert(std::is_same_v<Rotation, rotation::reuse_detection>,
                "tessera::grant::refresh_token: the rotation policy must be tessera::rotation::reuse_detection");
  static constexpr std::string_view grant_type = "refresh_token";
  static constexpr bool issues_refresh_tokens = true;

  template <class Store>
  static constexpr void check_store() {
    static_assert(store::refresh_token_store<Store>,
                  "tessera::grant::refresh_token needs a store that models tessera::store::refresh_token_store");
  }

  template <class Server>
  boost::json::object handle(Server& s, const server::token_request& r, std::error_code& ec) const {
    std::string_view presented = r.params.required("refresh_token", ec);
    if (ec) return {};
    std::string next = crypto::random_token<32>();
    const auto& settings = s.settings();
    auto rot = s.store().rotate_refresh(store::token_hash(presented), store::token_hash(next),
                                        r.now + settings.refresh_token_lifespan, r.now, settings.refresh_grace, ec);
    if (ec) return {};
    switch (rot.status) {
      case store::rotate_status::unknown: ec = error::refresh_token_unknown; return {};
      case store::rotate_status::expired: ec = error::refresh_token_expired; return {};
      case store::rotate_status::revoked: ec = error::refresh_token_revoked; return {};
      case store::rotate_status::reused: ec = error::refresh_token_reused; return {};
      case store::rotate_status::ok: break;
    }
    store::grant_record g = rot.record.grant;
    if (g.client_id != r.who.id) {
      // Another client holds this client's token: it is compromised.
      s.revoke_family(g.family_id, r.now, ec);
      if (!ec) ec = error::refresh_token_client_mismatch;
      return {};
    }
    if (auto requested = r.params.get("scope"); !requested.empty()) {
      for (auto one : server::split_scope(requested))
        if (!server::scope_contains(g.scope, one)) {
          ec = error::scope_not_allowed;
          return {};
        }
      g.scope = std::string(requested);
    }
    return s.issue_tokens(g, r.who, r.now, {.refresh = true, .nonce = {}, .refresh_token = std::move(next)}, ec);
  }
};

}  // namespace tessera::grant

#endif
