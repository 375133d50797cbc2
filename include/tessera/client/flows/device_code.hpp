// tessera — client/flows/device_code.hpp: a person's token for a program without a browser
// (RFC 8628), as `authType: DeviceFlow` gets it.
//
//  1. POST `client_id`, `scope`, `audience` to the device authorization endpoint; read
//     `device_code`, `user_code`, `verification_uri` (Google spells it `verification_url`),
//     `verification_uri_complete`, `expires_in`, `interval` — bounded, strings of printable
//     ASCII only (they are shown on a terminal): else `device_authorization_invalid`.
//  2. Show them (`interaction::device_code`).
//  3. Poll the token endpoint every `interval` (the server's, else `poll_interval`):
//     `authorization_pending` waits on; `slow_down` adds 5 s to the interval (§3.5) and waits on;
//     `access_denied`, `expired_token` and any other refusal end it with the server's
//     condition. The wait ends at the server's `expires_in` or the configured timeout, whichever
//     is sooner: `device_code_expired`. A network failure during a poll ends it too (a poll is
//     not repeated blindly: the server may have answered it).
// The tokens keep their real expiry (Flyte stored device tokens with none) and the refresh
// token, so the next call refreshes instead of asking the person again.
#ifndef TESSERA_CLIENT_FLOWS_DEVICE_CODE_HPP
#define TESSERA_CLIENT_FLOWS_DEVICE_CODE_HPP

#include <tessera/client/flows/context.hpp>
#include <tessera/detail/json.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>

namespace tessera::client::flow {

struct device_code {
  static constexpr auth_type type = auth_type::device_flow;
  static constexpr bool needs_server = true;

  static token_set run(const flow_context& ctx, std::error_code& ec) {
    const std::string& url = ctx.server.metadata.device_authorization_endpoint;
    if (url.empty()) {
      ec = error::server_metadata_incomplete;
      ctx.log("the server's metadata names no device_authorization_endpoint");
      return {};
    }
    oauth::detail::require_secure(url, ctx.settings.allow_http, ec);
    if (ec) return {};
    transport::form_fields form;
    if (auto s = ctx.scope(); !s.empty()) form.emplace_back("scope", std::move(s));
    if (auto a = ctx.audience(); !a.empty()) form.emplace_back("audience", std::move(a));
    transport::http::fields headers;
    ctx.authenticate(form, headers, ec);
    if (ec) return {};
    headers.set(transport::http::field::accept, "application/json");
    ctx.log("asking for a device code at " + url);
    auto res = ctx.http.post_form(url, form, headers, ec);
    if (ec) return {};
    if (res.result() != transport::http::status::ok) {
      std::string desc;
      ec = oauth::read_error_response(res, &desc);
      ctx.refused("device authorization endpoint", res, ec, desc);
      return {};
    }
    device_prompt prompt;
    std::string device;
    std::int64_t expires_in = 0, interval = 0;
    if (!read(res.body(), prompt, device, expires_in, interval)) {
      ec = error::device_authorization_invalid;
      return {};
    }
    prompt.expires_in = std::chrono::seconds(expires_in);
    if (ctx.ui.device_code) ctx.ui.device_code(prompt);

    std::chrono::milliseconds every = interval > 0 ? std::chrono::milliseconds(std::chrono::seconds(interval))
                                                   : ctx.settings.device.poll_interval;
    const auto start = ctx.now();
    const auto deadline = start + std::min<std::chrono::milliseconds>(std::chrono::seconds(expires_in),
                                                                       ctx.settings.device.timeout);
    interaction silent = ctx.ui;  // a pending answer every few seconds is not news
    silent.log = nullptr;
    for (;;) {
      if (ctx.now() + every > deadline) {
        ec = error::device_code_expired;
        return {};
      }
      if (ctx.ui.waiting)
        ctx.ui.waiting(std::chrono::duration_cast<std::chrono::seconds>(deadline - ctx.now()));
      ctx.sleep(every);
      transport::form_fields poll{{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                                  {"device_code", device}};
      std::string desc;
      const flow_context quiet{ctx.settings, ctx.http, ctx.server, silent, ctx.now, &desc};
      auto t = quiet.token_request(ctx.token_endpoint(), std::move(poll), ec);
      if (!ec) return t;
      if (ec == condition::authorization_pending && ec.category() == oauth::peer_category()) continue;
      if (ec == condition::slow_down && ec.category() == oauth::peer_category()) {
        every += std::chrono::seconds(5);
        continue;
      }
      if (ctx.description) *ctx.description = desc;
      ctx.log("the token endpoint ended the device login: " + ec.message() + (desc.empty() ? "" : " (" + desc + ")"));
      return {};
    }
  }

 private:
  static bool printable(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  }

  static bool read(std::string_view body, device_prompt& p, std::string& device, std::int64_t& expires_in,
                   std::int64_t& interval) {
    boost::json::value doc;
    const auto* o = tessera::detail::parse_bounded_object(body, 64 * 1024, 8, doc);
    if (!o) return false;
    auto str = [&](std::string_view name, std::string& out, std::size_t max, bool required) {
      const auto* v = o->if_contains(name);
      if (!v || v->is_null()) return !required;
      if (!v->is_string() || !printable(v->get_string(), max)) return false;
      out = std::string(v->get_string());
      return true;
    };
    if (!str("device_code", device, 4096, true) || !str("user_code", p.user_code, 64, true) ||
        !str("verification_uri_complete", p.verification_uri_complete, 2048, false))
      return false;
    if (o->contains("verification_uri")) {
      if (!str("verification_uri", p.verification_uri, 2048, true)) return false;
    } else if (!str("verification_url", p.verification_uri, 2048, true)) {
      return false;
    }
    for (const std::string* u : {&p.verification_uri, &p.verification_uri_complete})
      if (!u->empty() && !u->starts_with("https://") && !u->starts_with("http://")) return false;
    const auto* e = o->if_contains("expires_in");
    if (!e || e->is_string() || !detail::read_seconds(*e, expires_in) || expires_in <= 0) return false;
    expires_in = std::min<std::int64_t>(expires_in, 24 * 3600);
    if (const auto* i = o->if_contains("interval"); i && !i->is_null()) {
      if (i->is_string() || !detail::read_seconds(*i, interval)) return false;
      interval = std::min<std::int64_t>(interval, 600);
    }
    return true;
  }
};

static_assert(token_flow<device_code>);

}  // namespace tessera::client::flow

#endif
