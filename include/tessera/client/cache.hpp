// tessera — client/cache.hpp
//
// Where a client keeps its tokens between calls. A cache models `token_cache` when it has
//
//     std::optional<token_set> load(const cache_key&, std::error_code&);   // nullopt: none
//     void save(const cache_key&, const token_set&, std::error_code&);
//     void erase(const cache_key&, std::error_code&);
//     cache_lock lock(const cache_key&, std::error_code&);  // exclusive, held while it lives
//     std::string location(const cache_key&) const;          // for `status`; never a token
//
// The lock is what keeps two users of one entry (two threads; with `file_cache`, two
// processes) from both refreshing it: with rotation, the second refresh would present a
// refresh token the first one spent, and the server would revoke the whole family as stolen
// (docs/security.md row 51). The client takes it before refreshing or running a flow, reads
// the entry again under it, and releases it after saving.
//
// Models: `memory_cache` (this process), `file_cache` (file_cache.hpp: one file per entry,
// shared between processes), `keyring_cache` (component tessera::keyring, libsecret).
#ifndef TESSERA_CLIENT_CACHE_HPP
#define TESSERA_CLIENT_CACHE_HPP

#include <tessera/client/settings.hpp>
#include <tessera/client/token_set.hpp>
#include <tessera/crypto/hash.hpp>

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>

namespace tessera::client {

/// One entry: a server, a client of it, a flow. `client_id` is the configured one (empty:
/// the server's advertised public client), so a cached token is found without asking the server.
struct cache_key {
  std::string endpoint;
  std::string client_id;
  auth_type type = auth_type::client_secret;

  /// A stable name for the entry: hex of SHA-256 over the three parts, 32 characters.
  std::string id() const {
    std::string joined = endpoint;
    joined += '\n';
    joined += client_id;
    joined += '\n';
    joined += auth_type_name(type);
    const auto d = crypto::sha256(joined);
    return crypto::to_hex(std::span<const unsigned char>(d.data(), 16));
  }
};

/// An exclusive hold on a cache entry; released when destroyed (or by `release`).
class cache_lock {
 public:
  cache_lock() = default;
  explicit cache_lock(std::function<void()> release) : release_(std::move(release)) {}
  cache_lock(cache_lock&& o) noexcept : release_(std::exchange(o.release_, {})) {}
  cache_lock& operator=(cache_lock&& o) noexcept {
    if (this != &o) {
      release();
      release_ = std::exchange(o.release_, {});
    }
    return *this;
  }
  ~cache_lock() { release(); }
  void release() {
    if (auto f = std::exchange(release_, {})) f();
  }
  explicit operator bool() const noexcept { return static_cast<bool>(release_); }

 private:
  std::function<void()> release_;
};

template <class C>
concept token_cache = requires(C& c, const C& cc, const cache_key& k, const token_set& t, std::error_code& ec) {
  { c.load(k, ec) } -> std::same_as<std::optional<token_set>>;
  { c.save(k, t, ec) } -> std::same_as<void>;
  { c.erase(k, ec) } -> std::same_as<void>;
  { c.lock(k, ec) } -> std::same_as<cache_lock>;
  { cc.location(k) } -> std::convertible_to<std::string>;
};

/// Tokens in this process's memory: gone when it exits. Thread-safe.
class memory_cache {
 public:
  std::optional<token_set> load(const cache_key& k, std::error_code& ec) {
    ec = {};
    std::lock_guard lk(m_);
    auto it = entries_.find(k.id());
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void save(const cache_key& k, const token_set& t, std::error_code& ec) {
    ec = {};
    std::lock_guard lk(m_);
    entries_[k.id()] = t;
  }
  void erase(const cache_key& k, std::error_code& ec) {
    ec = {};
    std::lock_guard lk(m_);
    entries_.erase(k.id());
  }
  cache_lock lock(const cache_key& k, std::error_code& ec) {
    ec = {};
    std::shared_ptr<std::mutex> m;
    {
      std::lock_guard lk(m_);
      auto& slot = locks_[k.id()];
      if (!slot) slot = std::make_shared<std::mutex>();
      m = slot;
    }
    m->lock();
    return cache_lock([m] { m->unlock(); });
  }
  std::string location(const cache_key&) const { return "memory (this process)"; }

 private:
  std::mutex m_;
  std::map<std::string, token_set> entries_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

static_assert(token_cache<memory_cache>);

}  // namespace tessera::client

#endif
