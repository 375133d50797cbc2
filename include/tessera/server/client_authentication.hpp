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
// More than one method in a request is refused (§2.3).
//
// Secrets and their limits (docs/security.md row 19). A secret found in the verified-secret
// cache (`crypto::verified_secret_cache`, looked up with the hashes the client has now; each
// use extends the entry up to `verified_secret_max_lifetime`) is accepted without bcrypt and
// without a limit. Otherwise bcrypt runs only under a reservation (`failure_rate_limiter`),
// taken before the check and refunded when the secret is right:
//   * per (client, peer address): `client_auth_burst` failures back to back, then a delay of
//     `client_auth_refill` doubling per failure up to `client_auth_max_delay`; a success from
//     the pair clears it. A stranger's failures cost the stranger's address, not the client:
//     the owner's correct secret from an address that has not failed is always checked and
//     accepted, and from a failing address it waits out the delay, then is checked.
//   * per peer address over all clients (`client_auth_address_burst`, IPv6 per /64, same
//     delays): one address cannot spread its guesses over many clients.
//   * per client over all addresses, as a signal only: while it has `client_auth_client_budget`
//     failures (one forgiven per `client_auth_refill`) the client is under attack, and each
//     address gets one attempt before its delays start instead of a burst — many addresses buy
//     one guess each. It never refuses by itself.
// Refused: 429 with `Retry-After` and `invalid_client`, without a bcrypt run. Concurrent wrong
// secrets from one pair run at most `client_auth_burst` bcrypt checks, whatever their number.
//
// Behind a reverse proxy (or load balancer) that does not pass the client's address through to
// the socket, every request has the proxy's address: the pair becomes the client and the
// address becomes everyone, so a stranger's guesses delay the owner's uncached secret checks
// (cached ones keep working). tessera reads no forwarded headers (row 18). Prefer TCP (layer 4)
// passthrough so the transport sees the client; otherwise set `client_auth_address_burst = 0`
// and limit requests per client address at the proxy (e.g. nginx `limit_req` keyed by
// `$binary_remote_addr` on the token, revocation, introspection and device endpoints).
// An unknown peer address (empty) is limited as one pair per client, with no address limit.
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
        cache_({settings.verified_secret_lifetime, 4096, settings.verified_secret_max_lifetime}),
        by_pair_({settings.client_auth_burst, settings.client_auth_refill, 16384, settings.client_auth_max_delay}),
        by_address_({std::max(settings.client_auth_address_burst, 1u), settings.client_auth_refill, 16384,
                     settings.client_auth_max_delay}),
        by_client_({std::max(settings.client_auth_client_budget, 1u), settings.client_auth_refill, 16384}) {}

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
      if (cache_.recall(out.who->id, secret, h, now)) return out;
    return check_secret(out, secret, peer_address, now, ec);
  }

 private:
  // bcrypt under the reservations of the (client, address) pair and of the address.
  client_authentication_result check_secret(client_authentication_result out, std::string_view secret,
                                            std::string_view peer_address, time_point now, std::error_code& ec) {
    using limiter = crypto::failure_rate_limiter;
    const std::string address = limiter::address_key(peer_address);
    const std::string pair = limiter::pair_key(out.who->id, address);
    const bool under_attack = settings_->client_auth_client_budget > 0 &&
                              by_client_.failures(out.who->id, now) >= settings_->client_auth_client_budget;
    auto pair_slot = by_pair_.reserve(pair, now, under_attack ? 1 : 0);
    if (!pair_slot) return rate_limited(ec, pair_slot.retry_after());
    limiter::reservation address_slot;
    if (settings_->client_auth_address_burst > 0 && !address.empty()) {
      address_slot = by_address_.reserve(address, now);
      if (!address_slot) return rate_limited(ec, address_slot.retry_after());  // pair_slot is refunded
    }
    for (const auto& h : out.who->secret_hashes) {
      std::error_code vec;
      if (crypto::verify_secret(secret, h, vec)) {
        cache_.remember(out.who->id, secret, h, now);
        pair_slot.refund();
        address_slot.refund();
        by_pair_.record_success(pair);
        return out;
      }
    }
    pair_slot.fail(now);
    address_slot.fail(now);
    if (settings_->client_auth_client_budget > 0) by_client_.record_failure(out.who->id, now);
    return fail(ec, error::client_authentication_failed);
  }

  static client_authentication_result rate_limited(std::error_code& ec, std::chrono::seconds retry_after) {
    ec = error::client_authentication_rate_limited;
    client_authentication_result out;
    out.retry_after = retry_after;
    return out;
  }

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
  crypto::failure_rate_limiter by_pair_;     // (client, address): refuses
  crypto::failure_rate_limiter by_address_;  // address, all clients: refuses
  crypto::failure_rate_limiter by_client_;   // client, all addresses: a signal, never refuses
};

}  // namespace tessera::server

#endif
