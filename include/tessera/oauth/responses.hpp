// tessera — oauth/responses.hpp
//
// The answers OAuth endpoints give to programs (not browsers), shared by the authorization
// server, the resource server and the identity layer:
//  * JSON with `Cache-Control: no-store`, `Pragma: no-cache` (RFC 6749 §5.1) and
//    `Referrer-Policy: no-referrer` (docs/security.md row 14);
//  * RFC 6749 §5.2 / RFC 6750 §3.1 error bodies `{"error", "error_description"}` that carry only
//    the wire condition and the cause's fixed, safe description — never the cause's details,
//    never input the caller sent;
//  * the challenges of RFC 6750 §3 (`WWW-Authenticate: Bearer ...`) and RFC 7617 (`Basic`).
#ifndef TESSERA_OAUTH_RESPONSES_HPP
#define TESSERA_OAUTH_RESPONSES_HPP

#include <tessera/error.hpp>
#include <tessera/http/headers.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace tessera::oauth {

/// The realm named in challenges.
inline constexpr std::string_view default_realm = "tessera";

/// Headers every token-bearing or credential-bearing response carries.
inline void set_no_store(transport::response& res) {
  for (auto [name, value] : http::no_store_headers) res.set(name, value);
  for (auto [name, value] : http::no_referrer_headers) res.set(name, value);
}

/// A JSON answer with the no-store headers.
inline transport::response json_response(const transport::request& req, transport::http::status status,
                                         const boost::json::value& body) {
  auto res = transport::make_response(req, status, boost::json::serialize(body), "application/json");
  set_no_store(res);
  return res;
}
/// As above for an object body (most are), serialized as it is: converting it to a `value`
/// first would copy every member.
inline transport::response json_response(const transport::request& req, transport::http::status status,
                                         const boost::json::object& body) {
  auto res = transport::make_response(req, status, boost::json::serialize(body), "application/json");
  set_no_store(res);
  return res;
}

/// RFC 6750 §3: the `Bearer` challenge. Without a condition (a request that sent no token,
/// §3.1) it names only the realm; otherwise the error code the client should act on, and for
/// `insufficient_scope` the scope the resource needs (§3: `scope`, space-separated). Characters
/// a scope token may not hold (RFC 6749 §3.3: `"`, `\`, controls) are left out, so the
/// quoted string cannot be broken out of.
inline std::string bearer_challenge(condition c = condition::none, std::string_view realm = {},
                                    std::string_view scope = {}) {
  std::string out = "Bearer";
  auto param = [&](std::string_view name, std::string_view value) {
    out.append(out.size() == 6 ? " " : ", ").append(name).append("=\"");
    for (char ch : value)
      if (ch == ' ' || (ch >= 0x21 && ch <= 0x7e && ch != '"' && ch != '\\')) out.push_back(ch);
    out.push_back('"');
  };
  if (!realm.empty()) param("realm", realm);
  if (c != condition::none) param("error", wire_name(c));
  if (!scope.empty()) param("scope", scope);
  return out;
}

/// The JSON error body of `ec`: its condition, and tessera's own fixed description of the
/// cause (other categories may say more than a client should hear, so they get none).
inline boost::json::object error_body(std::error_code ec) {
  boost::json::object body;
  body["error"] = wire_name(condition_of(ec));
  if (ec.category() == error_category()) body["error_description"] = description(static_cast<error>(ec.value()));
  return body;
}

/// The RFC 6749 §5.2 / RFC 6750 §3.1 error answer for `ec`, with its condition's status;
/// `invalid_client` carries the `Basic` challenge, `invalid_token` and `insufficient_scope`
/// the `Bearer` one.
inline transport::response error_response(const transport::request& req, std::error_code ec) {
  const condition c = condition_of(ec);
  auto res = json_response(req, static_cast<transport::http::status>(http_status(c)), error_body(ec));
  if (c == condition::invalid_client)
    res.set(transport::http::field::www_authenticate, "Basic realm=\"" + std::string(default_realm) + "\"");
  if (c == condition::invalid_token || c == condition::insufficient_scope)
    res.set(transport::http::field::www_authenticate, bearer_challenge(c));
  return res;
}

/// RFC 6750 §3.1: a request that presented no token gets 401 with the bare challenge and no
/// error code.
inline transport::response missing_token_response(const transport::request& req,
                                                  std::string_view realm = default_realm) {
  auto res = transport::make_response(req, transport::http::status::unauthorized, std::string());
  set_no_store(res);
  res.set(transport::http::field::www_authenticate, bearer_challenge(condition::none, realm));
  return res;
}

}  // namespace tessera::oauth

#endif
