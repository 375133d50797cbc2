// tessera — flyte/secrets.hpp
//
// The secrets of a self-hosted authorization server, read as flyteadmin reads them (its
// `FileEnvSecretManager.Get`, flytepropeller/pkg/controller/nodes/task/secretmanager): the
// environment variable `<env prefix><name>` first — the name as it is, not upper-cased, a dot
// kept: `FLYTE_SECRET_token_rsa_key.pem` — then the file `<secrets dir>/<name>`. Defaults are
// Flyte's (`secrets.env-prefix: FLYTE_SECRET_`, `secrets.secrets-prefix: /etc/secrets`).
//
//     flyte::secret_source src;                        // /etc/secrets, FLYTE_SECRET_
//     flyte::config_problem problem;
//     auto hash_key = flyte::read_secret_key(src, flyte::cookie_hash_key_secret, problem);
//     auto keys = flyte::load_signing_keys(src, problem, {.algorithm = jose::algorithm::RS256});
//     auto idp = flyte::read_text_secret(src, flyte::oidc_client_secret_name, problem);
//
// Flyte's names and forms (`flyteadmin secrets init` writes the first four):
//
//   claim_symmetric_key     32-byte key, unpadded standard base64
//   cookie_hash_key         64-byte key, unpadded standard base64
//   cookie_block_key        32-byte key, unpadded standard base64
//   token_rsa_key.pem       the signing key, PKCS#1 PEM (flyte/keys.hpp: also PKCS#8, EC, ...)
//   token_rsa_key_old.pem   optional: the previous key, which still verifies
//   oidc_client_secret      the identity provider's client secret, text
//
// Keys (`read_secret_key`) are decoded as Go's base64.RawStdEncoding decodes them: '\r' and '\n'
// anywhere are ignored (so a trailing newline an editor adds is fine), other whitespace is not.
// tessera also accepts padded base64 (`openssl rand -base64 32` > file) — Flyte refuses it, so
// a padded file is not portable back. Unlike Flyte, the decoded length must be exactly the
// key's: flyteadmin silently zero-pads or cuts a claim key of the wrong size. Non-canonical
// trailing bits are refused (Go's encoder never writes them).
//
// Text secrets (`read_text_secret`) lose one trailing "\n", from a file or the environment, as
// flyteadmin trims the OIDC client secret (`strings.TrimSuffix(secret, "\n")`): Kubernetes
// secret files usually have none, an editor adds one. Nothing else is trimmed.
//
// A variable that is set wins even when empty (Go's os.LookupEnv), and an empty secret is an
// error — Flyte also refuses an empty claim key or signing key. Files are followed through
// symbolic links (Kubernetes mounts secrets as links into `..data/`), must be regular and at
// most `max_secret_size` bytes; so must a variable's value. A name must be a plain file name.
//
// Failures are `config_problem`s (flyte/config_error.hpp): `file` is where the secret was read —
// the file's path, or "environment variable FLYTE_SECRET_<name>" — and a missing secret names
// both places it was looked for. No value ever reaches a message. `secret_value` wipes what it
// holds (OPENSSL_cleanse) when destroyed, as does every buffer that held secret text here.
#ifndef TESSERA_FLYTE_SECRETS_HPP
#define TESSERA_FLYTE_SECRETS_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/error.hpp>
#include <tessera/flyte/config_error.hpp>
#include <tessera/flyte/detail/read_file.hpp>
#include <tessera/flyte/keys.hpp>

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tessera::flyte {

/// Flyte's defaults: `secrets.secrets-prefix` and `secrets.env-prefix`.
inline constexpr std::string_view flyte_secrets_dir = "/etc/secrets";
inline constexpr std::string_view flyte_secret_env_prefix = "FLYTE_SECRET_";
/// Secret files and values larger than this are refused (the same bound as key files).
inline constexpr std::size_t max_secret_size = max_key_file_size;

/// A key secret: its name and the exact number of bytes it decodes to.
struct secret_key_spec {
  std::string_view name;
  std::size_t size;
};
/// Flyte's key secrets (flyteadmin/auth/init_secrets.go: SymmetricKeyLength,
/// CookieHashKeyLength, CookieBlockKeyLength).
inline constexpr secret_key_spec claim_symmetric_key_secret{"claim_symmetric_key", 32};
inline constexpr secret_key_spec cookie_hash_key_secret{"cookie_hash_key", 64};
inline constexpr secret_key_spec cookie_block_key_secret{"cookie_block_key", 32};
/// Flyte's name of the identity provider's client secret (`userAuth.openId.clientSecretName`).
inline constexpr std::string_view oidc_client_secret_name = "oidc_client_secret";

/// Where secrets are looked for. Every member may be left as it is.
struct secret_source {
  std::filesystem::path dir{std::string(flyte_secrets_dir)};
  std::string env_prefix{flyte_secret_env_prefix};
  /// Reads a variable; empty: the environment is not consulted (files only).
  std::function<const char*(const char*)> getenv = [](const char* n) { return std::getenv(n); };

  /// The variable looked up for `name`: `FLYTE_SECRET_token_rsa_key.pem`.
  std::string env_name(std::string_view name) const { return env_prefix + std::string(name); }
  /// The file read for `name`: `/etc/secrets/token_rsa_key.pem`.
  std::filesystem::path file(std::string_view name) const { return dir / name; }
};

/// A secret's text or a key's bytes, and where it came from. Wiped when destroyed or
/// overwritten; movable (the moved-from value is wiped), not copyable.
class secret_value {
 public:
  secret_value() = default;
  /// Copies `value`; the caller wipes its own buffer.
  secret_value(std::string_view value, std::string origin) : value_(value), origin_(std::move(origin)) {}
  // Moving copies then wipes: a moved std::string may leave a short value in its inline buffer.
  secret_value(secret_value&& other) : value_(other.value_), origin_(std::move(other.origin_)) { other.wipe(); }
  secret_value& operator=(secret_value&& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
      origin_ = std::move(other.origin_);
      other.wipe();
    }
    return *this;
  }
  secret_value(const secret_value&) = delete;
  secret_value& operator=(const secret_value&) = delete;
  ~secret_value() { wipe(); }

  /// The text, or the decoded key bytes.
  std::string_view value() const noexcept { return value_; }
  std::size_t size() const noexcept { return value_.size(); }
  bool empty() const noexcept { return value_.empty(); }
  /// "environment variable FLYTE_SECRET_cookie_hash_key" or the file's path; never the value.
  const std::string& origin() const noexcept { return origin_; }

 private:
  void wipe() noexcept {
    if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
    value_.clear();
  }
  std::string value_;
  std::string origin_;
};

namespace detail {

inline bool is_secret_name(std::string_view name) noexcept {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (char c : name)
    if (c == '/' || c == '\0') return false;
  return true;
}

/// Reads the text of `name` into `text`: true when found; false with `problem` set on failure,
/// or with `problem` clear when neither the variable nor the file exists.
inline bool find_secret_text(const secret_source& src, std::string_view name, std::string& text, std::string& origin,
                             config_problem& problem) {
  problem = {};
  text.clear();
  if (!is_secret_name(name)) {
    std::string shown;
    append_member(shown, name);  // escaped and bounded
    problem.code = error::config_value_invalid;
    problem.detail = "not a secret name (a file name, without '/'): " + shown;
    return false;
  }
  if (src.getenv) {
    const std::string var = src.env_name(name);
    if (const char* v = src.getenv(var.c_str())) {
      origin = "environment variable " + var;
      const std::string_view value(v);
      if (value.size() > max_secret_size) {
        problem.code = error::config_too_large;
        problem.file = origin;
        problem.detail = "larger than " + std::to_string(max_secret_size) + " bytes";
        return false;
      }
      text.assign(value);
      return true;
    }
  }
  const std::filesystem::path file = src.file(name);
  std::error_code ec;
  if (std::filesystem::status(file, ec).type() == std::filesystem::file_type::not_found) return false;
  origin = file.string();
  return read_config_file(file, max_secret_size, text, problem);
}

/// The problem of a required secret found nowhere: names the file and the variable.
inline void secret_not_found(const secret_source& src, std::string_view name, config_problem& problem) {
  problem.code = error::config_file_unreadable;
  problem.file = src.file(name).string();
  problem.detail = "secret " + std::string(name) + " not found: no such file";
  if (src.getenv) problem.detail += ", and the environment variable " + src.env_name(name) + " is not set";
}

/// Reads a secret that must not be empty: true when read; false with `problem` set on
/// failure, or clear when a secret that is not `required` is absent.
inline bool read_secret_text(const secret_source& src, std::string_view name, bool required, std::string& text,
                             std::string& origin, config_problem& problem) {
  if (!find_secret_text(src, name, text, origin, problem)) {
    if (!problem && required) secret_not_found(src, name, problem);
    return false;
  }
  if (text.empty()) {
    problem.code = error::config_value_invalid;
    problem.file = origin;
    problem.detail = "secret " + std::string(name) + " is empty";
    return false;
  }
  return true;
}

/// Wipes a buffer that held secret text when it goes out of scope.
struct wipe_text {
  std::string& s;
  ~wipe_text() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    s.clear();
  }
};

/// Decodes a key in Flyte's encoding (see the header comment) into `out`, which must hold
/// exactly `size` bytes. On failure sets `ec` and `detail`; never echoes the input.
inline bool decode_secret_key(std::string_view text, std::size_t size, std::string& out, std::error_code& ec,
                              std::string& detail) {
  ec = {};
  std::string compact;  // without '\r' and '\n', padded to a multiple of 4
  wipe_text wipe_compact{compact};
  compact.reserve(text.size() + 3);
  for (char c : text)
    if (c != '\r' && c != '\n') compact += c;
  if (compact.find('=') == std::string::npos && compact.size() % 4 >= 2) compact.append(4 - compact.size() % 4, '=');
  std::string bytes = crypto::base64_decode(compact, ec);
  wipe_text wipe_bytes{bytes};
  if (ec) {
    detail = "not base64: " + ec.message();
    ec = error::config_value_invalid;
    return false;
  }
  if (bytes.size() != size) {
    ec = error::config_value_invalid;
    detail = "decodes to " + std::to_string(bytes.size()) + " bytes; the key must be " + std::to_string(size);
    return false;
  }
  out.assign(bytes);
  return true;
}

}  // namespace detail

/// The secret `name`: found (true), absent (false, `problem` clear), or unreadable (false,
/// `problem` set). Values are taken as they are: nothing decoded, nothing trimmed.
inline std::optional<secret_value> find_secret(const secret_source& src, std::string_view name,
                                               config_problem& problem) {
  std::string text, origin;
  detail::wipe_text wipe{text};
  if (!detail::find_secret_text(src, name, text, origin, problem)) return std::nullopt;
  return secret_value(text, std::move(origin));
}

/// A required, non-empty text secret, one trailing "\n" removed (as flyteadmin does for the
/// OIDC client secret). A missing secret fails with `config_file_unreadable` naming the file
/// and the variable; an empty one with `config_value_invalid`.
inline secret_value read_text_secret(const secret_source& src, std::string_view name, config_problem& problem) {
  std::string text, origin;
  detail::wipe_text wipe{text};
  if (!detail::read_secret_text(src, name, true, text, origin, problem)) return {};
  std::string_view value = text;
  if (value.back() == '\n') value.remove_suffix(1);
  return secret_value(value, std::move(origin));
}
inline secret_value read_text_secret(const secret_source& src, std::string_view name, std::error_code& ec) {
  config_problem p;
  auto v = read_text_secret(src, name, p);
  ec = p.code;
  return v;
}
/// Throws `config_error`.
inline secret_value read_text_secret(const secret_source& src, std::string_view name) {
  config_problem p;
  auto v = read_text_secret(src, name, p);
  detail::throw_if(p);
  return v;
}

/// A required key in Flyte's encoding, decoded: exactly `key.size` bytes. Fails as
/// `read_text_secret`, and with the base64 cause ("not base64 (...)") or `config_value_invalid`
/// ("decodes to 48 bytes; the key must be 64"), `file` naming where it was read.
inline secret_value read_secret_key(const secret_source& src, secret_key_spec key, config_problem& problem) {
  std::string text, origin, bytes;
  detail::wipe_text wipe_in{text}, wipe_out{bytes};
  if (!detail::read_secret_text(src, key.name, true, text, origin, problem)) return {};
  std::error_code ec;
  std::string why;
  if (!detail::decode_secret_key(text, key.size, bytes, ec, why)) {
    problem.code = ec;
    problem.file = origin;
    problem.detail = std::string(key.name) + ": " + why;
    return {};
  }
  return secret_value(bytes, std::move(origin));
}
inline secret_value read_secret_key(const secret_source& src, secret_key_spec key, std::error_code& ec) {
  config_problem p;
  auto v = read_secret_key(src, key, p);
  ec = p.code;
  return v;
}
/// Throws `config_error`.
inline secret_value read_secret_key(const secret_source& src, secret_key_spec key) {
  config_problem p;
  auto v = read_secret_key(src, key, p);
  detail::throw_if(p);
  return v;
}

/// The signing keys (flyte/keys.hpp) from the secrets: each key's PEM text from
/// `FLYTE_SECRET_<name>`, else from the file. The current key is required; the old one is read
/// when its variable or file exists. Same rules and causes as the directory overload; `file`
/// names the variable or the file.
inline signing_keys load_signing_keys(const secret_source& src, config_problem& problem,
                                      const signing_key_options& opts = {}) {
  auto read = [&src](std::string_view name, bool required, std::string& text, std::string& where,
                     config_problem& p) { return detail::read_secret_text(src, name, required, text, where, p); };
  return detail::load_signing_keys_with(read, problem, opts);
}
inline signing_keys load_signing_keys(const secret_source& src, std::error_code& ec,
                                      const signing_key_options& opts = {}) {
  config_problem p;
  auto keys = load_signing_keys(src, p, opts);
  ec = p.code;
  return keys;
}
/// Throws `config_error` naming the variable or the file.
inline signing_keys load_signing_keys(const secret_source& src, const signing_key_options& opts = {}) {
  config_problem p;
  auto keys = load_signing_keys(src, p, opts);
  detail::throw_if(p);
  return keys;
}

}  // namespace tessera::flyte

#endif
