// Shared by the resource-server tests: a clock the tests move, keys, token minting, and a
// router that serves a JWK set the tests change (the network an IdP would be).
#pragma once

#include <tessera/jose.hpp>
#include <tessera/resource.hpp>
#include <tessera/transport/in_memory.hpp>
#include <tessera/transport/router.hpp>

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace rtest {

using namespace tessera;

/// A manual clock shared by copies (validators and key sources hold their clock by value).
struct shared_clock {
  std::shared_ptr<manual_clock> c = std::make_shared<manual_clock>(1'800'000'000);
  time_point now() const noexcept { return c->now(); }
  void advance(seconds s) const { c->advance(s); }
};

inline constexpr std::string_view issuer = "https://as.example.com";
inline constexpr std::string_view audience = "https://api.example.com";

/// An access token's usual claims at `now`, valid for an hour.
inline boost::json::object claims_at(time_point now) {
  boost::json::object c;
  c["iss"] = issuer;
  c["sub"] = "alice";
  c["aud"] = audience;
  c["client_id"] = "flytectl";
  c["scope"] = "all offline";
  c["iat"] = to_unix_seconds(now);
  c["exp"] = to_unix_seconds(now + seconds(3600));
  c["jti"] = "jti-1";
  return c;
}

inline std::string mint(const jose::jwk& key, const boost::json::object& claims, std::string_view typ = "at+jwt") {
  return jose::sign_jwt(jose::jws_signer(key, typ), claims);
}

inline jose::jwk es256(std::string kid) { return jose::jwk::generate(jose::algorithm::ES256).with_kid(std::move(kid)); }

/// An IdP's JWKS endpoint on an in-memory router: the tests replace the document, make it fail,
/// and count the requests.
struct jwks_endpoint {
  jwks_endpoint() {
    routes.get("/jwks", [this](const transport::request& req) {
      hits.fetch_add(1);
      std::lock_guard lk(mutex);
      if (status != transport::http::status::ok) return transport::make_response(req, status, "down");
      auto res = transport::make_response(req, transport::http::status::ok, document, "application/json");
      if (!cache_control.empty()) res.set(transport::http::field::cache_control, cache_control);
      return res;
    });
  }
  void publish(std::initializer_list<jose::jwk> keys) {
    jose::jwk_set set;
    for (const auto& k : keys) set.add(k.public_key());
    std::lock_guard lk(mutex);
    document = boost::json::serialize(set.public_json());
  }
  void fail(transport::http::status s) {
    std::lock_guard lk(mutex);
    status = s;
  }

  transport::router routes;
  transport::in_memory wire{routes};
  std::atomic<int> hits{0};
  std::mutex mutex;
  std::string document = R"({"keys":[]})";
  std::string cache_control;
  transport::http::status status = transport::http::status::ok;
  static constexpr std::string_view uri = "https://as.example.com/jwks";
};

}  // namespace rtest
