// tessera — server/client_authentication.hpp
//
// Authenticates the client of a token, revocation, introspection or device request
// (RFC 6749 §2.3):
//   client_secret_basic  `Authorization: Basic` with URL-encoded id and secret (§2.3.1)
//   client_secret_post   `client_id` and `client_secret` in the form body
//   private_key_jwt      a JWT signed with one of the client's keys (RFC 7523 §2.2, §3),
//                        `iss` = `sub` = client id, `aud` the token endpoint or the issuer,
//                        short-lived, each `jti` used once
//   none                 `client_id` only, for public clients
// More than one method in a request is refused (§2.3). Secrets are checked with bcrypt only
// when not found in the verified-secret cache, and only while the client and the peer
// address are under their failure limits (docs/security.md row 19).
#ifndef TESSERA_SERVER_CLIENT_AUTHENTICATION_HPP
#define TESSERA_SERVER_CLIENT_AUTHENTICATION_HPP

#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/crypto/verified_secret_cache.hpp>
#include <tessera/http/basic_auth.hpp>
#include <tessera/http/form.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/settings.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/transport/message.hpp>

namespace tessera::server {

inline constexpr std::string_view jwt_bearer_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew allowed on a client assertion's dates; its jti is kept this much longer.
inline constexpr seconds assertion_leeway{60};

enum class auth_method { none, client_secret_basic, client_secret_post, private_key_jwt };

struct client_authentication_result {
  const client* who = nullptr;
  auth_method method = auth_method::none;
  std::chrono::seconds retry_after{0};  // set when rate limited
};

template <class Store, class Clock>
class client_authenticator {
  static_assert(store::jti_store<Store>,
                "tessera::server::client_authenticator needs a store that models tessera::store::jti_store");

 public:
  client_authenticator(const client_registry& clients, const server_settings& settings, Store& store,
                       const Clock& clock)
      : clients_(&clients),
        settings_(&settings),
        store_(&store),
        clock_(&clock),
        cache_({settings.verified_secret_lifetime, 4096}),
        by_client_({settings.client_auth_burst, settings.client_auth_refill, 16384}),
        by_address_({settings.client_auth_burst * 4, settings.client_auth_refill, 16384}) {}

  client_authentication_result authenticate(const transport::request& req, const http::parameters& params,
                                            std::string_view peer_address, std::error_code& ec) {
    ec = {};
    client_authentication_result out;
    auto header = req[transport::http::field::authorization];
    const bool basic = http::is_basic_authorization(header);
    const bool post = params.contains("client_secret");
    const bool jwt = params.contains("client_assertion") || params.contains("client_assertion_type");
    if (int(basic) + int(post) + int(jwt) > 1) return fail(ec, error::parameter_invalid);

    if (jwt) return authenticate_assertion(params, ec);

    http::basic_credentials creds;
    std::string_view id = params.get("client_id");
    if (basic) {
      creds = http::parse_basic_authorization(header, ec);
      if (ec) return fail(ec, error::client_authentication_failed);
      if (!id.empty() && id != creds.client_id) return fail(ec, error::parameter_invalid);
      id = creds.client_id;
    }
    if (id.empty()) return fail(ec, error::client_authentication_missing);
    out.who = clients_->find(id);
    if (!out.who) return fail(ec, error::client_unknown);

    std::string_view secret = basic ? std::string_view(creds.client_secret) : params.get("client_secret");
    if (!basic && !post) {
      if (!out.who->is_public) return fail(ec, error::client_authentication_missing);
      out.method = auth_method::none;
      return out;
    }
    if (out.who->is_public || out.who->secret_hashes.empty()) return fail(ec, error::client_authentication_failed);
    out.method = basic ? auth_method::client_secret_basic : auth_method::client_secret_post;

    const time_point now = clock_->now();
    for (const auto& h : out.who->secret_hashes)
      if (cache_.contains(out.who->id, secret, h, now)) return out;

    auto retry = std::max(by_client_.retry_after(out.who->id, now), by_address_.retry_after(peer_address, now));
    if (retry.count() > 0) {
      out.retry_after = retry;
      out.who = nullptr;
      ec = error::client_authentication_rate_limited;
      return out;
    }
    for (const auto& h : out.who->secret_hashes) {
      std::error_code vec;
      if (crypto::verify_secret(secret, h, vec)) {
        cache_.remember(out.who->id, secret, h, now);
        by_client_.record_success(out.who->id);
        return out;
      }
    }
    by_client_.record_failure(out.who->id, now);
    by_address_.record_failure(peer_address, now);
    return fail(ec, error::client_authentication_failed);
  }

 private:
  client_authentication_result authenticate_assertion(const http::parameters& params, std::error_code& ec) {
    client_authentication_result out;
    if (params.get("client_assertion_type") != jwt_bearer_assertion_type) return fail(ec, error::client_assertion_invalid);
    std::string_view assertion = params.get("client_assertion");
    if (assertion.empty()) return fail(ec, error::client_assertion_invalid);
    // The client is named by the assertion's `sub` (and `iss`); read it only to choose the
    // keys, then verify everything with them.
    std::string_view claimed = params.get("client_id");
    std::string sub;
    if (claimed.empty()) {
      auto d1 = assertion.find('.'), d2 = assertion.rfind('.');
      if (d1 == std::string_view::npos || d2 == d1) return fail(ec, error::client_assertion_invalid);
      std::error_code dec;
      std::string payload = crypto::base64url_decode(assertion.substr(d1 + 1, d2 - d1 - 1), dec);
      boost::json::value v = dec ? boost::json::value() : boost::json::parse(payload, dec);
      const auto* o = v.if_object();
      const auto* s = o ? o->if_contains("sub") : nullptr;
      if (dec || !s || !s->is_string()) return fail(ec, error::client_assertion_invalid);
      sub = std::string(s->get_string());
      claimed = sub;
    }
    out.who = clients_->find(claimed);
    if (!out.who) return fail(ec, error::client_unknown);
    if (out.who->assertion_keys.empty()) return fail(ec, error::client_assertion_invalid);

    jose::jwt_validator v(out.who->assertion_keys);
    v.issuer(out.who->id).audience(settings_->endpoint("/oauth2/token")).audience(settings_->issuer);
    v.require("jti").require("sub").require("iat").max_age(settings_->client_assertion_max_lifetime).leeway(assertion_leeway);
    const time_point now = clock_->now();
    jose::verified_jwt jwt = v.validate(assertion, ec, *clock_);
    if (ec) {
      ec = error::client_assertion_invalid;
      out.who = nullptr;
      return out;
    }
    if (jwt.subject() != out.who->id) return fail(ec, error::client_assertion_invalid);
    // RFC 7523 §3: the assertion is short-lived. Its whole life (exp - iat) must fit the
    // maximum, and its jti is kept until min(exp, iat + max) plus the leeway: a bounded
    // instant, whatever `exp` says (a far-future `exp` once made the replay entry's expiry
    // overflow the clock and look expired: docs/security.md row 25).
    const auto exp = jwt.expires_at();
    const auto iat = jwt.issued_at();
    const seconds max_life = settings_->client_assertion_max_lifetime;
    if (!exp || !iat || *exp - *iat > max_life) return fail(ec, error::client_assertion_invalid);
    const time_point keep_until = std::min(*exp, *iat + max_life) + assertion_leeway;
    const std::string key = out.who->id + '\n' + std::string(jwt.jwt_id());
    bool first = store_->use_once(key, keep_until, now, ec);
    if (ec) {
      out.who = nullptr;
      return out;
    }
    if (!first) return fail(ec, error::client_assertion_replayed);
    out.method = auth_method::private_key_jwt;
    return out;
  }

  static client_authentication_result fail(std::error_code& ec, error e) {
    ec = e;
    return {};
  }

  const client_registry* clients_;
  const server_settings* settings_;
  Store* store_;
  const Clock* clock_;
  crypto::verified_secret_cache cache_;
  crypto::failure_rate_limiter by_client_;
  crypto::failure_rate_limiter by_address_;
};

}  // namespace tessera::server

#endif
