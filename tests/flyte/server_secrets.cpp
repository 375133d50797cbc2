// tests/flyte: `tessera-server secrets init` and `secrets hash`, run as the program
// (examples/server/secrets_command.hpp); $TESSERA_SERVER is the binary's path (set by ctest).
// What the program writes is read back through tessera/flyte/secrets.hpp and flyte/clients.hpp.
#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/flyte/clients.hpp>
#include <tessera/flyte/secrets.hpp>

#include "test_files.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>

using namespace tessera;

namespace {

const char* const secret_names[] = {"claim_symmetric_key", "cookie_hash_key", "cookie_block_key", "token_rsa_key.pem"};

struct run_result {
  int status = -1;
  std::string out;
};

/// Runs `tessera-server <args>` through the shell, `stdin_text` (printf %b: \\n is a newline) as
/// its input; stdout captured, stderr into `err_file`.
run_result run(const std::string& args, const std::string& stdin_text = "", const std::string& err_file = "/dev/null") {
  const char* server = std::getenv("TESSERA_SERVER");
  REQUIRE(server != nullptr);
  std::string command = "'" + std::string(server) + "' " + args + " 2>'" + err_file + "'";
  if (!stdin_text.empty()) command = "printf '%b' '" + stdin_text + "' | " + command;
  else command += " </dev/null";
  run_result r;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// The value after "<label>: " on its own line of `out`.
std::string field(const std::string& out, const std::string& label) {
  const auto at = out.find(label + ": ");
  if (at == std::string::npos) return {};
  const auto start = at + label.size() + 2;
  return out.substr(start, out.find('\n', start) - start);
}

/// A static client with this hash reads through flyte/clients.hpp and accepts `secret`.
bool client_accepts(const std::string& hash, const std::string& secret) {
  const std::string json = R"({"clients":[{"id":"svc","client_secret":")" + hash +
                           R"(","redirect_uris":["http://localhost:3846/callback"],"grant_types":["client_credentials"],)"
                           R"("scopes":["all"]}]})";
  flyte::config_problem problem;
  auto reg = flyte::parse_clients_json(json, problem);
  if (problem) return false;
  const auto* c = reg.find("svc");
  if (!c || c->secret_hashes.size() != 1) return false;
  return crypto::verify_secret(secret, c->secret_hashes.front());
}

}  // namespace

TEST_CASE("secrets init writes Flyte's secrets, 0600 in a 0700 directory, and they load") {
  test::scratch_dir scratch;
  const auto dir = scratch / "secrets";
  const auto r = run("secrets init -p '" + dir.string() + "'");
  REQUIRE(r.status == 0);
  CHECK(mode_of(dir) == 0700);
  for (const char* name : secret_names) {
    INFO(name);
    CHECK(mode_of(dir / name) == 0600);
    CHECK(r.out.find((dir / name).string()) != std::string::npos);  // named ...
    CHECK(r.out.find(slurp(dir / name)) == std::string::npos);      // ... never shown
  }
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 4);

  // Flyte's forms: unpadded base64 without a newline; PKCS#1.
  for (const char* name : {"claim_symmetric_key", "cookie_hash_key", "cookie_block_key"}) {
    const auto text = slurp(dir / name);
    CHECK(text.find_first_of("=\n") == std::string::npos);
  }
  CHECK(slurp(dir / "claim_symmetric_key").size() == 43);
  CHECK(slurp(dir / "cookie_hash_key").size() == 86);
  CHECK(slurp(dir / "token_rsa_key.pem").rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0) == 0);

  flyte::secret_source src;
  src.dir = dir;
  src.getenv = nullptr;
  CHECK(flyte::read_secret_key(src, flyte::claim_symmetric_key_secret).size() == 32);
  CHECK(flyte::read_secret_key(src, flyte::cookie_hash_key_secret).size() == 64);
  CHECK(flyte::read_secret_key(src, flyte::cookie_block_key_secret).size() == 32);
  auto keys = flyte::load_signing_keys(src);
  CHECK(keys.current.alg() == jose::algorithm::RS256);
  CHECK(keys.current.has_private_key());
  CHECK_FALSE(keys.old);
  CHECK(keys.current.signature_size() == 256);  // RSA 2048, as flyteadmin

  SECTION("a second init refuses, and changes nothing") {
    const auto before = slurp(dir / "cookie_hash_key");
    const auto err = scratch / "err.txt";
    const auto again = run("secrets init -p '" + dir.string() + "'", "", err.string());
    CHECK(again.status == 1);
    CHECK(slurp(err).find("already holds claim_symmetric_key, cookie_hash_key, cookie_block_key, token_rsa_key.pem") !=
          std::string::npos);
    CHECK(slurp(dir / "cookie_hash_key") == before);
  }
  SECTION("--force replaces them, still 0600") {
    const auto before = slurp(dir / "cookie_hash_key");
    REQUIRE(run("secrets init --force -p '" + dir.string() + "'").status == 0);
    CHECK(slurp(dir / "cookie_hash_key") != before);
    for (const char* name : secret_names) CHECK(mode_of(dir / name) == 0600);
    CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 4);
  }
}

TEST_CASE("secrets init never writes through a planted link") {
  test::scratch_dir scratch;
  const auto dir = scratch / "secrets";
  std::filesystem::create_directory(dir);
  const auto target = scratch.write("elsewhere", "untouched");
  std::filesystem::create_symlink(target, dir / "cookie_block_key");

  CHECK(run("secrets init -p '" + dir.string() + "'").status == 1);
  CHECK(slurp(target) == "untouched");
  CHECK_FALSE(std::filesystem::exists(dir / "claim_symmetric_key"));  // nothing written

  REQUIRE(run("secrets init --force -p '" + dir.string() + "'").status == 0);
  CHECK(slurp(target) == "untouched");
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(dir / "cookie_block_key")));
  CHECK(mode_of(dir / "cookie_block_key") == 0600);
}

TEST_CASE("secrets hash prints a clientSecretHash that verifies and that flyte/clients.hpp reads") {
  SECTION("a secret from standard input, cost given; one trailing newline dropped") {
    for (const std::string& input : {std::string("s3cret-value"), std::string("s3cret-value\\n")}) {
      const auto r = run("secrets hash --cost 4", input);
      REQUIRE(r.status == 0);
      CHECK(r.out.find("Password:") == std::string::npos);
      const auto hash = field(r.out, "Hash");
      const auto bcrypt = crypto::base64_decode(hash);
      CHECK(bcrypt.rfind("$2b$04$", 0) == 0);
      CHECK(crypto::verify_flyte_client_secret("s3cret-value", hash));
      CHECK_FALSE(crypto::verify_flyte_client_secret("s3cret-value\n", hash));
      CHECK(client_accepts(hash, "s3cret-value"));
    }
  }
  SECTION("a generated secret, default cost") {
    const auto r = run("secrets hash --generate");
    REQUIRE(r.status == 0);
    const auto password = field(r.out, "Password");
    CHECK(password.size() == 64);
    CHECK(password.find_first_not_of("0123456789abcdef") == std::string::npos);
    const auto hash = field(r.out, "Hash");
    CHECK(crypto::base64_decode(hash).rfind("$2b$10$", 0) == 0);
    CHECK(client_accepts(hash, password));
    CHECK_FALSE(client_accepts(hash, password + "x"));
    CHECK(field(run("secrets hash --generate --cost 4").out, "Password") != password);
  }
  SECTION("refused: a cost out of bounds, an empty or too long secret, unknown arguments") {
    CHECK(run("secrets hash --cost 13", "x").status == 2);
    CHECK(run("secrets hash --cost 3", "x").status == 2);
    CHECK(run("secrets hash --cost ten", "x").status == 2);
    CHECK(run("secrets hash").status == 1);  // empty standard input
    CHECK(run("secrets hash --cost 4", std::string(73, 'a')).status == 1);
    CHECK(run("secrets hash --cost 4", std::string(72, 'a')).status == 0);
    CHECK(run("secrets hash --secret x").status == 2);
    CHECK(run("secrets frobnicate").status == 2);
  }
}
