// tessera — server/responses.hpp
//
// The browser-facing answers of the server's endpoints: 303 redirects after any POST
// (docs/security.md row 17) and HTML pages for errors that must not redirect. The JSON answers
// and RFC error bodies are the shared ones of oauth/responses.hpp.
#ifndef TESSERA_SERVER_RESPONSES_HPP
#define TESSERA_SERVER_RESPONSES_HPP

#include <tessera/error.hpp>
#include <tessera/oauth/responses.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace tessera::server {

using oauth::error_response;
using oauth::json_response;
using oauth::set_no_store;
using transport::request;
using transport::response;
namespace beast_http = transport::http;

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

/// Framing protection and a script-free content policy for every HTML page (docs/security.md row 15).
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
