#include <tessera/crypto/aead.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace tessera;
using namespace tessera::crypto;

namespace {
const std::string key_a(32, 'a');
const std::string key_b(32, 'b');
}  // namespace

TEST_CASE("a sealed value opens to the plaintext with the same key and associated data") {
  sealer s(key_a);
  auto sealed = s.seal("session data", "flyte_idt");
  CHECK(sealed.size() == aead_overhead + 12);
  CHECK(sealed.find("session data") == std::string::npos);
  std::error_code ec;
  CHECK(s.open(sealed, "flyte_idt", ec) == "session data");
  CHECK_FALSE(ec);
}

TEST_CASE("an empty plaintext and empty associated data seal and open") {
  sealer s(key_a);
  auto sealed = s.seal("", "");
  CHECK(sealed.size() == aead_overhead);
  std::error_code ec;
  CHECK(s.open(sealed, "", ec).empty());
  CHECK_FALSE(ec);
}

TEST_CASE("a change to any single byte of a sealed value makes it fail to open") {
  sealer s(key_a);
  const auto sealed = s.seal("authorization request", "flyte_auth_code");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto t = sealed;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    std::error_code ec;
    INFO("byte " << i);
    CHECK(s.open(t, "flyte_auth_code", ec).empty());
    CHECK(ec == error::aead_open_failed);
  }
}

TEST_CASE("a sealed value does not open with other associated data (swapped cookie)") {
  sealer s(key_a);
  auto sealed = s.seal("token", "flyte_at_1");
  std::error_code ec;
  CHECK(s.open(sealed, "flyte_at_2", ec).empty());
  CHECK(ec == error::aead_open_failed);
}

TEST_CASE("a sealed value does not open under another key") {
  auto sealed = sealer(key_a).seal("token", "ad");
  std::error_code ec;
  CHECK(sealer(key_b).open(sealed, "ad", ec).empty());
  CHECK(ec == error::aead_open_failed);
}

TEST_CASE("truncated or too short sealed values fail to open without throwing") {
  sealer s(key_a);
  auto sealed = s.seal("token", "ad");
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, aead_overhead - 1, sealed.size() - 1}) {
    std::error_code ec;
    CHECK(s.open(sealed.substr(0, n), "ad", ec).empty());
    CHECK(ec == error::aead_open_failed);
  }
}

TEST_CASE("the throwing open reports aead_open_failed as an exception") {
  sealer s(key_a);
  CHECK_THROWS_AS(s.open("garbage that is long enough to hold nonce and tag", "ad"), tessera::system_error);
}

TEST_CASE("each seal uses a fresh nonce") {
  sealer s(key_a);
  std::set<std::string> nonces;
  for (int i = 0; i < 200; ++i) nonces.insert(s.seal("same", "same").substr(0, aead_nonce_size));
  CHECK(nonces.size() == 200);
}

TEST_CASE("with rotated keys, the first key seals and every key opens") {
  sealer old_only(key_b);
  auto old_value = old_only.seal("old", "ad");
  sealer rotated{key_a, key_b};
  CHECK(rotated.key_count() == 2);
  CHECK(rotated.open(old_value, "ad") == "old");
  auto new_value = rotated.seal("new", "ad");
  CHECK(sealer(key_a).open(new_value, "ad") == "new");
  std::error_code ec;
  CHECK(old_only.open(new_value, "ad", ec).empty());
  CHECK(ec == error::aead_open_failed);
}

TEST_CASE("keys that are not 32 bytes are refused with aead_key_invalid") {
  auto refuses = [](auto make) {
    try {
      make();
    } catch (const tessera::system_error& e) {
      return e.code() == error::aead_key_invalid;
    }
    return false;
  };
  CHECK(refuses([] { sealer s(std::string(31, 'k')); }));
  CHECK(refuses([] { sealer s(std::string(33, 'k')); }));
  CHECK(refuses([] { sealer s{key_a, std::string(16, 'k')}; }));
  CHECK(refuses([] { sealer s(std::span<const std::string>{}); }));
}

TEST_CASE("base64url sealing round-trips and rejects non-base64url text as a failed open") {
  sealer s(key_a);
  auto text = s.seal_base64url("value", "name");
  CHECK(text.find_first_of("+/=") == std::string::npos);
  CHECK(s.open_base64url(text, "name") == "value");
  std::error_code ec;
  CHECK(s.open_base64url(text + "=", "name", ec).empty());
  CHECK(ec == error::aead_open_failed);
  CHECK(s.open_base64url("!!!!", "name", ec).empty());
  CHECK(ec == error::aead_open_failed);
}

TEST_CASE("a sealer built from a runtime list of keys opens what any of them sealed") {
  std::vector<std::string> keys{key_a, key_b};
  sealer s{std::span<const std::string>(keys)};
  CHECK(s.open(sealer(key_b).seal("x", "y"), "y") == "x");
}
