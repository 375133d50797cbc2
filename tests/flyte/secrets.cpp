#include <tessera/flyte/secrets.hpp>

#include "test_files.hpp"

#include <tessera/crypto/base64.hpp>
#include <tessera/jose/jws.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace tessera;
using jose::algorithm;

namespace {

/// A secret_source over a scratch directory and a fake environment; records the variables asked for.
struct fake_secrets {
  test::scratch_dir dir;
  std::map<std::string, std::string> env;
  std::vector<std::string> asked;

  flyte::secret_source source() {
    flyte::secret_source src;
    src.dir = dir.path();
    src.getenv = [this](const char* name) -> const char* {
      asked.emplace_back(name);
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    return src;
  }
};

std::string unpadded_base64(std::string_view bytes) {
  auto s = crypto::base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

/// A token signed by `key` verifies with `keys`.
bool verifies(const server::key_set& keys, const jose::jwk& key) {
  const std::string token = jose::jws_signer(key).sign(R"({"sub":"x"})");
  std::error_code ec;
  jose::verify_jws(token, keys.verification_keys(), {}, ec);
  return !ec;
}

}  // namespace

TEST_CASE("secrets: Flyte's defaults and names") {
  const flyte::secret_source src;
  CHECK(src.dir == "/etc/secrets");
  CHECK(src.env_prefix == "FLYTE_SECRET_");
  CHECK(src.getenv);
  // The name as it is: not upper-cased, the dot kept (flyteadmin's FileEnvSecretManager.Get).
  CHECK(src.env_name("token_rsa_key.pem") == "FLYTE_SECRET_token_rsa_key.pem");
  CHECK(src.file("cookie_hash_key") == "/etc/secrets/cookie_hash_key");
  CHECK(flyte::claim_symmetric_key_secret.name == "claim_symmetric_key");
  CHECK(flyte::claim_symmetric_key_secret.size == 32);
  CHECK(flyte::cookie_hash_key_secret.name == "cookie_hash_key");
  CHECK(flyte::cookie_hash_key_secret.size == 64);
  CHECK(flyte::cookie_block_key_secret.name == "cookie_block_key");
  CHECK(flyte::cookie_block_key_secret.size == 32);
  CHECK(flyte::oidc_client_secret_name == "oidc_client_secret");
}

TEST_CASE("secrets: the environment beats the file") {
  fake_secrets f;
  f.dir.write("oidc_client_secret", "from-file");
  f.env["FLYTE_SECRET_oidc_client_secret"] = "from-env";
  flyte::config_problem problem;
  auto v = flyte::read_text_secret(f.source(), "oidc_client_secret", problem);
  REQUIRE_FALSE(problem);
  CHECK(v.value() == "from-env");
  CHECK(v.origin() == "environment variable FLYTE_SECRET_oidc_client_secret");

  f.env.clear();
  v = flyte::read_text_secret(f.source(), "oidc_client_secret", problem);
  REQUIRE_FALSE(problem);
  CHECK(v.value() == "from-file");
  CHECK(v.origin() == (f.dir / "oidc_client_secret").string());

  SECTION("a variable set but empty still wins, and an empty secret is an error") {
    f.env["FLYTE_SECRET_oidc_client_secret"] = "";
    flyte::read_text_secret(f.source(), "oidc_client_secret", problem);
    CHECK(problem.code == error::config_value_invalid);
    CHECK(problem.message() == "environment variable FLYTE_SECRET_oidc_client_secret: secret oidc_client_secret is empty");
  }
  SECTION("another prefix; no environment at all") {
    f.env["X_oidc_client_secret"] = "x";
    auto src = f.source();
    src.env_prefix = "X_";
    CHECK(flyte::read_text_secret(src, "oidc_client_secret").value() == "x");
    src.getenv = nullptr;
    CHECK(flyte::read_text_secret(src, "oidc_client_secret").value() == "from-file");
  }
}

TEST_CASE("secrets: a missing secret names the file and the variable looked for") {
  fake_secrets f;
  flyte::config_problem problem;
  flyte::read_secret_key(f.source(), flyte::cookie_hash_key_secret, problem);
  CHECK(problem.code == error::config_file_unreadable);
  CHECK(problem.file == (f.dir / "cookie_hash_key").string());
  CHECK(problem.message() == (f.dir / "cookie_hash_key").string() +
                                 ": secret cookie_hash_key not found: no such file, and the environment variable "
                                 "FLYTE_SECRET_cookie_hash_key is not set");
  CHECK(f.asked == std::vector<std::string>{"FLYTE_SECRET_cookie_hash_key"});

  auto src = f.source();
  src.getenv = nullptr;
  flyte::read_text_secret(src, "oidc_client_secret", problem);
  CHECK(problem.message() == (f.dir / "oidc_client_secret").string() + ": secret oidc_client_secret not found: no such file");

  // find_secret: absence is not an error.
  auto found = flyte::find_secret(f.source(), "token_rsa_key_old.pem", problem);
  CHECK_FALSE(found);
  CHECK_FALSE(problem);

  std::error_code ec;
  flyte::read_text_secret(f.source(), "oidc_client_secret", ec);
  CHECK(ec == error::config_file_unreadable);
  try {
    flyte::read_secret_key(f.source(), flyte::cookie_block_key_secret);
    FAIL("no exception");
  } catch (const flyte::config_error& e) {
    CHECK(e.code() == error::config_file_unreadable);
    CHECK(std::string(e.what()).find("FLYTE_SECRET_cookie_block_key") != std::string::npos);
  }
}

TEST_CASE("secrets: keys in Flyte's encoding") {
  fake_secrets f;
  const std::string key64(64, '\xA5');
  const std::string key32 = "0123456789abcdef0123456789ABCDEF";
  flyte::config_problem problem;

  SECTION("unpadded standard base64, as flyteadmin writes it, from a file or the environment") {
    f.dir.write("cookie_hash_key", unpadded_base64(key64));
    f.env["FLYTE_SECRET_cookie_block_key"] = unpadded_base64(key32);
    auto hash = flyte::read_secret_key(f.source(), flyte::cookie_hash_key_secret, problem);
    REQUIRE_FALSE(problem);
    CHECK(hash.value() == key64);
    auto block = flyte::read_secret_key(f.source(), flyte::cookie_block_key_secret, problem);
    REQUIRE_FALSE(problem);
    CHECK(block.value() == key32);
    CHECK(block.origin() == "environment variable FLYTE_SECRET_cookie_block_key");
  }
  SECTION("newlines are ignored, as Go's decoder ignores them; padding is accepted") {
    const std::string text = unpadded_base64(key64);
    for (const std::string& variant : {text + "\n", text + "\r\n", text.substr(0, 40) + "\n" + text.substr(40) + "\n",
                                       crypto::base64_encode(key64), crypto::base64_encode(key64) + "\n"}) {
      f.dir.write("cookie_hash_key", variant);
      auto v = flyte::read_secret_key(f.source(), flyte::cookie_hash_key_secret, problem);
      INFO(variant);
      REQUIRE_FALSE(problem);
      CHECK(v.value() == key64);
    }
  }
  SECTION("a key of the wrong length is named, with its length") {
    f.dir.write("claim_symmetric_key", unpadded_base64(std::string(48, 'k')));
    flyte::read_secret_key(f.source(), flyte::claim_symmetric_key_secret, problem);
    CHECK(problem.code == error::config_value_invalid);
    CHECK(problem.message() == (f.dir / "claim_symmetric_key").string() +
                                   ": claim_symmetric_key: decodes to 48 bytes; the key must be 32");
  }
  SECTION("text that is not base64 is named, never shown") {
    const std::string values[] = {"not base64 at all!", unpadded_base64(key32) + " ", "YWJj=ZGVm", "QR",
                                  "A" + unpadded_base64(key32).substr(1) + "A"};
    for (const auto& value : values) {
      f.env["FLYTE_SECRET_cookie_block_key"] = value;
      flyte::read_secret_key(f.source(), flyte::cookie_block_key_secret, problem);
      INFO(value);
      CHECK(problem.code == error::config_value_invalid);
      CHECK(problem.message().rfind("environment variable FLYTE_SECRET_cookie_block_key: cookie_block_key: ", 0) == 0);
      CHECK(problem.message().find(value) == std::string::npos);
    }
    f.env["FLYTE_SECRET_cookie_block_key"] = "not base64 at all!";
    flyte::read_secret_key(f.source(), flyte::cookie_block_key_secret, problem);
    CHECK(problem.detail == "cookie_block_key: not base64: base64 input has a character outside its alphabet");
  }
}

TEST_CASE("secrets: text loses one trailing newline, as flyteadmin's OIDC client secret") {
  fake_secrets f;
  const std::pair<std::string, std::string> rows[] = {
      {"s3cret", "s3cret"}, {"s3cret\n", "s3cret"}, {"s3cret\n\n", "s3cret\n"}, {"s3cret\r\n", "s3cret\r"},
      {" s3cret ", " s3cret "}};
  for (const auto& [stored, expected] : rows) {
    f.dir.write("oidc_client_secret", stored);
    CHECK(flyte::read_text_secret(f.source(), flyte::oidc_client_secret_name).value() == expected);
    f.env["FLYTE_SECRET_oidc_client_secret"] = stored;
    CHECK(flyte::read_text_secret(f.source(), flyte::oidc_client_secret_name).value() == expected);
    f.env.clear();
  }
  // find_secret takes the value as it is.
  f.dir.write("oidc_client_secret", "x\n");
  flyte::config_problem problem;
  CHECK(flyte::find_secret(f.source(), "oidc_client_secret", problem)->value() == "x\n");
}

TEST_CASE("secrets: size bound, names that are not file names, unreadable files") {
  fake_secrets f;
  flyte::config_problem problem;
  SECTION("a file over the bound") {
    f.dir.write("oidc_client_secret", std::string(flyte::max_secret_size + 1, 'x'));
    flyte::read_text_secret(f.source(), "oidc_client_secret", problem);
    CHECK(problem.code == error::config_too_large);
    CHECK(problem.message() == (f.dir / "oidc_client_secret").string() + ": larger than 65536 bytes");
    f.dir.write("oidc_client_secret", std::string(flyte::max_secret_size, 'x'));
    CHECK(flyte::read_text_secret(f.source(), "oidc_client_secret", problem).size() == flyte::max_secret_size);
  }
  SECTION("a variable over the bound") {
    f.env["FLYTE_SECRET_oidc_client_secret"] = std::string(flyte::max_secret_size + 1, 'x');
    flyte::read_text_secret(f.source(), "oidc_client_secret", problem);
    CHECK(problem.code == error::config_too_large);
    CHECK(problem.message() == "environment variable FLYTE_SECRET_oidc_client_secret: larger than 65536 bytes");
  }
  SECTION("names that would leave the directory") {
    for (std::string_view name : {"../passwd", "a/b", "", "..", "."}) {
      flyte::read_text_secret(f.source(), name, problem);
      CHECK(problem.code == error::config_value_invalid);
      CHECK(problem.message().rfind("not a secret name", 0) == 0);
    }
    CHECK(f.asked.empty());
  }
  SECTION("a directory in the secret's place") {
    std::filesystem::create_directory(f.dir / "cookie_hash_key");
    flyte::read_secret_key(f.source(), flyte::cookie_hash_key_secret, problem);
    CHECK(problem.code == error::config_file_unreadable);
    CHECK(problem.message() == (f.dir / "cookie_hash_key").string() + ": not a regular file");
  }
  SECTION("a symbolic link is followed, as Kubernetes mounts secrets") {
    std::filesystem::create_directory(f.dir / "..data");
    f.dir.write("..data/oidc_client_secret", "linked\n");
    std::filesystem::create_symlink("..data/oidc_client_secret", f.dir / "oidc_client_secret");
    CHECK(flyte::read_text_secret(f.source(), "oidc_client_secret").value() == "linked");
  }
}

TEST_CASE("secrets: secret_value wipes and moves") {
  flyte::secret_value a("abc", "here");
  flyte::secret_value b(std::move(a));
  CHECK(b.value() == "abc");
  CHECK(b.origin() == "here");
  CHECK(a.empty());  // moved-from: wiped and empty
  flyte::secret_value c;
  c = std::move(b);
  CHECK(c.value() == "abc");
  CHECK(b.empty());
}

TEST_CASE("secrets: signing keys from the environment or the files") {
  fake_secrets f;
  flyte::config_problem problem;
  const auto current = jose::jwk::generate(algorithm::RS256);
  const auto old = jose::jwk::generate(algorithm::RS256);

  SECTION("PEM in variables: FLYTE_SECRET_token_rsa_key.pem, with the dot") {
    f.env["FLYTE_SECRET_token_rsa_key.pem"] = flyte::signing_key_pem(current);
    f.env["FLYTE_SECRET_token_rsa_key_old.pem"] = old.private_pem();  // PKCS#8 too
    f.dir.write("token_rsa_key.pem", "not used");
    auto keys = flyte::load_signing_keys(f.source(), problem);
    REQUIRE_FALSE(problem);
    CHECK(keys.current.kid() == current.kid());
    REQUIRE(keys.old);
    CHECK(keys.old->kid() == old.kid());
    CHECK_FALSE(keys.old->has_private_key());
    CHECK(verifies(keys.key_set(), old));
  }
  SECTION("files; no old key") {
    f.dir.write("token_rsa_key.pem", flyte::signing_key_pem(current));
    auto keys = flyte::load_signing_keys(f.source(), problem);
    REQUIRE_FALSE(problem);
    CHECK(keys.current.kid() == current.kid());
    CHECK_FALSE(keys.old);
    CHECK(f.asked == std::vector<std::string>{"FLYTE_SECRET_token_rsa_key.pem", "FLYTE_SECRET_token_rsa_key_old.pem"});
  }
  SECTION("failures name the variable or the file") {
    flyte::load_signing_keys(f.source(), problem);
    CHECK(problem.code == error::config_file_unreadable);
    CHECK(problem.message().find("FLYTE_SECRET_token_rsa_key.pem is not set") != std::string::npos);

    f.env["FLYTE_SECRET_token_rsa_key.pem"] = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    flyte::load_signing_keys(f.source(), problem);
    CHECK(problem.code == error::pem_invalid);
    CHECK(problem.message() == "environment variable FLYTE_SECRET_token_rsa_key.pem: PEM text holds no usable key");

    f.env["FLYTE_SECRET_token_rsa_key.pem"] = current.public_pem();
    flyte::load_signing_keys(f.source(), problem);
    CHECK(problem.code == error::key_not_private);

    f.env["FLYTE_SECRET_token_rsa_key.pem"] = flyte::signing_key_pem(current);
    f.env["FLYTE_SECRET_token_rsa_key_old.pem"] = "";  // set but empty: refused, as by flyteadmin
    flyte::load_signing_keys(f.source(), problem);
    CHECK(problem.code == error::config_value_invalid);
    CHECK(problem.message() ==
          "environment variable FLYTE_SECRET_token_rsa_key_old.pem: secret token_rsa_key_old.pem is empty");

    f.env.erase("FLYTE_SECRET_token_rsa_key_old.pem");
    f.dir.write("token_rsa_key_old.pem", jose::jwk::generate(algorithm::ES256).private_pem());
    flyte::load_signing_keys(f.source(), problem, {.old_algorithm = algorithm::RS256});
    CHECK(problem.code == error::key_algorithm_mismatch);
    CHECK(problem.message() == (f.dir / "token_rsa_key_old.pem").string() + ": key is for ES256, not RS256");
  }
}

TEST_CASE("secrets: signing_key_pem writes RSA as PKCS#1, the others as PKCS#8") {
  const auto rsa = jose::jwk::generate(algorithm::RS256);
  const auto pem = flyte::signing_key_pem(rsa);
  CHECK(pem.rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0) == 0);
  CHECK(flyte::key_from_pem(pem, algorithm::RS256).kid() == rsa.kid());
  CHECK(rsa.private_pem().rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);  // PKCS#8 stays available
  CHECK(flyte::key_from_pem(rsa.private_pem(), algorithm::RS256).kid() == rsa.kid());
  for (auto alg : {algorithm::ES256, algorithm::EdDSA}) {
    const auto key = jose::jwk::generate(alg);
    CHECK(flyte::signing_key_pem(key).rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    CHECK(key.private_pem_pkcs1().empty());
  }
  CHECK(rsa.public_key().private_pem_pkcs1().empty());
}

TEST_CASE("secrets: a key written by openssl genrsa -traditional loads") {
  test::scratch_dir dir;
  const auto file = dir / "token_rsa_key.pem";
  const std::string command = "openssl genrsa -traditional -out '" + file.string() + "' 2048 2>/dev/null";
  if (std::system(command.c_str()) != 0) FAIL("openssl genrsa failed: is the openssl command installed?");
  std::string text;
  flyte::config_problem problem;
  REQUIRE(flyte::detail::read_config_file(file, flyte::max_key_file_size, text, problem));
  CHECK(text.rfind("-----BEGIN RSA PRIVATE KEY-----", 0) == 0);

  flyte::secret_source src;
  src.dir = dir.path();
  src.getenv = nullptr;
  auto keys = flyte::load_signing_keys(src, problem);
  REQUIRE_FALSE(problem);
  CHECK(keys.current.alg() == algorithm::RS256);
  CHECK(keys.current.has_private_key());
  CHECK(flyte::load_signing_keys(dir.path()).current.kid() == keys.current.kid());

  // The same key as PKCS#8 (openssl pkcs8 -topk8 -nocrypt) loads too, to the same key.
  const auto pkcs8 = dir / "pkcs8.pem";
  const std::string to_pkcs8 =
      "openssl pkcs8 -topk8 -nocrypt -in '" + file.string() + "' -out '" + pkcs8.string() + "' 2>/dev/null";
  REQUIRE(std::system(to_pkcs8.c_str()) == 0);
  REQUIRE(flyte::detail::read_config_file(pkcs8, flyte::max_key_file_size, text, problem));
  CHECK(text.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  auto again = flyte::load_signing_keys(src, problem, {.signing_key_name = "pkcs8.pem"});
  REQUIRE_FALSE(problem);
  CHECK(again.current.kid() == keys.current.kid());
}
