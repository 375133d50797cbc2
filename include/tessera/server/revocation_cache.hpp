// tessera — server/revocation_cache.hpp
//
// The answers of the deny-list (`access_revoked(jti, grant)`), remembered for a moment so that
// a bearer check — introspection, userinfo, an in-process resource validator — is not a store
// read every time. The one rule (server/endpoints/token.hpp, check_access_token) stays one
// rule: it asks this cache, which asks the store.
//
//   * "revoked" is final: remembered until the token expires.
//   * "not revoked" is remembered for `ttl`. That is the documented bound on how late a
//     revocation made by ANOTHER replica is seen here. Revocations this process makes clear
//     the cache at once (`clear`), so locally they take effect immediately.
//   * At most `capacity` answers; a full cache starts over (the bound holds either way).
//
// Zero `ttl`: nothing is remembered, every check reads the store.
#ifndef TESSERA_SERVER_REVOCATION_CACHE_HPP
#define TESSERA_SERVER_REVOCATION_CACHE_HPP

#include <tessera/clock.hpp>

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tessera::server {

class revocation_cache {
 public:
  static constexpr std::size_t default_capacity = 65536;

  explicit revocation_cache(seconds ttl = seconds(5), std::size_t capacity = default_capacity)
      : ttl_(ttl), capacity_(capacity) {}

  revocation_cache(const revocation_cache&) = delete;
  revocation_cache& operator=(const revocation_cache&) = delete;

  /// The remembered answer for (jti, grant), if still good at `now`.
  std::optional<bool> find(std::string_view jti, std::string_view grant, time_point now) const {
    if (ttl_.count() <= 0) return std::nullopt;
    std::lock_guard lock(mu_);
    key_.assign(jti).push_back('\0');
    key_.append(grant);
    auto it = answers_.find(key_);
    if (it == answers_.end() || now >= it->second.good_until) return std::nullopt;
    return it->second.revoked;
  }

  /// Remembers the store's answer for a token that expires at `expires_at`.
  void remember(std::string_view jti, std::string_view grant, bool revoked, time_point now, time_point expires_at) {
    if (ttl_.count() <= 0) return;
    const time_point until = revoked ? expires_at : std::min(expires_at, now + ttl_);
    if (until <= now) return;
    std::lock_guard lock(mu_);
    if (answers_.size() >= capacity_) answers_.clear();
    std::string k(jti);
    k.push_back('\0');
    k.append(grant);
    answers_[std::move(k)] = {revoked, until};
  }

  /// Forgets every answer: this process has just revoked something.
  void clear() {
    std::lock_guard lock(mu_);
    answers_.clear();
  }

  seconds ttl() const noexcept { return ttl_; }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return answers_.size();
  }

 private:
  struct answer {
    bool revoked = false;
    time_point good_until{};
  };
  seconds ttl_;
  std::size_t capacity_;
  mutable std::mutex mu_;
  mutable std::string key_;  // the lookup key, reused under the lock (no allocation per check)
  std::unordered_map<std::string, answer> answers_;
};

}  // namespace tessera::server

#endif
