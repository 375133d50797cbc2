#include <tessera/crypto/secret_hash.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace tessera;
using namespace tessera::crypto;

// Published vectors: Openwall crypt_blowfish's test set (also in OpenBSD's regress) and Go's
// golang.org/x/crypto/bcrypt test (the implementation Flyte uses). Cross-checked with
// Python's crypt module over libxcrypt.
TEST_CASE("published bcrypt vectors verify") {
  CHECK(verify_secret("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  CHECK(verify_secret("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"));
  CHECK(verify_secret("U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"));
  CHECK(verify_secret("", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"));
  CHECK(verify_secret("allmine", "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"));
}

TEST_CASE("the $2b$ and $2y$ spellings of a vector verify too") {
  CHECK(verify_secret("U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  CHECK(verify_secret("U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
}

TEST_CASE("a wrong secret is a mismatch, not an exception") {
  std::error_code ec;
  CHECK_FALSE(verify_secret("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec));
  CHECK(ec == error::secret_mismatch);
  CHECK(ec == condition::invalid_client);
  CHECK_FALSE(verify_secret("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
}

TEST_CASE("hash_secret produces a 60-character $2b$ hash that verifies, with a fresh salt each time") {
  auto h1 = hash_secret("correct horse", 4);
  auto h2 = hash_secret("correct horse", 4);
  CHECK(h1.size() == bcrypt_hash_size);
  CHECK(h1.substr(0, 7) == "$2b$04$");
  CHECK(h1 != h2);
  CHECK(verify_secret("correct horse", h1));
  CHECK(verify_secret("correct horse", h2));
  CHECK_FALSE(verify_secret("correct horsE", h1));
}

TEST_CASE("hash_secret defaults to cost 10") {
  CHECK(hash_secret("s").substr(0, 7) == "$2b$10$");
}

TEST_CASE("malformed stored hashes fail with secret_hash_invalid") {
  const char* bad[] = {
      "",
      "plaintext-secret",
      "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",    // 59 chars
      "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeWW",  // 61 chars
      "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",   // buggy variant
      "$2$05$CCCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$2a$5$CCCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$2a$05$CCCCCCCCCCCCCCCCCCCCC!E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",   // not in the alphabet
      "$6$salt$XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",  // sha512crypt
  };
  for (const char* h : bad) {
    std::error_code ec;
    INFO(h);
    CHECK_FALSE(verify_secret("U*U", h, ec));
    CHECK(ec == error::secret_hash_invalid);
    CHECK_THROWS_AS(verify_secret("U*U", h), tessera::system_error);
  }
}

TEST_CASE("a stored hash above the cost bound is refused without running bcrypt") {
  // Cost 13 takes ≈0.4 s when run: refusing it in under 50 ms shows bcrypt did not run.
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(verify_secret("x", "$2b$13$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec));
  REQUIRE(ec == error::secret_hash_cost);
  REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(50));
  // Cost 31 would take days: an attacker-influenced hash must never get that far.
  CHECK_FALSE(verify_secret("x", "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec));
  CHECK(ec == error::secret_hash_cost);
  CHECK_FALSE(verify_secret("x", "$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec));
  CHECK(ec == error::secret_hash_cost);
}

TEST_CASE("a caller may lower the accepted cost bound") {
  std::error_code ec;
  CHECK_FALSE(verify_secret("allmine", "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga", ec, 8));
  CHECK(ec == error::secret_hash_cost);
}

TEST_CASE("check_secret_hash validates configuration without a secret") {
  std::error_code ec;
  check_secret_hash("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec);
  CHECK_FALSE(ec);
  check_secret_hash("$2a$14$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec);
  CHECK(ec == error::secret_hash_cost);
  check_secret_hash("nope", ec);
  CHECK(ec == error::secret_hash_invalid);
}

TEST_CASE("hash_secret refuses costs outside the bounds, secrets over 72 bytes and secrets with NUL") {
  std::error_code ec;
  CHECK(hash_secret("s", 3, ec).empty());
  CHECK(ec == error::secret_hash_cost);
  CHECK(hash_secret("s", bcrypt_max_cost + 1, ec).empty());
  CHECK(ec == error::secret_hash_cost);
  CHECK(hash_secret(std::string(73, 'a'), 4, ec).empty());
  CHECK(ec == error::input_too_large);
  CHECK(hash_secret(std::string("a\0b", 3), 4, ec).empty());
  CHECK(ec == error::parameter_invalid);
  CHECK_FALSE(hash_secret(std::string(72, 'a'), 4, ec).empty());
  CHECK_FALSE(ec);
}

TEST_CASE("a secret sharing the first 72 bytes of the real one does not verify") {
  const std::string secret(72, 'k');
  auto h = hash_secret(secret, 4);
  CHECK(verify_secret(secret, h));
  std::error_code ec;
  CHECK_FALSE(verify_secret(secret + "extra", h, ec));
  CHECK(ec == error::secret_mismatch);
}

TEST_CASE("a secret cut short by NUL does not verify against the prefix's hash") {
  auto h = hash_secret("abc", 4);
  std::error_code ec;
  CHECK_FALSE(verify_secret(std::string("abc\0def", 7), h, ec));
  CHECK(ec == error::secret_mismatch);
}

TEST_CASE("Flyte's base64-of-bcrypt client secret format verifies") {
  // base64("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"), by Python's base64
  const std::string flyte = "JDJhJDA1JENDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQy5FNVlQTzlrbXl1Ukd5aDBYb3VRWWI0WU1KS3Z5T2VX";
  CHECK(verify_flyte_client_secret("U*U", flyte));
  std::error_code ec;
  CHECK_FALSE(verify_flyte_client_secret("wrong", flyte, ec));
  CHECK(ec == error::secret_mismatch);
  CHECK(encode_flyte_client_secret_hash("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW") == flyte);
}

TEST_CASE("a Flyte client secret hash made by tessera verifies") {
  auto flyte = hash_flyte_client_secret("propeller-secret", 4);
  CHECK(verify_flyte_client_secret("propeller-secret", flyte));
  CHECK_FALSE(verify_flyte_client_secret("propeller-secreT", flyte));
}

TEST_CASE("a Flyte hash that is not strict base64 of a bcrypt string is secret_hash_invalid") {
  std::error_code ec;
  // the raw bcrypt string (someone forgot to base64 it)
  CHECK_FALSE(verify_flyte_client_secret("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec));
  CHECK(ec == error::secret_hash_invalid);
  // unpadded base64
  CHECK_FALSE(verify_flyte_client_secret("U*U", "JDJhJDA1JENDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQy5FNVlQTzlrbXl1Ukd5aDBYb3VRWWI0WU1KS3Z5T2V", ec));
  CHECK(ec == error::secret_hash_invalid);
  // valid base64 of something that is not bcrypt
  CHECK_FALSE(verify_flyte_client_secret("U*U", base64_encode("not a bcrypt hash"), ec));
  CHECK(ec == error::secret_hash_invalid);
  CHECK_THROWS_AS(verify_flyte_client_secret("U*U", "%%%%"), tessera::system_error);
}

TEST_CASE("secret hashing errors never carry the secret or the hash in their message") {
  std::error_code ec;
  verify_secret("hunter2-secret", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ec);
  CHECK(ec.message().find("hunter2") == std::string::npos);
  try {
    verify_secret("hunter2-secret", "$2b$05$SECRETHASHCCCCCCCCCCC");
    FAIL("expected an exception");
  } catch (const tessera::system_error& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    CHECK(std::string(e.what()).find("SECRETHASH") == std::string::npos);
  }
}
