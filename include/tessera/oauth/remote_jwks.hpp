// tessera — oauth/remote_jwks.hpp
//
// `remote_jwks<Clock>`: a key source (jose/key_source.hpp) that fetches an authorization
// server's or identity provider's JWK set over HTTP and follows its key rotation while tokens
// are being verified. Okta, Google, Azure AD, Auth0, Keycloak and tessera itself publish new
// keys in their `jwks_uri` and sign with them; a resource server that fetched the set once
// refuses every token after the next rotation.
//
// When it fetches (always one fetch at a time; threads that need the result wait for it):
//  * `refresh(ec)`: now, unconditionally (start-up, an operator's timer).
//  * `refresh_for_unknown_kid(seen, ec)`: a token named a `kid` absent from the snapshot
//    `seen` it was verified against. When another thread has installed a newer snapshot
//    meanwhile, no fetch: the caller retries against it. Otherwise at most one fetch per
//    `cooldown` (default 30 s), counted from the last attempt, successful or not — so a flood
//    of tokens with made-up `kid`s costs at most one fetch per cooldown, and an outage of the
//    IdP does not put a fetch in front of every request (docs/security.md row 20).
//  * `refresh_if_stale()`: the snapshot is older than `max_age` (default 10 min, or the
//    document's `Cache-Control: max-age` when smaller and not below `cooldown`): the calling
//    thread fetches unless another is already doing so (then it goes on with the old keys).
//
// What a fetch installs: the keys of the new document (parsed as jose::jwk_set::parse does:
// keys that are not signature keys tessera uses are skipped), plus keys of earlier documents
// that the new one dropped less than `removed_key_grace` ago (default 0: a key the issuer
// withdraws — perhaps because it leaked — stops verifying at once; set a grace when the issuer
// is known to withdraw keys while tokens signed with them are still in circulation). A grace
// ends on time without a fetch: the first token verified after it finds the key gone
// (docs/security.md row 44). A failed
// fetch (`jwks_fetch_failed`: no connection, a non-200 answer, a malformed or oversized
// document, more than `max_keys` keys) changes nothing: the old keys keep working.
//
// A `remote_jwks` is a handle: copies share one key set and one fetcher, so the validator can
// hold a copy (key sources are held by value) while the application keeps another to refresh.
// Every member is thread-safe.
#ifndef TESSERA_OAUTH_REMOTE_JWKS_HPP
#define TESSERA_OAUTH_REMOTE_JWKS_HPP

#include <tessera/clock.hpp>
#include <tessera/error.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/jose/key_source.hpp>
#include <tessera/transport/any_client.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tessera::oauth {

struct remote_jwks_options {
  /// Re-fetch a snapshot older than this (lazily, from `refresh_if_stale`).
  seconds max_age{600};
  /// At most one fetch for unknown `kid`s per this interval.
  seconds cooldown{30};
  /// How long a key the document no longer lists keeps verifying.
  seconds removed_key_grace{0};
  /// Most keys accepted in one document.
  std::size_t max_keys = 64;
  /// Largest document accepted.
  std::size_t max_document_bytes = 512 * 1024;
};

/// What one call of a refreshing member did.
enum class refresh_outcome {
  updated,       // a fetch installed a new snapshot (or another thread's did, for the caller)
  unchanged,     // nothing to do: fresh enough, or another thread is fetching
  cooling_down,  // a fetch was due but the cooldown forbids it
  failed,        // the fetch failed; `ec` says why, the old keys stay
};

template <clock Clock = system_clock>
class remote_jwks {
 public:
  /// Fetches nothing yet: the first `refresh` (or the first token, through the validator)
  /// does. Until a fetch succeeds every token fails with `jws_kid_unknown`, reported by the
  /// validator as `jwks_unavailable`.
  remote_jwks(std::string jwks_uri, transport::any_sync_client http, remote_jwks_options options = {},
              Clock clk = {})
      : state_(std::make_shared<state>(std::move(jwks_uri), std::move(http), options, std::move(clk))) {}

  // key_source
  jose::key_snapshot snapshot() const noexcept { return state_->keys.snapshot(); }

  /// The current keys (never null).
  std::shared_ptr<const jose::jwk_set> current() const noexcept { return state_->keys.current(); }
  const std::string& uri() const noexcept { return state_->uri; }
  const remote_jwks_options& options() const noexcept { return state_->options; }
  /// Whether a fetch has ever succeeded.
  bool loaded() const noexcept { return state_->loaded.load(std::memory_order_acquire); }
  /// Fetches attempted so far (tests and metrics).
  std::size_t fetches() const noexcept { return state_->fetches.load(std::memory_order_relaxed); }

  /// Fetches now (waiting for a fetch in progress first).
  refresh_outcome refresh(std::error_code& ec) const {
    ec = {};
    std::lock_guard lk(state_->fetch_mutex);
    return fetch_locked(ec);
  }

  /// See the header comment. `seen`: the snapshot the unknown kid was looked up in.
  refresh_outcome refresh_for_unknown_kid(const jose::jwk_set* seen, std::error_code& ec) const {
    ec = {};
    std::lock_guard lk(state_->fetch_mutex);
    if (state_->keys.current().get() != seen) return refresh_outcome::updated;
    const time_point now = state_->clock.now();
    if (state_->attempted && now < state_->last_attempt + state_->options.cooldown) return refresh_outcome::cooling_down;
    return fetch_locked(ec);
  }

  /// See the header comment. Never blocks on another thread's fetch. Also ends the grace of
  /// withdrawn keys on time, without a fetch.
  refresh_outcome refresh_if_stale(std::error_code& ec) const {
    ec = {};
    const time_point first = state_->clock.now();
    const bool prune_due = first.time_since_epoch().count() >= state_->next_prune.load(std::memory_order_acquire);
    const bool fetch_due = to_unix_seconds(first) >= state_->next_refresh.load(std::memory_order_acquire);
    if (!prune_due && !fetch_due) return refresh_outcome::unchanged;
    std::unique_lock lk(state_->fetch_mutex, std::try_to_lock);
    if (!lk.owns_lock()) return refresh_outcome::unchanged;
    const time_point now = state_->clock.now();
    if (now.time_since_epoch().count() >= state_->next_prune.load(std::memory_order_acquire)) install_locked(now);
    if (to_unix_seconds(now) < state_->next_refresh.load(std::memory_order_acquire)) return refresh_outcome::unchanged;
    if (state_->attempted && now < state_->last_attempt + state_->options.cooldown) return refresh_outcome::cooling_down;
    return fetch_locked(ec);
  }

 private:
  struct retired_key {
    jose::jwk key;
    time_point removed_at;
  };
  struct state {
    state(std::string u, transport::any_sync_client h, remote_jwks_options o, Clock c)
        : uri(std::move(u)), http(std::move(h)), options(o), clock(std::move(c)) {}
    const std::string uri;
    const transport::any_sync_client http;
    const remote_jwks_options options;
    const Clock clock;
    jose::shared_key_set keys;
    std::atomic<bool> loaded{false};
    std::atomic<std::size_t> fetches{0};
    // Unix seconds from which `refresh_if_stale` fetches; 0: at once (nothing loaded).
    std::atomic<std::int64_t> next_refresh{0};
    // When the first withdrawn key's grace ends (time_point ticks); max: none in grace.
    std::atomic<time_point::rep> next_prune{std::numeric_limits<time_point::rep>::max()};

    std::mutex fetch_mutex;  // guards everything below
    bool attempted = false;
    time_point last_attempt{};
    jose::jwk_set published;                                   // the keys of the last document
    std::map<std::string, retired_key, std::less<>> retired;  // kid -> key a document dropped
  };

  refresh_outcome fetch_locked(std::error_code& ec) const {
    state& st = *state_;
    const time_point now = st.clock.now();
    st.attempted = true;
    st.last_attempt = now;
    st.fetches.fetch_add(1, std::memory_order_relaxed);
    // Whatever happens, the next stale check is a cooldown away at the earliest.
    st.next_refresh.store(to_unix_seconds(now + st.options.cooldown), std::memory_order_release);

    transport::request req{transport::http::verb::get, "/", 11};
    req.set(transport::http::field::accept, "application/json, application/jwk-set+json");
    std::error_code io;
    auto res = st.http.send(std::move(req), st.uri, io);
    if (io || res.result() != transport::http::status::ok || res.body().size() > st.options.max_document_bytes) {
      ec = error::jwks_fetch_failed;
      return refresh_outcome::failed;
    }
    std::error_code pec;
    jose::jwk_set fetched = jose::jwk_set::parse(res.body(), pec, st.options.max_document_bytes);
    if (pec || fetched.size() > st.options.max_keys) {
      ec = error::jwks_fetch_failed;
      return refresh_outcome::failed;
    }

    // Keys the previous document listed and this one does not start their grace now; keys
    // that came back leave it.
    for (const auto& k : st.published)
      if (!k.kid().empty() && !fetched.find(k.kid()) && !st.retired.contains(k.kid()))
        st.retired.emplace(k.kid(), retired_key{k, now});
    std::erase_if(st.retired, [&](const auto& kv) { return fetched.find(kv.first) != nullptr; });
    st.published = std::move(fetched);
    install_locked(now);
    st.loaded.store(true, std::memory_order_release);
    st.next_refresh.store(to_unix_seconds(now + refresh_interval(res)), std::memory_order_release);
    return refresh_outcome::updated;
  }

  // Installs the published keys plus the withdrawn ones still in their grace; ends the graces
  // that ran out.
  void install_locked(time_point now) const {
    state& st = *state_;
    std::erase_if(st.retired, [&](const auto& kv) { return now >= kv.second.removed_at + st.options.removed_key_grace; });
    jose::jwk_set keys = st.published;
    time_point::rep next = std::numeric_limits<time_point::rep>::max();
    for (const auto& [kid, r] : st.retired) {
      std::error_code aec;
      keys.add(r.key, aec);  // cannot clash: its kid is not published
      next = std::min(next, (r.removed_at + st.options.removed_key_grace).time_since_epoch().count());
    }
    st.keys.update(std::move(keys));
    st.next_prune.store(next, std::memory_order_release);
  }

  // `max_age`, or the document's Cache-Control max-age when smaller, never below the cooldown.
  seconds refresh_interval(const transport::response& res) const {
    const auto& o = state_->options;
    seconds interval = o.max_age;
    std::string_view cc = res[transport::http::field::cache_control];
    if (auto at = cc.find("max-age="); at != std::string_view::npos) {
      std::string_view digits = cc.substr(at + 8);
      long long v = 0;
      auto [p, e] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (e == std::errc{} && v >= 0) interval = std::min(interval, seconds(v));
    }
    return std::max(interval, o.cooldown);
  }

  std::shared_ptr<state> state_;
};

static_assert(jose::key_source<remote_jwks<>>);

/// A key source that can fetch again when a token names an unknown key (the validator asks
/// through this, so any source with these members gets the same treatment).
template <class S>
concept refreshing_key_source = jose::key_source<S> && requires(const S& s, const jose::jwk_set* seen, std::error_code& ec) {
  { s.refresh_for_unknown_kid(seen, ec) } -> std::same_as<refresh_outcome>;
  { s.refresh_if_stale(ec) } -> std::same_as<refresh_outcome>;
  { s.loaded() } -> std::convertible_to<bool>;
};

static_assert(refreshing_key_source<remote_jwks<>>);

/// Validates `token` with `v`; when `v`'s key source can fetch (a `remote_jwks`), first lets a
/// stale set refresh (without waiting for another thread's fetch), and on an unknown `kid`
/// fetches once — rate-limited by the source — and tries again. `jwks_unavailable` replaces
/// `jws_kid_unknown` while no key set has ever been fetched: the token was not judged. The one
/// rule for every validator of remote tokens (access tokens, ID tokens).
template <jose::key_source Keys, clock Clock>
jose::verified_jwt validate_with_refresh(const jose::basic_jwt_validator<Keys>& v, std::string_view token,
                                         std::error_code& ec, const Clock& clk) {
  if constexpr (refreshing_key_source<Keys>) {
    const Keys& keys = v.source();
    std::error_code ignored;  // a failed refresh leaves the old keys, which is what matters here
    keys.refresh_if_stale(ignored);
    auto seen = keys.current();  // held: its address cannot be reused while compared
    jose::verified_jwt jwt = v.validate(token, ec, clk);
    if (ec == error::jws_kid_unknown) {
      std::error_code rec;
      if (keys.refresh_for_unknown_kid(seen.get(), rec) == refresh_outcome::updated) jwt = v.validate(token, ec, clk);
      if (ec == error::jws_kid_unknown && !keys.loaded()) ec = error::jwks_unavailable;
    }
    return jwt;
  } else {
    return v.validate(token, ec, clk);
  }
}

}  // namespace tessera::oauth

#endif
