// tessera — server/responses.hpp
//
// The responses endpoints answer with: JSON with `Cache-Control: no-store` (RFC 6749 §5.1)
// and `Referrer-Policy: no-referrer` (attack row 14); RFC 6749 §5.2 error bodies that carry
// only the wire condition and the cause's fixed, safe description; 303 redirects after any
// POST (attack row 17); and HTML error pages for errors that must not redirect.
#ifndef TESSERA_SERVER_RESPONSES_HPP
#define TESSERA_SERVER_RESPONSES_HPP

#include <tessera/error.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace tessera::server {

using transport::request;
using transport::response;
namespace beast_http = boost::beast::http;

/// Headers every token-bearing or credential-bearing response carries.
inline void set_no_store(response& res) {
  res.set(beast_http::field::cache_control, "no-store");
  res.set(beast_http::field::pragma, "no-cache");
  res.set("Referrer-Policy", "no-referrer");
}

inline response json_response(const request& req, beast_http::status status, const boost::json::value& body) {
  auto res = transport::make_response(req, status, boost::json::serialize(body), "application/json");
  set_no_store(res);
  return res;
}

/// RFC 6749 §5.2 / RFC 6750 §3.1 error: `{"error": <condition>, "error_description": <safe text>}`
/// with the condition's status; 401s carry `WWW-Authenticate`.
inline response error_response(const request& req, std::error_code ec) {
  const condition c = condition_of(ec);
  boost::json::object body;
  body["error"] = wire_name(c);
  // Only tessera's own fixed descriptions reach the wire; other categories may say more
  // than a client should hear.
  if (ec.category() == error_category()) body["error_description"] = description(static_cast<error>(ec.value()));
  auto res = json_response(req, static_cast<beast_http::status>(http_status(c)), body);
  if (c == condition::invalid_client) res.set(beast_http::field::www_authenticate, "Basic realm=\"tessera\"");
  if (c == condition::invalid_token || c == condition::insufficient_scope)
    res.set(beast_http::field::www_authenticate, "Bearer error=\"" + std::string(wire_name(c)) + "\"");
  return res;
}

/// A redirect. After a POST this is always 303 See Other, so the browser does not re-send
/// the form (credentials) to the target.
inline response redirect_response(const request& req, std::string location) {
  auto res = transport::make_response(req, beast_http::status::see_other);
  res.set(beast_http::field::location, std::move(location));
  set_no_store(res);
  res.prepare_payload();
  return res;
}

inline std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Framing protection and a script-free content policy for every HTML page (row 15).
inline void set_html_security(response& res) {
  res.set("X-Frame-Options", "DENY");
  res.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  res.set("X-Content-Type-Options", "nosniff");
}

inline response html_response(const request& req, beast_http::status status, std::string html) {
  auto res = transport::make_response(req, status, std::move(html), "text/html; charset=utf-8");
  set_no_store(res);
  set_html_security(res);
  return res;
}

/// An error page for requests that must not be redirected (unknown client, bad redirect URI:
/// RFC 6749 §4.1.2.1).
inline response error_page(const request& req, std::error_code ec) {
  const condition c = condition_of(ec);
  std::string body = "<!doctype html><html><head><title>Authorization error</title></head><body><h1>" +
                     html_escape(wire_name(c)) + "</h1><p>" +
                     html_escape(ec.category() == error_category() ? description(static_cast<error>(ec.value()))
                                                                    : std::string_view("server error")) +
                     "</p></body></html>";
  return html_response(req, static_cast<beast_http::status>(http_status(c) == 401 ? 400 : http_status(c)), std::move(body));
}

}  // namespace tessera::server

#endif
