// tessera — client/client.hpp: `client<Traits, Flows...>`, what flytectl, pyflyte and
// FlytePropeller do to get tokens.
//
//     struct my_traits : tessera::client::client_defaults {
//       using cache = tessera::client::file_cache;          // shared by this user's processes
//     };
//     using cli = tessera::client::client<my_traits, flow::pkce, flow::client_credentials,
//                                         flow::device_code, flow::external_command>;
//     transport::http_client net;
//     cli c(settings, transport::any_sync_client(net), tessera::client::console_interaction());
//     auto t = c.token();                                   // valid access token, or throws
//
// The flows it *can* run are compiled in; `client_settings::type` picks one at run time
// (`auth_type_unavailable` when it is not among them). Traits: `clock` (models tessera::clock)
// and `cache` (models `token_cache`, client/cache.hpp), both with defaults in `client_defaults`.
//
// `token()`:
//  1. the cached entry, if its access token has more than `refresh_margin()` (at most half its
//     lifetime) of life left — no network at all;
//  2. otherwise, under the cache's lock (two threads or processes never both refresh: one
//     rotation spent twice revokes the family; a cache that cannot lock falls back to a lock of
//     this process, with a warning), the entry again — another holder may have refreshed it
//     meanwhile —, then a refresh with its refresh token;
//  3. a refresh the server refuses with `invalid_grant` (the refresh token is dead) drops the
//     entry and runs the flow — once; any other failure (network, timeout, a 5xx, 429,
//     `temporarily_unavailable`) is returned as the error and the entry kept: a flaky network
//     must not open a browser or print a device code. A refreshed entry that cannot be saved is
//     dropped (its rotated-out refresh token must never be presented again);
//  4. no usable entry: the flow. Its tokens are saved (ExternalCommand's are not: the command
//     is the cache).
// `login()` runs the flow even with a usable entry. `logout()` revokes the refresh token and the
// access token (RFC 7009) and erases the entry — the entry is erased even when revocation
// fails, and the failure is returned. Every call has an `error_code&` overload and a throwing
// one. The server's error description of the last refusal is `last_description()`.
#ifndef TESSERA_CLIENT_CLIENT_HPP
#define TESSERA_CLIENT_CLIENT_HPP

#include <tessera/client/cache.hpp>
#include <tessera/client/flows/context.hpp>
#include <tessera/client/server_info.hpp>
#include <tessera/client/settings.hpp>
#include <tessera/client/token_set.hpp>
#include <tessera/clock.hpp>
#include <tessera/error.hpp>
#include <tessera/transport/any_client.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace tessera::client {

struct client_defaults {
  using clock = system_clock;
  using cache = memory_cache;
};

template <class Traits, class... Flows>
class client {
  static_assert(sizeof...(Flows) > 0, "tessera::client::client needs at least one flow");
  static_assert((token_flow<Flows> && ...), "every flow of tessera::client::client must model tessera::client::token_flow");

 public:
  using clock_type = typename Traits::clock;
  using cache_type = typename Traits::cache;
  static_assert(tessera::clock<clock_type>, "Traits::clock must model tessera::clock");
  static_assert(token_cache<cache_type>, "Traits::cache must model tessera::client::token_cache");

  /// Whether `t` is among the compiled flows.
  static constexpr bool supports(auth_type t) noexcept { return ((Flows::type == t) || ...); }

  /// `cache_args` construct the cache (a directory for `file_cache`).
  template <class... CacheArgs>
  client(client_settings settings, transport::any_sync_client http, interaction ui, clock_type clock,
         CacheArgs&&... cache_args)
      : settings_(std::move(settings)),
        http_(std::move(http)),
        ui_(std::move(ui)),
        clock_(std::move(clock)),
        cache_(std::make_unique<cache_type>(std::forward<CacheArgs>(cache_args)...)) {}

  client(client_settings settings, transport::any_sync_client http, interaction ui = {})
      : client(std::move(settings), std::move(http), std::move(ui), clock_type{}) {}

  const client_settings& settings() const noexcept { return settings_; }
  cache_type& cache() noexcept { return *cache_; }

  /// The cache entry this client reads and writes.
  cache_key key() const { return {settings_.endpoint, settings_.client_id, settings_.type}; }

  /// A usable access token (see the header comment).
  token_set token(std::error_code& ec) {
    ec = {};
    if (!supports(settings_.type)) return fail(ec, error::auth_type_unavailable);
    if (settings_.type == auth_type::external_command) return run_flow(ec);
    const auto k = key();
    std::error_code cec;
    if (auto t = cache_->load(k, cec); t && usable(*t)) return *t;
    if (cec) log("the cached token could not be read (" + cec.message() + "); getting a new one");
    auto held = lock(k);
    auto t = cache_->load(k, cec);
    if (t && usable(*t)) return *t;
    if (t && !t->refresh_token.empty()) {
      auto fresh = refresh_locked(*t, ec);
      if (!ec) return fresh;
      // Only a refresh token the server no longer honours sends the person through the flow
      // again; a 5xx, a 429, `temporarily_unavailable` or a network failure is reported: the
      // refresh token may still be good, and a blinking network must not open a browser.
      if (!refresh_refused(ec)) return {};
      log("the server refused the refresh token (" + ec.message() + "); signing in again");
      cache_->erase(k, cec);
      ec = {};
    }
    return flow_locked(k, ec);
  }

  /// Whether `ec`, from a refresh, means the refresh token is dead: the server's `invalid_grant`.
  static bool refresh_refused(const std::error_code& ec) noexcept {
    return ec == condition::invalid_grant && ec.category() == oauth::peer_category();
  }
  token_set token() { return checked([&](auto& ec) { return token(ec); }); }

  /// Runs the flow, whatever the cache holds, and saves its tokens.
  token_set login(std::error_code& ec) {
    ec = {};
    if (!supports(settings_.type)) return fail(ec, error::auth_type_unavailable);
    if (settings_.type == auth_type::external_command) return run_flow(ec);
    const auto k = key();
    auto held = lock(k);
    return flow_locked(k, ec);
  }
  token_set login() { return checked([&](auto& ec) { return login(ec); }); }

  /// Refreshes the cached entry now (it must hold a refresh token: else `refresh_token_unknown`).
  token_set refresh(std::error_code& ec) {
    ec = {};
    const auto k = key();
    auto held = lock(k);
    std::error_code cec;
    auto t = cache_->load(k, cec);
    if (!t || t->refresh_token.empty()) return fail(ec, error::refresh_token_unknown);
    return refresh_locked(*t, ec);
  }
  token_set refresh() { return checked([&](auto& ec) { return refresh(ec); }); }

  /// The cached entry, usable or not.
  std::optional<token_set> cached(std::error_code& ec) { return cache_->load(key(), ec); }

  /// Revokes the cached tokens at the server (the refresh token first: it ends the grant) and
  /// erases the entry. Nothing cached: nothing to do. `server_metadata_incomplete` when the
  /// server cannot revoke (the entry is erased all the same). A server that answers
  /// `unsupported_token_type` for the access token (RFC 7009 §2.2.1: it cannot revoke
  /// self-contained tokens) is not a failure: the access token ends at its expiry.
  void logout(std::error_code& ec) {
    ec = {};
    const auto k = key();
    auto held = lock(k);
    std::error_code cec;
    auto t = cache_->load(k, cec);
    if (!t) return;
    std::error_code rec;
    std::string desc;
    const auto& info = server(rec, true);
    if (!rec) {
      auto ctx = context(info, &desc);
      if (!t->refresh_token.empty()) tessera::client::revoke(ctx, t->refresh_token, "refresh_token", rec);
      std::error_code aec;
      std::string adesc;
      if (!rec) tessera::client::revoke(context(info, &adesc), t->access_token, "access_token", aec);
      if (aec == condition::unsupported_token_type && aec.category() == oauth::peer_category()) {
        // RFC 7009 §2.2.1: this server cannot revoke such access tokens (self-contained JWTs);
        // the refresh token is gone, and the access token ends at its expiry.
        log("the server does not revoke this kind of access token; it stays valid until it expires");
        aec = {};
      }
      if (!rec) {
        rec = aec;
        desc = adesc;
      }
    }
    keep_description(std::move(desc));
    cache_->erase(k, ec);
    if (!ec) ec = rec;
  }
  void logout() {
    std::error_code ec;
    logout(ec);
    tessera::detail::throw_if(ec);
  }

  /// The server's documents, fetched once (client/server_info.hpp). With `tokenUrl` and
  /// client credentials the metadata is skipped, as Flyte's client does, unless `full` asks for
  /// it (logout needs the revocation endpoint). `url_insecure` for a plain-http endpoint that is
  /// not this machine's, on every path (a token must never go there in the clear).
  const server_info& server(std::error_code& ec, bool full = false) {
    ec = {};
    std::lock_guard lk(discovery_m_);
    if (server_ && (has_metadata_ || !full)) return *server_;
    oauth::detail::require_secure(settings_.endpoint, settings_.allow_http, ec);
    if (ec) return empty_;
    const bool metadata = full || !(settings_.type == auth_type::client_secret && !settings_.token_url.empty());
    server_info info;
    if (metadata) {
      log("discovering the authorization server at " + settings_.endpoint);
      info = discover_server(http_, settings_.endpoint, settings_.allow_http, true, ec);
      if (ec) {
        log("discovery failed: " + ec.message());
        return empty_;
      }
    } else if (settings_.scopes.empty() || settings_.use_audience_from_server || settings_.client_id.empty()) {
      // tokenUrl is set: only Flyte's client document is needed, for what is left unset.
      auto res = detail::get_json(http_, detail::join_url(settings_.endpoint, "/config/v1/flyte_client"), ec);
      if (ec) return empty_;
      flyte_client_config c;
      if (res.result() == transport::http::status::ok && detail::read_flyte_client(res.body(), c))
        info.flyte = std::move(c);
    }
    server_ = std::move(info);
    has_metadata_ = metadata;
    return *server_;
  }

  /// The header the token goes in: configured, else the server's, else `authorization`.
  std::string authorization_header(std::error_code& ec) {
    ec = {};
    if (!settings_.authorization_header.empty()) return settings_.authorization_header;
    const auto& info = server(ec);
    if (!ec && info.flyte && !info.flyte->authorization_metadata_key.empty()) return info.flyte->authorization_metadata_key;
    return "authorization";
  }

  /// The server's description of the last refusal (RFC 6749 §5.2 characters only), or empty.
  std::string last_description() const {
    std::lock_guard lk(m_);
    return description_;
  }

 private:
  template <class F>
  static token_set checked(F&& f) {
    std::error_code ec;
    auto t = f(ec);
    tessera::detail::throw_if(ec);
    return t;
  }
  static token_set fail(std::error_code& ec, error e) {
    ec = e;
    return {};
  }
  void log(std::string_view s) const {
    if (ui_.log) ui_.log(s);
  }

  /// A token is used while more than the refresh margin is left of it — but never a margin of
  /// more than half its lifetime, so a short-lived token is not refreshed on every call.
  bool usable(const token_set& t) const {
    auto margin = settings_.refresh_margin();
    if (t.expiry_known() && t.obtained_at != time_point{} && t.expires_at > t.obtained_at) {
      const auto half = std::chrono::duration_cast<std::chrono::seconds>(t.expires_at - t.obtained_at) / 2;
      if (half < margin) margin = half;
    }
    return t.usable(clock_.now(), margin);
  }

  /// The cache's lock on `k`; when the cache cannot lock (an unwritable cache directory, as in
  /// many containers), this process's own lock, with a warning: threads still never refresh
  /// twice, and other processes fare as they would without a cache.
  cache_lock lock(const cache_key& k) {
    std::error_code ec;
    auto held = cache_->lock(k, ec);
    if (!ec) return held;
    log("the token cache cannot be locked (" + ec.message() + "); coordinating within this process only");
    process_lock_.lock();
    return cache_lock([this] { process_lock_.unlock(); });
  }

  flow_context context(const server_info& info, std::string* description = nullptr) {
    return flow_context{settings_, http_, info, ui_, [this] { return clock_.now(); }, description};
  }

  void keep_description(std::string d) {
    std::lock_guard lk(m_);
    description_ = std::move(d);
  }

  token_set refresh_locked(const token_set& old, std::error_code& ec) {
    const auto& info = server(ec);
    if (ec) return {};
    std::string desc;
    auto t = tessera::client::refresh(context(info, &desc), old, ec);
    keep_description(std::move(desc));
    if (ec) return {};
    std::error_code cec;
    cache_->save(key(), t, cec);
    if (cec) {
      // The entry still holds the refresh token the server just rotated out: presenting it again
      // would look like theft and revoke the family. Drop it; the next run signs in again.
      log("the refreshed token could not be cached (" + cec.message() + "); the old entry is dropped");
      cache_->erase(key(), cec);
    }
    return t;
  }

  token_set flow_locked(const cache_key& k, std::error_code& ec) {
    auto t = run_flow(ec);
    if (ec) return {};
    std::error_code cec;
    cache_->save(k, t, cec);
    if (cec) log("the token could not be cached: " + cec.message());
    return t;
  }

  token_set run_flow(std::error_code& ec) {
    token_set out;
    bool ran = false;
    (
        [&] {
          if (ran || Flows::type != settings_.type) return;
          ran = true;
          static const server_info none{};
          const server_info* info = &none;
          if constexpr (Flows::needs_server) {
            info = &server(ec);
            if (ec) return;
          }
          std::string desc;
          out = Flows::run(context(*info, &desc), ec);
          keep_description(std::move(desc));
        }(),
        ...);
    if (!ran) ec = error::auth_type_unavailable;
    return out;
  }

  client_settings settings_;
  transport::any_sync_client http_;
  interaction ui_;
  clock_type clock_;
  std::unique_ptr<cache_type> cache_;
  mutable std::mutex m_;            // description_
  std::mutex discovery_m_;          // server_, has_metadata_: held across discovery's requests
  std::mutex process_lock_;         // when the cache cannot lock
  std::optional<server_info> server_;
  bool has_metadata_ = false;
  server_info empty_;
  std::string description_;
};

}  // namespace tessera::client

#endif
