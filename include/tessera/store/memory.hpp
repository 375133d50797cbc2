// tessera — store/memory.hpp
//
// `store::memory`: every store concept in one process, behind one mutex. For tests and the
// embedded default; state is lost on restart and not shared between replicas (use the
// SQLite or Redis stores for that). Expired entries are swept every `sweep_interval` writes,
// so memory stays bounded by what is live.
#ifndef TESSERA_STORE_MEMORY_HPP
#define TESSERA_STORE_MEMORY_HPP

#include <tessera/store/concepts.hpp>

#include <mutex>
#include <string>
#include <unordered_map>

namespace tessera::store {

class memory {
 public:
  static constexpr std::size_t sweep_interval = 1024;

  // --- codes ---------------------------------------------------------------------------
  void put_code(std::string_view h, const code_record& r, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    codes_[std::string(h)] = {r, false};
    wrote(r.expires_at);
  }

  consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto it = codes_.find(std::string(h));
    if (it == codes_.end()) return {};
    auto& [rec, used] = it->second;
    // Expiry first: a code that was never redeemed stays `expired` however often it is
    // presented — were it marked used, the second presentation would be a "replay" and the
    // server would revoke a family that has no tokens.
    if (now >= rec.expires_at) return {consume_status::expired, rec};
    if (used) return {consume_status::replayed, rec};
    used = true;  // kept until expiry so that a replay is recognised
    return {consume_status::ok, rec};
  }

  // --- families and access tokens -------------------------------------------------------
  void revoke_family(std::string_view id, time_point until, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    auto& t = revoked_families_[std::string(id)];
    t = std::max(t, until);
  }
  bool family_revoked(std::string_view id, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    return family_revoked_locked(id);
  }
  void put_access(std::string_view jti, const access_record& a, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    auto [it, inserted] = access_.try_emplace(std::string(jti), access_entry{a, false});
    if (!inserted) {  // recorded again: a revoked jti stays revoked, at least as long as before
      const time_point until = it->second.revoked ? std::max(it->second.record.expires_at, a.expires_at) : a.expires_at;
      it->second.record = a;
      it->second.record.expires_at = until;
    }
    outlive_revocation_locked(a.family_id, a.expires_at);
    wrote(a.expires_at);
  }
  void revoke_access(std::string_view jti, time_point until, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    auto& e = access_[std::string(jti)];
    e.revoked = true;
    e.record.expires_at = std::max(e.record.expires_at, until);
  }
  bool access_revoked(std::string_view jti, std::string_view family_id, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    if (family_revoked_locked(family_id)) return true;
    auto it = access_.find(std::string(jti));
    if (it == access_.end()) return false;
    return it->second.revoked || family_revoked_locked(it->second.record.family_id);
  }

  std::optional<access_record> find_access(std::string_view jti, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    auto it = access_.find(std::string(jti));
    if (it == access_.end() || it->second.revoked || family_revoked_locked(it->second.record.family_id))
      return std::nullopt;
    return it->second.record;
  }

  // --- refresh tokens -------------------------------------------------------------------
  void put_refresh(std::string_view h, const refresh_record& r, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    refresh_[std::string(h)] = refresh_entry{r, std::nullopt, 0};
    outlive_revocation_locked(r.grant.family_id, r.expires_at);
    wrote(r.expires_at);
  }

  rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point new_expires_at,
                               time_point now, grace_policy grace, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto it = refresh_.find(std::string(old_h));
    if (it == refresh_.end()) return {};
    refresh_entry& e = it->second;
    if (family_revoked_locked(e.record.grant.family_id)) return {rotate_status::revoked, e.record};
    if (now >= e.record.expires_at) return {rotate_status::expired, e.record};
    if (e.rotated_at) {
      const bool in_grace = grace.window.count() > 0 && now - *e.rotated_at <= grace.window && e.grace_uses < grace.max_uses;
      if (!in_grace) {
        revoke_family_locked(e.record.grant.family_id);
        return {rotate_status::reused, e.record};
      }
      ++e.grace_uses;
    } else {
      e.rotated_at = now;
    }
    refresh_record child{e.record.grant, new_expires_at};
    rotate_result result{rotate_status::ok, e.record};
    refresh_[std::string(new_h)] = refresh_entry{child, std::nullopt, 0};  // may rehash: `e` is not used after this
    wrote(new_expires_at);
    return result;
  }

  std::optional<refresh_record> find_refresh(std::string_view h, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto it = refresh_.find(std::string(h));
    if (it == refresh_.end() || it->second.rotated_at || now >= it->second.record.expires_at ||
        family_revoked_locked(it->second.record.grant.family_id))
      return std::nullopt;
    return it->second.record;
  }

  bool revoke_refresh(std::string_view h, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    auto it = refresh_.find(std::string(h));
    if (it == refresh_.end()) return false;
    revoke_family_locked(it->second.record.grant.family_id);
    return true;
  }

  // --- device codes ---------------------------------------------------------------------
  put_device_status put_device(std::string_view h, const device_record& r, const device_caps& caps, time_point now,
                               std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    if (auto u = user_codes_.find(r.user_code_hash); u != user_codes_.end()) {
      auto d = devices_.find(u->second);
      if (d != devices_.end() && now < d->second.expires_at) return put_device_status::user_code_taken;
      if (d != devices_.end()) {
        forget_device_locked(d->second);
        devices_.erase(d);
      }
      user_codes_.erase(u);
    }
    auto status = device_admission_locked(r, caps);
    // At a cap, expired authorizations may still be counted: sweep them (at most once a second
    // of store time, so a flood at the cap costs no sweep per request) and count again.
    if (status != put_device_status::ok && now - last_device_sweep_ >= seconds(1)) {
      last_device_sweep_ = now;
      sweep_devices_locked(now);
      status = device_admission_locked(r, caps);
    }
    if (status != put_device_status::ok) return status;
    auto [it, inserted] = devices_.try_emplace(std::string(h), r);
    if (!inserted) {  // the same device code again (never, with 256-bit codes): replace it
      user_codes_.erase(it->second.user_code_hash);
      forget_device_locked(it->second);
      it->second = r;
    }
    user_codes_[r.user_code_hash] = std::string(h);
    ++devices_by_client_[r.client_id];
    if (!r.requester.empty()) ++devices_by_requester_[r.requester];
    wrote(r.expires_at);
    return put_device_status::ok;
  }

  std::optional<device_record> find_device_by_user_code(std::string_view uh, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto* d = device_by_user_code_locked(uh);
    if (!d || d->state != device_state::pending || now >= d->expires_at) return std::nullopt;
    return *d;
  }

  bool decide_device(std::string_view uh, bool approved, const grant_record& g, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto* d = device_by_user_code_locked(uh);
    if (!d || d->state != device_state::pending || now >= d->expires_at) return false;
    d->state = approved ? device_state::approved : device_state::denied;
    if (approved) d->grant = g;
    return true;
  }

  poll_result poll_device(std::string_view h, std::string_view client_id, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto it = devices_.find(std::string(h));
    if (it == devices_.end()) return {};
    device_record& d = it->second;
    if (d.client_id != client_id) return {};  // another client's code: as if it did not exist
    if (now >= d.expires_at) return erase_device(it, poll_status::expired);
    if (d.last_poll != time_point{} && now - d.last_poll < d.interval) {
      d.interval += seconds(5);  // RFC 8628 §3.5
      d.last_poll = now;
      return {poll_status::slow_down, {}};
    }
    d.last_poll = now;
    switch (d.state) {
      case device_state::pending: return {poll_status::pending, {}};
      case device_state::denied: return erase_device(it, poll_status::denied);
      case device_state::approved: return erase_device(it, poll_status::approved);
    }
    return {};
  }

  // --- one-time ids ---------------------------------------------------------------------
  bool use_once(std::string_view key, time_point expires_at, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto [it, inserted] = jtis_.try_emplace(std::string(key), expires_at);
    if (!inserted) {
      if (now < it->second) return false;
      it->second = expires_at;  // the old one expired: a fresh use
    }
    wrote(expires_at);
    return true;
  }

  // --- sessions -------------------------------------------------------------------------
  void put_session(std::string_view h, const session_record& r, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    sessions_[std::string(h)] = r;
    wrote(r.expires_at);
  }
  std::optional<session_record> find_session(std::string_view h, time_point now, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto it = sessions_.find(std::string(h));
    if (it == sessions_.end() || now >= it->second.expires_at) return std::nullopt;
    return it->second;
  }
  void delete_session(std::string_view h, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    sessions_.erase(std::string(h));
  }

  // --- consents -------------------------------------------------------------------------
  void put_consent(std::string_view subject, std::string_view client_id, const consent_record& r, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    consents_[std::string(subject)][std::string(client_id)] = r;
    wrote(r.expires_at);
  }
  std::optional<consent_record> find_consent(std::string_view subject, std::string_view client_id, time_point now,
                                             std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    saw(now);
    auto user = consents_.find(std::string(subject));
    if (user == consents_.end()) return std::nullopt;
    auto it = user->second.find(std::string(client_id));
    if (it == user->second.end() || now >= it->second.expires_at) return std::nullopt;
    return it->second;
  }
  void delete_consents(std::string_view subject, std::error_code& ec) {
    std::lock_guard lock(mu_);
    ec = {};
    consents_.erase(std::string(subject));
  }

  /// Removes everything that expired before `now` (also done automatically on writes).
  void sweep(time_point now) {
    std::lock_guard lock(mu_);
    sweep_locked(now);
  }

  /// Number of device authorizations held (live or not yet swept); for tests and diagnostics.
  std::size_t device_count() const {
    std::lock_guard lock(mu_);
    return devices_.size();
  }

  /// Number of live entries of every kind; for tests and diagnostics.
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return codes_.size() + refresh_.size() + access_.size() + revoked_families_.size() + devices_.size() +
           jtis_.size() + sessions_.size() + consent_count_locked();
  }

 private:
  struct code_entry {
    code_record record;
    bool used = false;
  };
  struct refresh_entry {
    refresh_record record;
    std::optional<time_point> rotated_at;
    unsigned grace_uses = 0;
  };
  struct access_entry {
    access_record record;
    bool revoked = false;
  };

  // Revokes a family for as long as any of its tokens lives. The presented token's own expiry
  // is not enough: its children (rotation) and siblings (grace) expire later, and once the
  // sweep drops the revocation they would be usable again. O(entries), on a rare event.
  void revoke_family_locked(const std::string& id) {
    time_point until{};
    for (const auto& [h, e] : refresh_)
      if (e.record.grant.family_id == id) until = std::max(until, e.record.expires_at);
    for (const auto& [jti, e] : access_)
      if (e.record.family_id == id) until = std::max(until, e.record.expires_at);
    auto& t = revoked_families_[id];
    t = std::max(t, until);
  }

  // A record written for a family that is revoked already (a token being issued while a replay
  // revokes its family) must not outlive the revocation: extend it to the record's expiry.
  void outlive_revocation_locked(const std::string& family, time_point expires_at) {
    if (family.empty()) return;
    auto it = revoked_families_.find(family);
    if (it != revoked_families_.end()) it->second = std::max(it->second, expires_at);
  }

  bool family_revoked_locked(std::string_view id) const {
    return !id.empty() && revoked_families_.find(std::string(id)) != revoked_families_.end();
  }

  device_record* device_by_user_code_locked(std::string_view uh) {
    auto u = user_codes_.find(std::string(uh));
    if (u == user_codes_.end()) return nullptr;
    auto d = devices_.find(u->second);
    return d == devices_.end() ? nullptr : &d->second;
  }

  put_device_status device_admission_locked(const device_record& r, const device_caps& caps) const {
    auto count = [](const auto& m, const std::string& k) -> std::size_t {
      auto it = m.find(k);
      return it == m.end() ? 0 : it->second;
    };
    if (caps.total && devices_.size() >= caps.total) return put_device_status::store_full;
    if (caps.per_client && count(devices_by_client_, r.client_id) >= caps.per_client) return put_device_status::client_full;
    if (caps.per_address && !r.requester.empty() && count(devices_by_requester_, r.requester) >= caps.per_address)
      return put_device_status::address_full;
    return put_device_status::ok;
  }

  // Keeps the per-client and per-requester counts in step with `devices_`: called for every
  // record that leaves it.
  void forget_device_locked(const device_record& d) {
    auto drop = [](auto& m, const std::string& k) {
      auto it = m.find(k);
      if (it != m.end() && --it->second == 0) m.erase(it);
    };
    drop(devices_by_client_, d.client_id);
    if (!d.requester.empty()) drop(devices_by_requester_, d.requester);
  }

  void sweep_devices_locked(time_point now) {
    for (auto it = devices_.begin(); it != devices_.end();) {
      if (now >= it->second.expires_at) {
        user_codes_.erase(it->second.user_code_hash);
        forget_device_locked(it->second);
        it = devices_.erase(it);
      } else {
        ++it;
      }
    }
  }

  poll_result erase_device(std::unordered_map<std::string, device_record>::iterator it, poll_status s) {
    poll_result r{s, std::move(it->second)};
    user_codes_.erase(r.record.user_code_hash);
    forget_device_locked(r.record);
    devices_.erase(it);
    return r;
  }

  // Sweeps run on every `sweep_interval`-th write, at the latest `now` any operation was
  // given: the store follows the server's clock policy, never the wall clock of its own.
  void wrote(time_point) {
    if (++writes_ % sweep_interval == 0 && last_now_ != time_point{}) sweep_locked(last_now_);
  }
  void saw(time_point now) noexcept { last_now_ = std::max(last_now_, now); }

  template <class Map, class Expiry>
  static void erase_expired(Map& m, time_point now, Expiry expiry) {
    for (auto it = m.begin(); it != m.end();)
      it = now >= expiry(it->second) ? m.erase(it) : std::next(it);
  }

  void sweep_locked(time_point now) {
    erase_expired(codes_, now, [](const code_entry& e) { return e.record.expires_at; });
    erase_expired(refresh_, now, [](const refresh_entry& e) { return e.record.expires_at; });
    erase_expired(access_, now, [](const access_entry& e) { return e.record.expires_at; });
    erase_expired(revoked_families_, now, [](time_point t) { return t; });
    erase_expired(jtis_, now, [](time_point t) { return t; });
    erase_expired(sessions_, now, [](const session_record& s) { return s.expires_at; });
    for (auto it = consents_.begin(); it != consents_.end();) {
      erase_expired(it->second, now, [](const consent_record& c) { return c.expires_at; });
      it = it->second.empty() ? consents_.erase(it) : std::next(it);
    }
    sweep_devices_locked(now);
  }

  mutable std::mutex mu_;
  std::size_t writes_ = 0;
  time_point last_now_{};
  std::unordered_map<std::string, code_entry> codes_;
  std::unordered_map<std::string, refresh_entry> refresh_;
  std::unordered_map<std::string, access_entry> access_;
  std::unordered_map<std::string, time_point> revoked_families_;
  std::unordered_map<std::string, device_record> devices_;
  std::unordered_map<std::string, std::string> user_codes_;
  std::unordered_map<std::string, std::size_t> devices_by_client_;
  std::unordered_map<std::string, std::size_t> devices_by_requester_;
  time_point last_device_sweep_{};
  std::unordered_map<std::string, time_point> jtis_;
  std::unordered_map<std::string, session_record> sessions_;
  std::unordered_map<std::string, std::unordered_map<std::string, consent_record>> consents_;  // subject → client id →

  std::size_t consent_count_locked() const {
    std::size_t n = 0;
    for (const auto& [subject, clients] : consents_) n += clients.size();
    return n;
  }
};

static_assert(code_store<memory>);
static_assert(revocation_store<memory>);
static_assert(refresh_token_store<memory>);
static_assert(device_code_store<memory>);
static_assert(jti_store<memory>);
static_assert(session_store<memory>);
static_assert(consent_store<memory>);
static_assert(full_store<memory>);

}  // namespace tessera::store

#endif
