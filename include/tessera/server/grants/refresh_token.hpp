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
// A narrower `scope` may be requested (§6); a wider one is refused. A family ends
// `server_settings::refresh_family_lifetime` after the user authenticated, and when the
// identity policy no longer recognizes the user (`identity::recognizes_users`).
//
// Everything that can fail (these checks, signing, the store record of the new access token)
// happens before the presented token is rotated, so a failed refresh never burns the grant.
#ifndef TESSERA_SERVER_GRANTS_REFRESH_TOKEN_HPP
#define TESSERA_SERVER_GRANTS_REFRESH_TOKEN_HPP

#include <tessera/identity/concepts.hpp>
#include <tessera/oauth/scope.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/server/grants/rotation.hpp>
#include <tessera/store/concepts.hpp>

#include <boost/json/parse.hpp>

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
    // Everything that can fail is done before the presented token is touched: the checks, the
    // new access (and ID) token, its store record. The rotation is the last step, so a
    // refused scope, a store failure or a signing failure leaves the presented token as it
    // was, and the client's retry is a retry, not a reuse (docs/security.md row 12).
    auto live = c.store().find_refresh(store::token_hash(presented), r.now, ec);
    if (ec) return {};
    if (live) {
      store::grant_record g = std::move(live->grant);
      check(c, g, r, ec);
      if (ec) return {};
      auto body = c.issue_tokens(g, r.who, r.now, {.refresh = false, .nonce = {}, .refresh_token = {}}, ec);
      if (ec) return {};
      auto ex = rotation_.exchange(c, presented, r.now, ec);
      if (ec) return {};
      if (ex.status == store::rotate_status::reused) c.revoke_family(ex.grant.family_id, r.now, ec);
      if (ec) return {};
      if (!succeeded(ex, ec)) return {};  // a concurrent refresh got there first: a reuse
      if (Rotation::rotates) body["refresh_token"] = std::move(ex.next_token);
      return body;
    }
    // Not live: unknown, expired, revoked — or rotated already, which is a reuse (the family
    // dies) unless within the grace window, where the store hands out a sibling.
    auto ex = rotation_.exchange(c, presented, r.now, ec);
    if (ec) return {};
    if (ex.status == store::rotate_status::reused) {
      // The store has revoked the family; the server revokes it too, so that its bearer checks
      // (and other replicas' caches, within their bound) stop accepting its access tokens now.
      c.revoke_family(ex.grant.family_id, r.now, ec);
      if (ec) return {};
    }
    if (!succeeded(ex, ec)) return {};
    check(c, ex.grant, r, ec);
    if (ec) return {};
    return c.issue_tokens(ex.grant, r.who, r.now,
                          {.refresh = Rotation::rotates, .nonce = {}, .refresh_token = std::move(ex.next_token)}, ec);
  }

 private:
  static bool succeeded(const server::refresh_exchange& ex, std::error_code& ec) {
    switch (ex.status) {
      case store::rotate_status::unknown: ec = error::refresh_token_unknown; return false;
      case store::rotate_status::expired: ec = error::refresh_token_expired; return false;
      case store::rotate_status::revoked: ec = error::refresh_token_revoked; return false;
      case store::rotate_status::reused: ec = error::refresh_token_reused; return false;
      case store::rotate_status::ok: return true;
    }
    return false;
  }

  /// The checks of a refresh request against its grant; narrows `g.scope` as asked.
  template <server::grant_context C>
  static void check(const C& c, store::grant_record& g, const server::token_request& r, std::error_code& ec) {
    if (g.client_id != r.who.id) {
      // Another client holds this client's token: it is compromised.
      c.revoke_family(g.family_id, r.now, ec);
      if (!ec) ec = error::refresh_token_client_mismatch;
      return;
    }
    const server::server_settings& st = c.settings();
    if (st.refresh_family_lifetime.count() > 0 && g.auth_time != time_point{} &&
        r.now - g.auth_time >= st.refresh_family_lifetime) {
      ec = error::refresh_family_expired;
      return;
    }
    if constexpr (identity::recognizes_users<typename C::identity_type>) {
      identity::user u;
      u.subject = g.subject;
      u.auth_time = g.auth_time;
      if (!g.user_claims.empty()) {
        std::error_code pec;
        auto v = boost::json::parse(g.user_claims, pec);
        if (!pec && v.is_object()) u.claims = std::move(v.get_object());
      }
      if (!c.identity().recognizes(u)) {
        ec = error::grant_user_unknown;
        return;
      }
    }
    if (auto requested = r.params.get("scope"); !requested.empty()) {
      if (!oauth::scope_within(requested, g.scope)) {
        ec = error::scope_not_allowed;
        return;
      }
      g.scope = std::string(requested);
    }
  }

  [[no_unique_address]] Rotation rotation_;
};

}  // namespace tessera::grant

#endif
