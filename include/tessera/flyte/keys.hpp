// tessera — flyte/keys.hpp
//
// The token signing keys of a self-hosted authorization server, read from PEM files named as
// Flyte names its secrets (`selfAuthServer.tokenSigningRSAKeySecretName`,
// `oldTokenSigningRSAKeySecretName`):
//
//   token_rsa_key.pem       the current key: signs; Flyte's name, for RSA algorithms
//   token_<alg>_key.pem     tessera's name for the current key of other algorithms
//                           (token_es256_key.pem, token_eddsa_key.pem), so switching the
//                           algorithm never reads a key of the wrong type
//   token_rsa_key_old.pem   optional: the previous key, which still verifies during rotation
//
// Each key is bound to one algorithm (jose/jwk.hpp). The current key's is configured. The old
// key's is configured too, or — by default — taken from the key itself: the current key's
// algorithm when the old key fits it (an RSA key rotated under PS256 stays PS256), otherwise
// the key type's own (RSA → RS256 as Flyte, EC by curve → ES256/ES384/ES512, Ed25519 →
// EdDSA). So an RS256 deployment that moves to ES256 keeps verifying the tokens its old RSA
// key signed, and the old file name says nothing about the key's type.
//
// PKCS#1 (Flyte's form: `flyteadmin secrets init` writes it), PKCS#8, SEC1, SubjectPublicKeyInfo
// and X.509 certificates are read; encrypted keys are refused. The current key must be
// private; the old one may be public (it only verifies). Failures name the file
// (flyte/config_error.hpp), never its content; the text read is wiped after parsing.
// `signing_key_pem` writes a key back as a key file holds it: PKCS#1 for RSA, since Flyte's
// parser (x509.ParsePKCS1PrivateKey) reads nothing else; PKCS#8 for EC and Ed25519.
//
// Keys from text (an environment variable): `load_key_text`. Keys from Flyte's secrets — the
// variable `FLYTE_SECRET_token_rsa_key.pem`, else the file — are read by flyte/secrets.hpp's
// `load_signing_keys(const secret_source&, ...)`, with the same rules as here.
#ifndef TESSERA_FLYTE_KEYS_HPP
#define TESSERA_FLYTE_KEYS_HPP

#include <tessera/error.hpp>
#include <tessera/flyte/config_error.hpp>
#include <tessera/flyte/detail/read_file.hpp>
#include <tessera/jose/algorithm.hpp>
#include <tessera/jose/jwk.hpp>
#include <tessera/server/token_issuer.hpp>

#include <openssl/crypto.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::flyte {

/// Flyte's default secret names of the signing key and of the previous one.
inline constexpr std::string_view flyte_signing_key_name = "token_rsa_key.pem";
inline constexpr std::string_view flyte_old_signing_key_name = "token_rsa_key_old.pem";

/// Key files larger than this are refused (an 8192-bit RSA key in PEM is about 6.5 KiB).
inline constexpr std::size_t max_key_file_size = 64 * 1024;

/// The current key's file for `alg`: `token_rsa_key.pem` for RSA algorithms (Flyte's name),
/// `token_<alg>_key.pem` in lower case for the others (`token_es256_key.pem`).
inline std::string signing_key_file_name(jose::algorithm alg) {
  if (jose::required_key_type(alg) == jose::key_type::RSA) return std::string(flyte_signing_key_name);
  std::string name(jose::to_string(alg));
  for (auto& ch : name)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return "token_" + name + "_key.pem";
}

/// Parses a PEM key and binds it to `alg`; without `alg`, to the algorithm the key implies:
/// `prefer` when the key can be used with it, else RS256 for RSA, ES256/ES384/ES512 by curve,
/// EdDSA for Ed25519. Errors are jose's: `pem_invalid`, `key_algorithm_mismatch`,
/// `rsa_key_too_small`, `curve_unsupported`, `key_type_unsupported`.
inline jose::jwk key_from_pem(std::string_view pem, std::optional<jose::algorithm> alg, std::error_code& ec,
                              std::optional<jose::algorithm> prefer = {}) {
  using jose::algorithm;
  if (alg) return jose::jwk::from_pem(pem, *alg, ec);
  // jwk binds at parse time, so try the candidates in order; only a type mismatch moves on.
  std::vector<algorithm> candidates;
  if (prefer && !jose::is_hmac(*prefer)) candidates.push_back(*prefer);
  for (auto a : {algorithm::RS256, algorithm::ES256, algorithm::ES384, algorithm::ES512, algorithm::EdDSA})
    if (!prefer || a != *prefer) candidates.push_back(a);
  for (auto a : candidates) {
    auto key = jose::jwk::from_pem(pem, a, ec);
    if (ec != error::key_algorithm_mismatch) return key;  // success, or a failure no other algorithm fixes
  }
  ec = error::key_type_unsupported;
  return {};
}
inline jose::jwk key_from_pem(std::string_view pem, std::optional<jose::algorithm> alg,
                              std::optional<jose::algorithm> prefer = {}) {
  std::error_code ec;
  auto key = key_from_pem(pem, alg, ec, prefer);
  tessera::detail::throw_if(ec);
  return key;
}

/// The private key as a key file holds it: PKCS#1 PEM for RSA ("-----BEGIN RSA PRIVATE
/// KEY-----", Flyte's form), PKCS#8 for the other types; empty for a public key. Whoever
/// writes it to disk must make the file readable by its owner only.
inline std::string signing_key_pem(const jose::jwk& key) {
  return key.kty() == jose::key_type::RSA ? key.private_pem_pkcs1() : key.private_pem();
}

/// Parses one PEM key (see `key_from_pem`) given as text. On failure fills `problem`'s cause
/// and detail ("key is for ES384, not ES256") and leaves `file` to the caller, who knows where
/// the text came from. The caller wipes the text.
inline jose::jwk load_key_text(std::string_view pem, std::optional<jose::algorithm> alg, config_problem& problem,
                               std::optional<jose::algorithm> prefer = {}) {
  problem = {};
  std::error_code ec;
  auto key = key_from_pem(pem, alg, ec, prefer);
  if (!ec) return key;
  if (ec == error::key_algorithm_mismatch && alg) {
    // Say what the key is for: "key is for ES384, not ES256".
    std::error_code natural_ec;
    auto natural = key_from_pem(pem, std::nullopt, natural_ec);
    problem.detail = natural_ec ? ec.message()
                                : "key is for " + std::string(jose::to_string(natural.alg())) + ", not " +
                                      std::string(jose::to_string(*alg));
  } else {
    problem.detail = ec.message();
  }
  problem.code = ec;
  return {};
}

/// Reads one PEM key file (see `key_from_pem`); `problem.file` names it on failure.
inline jose::jwk load_key_file(const std::filesystem::path& file, std::optional<jose::algorithm> alg,
                               config_problem& problem, std::optional<jose::algorithm> prefer = {}) {
  std::string pem;
  if (!detail::read_config_file(file, max_key_file_size, pem, problem)) return {};
  auto key = load_key_text(pem, alg, problem, prefer);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (problem) {
    problem.file = file.string();
    return {};
  }
  return key;
}
inline jose::jwk load_key_file(const std::filesystem::path& file, std::optional<jose::algorithm> alg,
                               std::error_code& ec, std::optional<jose::algorithm> prefer = {}) {
  config_problem p;
  auto key = load_key_file(file, alg, p, prefer);
  ec = p.code;
  return key;
}
inline jose::jwk load_key_file(const std::filesystem::path& file, std::optional<jose::algorithm> alg,
                               std::optional<jose::algorithm> prefer = {}) {
  config_problem p;
  auto key = load_key_file(file, alg, p, prefer);
  detail::throw_if(p);
  return key;
}

/// Which files hold the keys, and the algorithms they are bound to.
struct signing_key_options {
  jose::algorithm algorithm = jose::algorithm::RS256;            // the current key's
  std::optional<jose::algorithm> old_algorithm{};                // empty: the old key's own (see above)
  std::string signing_key_name{};                                // empty: signing_key_file_name(algorithm)
  std::string old_signing_key_name{flyte_old_signing_key_name};  // empty: no old key is read
};

/// The loaded keys: the current one signs; the old one, when its file exists, verifies.
struct signing_keys {
  jose::jwk current;
  std::optional<jose::jwk> old;

  /// The server's key set: `current` signs, both verify and are published in the JWKS.
  server::key_set key_set() const {
    std::vector<jose::jwk> previous;
    if (old) previous.push_back(*old);
    return server::key_set(current, std::move(previous));
  }
};

namespace detail {

/// The rules of `load_signing_keys` over any source of key text. `read(name, required, text,
/// where, problem)` fills `text` and `where` (the file, or another origin to name in a
/// problem) and returns true; returns false with `problem` set on failure, or with `problem`
/// clear when a key that is not `required` is absent. The text is wiped here.
template <class Read>
signing_keys load_signing_keys_with(Read&& read, config_problem& problem, const signing_key_options& opts) {
  problem = {};
  signing_keys keys;
  std::string text, where;
  auto parse = [&](std::optional<jose::algorithm> alg, std::optional<jose::algorithm> prefer) {
    auto key = load_key_text(text, alg, problem, prefer);
    OPENSSL_cleanse(text.data(), text.size());
    text.clear();
    if (problem) problem.file = where;
    return key;
  };
  const std::string current_name =
      opts.signing_key_name.empty() ? signing_key_file_name(opts.algorithm) : opts.signing_key_name;
  if (!read(std::string_view(current_name), true, text, where, problem)) return {};
  keys.current = parse(opts.algorithm, std::nullopt);
  if (problem) return {};
  if (!keys.current.has_private_key()) {
    problem.code = error::key_not_private;
    problem.file = where;
    problem.detail = "holds a public key only; the signing key must be private";
    return {};
  }
  if (!opts.old_signing_key_name.empty()) {
    if (read(std::string_view(opts.old_signing_key_name), false, text, where, problem)) {
      auto old = parse(opts.old_algorithm, opts.algorithm);
      if (problem) return {};
      keys.old = old.public_key();  // it only verifies: keep no private part in memory
    } else if (problem) {
      return {};
    }
  }
  return keys;
}

}  // namespace detail

/// Reads the current key (required, private) and the old key (when its file exists) from
/// `dir`. Fails with the file named: `config_file_unreadable` (missing current key, unreadable
/// file), `key_not_private`, or the jose cause of a key that does not parse or fit.
inline signing_keys load_signing_keys(const std::filesystem::path& dir, config_problem& problem,
                                      const signing_key_options& opts = {}) {
  auto read = [&dir](std::string_view name, bool required, std::string& text, std::string& where,
                     config_problem& p) {
    const std::filesystem::path file = dir / name;
    std::error_code ec;
    if (!required && std::filesystem::status(file, ec).type() == std::filesystem::file_type::not_found) return false;
    where = file.string();
    return detail::read_config_file(file, max_key_file_size, text, p);
  };
  return detail::load_signing_keys_with(read, problem, opts);
}
inline signing_keys load_signing_keys(const std::filesystem::path& dir, std::error_code& ec,
                                      const signing_key_options& opts = {}) {
  config_problem p;
  auto keys = load_signing_keys(dir, p, opts);
  ec = p.code;
  return keys;
}
/// Throws `config_error` naming the file.
inline signing_keys load_signing_keys(const std::filesystem::path& dir, const signing_key_options& opts = {}) {
  config_problem p;
  auto keys = load_signing_keys(dir, p, opts);
  detail::throw_if(p);
  return keys;
}

}  // namespace tessera::flyte

#endif
