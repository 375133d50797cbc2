// The data directory of tessera-server: keys, the cookie key, the users file and the client
// registry. Created on first start (mode 0700, files 0600); only hashes of the demo
// secrets are written, and the secrets themselves are printed once. Keys and clients are
// read by the library's Flyte loaders (tessera/flyte/keys.hpp, tessera/flyte/clients.hpp).
//
//   token_rsa_key.pem       signing key, as Flyte names it and in its form (PKCS#1);
//                           token_<alg>_key.pem (PKCS#8) for other algorithms
//   token_rsa_key_old.pem   optional: a previous key that still verifies (rotation); any key
//                           type, bound to the algorithm the key itself implies
//   cookie_block_key        32 random bytes sealing session and pending-login cookies
//   users.htpasswd          user:bcrypt[:email[:display name]]
//   clients.json            {"clients": [ {Flyte static-client keys}, ... ]}
#pragma once

#include <tessera/crypto/random.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/flyte/clients.hpp>
#include <tessera/flyte/keys.hpp>
#include <tessera/identity/users_file.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/token_issuer.hpp>

#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include <sys/stat.h>

namespace examples {

inline constexpr const char* demo_public_client = "tessera-cli";
inline constexpr const char* demo_confidential_client = "tessera-service";
inline constexpr const char* demo_user = "demo";

struct first_start_report {
  bool created = false;
  std::string user_password;
  std::string client_secret;
};

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Writes a file readable by its owner only (created with 0600 before any byte is written).
inline void write_private_file(const fs::path& p, std::string_view data) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

class data_dir {
 public:
  data_dir(fs::path root, std::string issuer) : root_(std::move(root)), issuer_(std::move(issuer)) {}

  /// What replicas must share and never generate each for themselves: the signing key and the
  /// cookie key. Empty when both exist; else what is missing.
  std::string missing_shared_keys(tessera::jose::algorithm alg) const {
    std::string missing;
    if (!fs::exists(key_path(alg))) missing += key_path(alg).string();
    if (!fs::exists(root_ / "cookie_block_key")) missing += (missing.empty() ? "" : ", ") + (root_ / "cookie_block_key").string();
    return missing;
  }

  /// Creates what is missing. Reports the demo secrets when it created the demo accounts.
  /// Without `demo_clients` (the clients come from a configuration file) no clients.json.
  void prepare(tessera::jose::algorithm alg, first_start_report& report, bool demo_clients = true) {
    if (!fs::exists(root_)) {
      fs::create_directories(root_);
      fs::permissions(root_, fs::perms::owner_all, fs::perm_options::replace);
    }
    if (!fs::exists(key_path(alg)))
      // PKCS#1 for RSA, as Flyte writes and reads it; PKCS#8 for EC and Ed25519.
      write_private_file(key_path(alg), tessera::flyte::signing_key_pem(tessera::jose::jwk::generate(alg)));
    if (!fs::exists(root_ / "cookie_block_key")) {
      std::array<unsigned char, 32> key;
      tessera::crypto::random_bytes(key);
      write_private_file(root_ / "cookie_block_key", std::string_view(reinterpret_cast<char*>(key.data()), key.size()));
    }
    if (!fs::exists(root_ / "users.htpasswd")) {
      report.created = true;
      report.user_password = tessera::crypto::random_token<12>();
      write_private_file(root_ / "users.htpasswd",
                         "# user:bcrypt[:email[:display name]]\n" + std::string(demo_user) + ":" +
                             tessera::crypto::hash_secret(report.user_password) + ":demo@example.com:Demo User\n");
    }
    if (demo_clients && !fs::exists(root_ / "clients.json")) {
      report.created = true;
      report.client_secret = tessera::crypto::random_token<24>();
      boost::json::object pub{{"id", demo_public_client},
                              {"public", true},
                              {"redirect_uris", boost::json::array{"http://localhost:53593/callback",
                                                                   "http://127.0.0.1:53593/callback",
                                                                   "http://localhost:12345/callback"}},
                              {"grant_types", boost::json::array{"authorization_code", "refresh_token",
                                                                 "urn:ietf:params:oauth:grant-type:device_code"}},
                              {"response_types", boost::json::array{"code"}},
                              {"scopes", boost::json::array{"all", "offline", "openid", "profile", "email"}}};
      boost::json::object svc{
          {"id", demo_confidential_client},
          {"client_secret", tessera::crypto::hash_flyte_client_secret(report.client_secret)},
          {"redirect_uris", boost::json::array{"http://localhost:3846/callback"}},
          {"grant_types", boost::json::array{"client_credentials", "refresh_token", "authorization_code"}},
          {"response_types", boost::json::array{"code"}},
          {"scopes", boost::json::array{"all", "offline", "openid"}}};
      boost::json::object doc{{"clients", boost::json::array{pub, svc}}};
      write_private_file(root_ / "clients.json", boost::json::serialize(doc) + "\n");
    }
  }

  /// The signing key and, when token_rsa_key_old.pem exists, the previous key with its own
  /// algorithm (tessera/flyte/keys.hpp). Throws tessera::flyte::config_error naming the file.
  tessera::server::key_set keys(tessera::jose::algorithm alg) const {
    return tessera::flyte::load_signing_keys(root_, {.algorithm = alg}).key_set();
  }

  std::string cookie_key() const { return read_file(root_ / "cookie_block_key"); }

  /// The users file: `file`, or the data directory's users.htpasswd.
  tessera::identity::user_directory users(const fs::path& file = {}) const {
    tessera::identity::users_file_report report;
    return tessera::identity::load_users_file(file.empty() ? root_ / "users.htpasswd" : file, report);
  }

  /// clients.json, every value checked (tessera/flyte/clients.hpp). Throws
  /// tessera::flyte::config_error naming the file and the value: "…/clients.json:
  /// clients[2].redirect_uris[0]: not a string".
  tessera::server::client_registry clients() const { return tessera::flyte::load_clients_file(root_ / "clients.json"); }

  const fs::path& root() const noexcept { return root_; }

 private:
  fs::path key_path(tessera::jose::algorithm alg) const { return root_ / tessera::flyte::signing_key_file_name(alg); }

  fs::path root_;
  std::string issuer_;
};

/// The first start's secrets and how to use them. `client` is how to run tessera-client (a
/// path when it was built beside this server).
inline void print_first_start(std::ostream& out, const std::string& issuer, const data_dir& dir,
                              const first_start_report& r, bool demo_clients = true,
                              const std::string& client = "tessera-client") {
  out << "tessera-server: first start — created " << dir.root().string() << " (only hashes are stored;\n"
      << "these secrets are shown once):\n";
  if (!r.user_password.empty()) out << "  demo user            " << demo_user << " / " << r.user_password << "\n";
  if (demo_clients)
    out << "  public client        " << demo_public_client << " (PKCE; redirect http://127.0.0.1:53593/callback)\n";
  if (!r.client_secret.empty())
    out << "  confidential client  " << demo_confidential_client << " / " << r.client_secret << "\n";
  out << "Try:\n"
      << "  curl -s " << issuer << "/.well-known/openid-configuration\n";
  if (demo_clients)
    out << "  " << client << " --endpoint " << issuer << " --auth-type Pkce login"
        << (r.user_password.empty() ? "" : "   (sign in as " + std::string(demo_user) + " in the browser it opens)") << "\n";
  if (!r.client_secret.empty()) {
    out << "  FLYTE_CREDENTIALS_CLIENT_SECRET=" << r.client_secret << " " << client << " --endpoint " << issuer
        << " --auth-type ClientSecret --client-id " << demo_confidential_client << " token\n";
    out << "  curl -s -u " << demo_confidential_client << ":" << r.client_secret
        << " -d grant_type=client_credentials " << issuer << "/oauth2/token\n";
  }
  out << "  open " << issuer << "/login in a browser, then " << issuer << "/me\n"
      << std::flush;
}

}  // namespace examples
