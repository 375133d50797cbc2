// tessera — store/any.hpp
//
// `store::any`: any `full_store` behind one type, chosen at run time. A program that lets its
// operator pick the store (memory, SQLite, PostgreSQL, Redis) instantiates the server and the
// identity layer once, for `store::any`, instead of once per store: the server's templates
// cost far more to compile than a virtual call costs at run time (a store call does I/O).
//
//     store::sqlite db(settings);                 // any full_store
//     store::any store(db);                       // refers to it; `db` must outlive `store`
//     auto owned = store::any::make<store::memory>();   // or owns one
//
// Copies of an `any` refer to the same store.
#ifndef TESSERA_STORE_ANY_HPP
#define TESSERA_STORE_ANY_HPP

#include <tessera/store/concepts.hpp>

#include <memory>
#include <utility>

namespace tessera::store {

/// The operations of `full_store`, as virtual functions (see concepts.hpp for each contract).
class backend {
 public:
  virtual ~backend() = default;

  virtual void put_code(std::string_view h, const code_record& r, std::error_code& ec) = 0;
  virtual consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) = 0;

  virtual void revoke_family(std::string_view id, time_point until, std::error_code& ec) = 0;
  virtual bool family_revoked(std::string_view id, std::error_code& ec) = 0;
  virtual void put_access(std::string_view jti, const access_record& a, std::error_code& ec) = 0;
  virtual void revoke_access(std::string_view jti, time_point until, std::error_code& ec) = 0;
  virtual bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) = 0;
  virtual std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) = 0;

  virtual void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) = 0;
  virtual rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at,
                                       time_point now, grace_policy grace, std::error_code& ec) = 0;
  virtual std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) = 0;
  virtual bool revoke_refresh(std::string_view h, std::error_code& ec) = 0;

  virtual put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps,
                                       time_point now, std::error_code& ec) = 0;
  virtual std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now,
                                                                std::error_code& ec) = 0;
  virtual bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now,
                             std::error_code& ec) = 0;
  virtual poll_result poll_device(std::string_view h, std::string_view client_id, time_point now,
                                  std::error_code& ec) = 0;

  virtual bool use_once(std::string_view key, time_point expires_at, time_point now, std::error_code& ec) = 0;

  virtual void put_session(std::string_view h, const session_record& r, std::error_code& ec) = 0;
  virtual std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) = 0;
  virtual void delete_session(std::string_view h, std::error_code& ec) = 0;

  virtual void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r,
                           std::error_code& ec) = 0;
  virtual std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id,
                                                     time_point now, std::error_code& ec) = 0;
  virtual void delete_consents(std::string_view subject, std::error_code& ec) = 0;
};

namespace detail {

/// `backend` over a `full_store` it refers to (`Ref` = S&) or owns (`Ref` = S).
template <full_store S, class Ref>
class backend_over final : public backend {
 public:
  template <class... A>
  explicit backend_over(A&&... a) : s_(std::forward<A>(a)...) {}

  void put_code(std::string_view h, const code_record& r, std::error_code& ec) override { s_.put_code(h, r, ec); }
  consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) override {
    return s_.consume_code(h, now, ec);
  }
  void revoke_family(std::string_view id, time_point until, std::error_code& ec) override {
    s_.revoke_family(id, until, ec);
  }
  bool family_revoked(std::string_view id, std::error_code& ec) override { return s_.family_revoked(id, ec); }
  void put_access(std::string_view jti, const access_record& a, std::error_code& ec) override {
    s_.put_access(jti, a, ec);
  }
  void revoke_access(std::string_view jti, time_point until, std::error_code& ec) override {
    s_.revoke_access(jti, until, ec);
  }
  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) override {
    return s_.access_revoked(jti, family_id, ec);
  }
  std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) override {
    return s_.find_access(jti, ec);
  }
  void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) override {
    s_.put_refresh(h, r, ec);
  }
  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at, time_point now,
                               grace_policy grace, std::error_code& ec) override {
    return s_.rotate_refresh(old_h, new_h, new_expires_at, now, grace, ec);
  }
  std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) override {
    return s_.find_refresh(h, now, ec);
  }
  bool revoke_refresh(std::string_view h, std::error_code& ec) override { return s_.revoke_refresh(h, ec); }
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps, time_point now,
                               std::error_code& ec) override {
    return s_.put_device(h, r, caps, now, ec);
  }
  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now,
                                                        std::error_code& ec) override {
    return s_.find_device_by_user_code(uh, now, ec);
  }
  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now,
                     std::error_code& ec) override {
    return s_.decide_device(uh, approved, g, now, ec);
  }
  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now, std::error_code& ec) override {
    return s_.poll_device(h, client_id, now, ec);
  }
  bool use_once(std::string_view key, time_point expires_at, time_point now, std::error_code& ec) override {
    return s_.use_once(key, expires_at, now, ec);
  }
  void put_session(std::string_view h, const session_record& r, std::error_code& ec) override {
    s_.put_session(h, r, ec);
  }
  std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) override {
    return s_.find_session(h, now, ec);
  }
  void delete_session(std::string_view h, std::error_code& ec) override { s_.delete_session(h, ec); }
  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r,
                   std::error_code& ec) override {
    s_.put_consent(subject, client_id, r, ec);
  }
  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now,
                                             std::error_code& ec) override {
    return s_.find_consent(subject, client_id, now, ec);
  }
  void delete_consents(std::string_view subject, std::error_code& ec) override { s_.delete_consents(subject, ec); }

  S& get() noexcept { return s_; }

 private:
  Ref s_;
};

}  // namespace detail

class any {
 public:
  /// Refers to `s`, which must outlive this `any` and its copies.
  template <full_store S>
    requires(!std::is_same_v<std::remove_cvref_t<S>, any>)
  explicit any(S& s) : impl_(std::make_shared<detail::backend_over<S, S&>>(s)) {}

  /// Holds `impl`.
  explicit any(std::shared_ptr<backend> impl) noexcept : impl_(std::move(impl)) {}

  /// Owns a new S made from `args`.
  template <full_store S, class... A>
  static any make(A&&... args) {
    return any(std::shared_ptr<backend>(std::make_shared<detail::backend_over<S, S>>(std::forward<A>(args)...)));
  }

  backend& get() const noexcept { return *impl_; }

  void put_code(std::string_view h, const code_record& r, std::error_code& ec) { impl_->put_code(h, r, ec); }
  consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) {
    return impl_->consume_code(h, now, ec);
  }
  void revoke_family(std::string_view id, time_point until, std::error_code& ec) { impl_->revoke_family(id, until, ec); }
  bool family_revoked(std::string_view id, std::error_code& ec) { return impl_->family_revoked(id, ec); }
  void put_access(std::string_view jti, const access_record& a, std::error_code& ec) { impl_->put_access(jti, a, ec); }
  void revoke_access(std::string_view jti, time_point until, std::error_code& ec) { impl_->revoke_access(jti, until, ec); }
  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) {
    return impl_->access_revoked(jti, family_id, ec);
  }
  std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) { return impl_->find_access(jti, ec); }
  void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) { impl_->put_refresh(h, r, ec); }
  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at, time_point now,
                               grace_policy grace, std::error_code& ec) {
    return impl_->rotate_refresh(old_h, new_h, new_expires_at, now, grace, ec);
  }
  std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) {
    return impl_->find_refresh(h, now, ec);
  }
  bool revoke_refresh(std::string_view h, std::error_code& ec) { return impl_->revoke_refresh(h, ec); }
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps, time_point now,
                               std::error_code& ec) {
    return impl_->put_device(h, r, caps, now, ec);
  }
  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now, std::error_code& ec) {
    return impl_->find_device_by_user_code(uh, now, ec);
  }
  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now, std::error_code& ec) {
    return impl_->decide_device(uh, approved, g, now, ec);
  }
  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now, std::error_code& ec) {
    return impl_->poll_device(h, client_id, now, ec);
  }
  bool use_once(std::string_view key, time_point expires_at, time_point now, std::error_code& ec) {
    return impl_->use_once(key, expires_at, now, ec);
  }
  void put_session(std::string_view h, const session_record& r, std::error_code& ec) { impl_->put_session(h, r, ec); }
  std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) {
    return impl_->find_session(h, now, ec);
  }
  void delete_session(std::string_view h, std::error_code& ec) { impl_->delete_session(h, ec); }
  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r, std::error_code& ec) {
    impl_->put_consent(subject, client_id, r, ec);
  }
  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now,
                                             std::error_code& ec) {
    return impl_->find_consent(subject, client_id, now, ec);
  }
  void delete_consents(std::string_view subject, std::error_code& ec) { impl_->delete_consents(subject, ec); }

 private:
  std::shared_ptr<backend> impl_;
};

static_assert(full_store<any>);

}  // namespace tessera::store

#endif
