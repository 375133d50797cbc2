// tessera — client/file_cache.hpp: tokens in files, shared by every process of one user (POSIX).
//
// One file per entry, `<dir>/<cache_key::id()>.json`, holding the tokens and, for `status`, the
// endpoint, client and flow they belong to. The directory (default
// `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`) is created with mode 0700; an existing
// one must belong to this user, and is tightened to 0700 when it is looser. Files are 0600.
//  * `save` writes a new file beside the old (O_EXCL, 0600), flushes it, and renames it over
//    the old: a reader sees the old entry or the new one, never half of one, and a crash loses
//    at most the entry being written.
//  * `load` refuses (`token_cache_failure`) a file that is a symbolic link, belongs to another
//    user, can be read by others, exceeds 64 KiB or does not hold an entry for the same key.
//  * `lock` takes `flock(LOCK_EX)` on `<id>.lock` (created 0600, never removed: removing a
//    lock file races with the next locker). The kernel releases it if the process dies.
//  * A temporary file left by a process that died mid-save is removed by a later save of the
//    entry once it is ten minutes old.
// Refresh tokens are stored in the clear (the directory's permissions protect them, as
// ~/.ssh's do a key); choose `keyring_cache` where a desktop keyring exists.
#ifndef TESSERA_CLIENT_FILE_CACHE_HPP
#define TESSERA_CLIENT_FILE_CACHE_HPP

#include <tessera/client/cache.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/detail/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessera::client {

class file_cache {
 public:
  /// The default directory: `$XDG_CACHE_HOME/tessera`, else `$HOME/.cache/tessera`.
  static std::filesystem::path default_directory() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') return std::filesystem::path(x) / "tessera";
    if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".cache" / "tessera";
    return std::filesystem::path("/tmp") / ("tessera-" + std::to_string(::getuid()));
  }

  explicit file_cache(std::filesystem::path dir = default_directory()) : dir_(std::move(dir)) {}

  const std::filesystem::path& directory() const noexcept { return dir_; }

  std::optional<token_set> load(const cache_key& k, std::error_code& ec) {
    ec = {};
    const auto p = file(k, ".json");
    const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT) ec = error::token_cache_failure;
      return std::nullopt;
    }
    struct stat st{};
    std::string text;
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0 &&
              st.st_size <= max_file_size;
    if (ok) {
      text.resize(static_cast<std::size_t>(st.st_size));
      std::size_t got = 0;
      while (got < text.size()) {
        const auto n = ::read(fd, text.data() + got, text.size() - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      ok = got == text.size();
    }
    ::close(fd);
    if (!ok) {
      ec = error::token_cache_failure;
      return std::nullopt;
    }
    boost::json::value doc;
    const auto* o = tessera::detail::parse_bounded_object(text, max_file_size, 8, doc);
    const auto* key = o ? o->if_contains("key") : nullptr;
    const auto* tokens = o ? o->if_contains("tokens") : nullptr;
    if (!key || !key->is_string() || key->get_string() != k.id() || !tokens) {
      ec = error::token_cache_failure;
      return std::nullopt;
    }
    auto t = token_set_from_json(*tokens, ec);
    if (ec) return std::nullopt;
    return t;
  }

  void save(const cache_key& k, const token_set& t, std::error_code& ec) {
    ec = {};
    if (!ensure_directory(ec)) return;
    boost::json::object doc{{"key", k.id()},
                            {"endpoint", k.endpoint},
                            {"client_id", k.client_id},
                            {"auth_type", auth_type_name(k.type)},
                            {"tokens", to_json(t)}};
    const std::string text = boost::json::serialize(doc) + "\n";
    const auto target = file(k, ".json");
    const auto tmp = file(k, ".tmp." + std::to_string(::getpid()) + "." + crypto::random_token<6>());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      ec = error::token_cache_failure;
      return;
    }
    std::size_t put = 0;
    while (put < text.size()) {
      const auto n = ::write(fd, text.data() + put, text.size() - put);
      if (n <= 0) break;
      put += static_cast<std::size_t>(n);
    }
    const bool ok = put == text.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), target.c_str()) != 0) {
      ::unlink(tmp.c_str());
      ec = error::token_cache_failure;
      return;
    }
    if (const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    sweep(k);
  }

  void erase(const cache_key& k, std::error_code& ec) {
    ec = {};
    if (::unlink(file(k, ".json").c_str()) != 0 && errno != ENOENT) ec = error::token_cache_failure;
  }

  cache_lock lock(const cache_key& k, std::error_code& ec) {
    ec = {};
    if (!ensure_directory(ec)) return {};
    const auto p = file(k, ".lock");
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      ec = error::token_cache_failure;
      return {};
    }
    int r;
    do r = ::flock(fd, LOCK_EX);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
      ::close(fd);
      ec = error::token_cache_failure;
      return {};
    }
    return cache_lock([fd] {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    });
  }

  std::string location(const cache_key& k) const { return file(k, ".json").string(); }

  static constexpr off_t max_file_size = 64 * 1024;

 private:
  std::filesystem::path file(const cache_key& k, const std::string& suffix) const { return dir_ / (k.id() + suffix); }

  bool ensure_directory(std::error_code& ec) {
    std::error_code fec;
    std::filesystem::create_directories(dir_.parent_path(), fec);
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
      ec = error::token_cache_failure;
      return false;
    }
    struct stat st{};
    if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      ec = error::token_cache_failure;
      return false;
    }
    if ((st.st_mode & 077) != 0 && ::chmod(dir_.c_str(), 0700) != 0) {
      ec = error::token_cache_failure;
      return false;
    }
    return true;
  }

  /// Removes this entry's temporary files left by a process that died between writing and
  /// renaming (they hold tokens): those older than ten minutes, which no live save still uses.
  /// Called under the entry's lock, after a save.
  void sweep(const cache_key& k) const {
    const std::string prefix = k.id() + ".tmp.";
    std::error_code ec;
    const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(10);
    for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (!name.starts_with(prefix)) continue;
      std::error_code tec;
      if (const auto t = std::filesystem::last_write_time(it->path(), tec); !tec && t < cutoff)
        std::filesystem::remove(it->path(), tec);
    }
  }

  std::filesystem::path dir_;
};

static_assert(token_cache<file_cache>);

}  // namespace tessera::client

#endif
