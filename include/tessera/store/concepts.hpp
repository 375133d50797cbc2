// tessera — store/concepts.hpp
//
// Storage split by concern, as the grants need it. Every operation that reads and changes
// state in one step (consuming a code, rotating a refresh token, polling a device code,
// using a jti) is atomic in every model — across processes for shared stores — because the
// security of single use depends on it (docs/security.md rows 7 and 12).
//
// Every operation reports failure through `std::error_code&` (`error::store_failure`,
// `error::store_unavailable`); lookups of unknown or expired keys are not failures.
//
// Models: `store::memory` (one process, tests), `store::sqlite` (one host, the embedded
// default), `store::postgres` and `store::redis` (shared by replicas), and `store::any`, which
// holds any of them behind one type. Each concept has an exemplar below: the minimal type
// that models it, compiled in tests to prove the server asks for nothing more.
#ifndef TESSERA_STORE_CONCEPTS_HPP
#define TESSERA_STORE_CONCEPTS_HPP

#include <tessera/store/records.hpp>

#include <concepts>
#include <optional>
#include <system_error>

namespace tessera::store {

/// Authorization codes: put, and consume exactly once.
///   put_code(hash, record, ec)
///   consume_code(hash, now, ec) -> consume_result
///     ok the first time; replayed (with the record, so its tokens can be revoked) after;
///     expired after `expires_at`; unknown otherwise.
template <class S>
concept code_store = requires(S& s, std::string_view h, const code_record& r, time_point now, std::error_code& ec) {
  { s.put_code(h, r, ec) } -> std::same_as<void>;
  { s.consume_code(h, now, ec) } -> std::same_as<consume_result>;
};

/// Families and access-token revocation: what a replayed code, a reused refresh token and
/// RFC 7009 revocation act on, and what every bearer check consults. Issuing an access token
/// writes nothing here unless it is a person's: the token itself carries its `jti` and its
/// family (the private claim `grant_id`), which is all that revocation needs.
///   revoke_family(family_id, until, ec)         every token of the family is dead
///   family_revoked(family_id, ec) -> bool
///   revoke_access(jti, until, ec)               a deny-list entry, kept at least until `until`
///   access_revoked(jti, family_id, ec) -> bool  the jti is deny-listed, or the family (when not
///                                               empty) revoked; for tokens never recorded too
///   put_access(jti, access_record, ec)          a person's token's profile claims (userinfo)
///   find_access(jti, ec) -> optional<access_record>   that record, unless revoked (kept until
///                                               housekeeping drops it after its expiry)
template <class S>
concept revocation_store = requires(S& s, std::string_view id, time_point t, const access_record& a, std::error_code& ec) {
  { s.find_access(id, ec) } -> std::same_as<std::optional<access_record>>;
  { s.revoke_family(id, t, ec) } -> std::same_as<void>;
  { s.family_revoked(id, ec) } -> std::same_as<bool>;
  { s.put_access(id, a, ec) } -> std::same_as<void>;
  { s.revoke_access(id, t, ec) } -> std::same_as<void>;
  { s.access_revoked(id, id, ec) } -> std::same_as<bool>;
};

/// Refresh tokens with rotation and reuse detection.
///   put_refresh(hash, record, ec)
///   rotate_refresh(old_hash, new_hash, new_expires_at, now, grace, ec) -> rotate_result
///     ok: the old token is marked rotated and the new one inherits its grant. A rotated
///     token presented again within `grace` (window and count) also yields ok and a new
///     child; outside it the whole family is revoked and `reused` returned.
///   find_refresh(hash, now, ec) -> optional<refresh_record>   live, unrotated, unrevoked
///   revoke_refresh(hash, ec) -> bool                          revokes its family
template <class S>
concept refresh_token_store =
    revocation_store<S> &&
    requires(S& s, std::string_view h, const refresh_record& r, time_point t, grace_policy g, std::error_code& ec) {
      { s.put_refresh(h, r, ec) } -> std::same_as<void>;
      { s.rotate_refresh(h, h, t, t, g, ec) } -> std::same_as<rotate_result>;
      { s.find_refresh(h, t, ec) } -> std::same_as<std::optional<refresh_record>>;
      { s.revoke_refresh(h, ec) } -> std::same_as<bool>;
    };

/// Device authorizations (RFC 8628).
///   put_device(device_hash, record, caps, now, ec) -> put_device_status
///     atomically: refuses (storing nothing) a user code that a live device authorization
///     already has (`user_code_taken`: the server draws another; SQL stores use a unique index),
///     and a record past `caps` — live authorizations of its client, of its requester, in all
///     (`client_full`, `address_full`, `store_full`; expired ones do not count). Else stores it.
///   find_device_by_user_code(user_code_hash, now, ec) -> optional<device_record>  pending only
///   decide_device(user_code_hash, approved, grant, now, ec) -> bool   pending → approved/denied
///   poll_device(device_hash, client_id, now, ec) -> poll_result
///     unknown, changing nothing, when the code belongs to another client (so a client that
///     learnt another's device code can neither consume it nor slow its polling down);
///     slow_down when polled again within the interval (which then grows by 5 s, §3.5);
///     approved exactly once (the record is consumed); denied; expired; pending.
template <class S>
concept device_code_store = requires(S& s, std::string_view h, const device_record& r, const grant_record& g,
                                     const device_caps& caps, std::string_view client_id, time_point now,
                                     std::error_code& ec) {
  { s.put_device(h, r, caps, now, ec) } -> std::same_as<put_device_status>;
  { s.find_device_by_user_code(h, now, ec) } -> std::same_as<std::optional<device_record>>;
  { s.decide_device(h, true, g, now, ec) } -> std::same_as<bool>;
  { s.poll_device(h, client_id, now, ec) } -> std::same_as<poll_result>;
};

/// One-time identifiers, e.g. the `jti` of private_key_jwt client assertions.
///   use_once(key, expires_at, now, ec) -> bool   true the first time within the lifetime
template <class S>
concept jti_store = requires(S& s, std::string_view k, time_point t, std::error_code& ec) {
  { s.use_once(k, t, t, ec) } -> std::same_as<bool>;
};

/// Browser sessions of the identity layer, under the hash of the session id.
template <class S>
concept session_store = requires(S& s, std::string_view h, const session_record& r, time_point now, std::error_code& ec) {
  { s.put_session(h, r, ec) } -> std::same_as<void>;
  { s.find_session(h, now, ec) } -> std::same_as<std::optional<session_record>>;
  { s.delete_session(h, ec) } -> std::same_as<void>;
};

/// Consents (docs/security.md row 37): what each person allowed each client.
///   put_consent(subject, client_id, record, ec)   replaces that pair's record
///   find_consent(subject, client_id, now, ec) -> optional<consent_record>   until expires_at
///   delete_consents(subject, ec)                  forgets every consent of that person
/// Subjects and client ids are compared exactly (bytes); neither is a secret.
template <class S>
concept consent_store = requires(S& s, std::string_view subject, std::string_view client_id, const consent_record& r,
                                 time_point now, std::error_code& ec) {
  { s.put_consent(subject, client_id, r, ec) } -> std::same_as<void>;
  { s.find_consent(subject, client_id, now, ec) } -> std::same_as<std::optional<consent_record>>;
  { s.delete_consents(subject, ec) } -> std::same_as<void>;
};

/// Everything the full authorization server can use.
template <class S>
concept full_store = code_store<S> && refresh_token_store<S> && device_code_store<S> && jti_store<S> && session_store<S> &&
                     consent_store<S>;

}  // namespace tessera::store

#endif
