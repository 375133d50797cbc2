// tessera-server secrets — the secrets of a Flyte deployment, without flyteadmin or Python.
//
//   tessera-server secrets init [-p DIR] [--force]
//       Writes the secrets `flyteadmin secrets init -p DIR` writes, in its formats
//       (flyteadmin/auth/init_secrets.go), for tessera-server or flyteadmin to read back
//       (tessera/flyte/secrets.hpp):
//         claim_symmetric_key   32 random bytes, unpadded standard base64, no newline
//         cookie_hash_key       64 random bytes, likewise
//         cookie_block_key      32 random bytes, likewise
//         token_rsa_key.pem     an RSA 2048 key, PKCS#1 PEM ("BEGIN RSA PRIVATE KEY")
//       Not written, as flyteadmin writes neither: token_rsa_key_old.pem (the previous signing
//       key: rename token_rsa_key.pem to it when rotating) and oidc_client_secret (the
//       identity provider issues it). DIR defaults to the current directory, as flyteadmin's;
//       it is created 0700 when missing (an existing one keeps its mode; a warning says when
//       others may enter it). Each file is created 0600, never through a symbolic link and
//       never over an existing file (O_CREAT|O_EXCL|O_NOFOLLOW, relative to the opened
//       directory); when any of the four exists nothing is written, unless --force, which
//       replaces each by an atomic rename. Prints the names written, never a value.
//       (flyteadmin writes its files 0777 & ~umask, and over existing ones.)
//
//   tessera-server secrets hash [--generate] [--cost N]
//       The `clientSecretHash` of a static client: standard base64 of a bcrypt hash, the form
//       flyte/clients.hpp and flyteadmin read. The secret comes from standard input — typed
//       without echo when it is a terminal; one trailing newline is dropped — or, with
//       --generate, is 32 random bytes in hex (64 characters; Flyte's docs use Python's
//       secrets.token_hex(16), 32 characters). Prints `Password: <secret>` when generated,
//       then `Hash: <base64>`. Cost 10 by default (Go's bcrypt.DefaultCost; Flyte's docs use
//       6), between 4 and 12 (tessera/crypto/secret_hash.hpp). The secret is never an
//       argument: it would show in `ps` and the shell's history (docs/security.md row 55).
#pragma once

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/flyte/keys.hpp>
#include <tessera/flyte/secrets.hpp>
#include <tessera/jose/jwk.hpp>

#include <openssl/crypto.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace examples {

namespace secrets_cli {

inline constexpr const char* usage_text =
    "usage: tessera-server secrets init [-p DIR] [--force]\n"
    "         writes claim_symmetric_key, cookie_hash_key, cookie_block_key and token_rsa_key.pem\n"
    "         into DIR (default: the current directory) as flyteadmin secrets init does\n"
    "       tessera-server secrets hash [--generate] [--cost N]\n"
    "         prints the base64 bcrypt hash (clientSecretHash) of a secret read from standard\n"
    "         input, or of a generated one\n";

/// A buffer holding secret text, wiped on destruction.
struct wiped_string {
  std::string s;
  wiped_string() = default;
  wiped_string(const wiped_string&) = delete;
  wiped_string& operator=(const wiped_string&) = delete;
  ~wiped_string() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

/// Closes a descriptor on scope exit.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

/// `--help` prints the usage (status 0); any other argument left is a usage error (2).
inline int help_or_unknown(std::string_view command, std::string_view arg) {
  if (arg == "--help" || arg == "-h") {
    std::cout << usage_text;
    return 0;
  }
  std::cerr << "tessera-server secrets " << command << ": unexpected argument " << arg << "\n" << usage_text;
  return 2;
}

inline std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

/// `n` random bytes as Flyte stores a key: standard base64 without padding.
inline void random_key_text(std::size_t n, std::string& out) {
  std::vector<unsigned char> key(n);
  tessera::crypto::random_bytes(key);
  out = tessera::crypto::base64_encode(std::span<const unsigned char>(key));
  OPENSSL_cleanse(key.data(), key.size());
  while (!out.empty() && out.back() == '=') out.pop_back();
}

/// Writes `data` into a new file `name` of the directory `dfd`, mode 0600: refuses an existing
/// file or link (O_EXCL|O_NOFOLLOW), syncs it to disk.
inline bool write_new_file(int dfd, const std::string& name, std::string_view data, std::string& err) {
  fd_guard f{::openat(dfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (f.fd < 0) return err = errno_text(errno), false;
  if (::fchmod(f.fd, 0600) != 0) return err = errno_text(errno), false;  // the umask may have taken more
  while (!data.empty()) {
    ssize_t n = ::write(f.fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return err = errno_text(errno), false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(f.fd) != 0) return err = errno_text(errno), false;
  return true;
}

inline int init(int argc, char** argv) {
  std::filesystem::path dir = ".";
  bool force = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if ((a == "-p" || a == "--localPath") && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--force" || a == "-f") {
      force = true;
    } else {
      return help_or_unknown("init", a);
    }
  }
  if (dir.empty()) dir = ".";

  // The directory: created owner-only when missing; an existing one is used as it is.
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      std::cerr << "tessera-server: " << dir.string() << ": " << errno_text(errno) << "\n";
      return 1;
    }
    std::error_code ec;
    if (dir.has_parent_path() && dir.parent_path() != dir) std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec || (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) || ::chmod(dir.c_str(), 0700) != 0) {
      std::cerr << "tessera-server: cannot create " << dir.string() << ": " << (ec ? ec.message() : errno_text(errno))
                << "\n";
      return 1;
    }
  } else if (!S_ISDIR(st.st_mode)) {
    std::cerr << "tessera-server: " << dir.string() << " is not a directory\n";
    return 1;
  } else if ((st.st_mode & 077) != 0) {
    std::cerr << "tessera-server: note: others may enter " << dir.string() << " (mode " << std::oct
              << (st.st_mode & 0777) << std::dec << "); the secrets themselves are written 0600\n";
  }
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) {
    std::cerr << "tessera-server: " << dir.string() << ": " << errno_text(errno) << "\n";
    return 1;
  }

  // flyteadmin's set, in its order.
  const tessera::flyte::secret_key_spec keys[] = {tessera::flyte::claim_symmetric_key_secret,
                                                  tessera::flyte::cookie_hash_key_secret,
                                                  tessera::flyte::cookie_block_key_secret};
  struct secret_file {
    std::string name;
    std::string what;
    wiped_string content;
  };
  std::array<secret_file, 4> files;
  for (std::size_t i = 0; i < 3; ++i) {
    files[i].name = std::string(keys[i].name);
    files[i].what = std::to_string(keys[i].size) + "-byte key, unpadded base64";
  }
  files[3].name = std::string(tessera::flyte::flyte_signing_key_name);
  files[3].what = "RSA 2048 signing key, PKCS#1 PEM";

  // Refuse before writing anything: a partial set would pair new keys with old ones.
  if (!force) {
    std::string existing;
    for (const auto& f : files) {
      struct stat fst {};
      if (::fstatat(d.fd, f.name.c_str(), &fst, AT_SYMLINK_NOFOLLOW) == 0)
        existing += (existing.empty() ? "" : ", ") + f.name;
    }
    if (!existing.empty()) {
      std::cerr << "tessera-server: " << dir.string() << " already holds " << existing
                << "; nothing written (--force replaces them)\n";
      return 1;
    }
  }

  for (std::size_t i = 0; i < 3; ++i) random_key_text(keys[i].size, files[i].content.s);
  files[3].content.s = tessera::flyte::signing_key_pem(tessera::jose::jwk::generate(tessera::jose::algorithm::RS256));

  for (const auto& f : files) {
    std::string err;
    bool ok;
    if (!force) {
      ok = write_new_file(d.fd, f.name, f.content.s, err);
    } else {
      // Beside it, then renamed over it: atomic, and a link in its place is replaced, not followed.
      const std::string tmp = "." + f.name + ".tmp-" + tessera::crypto::random_token<9>();
      ok = write_new_file(d.fd, tmp, f.content.s, err);
      if (ok && ::renameat(d.fd, tmp.c_str(), d.fd, f.name.c_str()) != 0) {
        err = errno_text(errno);
        ok = false;
      }
      if (!ok) ::unlinkat(d.fd, tmp.c_str(), 0);
    }
    if (!ok) {
      std::cerr << "tessera-server: cannot write " << (dir / f.name).string() << ": " << err << "\n";
      return 1;
    }
    std::cout << "wrote " << (dir / f.name).string() << " (" << f.what << ")\n";
  }
  ::fsync(d.fd);
  std::cout << "Not written, as by flyteadmin: " << tessera::flyte::flyte_old_signing_key_name
            << " (the previous signing key, when rotating) and " << tessera::flyte::oidc_client_secret_name
            << " (from the identity provider).\n";
  return 0;
}

/// Reads the secret from standard input: a line typed without echo on a terminal, else the
/// whole input (at most `limit` bytes). One trailing newline is dropped.
inline bool read_secret_input(std::string& out, std::size_t limit, std::string& err) {
  const bool tty = ::isatty(0) != 0;
  termios saved{};
  bool restore = false;
  if (tty) {
    std::cerr << "Secret: " << std::flush;
    if (::tcgetattr(0, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      restore = ::tcsetattr(0, TCSAFLUSH, &quiet) == 0;
    }
  }
  out.reserve(limit + 1);  // no reallocation: no stray copies of the secret
  char c = 0;
  bool ok = true;
  while (true) {
    ssize_t n = ::read(0, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno_text(errno), ok = false;
      break;
    }
    if (n == 0 || (tty && c == '\n')) break;
    if (out.size() == limit) {
      err = "longer than " + std::to_string(limit) + " bytes", ok = false;
      break;
    }
    out += c;
  }
  c = 0;
  if (restore) ::tcsetattr(0, TCSAFLUSH, &saved);
  if (tty) std::cerr << "\n";
  if (ok && !out.empty() && out.back() == '\n') out.pop_back();
  return ok;
}

inline int hash(int argc, char** argv) {
  bool generate = false;
  unsigned cost = tessera::crypto::bcrypt_default_cost;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--generate") {
      generate = true;
    } else if (a == "--cost" && i + 1 < argc) {
      std::string_view v = argv[++i];
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), cost);
      if (ec != std::errc{} || end != v.data() + v.size() || cost < tessera::crypto::bcrypt_min_cost ||
          cost > tessera::crypto::bcrypt_max_cost) {
        std::cerr << "tessera-server secrets hash: --cost must be between " << tessera::crypto::bcrypt_min_cost
                  << " and " << tessera::crypto::bcrypt_max_cost << "\n";
        return 2;
      }
    } else {
      return help_or_unknown("hash", a);
    }
  }
  wiped_string secret;
  if (generate) {
    std::array<unsigned char, 32> raw;
    tessera::crypto::random_bytes(raw);
    static constexpr char hex[] = "0123456789abcdef";
    secret.s.reserve(2 * raw.size());
    for (unsigned char b : raw) {
      secret.s += hex[b >> 4];
      secret.s += hex[b & 0xf];
    }
    OPENSSL_cleanse(raw.data(), raw.size());
  } else {
    std::string err;
    // A little over bcrypt's 72 bytes, so a longer secret is reported rather than cut.
    if (!read_secret_input(secret.s, 4096, err)) {
      std::cerr << "tessera-server: cannot read the secret: " << err << "\n";
      return 1;
    }
    if (secret.s.empty()) {
      std::cerr << "tessera-server: the secret is empty\n";
      return 1;
    }
  }
  std::error_code ec;
  const std::string encoded = tessera::crypto::hash_flyte_client_secret(secret.s, cost, ec);
  if (ec) {
    std::cerr << "tessera-server: cannot hash the secret: "
              << (ec == tessera::error::input_too_large
                      ? "longer than " + std::to_string(tessera::crypto::bcrypt_max_secret_size) +
                            " bytes, which bcrypt would cut"
                      : ec == tessera::error::parameter_invalid ? std::string("it contains a NUL byte") : ec.message())
              << "\n";
    return 1;
  }
  if (generate) std::cout << "Password: " << secret.s << "\n";
  std::cout << "Hash: " << encoded << "\n" << std::flush;
  return 0;
}

}  // namespace secrets_cli

/// `tessera-server secrets ...`: argv[1] is "secrets".
inline int run_secrets_command(int argc, char** argv) try {
  const std::string_view sub = argc > 2 ? std::string_view(argv[2]) : std::string_view();
  if (sub == "init") return secrets_cli::init(argc - 3, argv + 3);
  if (sub == "hash") return secrets_cli::hash(argc - 3, argv + 3);
  if (sub == "--help" || sub == "-h") {
    std::cout << secrets_cli::usage_text;
    return 0;
  }
  std::cerr << secrets_cli::usage_text;
  return 2;
} catch (const std::exception& e) {
  std::cerr << "tessera-server: " << e.what() << "\n";
  return 1;
}

}  // namespace examples
