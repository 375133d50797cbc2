// tessera — identity/any_identity.hpp
//
// `identity::any_identity`: an identity policy (concepts.hpp) chosen at run time, behind a
// handle. The authorization server is a template over its identity, and instantiating it is
// the costliest thing a build does; a deployment that picks its login at start-up — the users
// file, or an external IdP named in the configuration — composes the server once with
// `any_identity` and hands it whichever identity the configuration asks for:
//
//     identity::local<store::memory> users(local_settings, store);
//     identity::any_identity login(users);                   // or an identity::oidc<...>
//     tessera::embedded_server server(settings, clients, keys, store, login);
//
// The handle refers to the identity (which must outlive every copy and must not move, as
// identities never do once installed) or shares ownership of it; the server keeps a copy of the
// handle (`is_identity_handle`), so `embedded_server(..., any_identity(users))` is fine
// (`any_identity(std::make_shared<...>(...))`). Copies refer to the same identity. One
// virtual call per use; the server asks its identity once or twice per browser request.
// `recognizes` forwards to the identity's own when it has one (`recognizes_users`), else
// answers true.
#ifndef TESSERA_IDENTITY_ANY_IDENTITY_HPP
#define TESSERA_IDENTITY_ANY_IDENTITY_HPP

#include <tessera/config.hpp>
#include <tessera/error.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace tessera::identity {

class any_identity {
 public:
  /// Refers to `i`, which must outlive every copy of this handle.
  template <identity_policy I>
    requires(!std::same_as<std::remove_cvref_t<I>, any_identity>)
  explicit any_identity(const I& i) : impl_(std::make_shared<model<const I*>>(&i)) {}
  /// A temporary identity would be gone before the handle is used.
  template <identity_policy I>
    requires(!std::same_as<std::remove_cvref_t<I>, any_identity>)
  explicit any_identity(const I&&) = delete;

  /// Shares ownership of `i`.
  template <identity_policy I>
  explicit any_identity(std::shared_ptr<I> i) {
    TESSERA_ASSERT(i != nullptr);
    impl_ = std::make_shared<model<std::shared_ptr<I>>>(std::move(i));
  }

  std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                   std::error_code& ec) const {
    return impl_->current_user(req, ctx, ec);
  }
  std::string_view login_path() const { return impl_->login_path(); }
  void install(transport::router& r) const { impl_->install(r); }
  const identity::browser& browser() const { return impl_->browser(); }
  bool recognizes(const user& u) const { return impl_->recognizes(u); }
  /// Whether the identity can end sessions (`ends_sessions`): the server advertises its
  /// end_session_endpoint only then.
  bool can_end_sessions() const { return impl_->can_end_sessions(); }
  /// Forwards to the identity's `end_session`; `session_end_unsupported` when it has none.
  set_cookie_lines end_session(const transport::request& req, const transport::request_context& ctx,
                               std::error_code& ec) const {
    return impl_->end_session(req, ctx, ec);
  }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual std::optional<user> current_user(const transport::request&, const transport::request_context&,
                                             std::error_code&) const = 0;
    virtual std::string_view login_path() const = 0;
    virtual void install(transport::router&) const = 0;
    virtual const identity::browser& browser() const = 0;
    virtual bool recognizes(const user&) const = 0;
    virtual set_cookie_lines end_session(const transport::request&, const transport::request_context&,
                                         std::error_code&) const = 0;
    virtual bool can_end_sessions() const = 0;
  };
  template <class P>
  struct model final : concept_t {
    explicit model(P p) : p_(std::move(p)) {}
    std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                     std::error_code& ec) const override {
      return p_->current_user(req, ctx, ec);
    }
    std::string_view login_path() const override { return p_->login_path(); }
    void install(transport::router& r) const override { p_->install(r); }
    const identity::browser& browser() const override { return p_->browser(); }
    bool recognizes(const user& u) const override {
      if constexpr (recognizes_users<std::remove_cvref_t<decltype(*p_)>>)
        return p_->recognizes(u);
      else
        return true;
    }
    bool can_end_sessions() const override { return ends_sessions<std::remove_cvref_t<decltype(*p_)>>; }
    set_cookie_lines end_session(const transport::request& req, const transport::request_context& ctx,
                                 std::error_code& ec) const override {
      if constexpr (ends_sessions<std::remove_cvref_t<decltype(*p_)>>) {
        return p_->end_session(req, ctx, ec);
      } else {
        (void)req;
        (void)ctx;
        ec = error::session_end_unsupported;
        return {};
      }
    }
    P p_;
  };

  std::shared_ptr<const concept_t> impl_;
};

template <>
inline constexpr bool is_identity_handle<any_identity> = true;

static_assert(identity_policy<any_identity>);
static_assert(recognizes_users<any_identity>);
static_assert(ends_sessions<any_identity>);

}  // namespace tessera::identity

#endif
