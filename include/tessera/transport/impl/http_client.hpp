// tessera — transport/impl/http_client.hpp: definitions for http_client.hpp. Included by
// http_client.hpp in the header-only default, by tessera/src.hpp alone with
// TESSERA_SEPARATE_COMPILATION (TESSERA_DECL is then empty: defined once, in that source).
#ifndef TESSERA_TRANSPORT_IMPL_HTTP_CLIENT_HPP
#define TESSERA_TRANSPORT_IMPL_HTTP_CLIENT_HPP

#include <tessera/transport/detail/client_connection.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>

namespace tessera::transport {

TESSERA_DECL http_client::http_client(client_options options, std::error_code& ec) : options_(std::move(options)) {
  init(ec);
  init_error_ = ec;
}

TESSERA_DECL http_client::http_client(client_options options, throw_tag) : options_(std::move(options)) {
  std::error_code ec;
  init(ec);
  tessera::detail::throw_if(ec);
}

TESSERA_DECL http_client::~http_client() = default;

TESSERA_DECL void http_client::close_idle() {
  std::lock_guard lk(pool_mutex_);
  pool_.clear();
}

TESSERA_DECL void http_client::init(std::error_code& ec) {
  detail::harden_tls_context(tls_, ec);
  if (ec) return;
  boost::system::error_code bec;
  if (!options_.ca_file.empty()) {
    tls_.load_verify_file(options_.ca_file, bec);
  } else if (!options_.ca_pem.empty()) {
    tls_.add_certificate_authority(boost::asio::buffer(options_.ca_pem), bec);
  } else {
    tls_.set_default_verify_paths(bec);
    // Debian's bundle, unless it is the file OpenSSL's defaults just loaded (on Debian
    // /usr/lib/ssl/cert.pem links to it): parsing ~150 certificates twice costs every client.
    constexpr const char* bundle = "/etc/ssl/certs/ca-certificates.crt";
    const char* env_file = std::getenv(X509_get_default_cert_file_env());
    const std::string default_file = env_file && *env_file ? env_file : X509_get_default_cert_file();
    std::error_code fec;
    if (!bec && std::filesystem::exists(bundle, fec) && !std::filesystem::equivalent(default_file, bundle, fec))
      tls_.load_verify_file(bundle, bec);
  }
  ERR_clear_error();
  ec = bec;
}

TESSERA_DECL std::unique_ptr<detail::client_connection> http_client::take(const std::string& origin) {
  std::lock_guard lk(pool_mutex_);
  const auto now = std::chrono::steady_clock::now();
  // Newest first: the most recently used connection is the likeliest to be alive.
  for (auto i = pool_.size(); i-- > 0;) {
    if (pool_[i]->origin() != origin) continue;
    auto c = std::move(pool_[i]);
    pool_.erase(pool_.begin() + static_cast<std::ptrdiff_t>(i));
    if (now - c->idle_since <= options_.idle_timeout && c->still_open()) return c;
  }
  return nullptr;
}

TESSERA_DECL void http_client::give_back(std::unique_ptr<detail::client_connection> c) {
  if (!c->reusable() || options_.max_idle_per_origin == 0) return;
  c->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lk(pool_mutex_);
  std::size_t same = 0;
  for (auto& p : pool_) same += p->origin() == c->origin();
  if (same >= options_.max_idle_per_origin) {
    for (auto it = pool_.begin(); it != pool_.end(); ++it)
      if ((*it)->origin() == c->origin()) {
        pool_.erase(it);  // drop the oldest of this origin
        break;
      }
  }
  pool_.push_back(std::move(c));
}

TESSERA_DECL response http_client::send_once(request& req, const detail::http_url& u, std::error_code& ec) {
  const auto origin = u.origin();
  req.target(u.target);
  req.set(http::field::host, u.host_header);
  req.version(11);
  req.keep_alive(options_.max_idle_per_origin > 0);
  req.prepare_payload();
  const bool idempotent = req.method() == http::verb::get || req.method() == http::verb::head ||
                          req.method() == http::verb::options || req.method() == http::verb::put ||
                          req.method() == http::verb::delete_;

  response res;
  if (auto c = take(origin)) {
    ec = c->exchange(req, res, options_.read_timeout, options_.max_response_bytes);
    if (!ec) {
      give_back(std::move(c));
      return res;
    }
    // A reused connection can die between the liveness check and the write; only a request
    // that may be repeated safely is sent again.
    if (!idempotent || ec == tessera::error::timeout || ec == tessera::error::response_too_large) return res;
    res = {};
  }
  auto c = std::make_unique<detail::client_connection>(origin);
  opened_.fetch_add(1);
  ec = c->connect(u, options_.connect_timeout, u.https ? &tls_ : nullptr, !options_.insecure_skip_verify);
  if (ec) return res;
  ec = c->exchange(req, res, options_.read_timeout, options_.max_response_bytes);
  if (!ec) give_back(std::move(c));
  return res;
}

TESSERA_DECL response http_client::send(request req, std::string_view url, std::error_code& ec) {
  ec = init_error_;
  if (ec) return {};
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    ec = tessera::error::url_invalid;
    return {};
  }
  boost::urls::url current = *parsed;
  auto u = detail::parse_http_url(current, ec);
  if (ec) return {};
  if (req.find(http::field::user_agent) == req.end() && !options_.user_agent.empty())
    req.set(http::field::user_agent, options_.user_agent);

  for (unsigned hops = 0;; ++hops) {
    response res = send_once(req, u, ec);
    if (ec) return res;
    const auto status = res.result_int();
    const bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    auto location = res[http::field::location];
    if (!redirect || location.empty()) return res;
    if (!options_.follow_redirects) {
      ec = tessera::error::redirect_not_followed;
      return res;
    }
    if (hops >= options_.max_redirects) {
      ec = tessera::error::redirect_limit_exceeded;
      return res;
    }
    auto ref = boost::urls::parse_uri_reference(std::string_view(location.data(), location.size()));
    boost::urls::url next;
    if (!ref || !boost::urls::resolve(current, *ref, next)) {
      ec = tessera::error::url_invalid;
      return res;
    }
    next.remove_fragment();
    auto nu = detail::parse_http_url(next, ec);
    if (ec) return res;
    if (u.https && !nu.https) {
      ec = tessera::error::redirect_insecure;
      return res;
    }
    const bool keeps_body = status == 307 || status == 308 || ((status == 301 || status == 302) && req.method() != http::verb::post);
    if (nu.origin() != u.origin()) {
      // A form body carries credentials as surely as the headers do (client_secret,
      // refresh_token, code_verifier): a redirect that would resend it elsewhere is refused.
      if (keeps_body && !req.body().empty()) {
        ec = tessera::error::redirect_cross_origin_body;
        return res;
      }
      req.erase(http::field::authorization);
      req.erase(http::field::proxy_authorization);
      req.erase(http::field::cookie);
    }
    if (status == 303 || ((status == 301 || status == 302) && req.method() == http::verb::post)) {
      if (req.method() != http::verb::head) req.method(http::verb::get);
      req.body().clear();
      req.erase(http::field::content_type);
      req.erase(http::field::content_length);
      req.erase(http::field::transfer_encoding);
    }
    current = std::move(next);
    u = std::move(nu);
  }
}

TESSERA_DECL response http_client::post_form(std::string_view url, const form_fields& fields, const http::fields& headers,
                                       std::error_code& ec) {
  request req{http::verb::post, "/", 11};
  for (const auto& f : headers) req.insert(f.name_string(), f.value());
  req.set(http::field::content_type, "application/x-www-form-urlencoded");
  req.body() = detail::form_encode(fields);
  return send(std::move(req), url, ec);
}

}  // namespace tessera::transport

#endif
