// tessera — server/endpoints/device.hpp
//
// RFC 8628, the parts that are not the token endpoint:
//   POST     /oauth2/device/authorize  §3.1–3.2: a device code for the device, a user code
//                                      for the person, and where to enter it
//   GET|POST /oauth2/device            §3.3: the page where a logged-in person enters the user
//                                      code, sees which client asks for which scopes (§5.4),
//                                      and approves or denies (CSRF-protected forms); wrong
//                                      codes are rate limited per user (§5.1)
// User codes are 8 characters of a 20-letter alphabet without vowels or look-alikes
// (≈34 bits, §6.1), shown as XXXX-XXXX, matched case- and dash-insensitively, stored hashed.
#ifndef TESSERA_SERVER_ENDPOINTS_DEVICE_HPP
#define TESSERA_SERVER_ENDPOINTS_DEVICE_HPP

#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/server/endpoints/authorize.hpp>
#include <tessera/server/endpoints/token.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/server/grant_context.hpp>

#include <arpa/inet.h>

namespace tessera::server {

/// RFC 8628 §3.4.
inline constexpr std::string_view device_code_grant_type = "urn:ietf:params:oauth:grant-type:device_code";

namespace detail {

inline constexpr std::string_view user_code_alphabet = "BCDFGHJKLMNPQRSTVWXZ";

inline std::string make_user_code() {
  std::string code;
  std::array<unsigned char, 8> raw;
  while (code.size() < 8) {
    crypto::random_bytes(raw);
    for (unsigned char b : raw)  // 240 = 12 × 20: reject the tail for an unbiased pick
      if (b < 240 && code.size() < 8) code.push_back(user_code_alphabet[b % 20]);
  }
  return code.substr(0, 4) + "-" + code.substr(4);
}

/// Upper-cases and drops everything outside the alphabet ("bcdf-ghjk" → "BCDFGHJK").
inline std::string normalize_user_code(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (user_code_alphabet.find(c) != std::string_view::npos) out.push_back(c);
    if (out.size() > 16) break;
  }
  return out;
}

/// The key a device authorization is capped under per address (`device_record::requester`):
/// IPv4 as is, IPv6 by its /64 (one subscriber's usual allocation), IPv4-mapped IPv6 as IPv4;
/// anything else cut to `store::limits::peer_address`.
inline std::string device_requester(std::string_view peer) {
  std::string text(peer.substr(0, 64));
  if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);  // zone id
  unsigned char b[16];
  char out[INET6_ADDRSTRLEN];
  if (text.find(':') != std::string::npos && inet_pton(AF_INET6, text.c_str(), b) == 1) {
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(b, b + 12, mapped)) return inet_ntop(AF_INET, b + 12, out, sizeof out) ? std::string(out) : text;
    std::fill(b + 8, b + 16, static_cast<unsigned char>(0));
    if (inet_ntop(AF_INET6, b, out, sizeof out)) return std::string(out) + "/64";
  }
  if (text.size() > store::limits::peer_address) text.resize(store::limits::peer_address);
  return text;
}

/// How often `device_authorization_endpoint` draws a user code that no live authorization has
/// before it gives up (with ≈34-bit codes and at most `device_caps::total` live ones, a second
/// draw is already rare).
inline constexpr int user_code_draws = 5;

/// What the device page shows below its message.
enum class device_form {
  none,      // a final answer
  enter,     // the user-code field and a Continue button
  confirm,   // the code (hidden) and Approve / Deny: after the user saw who asks for what
};

/// The device page's body (title and frame come from `identity::render_page`).
inline std::string device_page(std::string_view message, device_form form, std::string_view user_code = {},
                               std::string_view csrf = {}) {
  std::string html;
  identity::paragraph_append(html, message);
  if (form == device_form::none) return html;
  html += "<form method=\"post\" action=\"/oauth2/device\"><input type=\"hidden\" name=\"csrf_token\" value=\"";
  identity::html_escape_append(html, csrf);
  html += "\">";
  if (form == device_form::enter) {
    html += "<label>Code <input name=\"user_code\" value=\"";
    identity::html_escape_append(html, user_code);
    html += "\" autocomplete=\"off\" required></label><div class=\"actions\"><button>Continue</button></div>";
  } else {
    html += "<input type=\"hidden\" name=\"user_code\" value=\"";
    identity::html_escape_append(html, user_code);
    html += "\"><div class=\"actions\"><button name=\"decision\" value=\"approve\">Approve</button> "
            "<button name=\"decision\" value=\"deny\">Deny</button></div>";
  }
  return html + "</form>\n";
}

/// The device page as a response, through the identity's browser layer.
inline response device_response(const identity::browser& b, const request& req, transport::http::status status,
                                std::string_view title, std::string_view message, device_form form,
                                std::string_view user_code = {}, std::string_view csrf = {}) {
  return b.page(req, status, identity::render_page(title, device_page(message, form, user_code, csrf)));
}

/// The device page's CSRF cookie (named by mode: `__Host-tessera_device_csrf` over TLS).
inline constexpr std::string_view device_csrf_cookie = "tessera_device_csrf";

}  // namespace detail

template <grant_context Server>
response device_authorization_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  std::error_code ec;
  auto params = detail::client_form(req, ec);
  if (ec) return error_response(req, ec);
  auto auth = s.authenticate_client(req, params, ctx, ec);
  if (auto failed = detail::client_auth_failure(s, req, ec, auth)) return std::move(*failed);
  if (!auth.who->allows_grant(device_code_grant_type)) return error_response(req, error::client_grant_not_allowed);
  store::device_record rec;
  rec.client_id = auth.who->id;
  rec.scope = s.granted_scope(*auth.who, params.get("scope"), ec);
  if (ec) return error_response(req, ec);
  // docs/security.md row 21: a bounded audience, stored as validated and normalized (an
  // audience of only spaces is absent), never as sent.
  const std::string_view audience = params.get("audience");
  if (audience.size() > store::limits::audience) return error_response(req, error::parameter_too_long);
  if (!s.audience_allowed(*auth.who, audience)) return error_response(req, error::parameter_invalid);
  rec.audience = oauth::join_scope(oauth::split_scope(audience));
  rec.requester = detail::device_requester(ctx.peer_address);
  const time_point now = s.now();
  rec.expires_at = now + s.settings().device_code_lifespan;
  rec.interval = s.settings().device_poll_interval;
  const std::string device_code = crypto::random_token<32>();
  std::string user_code;
  // Draw until no live authorization has the code (the store refuses a taken one atomically,
  // docs/security.md row 34), within caps on live authorizations (row 21).
  for (int draw = 0;; ++draw) {
    if (draw == detail::user_code_draws) return error_response(req, error::device_user_code_unavailable);
    user_code = detail::make_user_code();
    rec.user_code_hash = store::token_hash(detail::normalize_user_code(user_code));
    auto put = s.store().put_device(store::token_hash(device_code), rec, s.settings().device_authorization_caps, now, ec);
    if (ec) return error_response(req, ec);
    if (put == store::put_device_status::ok) break;
    if (put == store::put_device_status::user_code_taken) continue;
    auto res = error_response(req, error::device_authorizations_full);  // RFC 8628 §3.5's slow_down, as a 429
    res.result(transport::http::status::too_many_requests);
    res.set(transport::http::field::retry_after, std::to_string(s.settings().device_authorization_retry_after.count()));
    return res;
  }
  const std::string verification_uri = s.settings().endpoint("/oauth2/device");
  boost::json::object out;
  out["device_code"] = device_code;
  out["user_code"] = user_code;
  out["verification_uri"] = verification_uri;
  out["verification_uri_complete"] = verification_uri + "?user_code=" + user_code;
  out["expires_in"] = s.settings().device_code_lifespan.count();
  out["interval"] = s.settings().device_poll_interval.count();
  return json_response(req, transport::http::status::ok, out);
}

/// `failures`: wrong user codes per user (the device grant's own limiter).
template <grant_context Server>
response device_verification_endpoint(const Server& s, crypto::failure_rate_limiter& failures, const request& req,
                                      const transport::request_context& ctx) {
  const identity::browser& b = s.identity().browser();
  constexpr std::string_view title = "Connect a device";
  std::error_code ec;
  auto user = s.identity().current_user(req, ctx, ec);
  if (ec) return b.error_page(req, ec);
  const bool post = req.method() == transport::http::verb::post;
  auto target = std::string_view(req.target());
  if (!user) {
    // Log in first, then come back here (with the code from the link, if any).
    std::string back = post ? std::string("/oauth2/device") : std::string(target);
    return b.see_other(req, std::string(s.identity().login_path()) + "?redirect_url=" + http::form_encode_component(back));
  }
  const time_point now = s.now();

  if (!post) {
    auto params = identity::browser::query(req, ec);
    std::string code = ec ? std::string() : std::string(params.get("user_code"));
    auto csrf = b.csrf_token(req, ctx, detail::device_csrf_cookie, now, ec);
    if (ec) return b.error_page(req, ec);
    auto res = detail::device_response(b, req, transport::http::status::ok, title, "Enter the code your device shows.",
                                       detail::device_form::enter, code, csrf.token);
    if (!csrf.set_cookie.empty()) res.insert(transport::http::field::set_cookie, csrf.set_cookie);
    return res;
  }

  if (!identity::browser::is_form(req)) return b.error_page(req, error::form_malformed);
  auto params = http::parse_form(req.body(), ec);
  if (ec) return b.error_page(req, ec);
  const std::string_view csrf = params.get("csrf_token");
  if (!b.csrf_valid(req, ctx, detail::device_csrf_cookie, csrf, now)) return b.error_page(req, error::csrf_token_invalid);

  // RFC 8628 §5.1: wrong codes are limited per user, checked before the store is asked.
  if (auto wait = failures.retry_after(user->subject, now); wait.count() > 0) {
    auto res = detail::device_response(b, req, transport::http::status::too_many_requests, title,
                                       description(error::device_user_code_rate_limited), detail::device_form::none);
    res.set(transport::http::field::retry_after, std::to_string(wait.count()));
    return res;
  }
  const auto user_code = params.get("user_code");
  const auto code_hash = store::token_hash(detail::normalize_user_code(user_code));
  auto rec = s.store().find_device_by_user_code(code_hash, now, ec);
  if (ec) return b.error_page(req, ec);
  if (!rec) {
    failures.record_failure(user->subject, now);
    return detail::device_response(b, req, transport::http::status::bad_request, title, "That code is unknown or has expired.",
                                   detail::device_form::enter, "", csrf);
  }
  const auto decision = params.get("decision");
  if (decision.empty()) {
    // RFC 8628 §5.4: the user sees which client asks for what before deciding.
    std::string scope = rec->scope.empty() ? std::string("its default access") : "the scopes " + rec->scope;
    return detail::device_response(b, req, transport::http::status::ok, title,
                                   "The application \"" + rec->client_id + "\" asks to act as " + user->subject + " with " +
                                       scope + ". Only approve if you started this on your device.",
                                   detail::device_form::confirm, user_code, csrf);
  }
  if (decision != "approve" && decision != "deny") return b.error_page(req, error::parameter_invalid);
  const bool approve = decision == "approve";
  // RFC 9068 §5: a person named like a client would get tokens taken for that client's own.
  if (approve && s.clients().find(user->subject)) return b.error_page(req, error::subject_is_client_id);
  store::grant_record g;
  g.client_id = rec->client_id;
  g.subject = user->subject;
  g.scope = rec->scope;
  g.audience = rec->audience;
  g.family_id = s.new_family_id();
  g.user_claims = boost::json::serialize(user->claims);
  g.auth_time = user->auth_time;
  bool decided = s.store().decide_device(code_hash, approve, g, now, ec);
  if (ec) return b.error_page(req, ec);
  auto res = detail::device_response(b, req, decided ? transport::http::status::ok : transport::http::status::bad_request,
                                     approve ? "Device connected" : "Device denied",
                                     decided ? (approve ? "You can return to your device." : "The device was not connected.")
                                             : "That code was already used.",
                                     detail::device_form::none);
  auto spent = b.csrf_spent(ctx, detail::device_csrf_cookie, ec);
  if (!ec) res.insert(transport::http::field::set_cookie, spent);
  return res;
}

}  // namespace tessera::server

#endif
