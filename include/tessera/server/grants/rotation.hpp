// tessera — server/grants/rotation.hpp
//
// What presenting a refresh token does to it: the rotation policy of `grant::refresh_token`.
//
// A type R models `rotation_policy` when, for `const R& r`, a `grant_context` `c`, a client
// `who`, the presented token `t`, a time `now` and `std::error_code& ec`:
//
//   r.allows(who) -> bool
//       whether `who` may hold refresh tokens under this policy (other grants then issue none
//       to it, and the refresh grant refuses it)
//   r.exchange(c, t, now, ec) -> refresh_exchange
//       looks the token up — and, for a rotating policy, retires it and stores its successor
//       in the same atomic store operation — and says what happened: the grant, and the
//       successor to hand out (empty: the presented token stays valid)
//   R::rotates (static constexpr bool)
//
// Models:
//   rotation::reuse_detection  every use returns a new refresh token and retires the presented
//                              one; presenting a retired token again revokes the whole family
//                              (RFC 9700 §4.14.2) unless within `server_settings::refresh_grace`
//   rotation::none             the refresh token is reused until it expires or is revoked. RFC
//                              9700 §4.14.2 allows that only for sender-constrained tokens or
//                              confidential clients, so public clients get no refresh token
//                              at all under this policy (the client type is a run-time value,
//                              so this cannot be refused at compile time)
#ifndef TESSERA_SERVER_GRANTS_ROTATION_HPP
#define TESSERA_SERVER_GRANTS_ROTATION_HPP

#include <tessera/crypto/random.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/grant_context.hpp>
#include <tessera/store/concepts.hpp>

#include <string>

namespace tessera::server {

/// The outcome of presenting a refresh token.
struct refresh_exchange {
  store::rotate_status status = store::rotate_status::unknown;
  store::grant_record grant;   // when ok: the authorization the token belongs to
  std::string next_token;      // when ok and rotating: the successor, already stored
};

}  // namespace tessera::server

namespace tessera::rotation {

/// Rotate on every use; reuse outside the grace window revokes the family.
struct reuse_detection {
  static constexpr bool rotates = true;

  bool allows(const server::client&) const noexcept { return true; }

  template <server::grant_context C>
  server::refresh_exchange exchange(const C& c, std::string_view presented, time_point now, std::error_code& ec) const {
    const server::server_settings& st = c.settings();
    server::refresh_exchange out;
    std::string next = crypto::random_token<32>();
    auto rot = c.store().rotate_refresh(store::token_hash(presented), store::token_hash(next),
                                        now + st.refresh_token_lifespan, now, st.refresh_grace, ec);
    if (ec) return out;
    out.status = rot.status;
    if (rot.status == store::rotate_status::ok) {
      out.grant = std::move(rot.record.grant);
      out.next_token = std::move(next);
    } else if (rot.status == store::rotate_status::reused) {
      out.grant = std::move(rot.record.grant);  // the family the store has just revoked
    }
    return out;
  }
};

/// No rotation: a refresh token stays valid until it expires or is revoked; confidential
/// clients only.
struct none {
  static constexpr bool rotates = false;

  bool allows(const server::client& c) const noexcept { return !c.is_public; }

  template <server::grant_context C>
  server::refresh_exchange exchange(const C& c, std::string_view presented, time_point now, std::error_code& ec) const {
    server::refresh_exchange out;
    auto rec = c.store().find_refresh(store::token_hash(presented), now, ec);
    if (ec || !rec) return out;  // unknown, expired or revoked alike: nothing to tell apart
    out.status = store::rotate_status::ok;
    out.grant = std::move(rec->grant);
    return out;
  }
};

template <class R>
concept policy = requires(const R& r, const server::client& who) {
  { R::rotates } -> std::convertible_to<bool>;
  { r.allows(who) } -> std::same_as<bool>;
};

static_assert(policy<reuse_detection>);
static_assert(policy<none>);

}  // namespace tessera::rotation

#endif
