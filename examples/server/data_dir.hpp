// The data directory of tessera-server: keys, the cookie key, the users file and the client
// registry. Created on first start (mode 0700, files 0600); only hashes of the demo
// secrets are written, and the secrets themselves are printed once.
//
//   token_rsa_key.pem       signing key, as Flyte names it (token_<alg>_key.pem for others)
//   token_rsa_key_old.pem   optional: a previous key that still verifies (rotation)
//   cookie_block_key        32 random bytes sealing session and pending-login cookies
//   users.htpasswd          user:bcrypt[:email[:display name]]
//   clients.json            {"clients": [ {Flyte static-client keys}, ... ]}
#pragma once

#include <tessera/crypto/random.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/identity/users_file.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/token_issuer.hpp>

#include <boost/json/parse.hpp>
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

/// A client in Flyte's static-client shape, from JSON; `jwks` (a JWK Set of public keys) is
/// tessera's addition, for clients that authenticate with private_key_jwt.
inline tessera::server::client client_from_json(const boost::json::object& o) {
  tessera::server::client c;
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    if (auto* v = o.if_contains(key))
      for (const auto& s : v->as_array()) out.emplace_back(s.as_string());
    return out;
  };
  c.id = std::string(o.at("id").as_string());
  c.is_public = o.contains("public") && o.at("public").as_bool();
  std::error_code ec;
  std::vector<std::string> secrets;
  if (auto* s = o.if_contains("client_secret"); s && !s->as_string().empty()) secrets.emplace_back(s->as_string());
  for (auto& s : strings("rotated_secrets")) secrets.push_back(std::move(s));
  for (const auto& s : secrets) {
    c.add_flyte_secret(s, ec);
    if (ec) throw std::runtime_error("client " + c.id + ": client_secret is not base64 of a bcrypt hash");
  }
  if (auto* j = o.if_contains("jwks")) {  // private_key_jwt (RFC 7523): the client's public keys
    c.assertion_keys = tessera::jose::jwk_set::parse(*j, ec);
    if (ec) throw std::runtime_error("client " + c.id + ": jwks: " + ec.message());
  }
  c.redirect_uris = strings("redirect_uris");
  c.grant_types = strings("grant_types");
  if (o.contains("response_types")) c.response_types = strings("response_types");
  c.scopes = strings("scopes");
  c.audience = strings("audience");
  return c;
}

class data_dir {
 public:
  data_dir(fs::path root, std::string issuer) : root_(std::move(root)), issuer_(std::move(issuer)) {}

  /// Creates what is missing. Reports the demo secrets when it created the demo accounts.
  void prepare(tessera::jose::algorithm alg, first_start_report& report) {
    if (!fs::exists(root_)) {
      fs::create_directories(root_);
      fs::permissions(root_, fs::perms::owner_all, fs::perm_options::replace);
    }
    if (!fs::exists(key_path(alg))) write_private_file(key_path(alg), tessera::jose::jwk::generate(alg).private_pem());
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
    if (!fs::exists(root_ / "clients.json")) {
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

  tessera::server::key_set keys(tessera::jose::algorithm alg) const {
    auto current = tessera::jose::jwk::from_pem(read_file(key_path(alg)), alg);
    std::vector<tessera::jose::jwk> old;
    if (fs::exists(root_ / "token_rsa_key_old.pem"))
      old.push_back(tessera::jose::jwk::from_pem(read_file(root_ / "token_rsa_key_old.pem"), tessera::jose::algorithm::RS256));
    return tessera::server::key_set(std::move(current), std::move(old));
  }

  std::string cookie_key() const { return read_file(root_ / "cookie_block_key"); }

  tessera::identity::user_directory users() const {
    tessera::identity::users_file_report report;
    return tessera::identity::load_users_file(root_ / "users.htpasswd", report);
  }

  tessera::server::client_registry clients() const {
    tessera::server::client_registry reg;
    auto doc = boost::json::parse(read_file(root_ / "clients.json"));
    for (const auto& c : doc.at("clients").as_array()) {
      auto problem = reg.add(client_from_json(c.as_object()));
      if (problem != tessera::server::client_problem::none)
        throw std::runtime_error("clients.json: " + std::string(tessera::server::to_string(problem)));
    }
    return reg;
  }

  const fs::path& root() const noexcept { return root_; }

 private:
  fs::path key_path(tessera::jose::algorithm alg) const {
    if (tessera::jose::required_key_type(alg) == tessera::jose::key_type::RSA) return root_ / "token_rsa_key.pem";
    std::string name(tessera::jose::to_string(alg));
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return root_ / ("token_" + name + "_key.pem");
  }

  fs::path root_;
  std::string issuer_;
};

inline void print_first_start(std::ostream& out, const std::string& issuer, const data_dir& dir,
                              const first_start_report& r) {
  out << "tessera-server: first start — created " << dir.root().string() << " (only hashes are stored;\n"
      << "these secrets are shown once):\n";
  if (!r.user_password.empty()) out << "  demo user            " << demo_user << " / " << r.user_password << "\n";
  out << "  public client        " << demo_public_client << " (PKCE; redirect http://127.0.0.1:53593/callback)\n";
  if (!r.client_secret.empty())
    out << "  confidential client  " << demo_confidential_client << " / " << r.client_secret << "\n";
  out << "Try:\n"
      << "  curl -s " << issuer << "/.well-known/openid-configuration\n";
  if (!r.client_secret.empty())
    out << "  curl -s -u " << demo_confidential_client << ":" << r.client_secret
        << " -d grant_type=client_credentials " << issuer << "/oauth2/token\n";
  out << "  open " << issuer << "/login in a browser, then " << issuer << "/me\n"
      << std::flush;
}

}  // namespace examples
