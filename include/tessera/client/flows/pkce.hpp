// tessera — client/flows/pkce.hpp: a person's token through their browser — authorization code
// with PKCE (RFC 7636) and a loopback redirect (RFC 8252), as flytectl and pyflyte log in.
//
//  1. Listen on the redirect URI (transport/loopback_listener.hpp; `http://127.0.0.1:0/...`
//     takes any free port).
//  2. Build the authorization URL: `response_type=code`, `client_id`, `redirect_uri`, `scope`,
//     a fresh random `state` and `nonce` (32 bytes each), `code_challenge` = S256 of a fresh
//     43-character verifier, `audience` when there is one. Hand it to
//     `interaction::authorization_url` (print it, open a browser).
//  3. Wait for the browser (`pkce_settings::timeout`; `authorization_timeout` when it passes).
//     A redirect whose `state` is not this login's is answered with an error page and the wait
//     goes on — a page that guesses the port cannot end the login; if none with the right
//     state comes, the error is `authorization_response_state_mismatch` rather than a timeout.
//     With the right state: an `iss` other than the metadata's issuer — or none when the
//     metadata promises one (RFC 9207) — is `authorization_response_issuer_mismatch`, checked
//     first; then `error=...` ends it with the server's condition (the page says so); no `code` is
//     `authorization_response_code_missing`. The browser always gets a short page that says
//     what happened and that the window may be closed.
//  4. Exchange the code with the verifier at the token endpoint.
#ifndef TESSERA_CLIENT_FLOWS_PKCE_HPP
#define TESSERA_CLIENT_FLOWS_PKCE_HPP

#include <tessera/client/flows/context.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/pkce.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/http/form.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/transport/loopback_listener.hpp>

#include <boost/url/url.hpp>

namespace tessera::client::flow {

struct pkce {
  static constexpr auth_type type = auth_type::pkce;
  static constexpr bool needs_server = true;
  /// Flyte's default redirect.
  static constexpr std::string_view default_redirect_uri = "http://localhost:53593/callback";

  static token_set run(const flow_context& ctx, std::error_code& ec) {
    const auto& md = ctx.server.metadata;
    if (md.authorization_endpoint.empty()) {
      ec = error::server_metadata_incomplete;
      ctx.log("the server's metadata names no authorization_endpoint");
      return {};
    }
    const std::string client_id = ctx.client_id();
    if (client_id.empty()) {
      ec = error::client_config_invalid;
      ctx.log("no client id: set clientId, or use a server that advertises one at /config/v1/flyte_client");
      return {};
    }
    std::string redirect = ctx.settings.pkce.redirect_uri;
    if (redirect.empty() && ctx.server.flyte) redirect = ctx.server.flyte->redirect_uri;
    if (redirect.empty()) redirect = default_redirect_uri;
    transport::loopback_listener listener(redirect, ec);
    if (ec) {
      ctx.log("cannot listen on " + redirect + ": " + ec.message());
      return {};
    }
    const std::string state = crypto::random_token<32>();
    const std::string nonce = crypto::random_token<32>();
    const std::string verifier = crypto::pkce::make_verifier();

    boost::urls::url url(md.authorization_endpoint);
    auto params = url.params();
    params.append({"response_type", "code"});
    params.append({"client_id", client_id});
    params.append({"redirect_uri", listener.redirect_uri()});
    if (auto s = ctx.scope(); !s.empty()) params.append({"scope", s});
    params.append({"state", state});
    params.append({"nonce", nonce});
    params.append({"code_challenge", crypto::pkce::s256_challenge(verifier)});
    params.append({"code_challenge_method", "S256"});
    if (auto a = ctx.audience(); !a.empty()) params.append({"audience", a});
    ctx.log("waiting for the browser at " + listener.redirect_uri());
    if (ctx.ui.authorization_url) ctx.ui.authorization_url(std::string(url.buffer()));

    std::string code;
    std::error_code outcome;
    bool stray_state = false;
    listener.serve(ctx.settings.pkce.timeout, [&](const transport::request& req, transport::response& res) {
      std::error_code qec;
      const std::string_view target(req.target().data(), req.target().size());
      const auto q = target.find('?');
      auto query = http::parse_query(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1), qec);
      auto get = [&](std::string_view name) { return std::string(query.get(name)); };
      const std::string got_state = get("state");
      if (qec || got_state.size() != state.size() || !crypto::constant_time_equal(got_state, state)) {
        stray_state = true;
        res = page(req, transport::http::status::bad_request, "This sign-in answer does not belong to the login in progress.",
                   "It was ignored; the login is still waiting.");
        return false;
      }
      // RFC 9207 first: an error from a mixed-up server is not this server's error.
      const std::string iss = get("iss");
      if ((!iss.empty() && iss != md.issuer) || (iss.empty() && md.authorization_response_iss_parameter_supported)) {
        outcome = error::authorization_response_issuer_mismatch;
        res = page(req, transport::http::status::bad_request, "Sign-in failed.",
                   "The answer came from another server than the one this login went to. You may close this window.");
        return true;
      }
      if (auto e = get("error"); !e.empty()) {
        const auto c = oauth::condition_from_wire(e);
        outcome = c == condition::none ? std::error_code(error::peer_error_unrecognized) : oauth::make_peer_error(c);
        if (ctx.description) *ctx.description = oauth::safe_description(get("error_description"));
        res = page(req, transport::http::status::ok, "Sign-in was not completed.",
                   "The server answered: " + oauth::safe_description(e) + ". You may close this window.");
        return true;
      }
      code = get("code");
      if (code.empty()) {
        outcome = error::authorization_response_code_missing;
        res = page(req, transport::http::status::bad_request, "Sign-in failed.",
                   "The answer carried no authorization code. You may close this window.");
        return true;
      }
      res = page(req, transport::http::status::ok, "Signed in.", "You may close this window and return to the terminal.");
      return true;
    }, ec);
    if (ec == error::timeout) {
      ec = stray_state ? error::authorization_response_state_mismatch : error::authorization_timeout;
      return {};
    }
    if (ec) return {};
    if (outcome) {
      ec = outcome;
      ctx.log("the authorization request ended: " + ec.message());
      return {};
    }
    ctx.log("exchanging the authorization code at " + ctx.token_endpoint());
    transport::form_fields form{{"grant_type", "authorization_code"},
                                {"code", code},
                                {"redirect_uri", listener.redirect_uri()},
                                {"code_verifier", verifier}};
    return ctx.token_request(ctx.token_endpoint(), std::move(form), ec);
  }

 private:
  static transport::response page(const transport::request& req, transport::http::status status, std::string_view title,
                                   const std::string& text) {
    // Only fixed text and the server's error code (already restricted to RFC 6749's
    // characters) reach the page; escape anyway.
    std::string body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + identity::html_escape(title) +
                       "</title></head><body><h1>" + identity::html_escape(title) + "</h1><p>" + identity::html_escape(text) + "</p></body></html>\n";
    auto res = transport::make_response(req, status, std::move(body), "text/html; charset=utf-8");
    res.set(transport::http::field::cache_control, "no-store");
    res.set("Referrer-Policy", "no-referrer");
    res.set("Content-Security-Policy", "default-src 'none'");
    return res;
  }
};

static_assert(token_flow<pkce>);

}  // namespace tessera::client::flow

#endif
