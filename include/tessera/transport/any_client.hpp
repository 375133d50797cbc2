// tessera — transport/any_client.hpp: `any_sync_client`, a `sync_client` (sync_client.hpp)
// behind a handle, for code that fetches over HTTP now and then — a JWKS, a metadata document,
// an introspection answer — and should neither be a template over its transport nor own it.
//
//     transport::http_client net;                                  // or an in_memory wire
//     auto keys = oauth::remote_jwks<>(jwks_uri, transport::any_sync_client(net));
//
// Holds the client by reference (the caller keeps it alive) or shares ownership of it
// (`any_sync_client(std::make_shared<http_client>())`). Copies refer to the same client. The
// calls are as thread-safe as the client's own (http_client: any number of threads).
#ifndef TESSERA_TRANSPORT_ANY_CLIENT_HPP
#define TESSERA_TRANSPORT_ANY_CLIENT_HPP

#include <tessera/transport/sync_client.hpp>

#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace tessera::transport {

class any_sync_client {
 public:
  /// An empty handle: every call fails with `std::errc::not_connected`.
  any_sync_client() = default;

  /// Refers to `c`, which must outlive every copy of this handle.
  template <sync_client C>
    requires(!std::same_as<std::remove_cvref_t<C>, any_sync_client>)
  explicit any_sync_client(C& c) : impl_(std::make_shared<model<C*>>(&c)) {}

  /// Shares ownership of `c`.
  template <sync_client C>
  explicit any_sync_client(std::shared_ptr<C> c) : impl_(std::make_shared<model<std::shared_ptr<C>>>(std::move(c))) {}

  response send(request req, std::string_view url, std::error_code& ec) const {
    if (!impl_) return fail(ec);
    return impl_->send(std::move(req), url, ec);
  }
  response get(std::string_view url, std::error_code& ec) const {
    if (!impl_) return fail(ec);
    return impl_->get(url, ec);
  }
  response post_form(std::string_view url, const form_fields& fields, const http::fields& headers,
                     std::error_code& ec) const {
    if (!impl_) return fail(ec);
    return impl_->post_form(url, fields, headers, ec);
  }

  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual response send(request req, std::string_view url, std::error_code& ec) = 0;
    virtual response get(std::string_view url, std::error_code& ec) = 0;
    virtual response post_form(std::string_view url, const form_fields& fields, const http::fields& headers,
                               std::error_code& ec) = 0;
  };
  template <class Ptr>
  struct model final : concept_t {
    explicit model(Ptr p) : c(std::move(p)) {}
    response send(request req, std::string_view url, std::error_code& ec) override { return c->send(std::move(req), url, ec); }
    response get(std::string_view url, std::error_code& ec) override { return c->get(url, ec); }
    response post_form(std::string_view url, const form_fields& fields, const http::fields& headers,
                       std::error_code& ec) override {
      return c->post_form(url, fields, headers, ec);
    }
    Ptr c;
  };

  static response fail(std::error_code& ec) {
    ec = std::make_error_code(std::errc::not_connected);
    return {};
  }

  std::shared_ptr<concept_t> impl_;
};

// Non-const member functions of the concept are called through a const handle: the handle is
// a reference, as a pointer is.
static_assert(sync_client<any_sync_client>);

}  // namespace tessera::transport

#endif
