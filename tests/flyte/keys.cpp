#include <tessera/flyte/keys.hpp>

#include "test_files.hpp"

#include <tessera/jose/jws.hpp>

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

using namespace tessera;
using jose::algorithm;

namespace {

std::string private_pem(algorithm alg) { return jose::jwk::generate(alg).private_pem(); }

/// An RSA key in PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form Flyte writes and reads.
std::string pkcs1_rsa_pem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}),
                                                          &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

/// A token signed by `key` verifies with the loaded key set (the old key is really usable).
bool verifies(const server::key_set& keys, const jose::jwk& key) {
  const std::string token = jose::jws_signer(key).sign(R"({"sub":"x"})");
  std::error_code ec;
  auto v = jose::verify_jws(token, keys.verification_keys(), {}, ec);
  return !ec && v.alg == key.alg();
}

}  // namespace

TEST_CASE("signing key files are named as Flyte names them") {
  CHECK(flyte::signing_key_file_name(algorithm::RS256) == "token_rsa_key.pem");
  CHECK(flyte::signing_key_file_name(algorithm::PS384) == "token_rsa_key.pem");
  CHECK(flyte::signing_key_file_name(algorithm::ES256) == "token_es256_key.pem");
  CHECK(flyte::signing_key_file_name(algorithm::EdDSA) == "token_eddsa_key.pem");
  CHECK(flyte::flyte_old_signing_key_name == "token_rsa_key_old.pem");
  CHECK(flyte::signing_key_options{}.old_signing_key_name == "token_rsa_key_old.pem");
}

TEST_CASE("the old key keeps its own algorithm") {
  struct row {
    algorithm current, old_key, expected;
  };
  const row rows[] = {
      {algorithm::RS256, algorithm::ES256, algorithm::ES256},  // RS256 deployment, EC old key
      {algorithm::ES256, algorithm::RS256, algorithm::RS256},  // moved from RS256 to ES256
      {algorithm::ES256, algorithm::ES384, algorithm::ES384},  // curve decides
      {algorithm::RS256, algorithm::EdDSA, algorithm::EdDSA},
      {algorithm::PS256, algorithm::RS256, algorithm::PS256},  // an RSA key rotated under PS256 stays PS256
      {algorithm::RS256, algorithm::RS256, algorithm::RS256},
      {algorithm::EdDSA, algorithm::ES512, algorithm::ES512},
  };
  for (const auto& r : rows) {
    INFO(jose::to_string(r.current) << " current, " << jose::to_string(r.old_key) << " old");
    test::scratch_dir dir;
    dir.write(flyte::signing_key_file_name(r.current), private_pem(r.current));
    const auto old_private = jose::jwk::generate(r.old_key);
    dir.write("token_rsa_key_old.pem", old_private.private_pem());

    const auto keys = flyte::load_signing_keys(dir.path(), {.algorithm = r.current});
    CHECK(keys.current.alg() == r.current);
    CHECK(keys.current.has_private_key());
    REQUIRE(keys.old);
    CHECK(keys.old->alg() == r.expected);
    CHECK_FALSE(keys.old->has_private_key());  // it only verifies
    CHECK(keys.old->kid() == old_private.kid());

    const auto set = keys.key_set();
    CHECK(set.current().alg() == r.current);
    CHECK(set.verification_keys().size() == 2);
    CHECK(set.verification_keys().find(old_private.kid()));
    CHECK(verifies(set, keys.current));
    if (r.expected == r.old_key) CHECK(verifies(set, old_private));  // tokens the old key signed
  }
}

TEST_CASE("the old key's algorithm can be given, and a key that does not fit it is named") {
  test::scratch_dir dir;
  dir.write("token_rsa_key.pem", private_pem(algorithm::RS256));
  const auto old_file = dir.write("token_rsa_key_old.pem", private_pem(algorithm::RS256));

  auto keys = flyte::load_signing_keys(dir.path(), {.old_algorithm = algorithm::PS384});
  REQUIRE(keys.old);
  CHECK(keys.old->alg() == algorithm::PS384);

  flyte::config_problem problem;
  flyte::load_signing_keys(dir.path(), problem, {.old_algorithm = algorithm::ES256});
  CHECK(problem.code == error::key_algorithm_mismatch);
  CHECK(problem.file == old_file.string());
  CHECK(problem.message() == old_file.string() + ": key is for RS256, not ES256");
}

TEST_CASE("no old key file: one key") {
  test::scratch_dir dir;
  dir.write("token_es256_key.pem", private_pem(algorithm::ES256));
  auto keys = flyte::load_signing_keys(dir.path(), {.algorithm = algorithm::ES256});
  CHECK(keys.current.alg() == algorithm::ES256);
  CHECK_FALSE(keys.old);
  CHECK(keys.key_set().verification_keys().size() == 1);

  // An empty old name reads no old key even when Flyte's file is there.
  dir.write("token_rsa_key_old.pem", "not a key");
  CHECK_FALSE(flyte::load_signing_keys(dir.path(), {.algorithm = algorithm::ES256, .old_signing_key_name = ""}).old);
}

TEST_CASE("Flyte's PKCS#1 RSA key and other names load") {
  test::scratch_dir dir;
  const auto pem = pkcs1_rsa_pem();
  REQUIRE(pem.rfind("-----BEGIN RSA PRIVATE KEY-----", 0) == 0);
  dir.write("token_rsa_key.pem", pem);
  CHECK(flyte::load_signing_keys(dir.path()).current.alg() == algorithm::RS256);

  dir.write("signing.pem", private_pem(algorithm::EdDSA));
  dir.write("previous.pem", pem);
  auto keys = flyte::load_signing_keys(
      dir.path(),
      {.algorithm = algorithm::EdDSA, .signing_key_name = "signing.pem", .old_signing_key_name = "previous.pem"});
  CHECK(keys.current.alg() == algorithm::EdDSA);
  REQUIRE(keys.old);
  CHECK(keys.old->alg() == algorithm::RS256);
}

TEST_CASE("key files that cannot be used are refused, with the file named") {
  test::scratch_dir dir;
  const auto current = dir / "token_rsa_key.pem";
  const auto old = dir / "token_rsa_key_old.pem";
  flyte::config_problem problem;

  SECTION("missing current key") {
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::config_file_unreadable);
    CHECK(problem.message().rfind(current.string() + ": cannot read: ", 0) == 0);
  }
  SECTION("the current key is of another type") {
    dir.write("token_rsa_key.pem", private_pem(algorithm::ES384));
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::key_algorithm_mismatch);
    CHECK(problem.message() == current.string() + ": key is for ES384, not RS256");
  }
  SECTION("the current key is public") {
    dir.write("token_rsa_key.pem", jose::jwk::generate(algorithm::RS256).public_pem());
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::key_not_private);
    CHECK(problem.message() == current.string() + ": holds a public key only; the signing key must be private");
  }
  SECTION("the old key is public: fine, it only verifies") {
    dir.write("token_rsa_key.pem", private_pem(algorithm::RS256));
    dir.write("token_rsa_key_old.pem", jose::jwk::generate(algorithm::ES256).public_pem());
    auto keys = flyte::load_signing_keys(dir.path(), problem);
    CHECK_FALSE(problem);
    REQUIRE(keys.old);
    CHECK(keys.old->alg() == algorithm::ES256);
  }
  SECTION("the old key is not PEM") {
    dir.write("token_rsa_key.pem", private_pem(algorithm::RS256));
    dir.write("token_rsa_key_old.pem", "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::pem_invalid);
    CHECK(problem.message() == old.string() + ": PEM text holds no usable key");
  }
  SECTION("the old file is a directory") {
    dir.write("token_rsa_key.pem", private_pem(algorithm::RS256));
    std::filesystem::create_directory(old);
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::config_file_unreadable);
    CHECK(problem.message() == old.string() + ": not a regular file");
  }
  SECTION("an oversized key file") {
    dir.write("token_rsa_key.pem", std::string(flyte::max_key_file_size + 1, 'A'));
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::config_too_large);
    CHECK(problem.message() == current.string() + ": larger than 65536 bytes");
  }
  SECTION("an unsupported curve") {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"),
                                                            &EVP_PKEY_free);
    REQUIRE(key);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    dir.write("token_rsa_key.pem", private_pem(algorithm::RS256));
    dir.write("token_rsa_key_old.pem", std::string(data, static_cast<std::size_t>(len)));
    flyte::load_signing_keys(dir.path(), problem);
    CHECK(problem.code == error::curve_unsupported);
    CHECK(problem.message() == old.string() + ": elliptic curve is not supported");
  }
  SECTION("the three overloads agree") {
    std::error_code ec;
    flyte::load_signing_keys(dir.path(), ec);
    CHECK(ec == error::config_file_unreadable);
    CHECK(ec == condition::server_error);
    try {
      flyte::load_signing_keys(dir.path());
      FAIL("no exception");
    } catch (const flyte::config_error& e) {
      CHECK(e.code() == error::config_file_unreadable);
      CHECK(std::string(e.what()) == e.problem().message());
      CHECK(e.problem().file == current.string());
    }
  }
}

TEST_CASE("key_from_pem binds to the key's own algorithm, or the preferred one when it fits") {
  const auto rsa = private_pem(algorithm::RS256);
  CHECK(flyte::key_from_pem(rsa, std::nullopt).alg() == algorithm::RS256);
  CHECK(flyte::key_from_pem(rsa, std::nullopt, algorithm::PS512).alg() == algorithm::PS512);
  CHECK(flyte::key_from_pem(rsa, std::nullopt, algorithm::ES256).alg() == algorithm::RS256);
  CHECK(flyte::key_from_pem(rsa, std::nullopt, algorithm::HS256).alg() == algorithm::RS256);
  CHECK(flyte::key_from_pem(private_pem(algorithm::ES512), std::nullopt).alg() == algorithm::ES512);
  std::error_code ec;
  flyte::key_from_pem("garbage", std::nullopt, ec);
  CHECK(ec == error::pem_invalid);
  CHECK_THROWS_AS(flyte::key_from_pem(rsa, algorithm::EdDSA), tessera::system_error);
}
