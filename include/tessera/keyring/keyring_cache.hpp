// tessera — keyring/keyring_cache.hpp: tokens in the desktop keyring (the freedesktop Secret
// Service: GNOME Keyring, KWallet) through libsecret — component tessera::keyring.
//
// Each entry is one secret item of the schema `org.tessera.Token`, found by its attribute
// `entry` = `cache_key::id()` and labelled with the endpoint and client, holding the same JSON as
// a file-cache entry. A keyring is not always there — a container, an SSH session, a locked
// collection nobody can unlock, no D-Bus — and flytectl crashed when it was not (Flyte issue
// 4354). Here the first failure (or an operation that takes longer than `timeout`: a keyring
// that waits for a password prompt nobody will answer) logs one warning through `warn` and
// switches this cache to its fallback, a `file_cache` in `fallback_dir`, for the rest of its
// life. Nothing throws.
//
// The lock is always the fallback's per-entry lock file: the Secret Service has no locks, and
// processes that share a keyring share the user's cache directory too (docs/security.md row 51).
// A process whose keyring failed writes the file; so `load` also reads the file and takes the
// newer entry, a failed-over `save` also clears the keyring's entry, a good `save` removes the
// file's, and `erase` removes both — a rotated-out refresh token is never found again.
#ifndef TESSERA_KEYRING_KEYRING_CACHE_HPP
#define TESSERA_KEYRING_KEYRING_CACHE_HPP

#include <tessera/client/cache.hpp>
#include <tessera/client/file_cache.hpp>
#include <tessera/detail/json.hpp>

#include <libsecret/secret.h>
#include <openssl/crypto.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tessera::client {

class keyring_cache {
 public:
  using warning = std::function<void(std::string_view)>;

  explicit keyring_cache(std::filesystem::path fallback_dir = file_cache::default_directory(), warning warn = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : fallback_(std::move(fallback_dir)), warn_(std::move(warn)), timeout_(timeout) {
    if (!warn_) warn_ = [](std::string_view s) { std::cerr << "tessera: warning: " << s << "\n"; };
  }

  /// Whether the keyring is still in use (no failure yet).
  bool using_keyring() const noexcept { return !failed_.load(); }
  file_cache& fallback() noexcept { return fallback_; }

  std::optional<token_set> load(const cache_key& k, std::error_code& ec) {
    ec = {};
    if (failed_) return fallback_.load(k, ec);
    GError* err = nullptr;
    gchar* text = nullptr;
    const std::string id = k.id();
    const bool done = with_timeout([&](GCancellable* c) {
      text = secret_password_lookup_sync(schema(), c, &err, "entry", id.c_str(), nullptr);
    });
    if (!done || err) {
      fail_over("reading", err);
      if (text) secret_password_free(text);
      return fallback_.load(k, ec);
    }
    if (!text) return fallback_.load(k, ec);  // written there by a process whose keyring failed
    std::string json(text);
    secret_password_free(text);
    boost::json::value doc;
    const auto* o = tessera::detail::parse_bounded_object(json, 64 * 1024, 8, doc);
    OPENSSL_cleanse(json.data(), json.size());
    const auto* key = o ? o->if_contains("key") : nullptr;
    const auto* tokens = o ? o->if_contains("tokens") : nullptr;
    if (!key || !key->is_string() || key->get_string() != id || !tokens) {
      ec = error::token_cache_failure;
      return std::nullopt;
    }
    auto t = token_set_from_json(*tokens, ec);
    if (ec) return std::nullopt;
    // A process whose keyring failed wrote newer tokens to the file: the newer entry wins, or a
    // refresh token rotated out there would be presented again.
    std::error_code fec;
    if (auto f = fallback_.load(k, fec); f && f->obtained_at > t.obtained_at) return f;
    return t;
  }

  void save(const cache_key& k, const token_set& t, std::error_code& ec) {
    ec = {};
    if (failed_) return fallback_.save(k, t, ec);
    const std::string id = k.id();
    boost::json::object doc{{"key", id}, {"endpoint", k.endpoint}, {"client_id", k.client_id},
                            {"auth_type", auth_type_name(k.type)}, {"tokens", to_json(t)}};
    std::string json = boost::json::serialize(doc);
    const std::string label = "tessera token: " + k.endpoint + " (" +
                              (k.client_id.empty() ? std::string("server's client") : k.client_id) + ", " +
                              std::string(auth_type_name(k.type)) + ")";
    GError* err = nullptr;
    gboolean ok = FALSE;
    const bool done = with_timeout([&](GCancellable* c) {
      ok = secret_password_store_sync(schema(), SECRET_COLLECTION_DEFAULT, label.c_str(), json.c_str(), c, &err,
                                      "entry", id.c_str(), nullptr);
    });
    OPENSSL_cleanse(json.data(), json.size());
    if (!done || err || !ok) {
      fail_over("writing", err);
      fallback_.save(k, t, ec);
      // The keyring may still hold the previous entry, whose refresh token this save replaces:
      // take it out (best effort) so no other process presents it again.
      GError* cerr = nullptr;
      with_timeout([&](GCancellable* c) { secret_password_clear_sync(schema(), c, &cerr, "entry", id.c_str(), nullptr); });
      if (cerr) g_error_free(cerr);
      return;
    }
    // The file may hold an older entry from a failed-over process: the keyring's is now the one.
    std::error_code fec;
    fallback_.erase(k, fec);
  }

  void erase(const cache_key& k, std::error_code& ec) {
    ec = {};
    if (!failed_) {
      GError* err = nullptr;
      const std::string id = k.id();
      const bool done = with_timeout([&](GCancellable* c) {
        secret_password_clear_sync(schema(), c, &err, "entry", id.c_str(), nullptr);
      });
      if (!done || err) fail_over("deleting from", err);
    }
    fallback_.erase(k, ec);
  }

  cache_lock lock(const cache_key& k, std::error_code& ec) { return fallback_.lock(k, ec); }

  std::string location(const cache_key& k) const {
    if (failed_) return fallback_.location(k) + " (the keyring was unavailable)";
    return "keyring (Secret Service), item org.tessera.Token entry=" + k.id();
  }

 private:
  static const SecretSchema* schema() {
    static const SecretSchema s = [] {
      SecretSchema x{};
      x.name = "org.tessera.Token";
      x.flags = SECRET_SCHEMA_NONE;
      x.attributes[0] = {"entry", SECRET_SCHEMA_ATTRIBUTE_STRING};
      x.attributes[1] = {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING};
      return x;
    }();
    return &s;
  }

  /// Runs `f` with a cancellable that is cancelled after `timeout_`; false when it was.
  template <class F>
  bool with_timeout(F&& f) {
    GCancellable* c = g_cancellable_new();
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::atomic<bool> cancelled{false};
    std::thread watchdog([&] {
      std::unique_lock lk(m);
      if (!cv.wait_for(lk, timeout_, [&] { return finished; })) {
        cancelled = true;
        g_cancellable_cancel(c);
      }
    });
    f(c);
    {
      std::lock_guard lk(m);
      finished = true;
    }
    cv.notify_one();
    watchdog.join();
    g_object_unref(c);
    return !cancelled;
  }

  void fail_over(std::string_view what, GError* err) {
    std::string msg = "the keyring failed while " + std::string(what) + " a token";
    if (err) {
      msg += " (" + std::string(err->message ? err->message : "unknown error") + ")";
      g_error_free(err);
    } else {
      msg += " (no answer within " + std::to_string(timeout_.count()) + " ms)";
    }
    msg += "; using the file cache in " + fallback_.directory().string() + " instead";
    if (!failed_.exchange(true)) warn_(msg);
  }

  file_cache fallback_;
  warning warn_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> failed_{false};
};

static_assert(token_cache<keyring_cache>);

}  // namespace tessera::client

#endif
