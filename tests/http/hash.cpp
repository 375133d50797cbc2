#include <tessera/crypto/hash.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace tessera;
using namespace tessera::crypto;

namespace {
template <std::size_t N>
std::string hex(const std::array<unsigned char, N>& d) {
  return to_hex(d);
}
std::string bytes(std::size_t n, unsigned char v) { return std::string(n, static_cast<char>(v)); }
}  // namespace

TEST_CASE("SHA-256 matches the FIPS 180-4 examples") {
  CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("SHA-384 and SHA-512 match the FIPS 180-4 examples") {
  CHECK(hex(sha384("abc")) ==
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  CHECK(hex(sha512("abc")) ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
        "454d4423643ce80e2a9ac94fa54ca49f");
}

TEST_CASE("the error_code overloads of the digests report success") {
  std::error_code ec = error::crypto_failure;
  auto d = sha256("abc", ec);
  CHECK_FALSE(ec);
  CHECK(d == sha256("abc"));
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 test cases 1, 2, 4 and 6") {
  // 1: 20-byte key of 0x0b
  CHECK(hex(hmac_sha256(bytes(20, 0x0b), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // 2: short key "Jefe"
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // 4: 25-byte key 0x01..0x19, 50 bytes of 0xcd
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<char>(i));
  CHECK(hex(hmac_sha256(key4, bytes(50, 0xcd))) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // 6: 131-byte key (longer than the block: hashed first)
  CHECK(hex(hmac_sha256(bytes(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("a prepared HMAC key gives the same MAC as the one-shot function") {
  std::string key = "Jefe";
  hmac_sha256_key k(std::span(reinterpret_cast<const unsigned char*>(key.data()), key.size()));
  CHECK(k.mac("what do ya want for nothing?") == hmac_sha256(key, "what do ya want for nothing?"));
  CHECK(k.mac("what do ya want for nothing?") == k.mac("what do ya want for nothing?"));  // reusable
}

TEST_CASE("HMAC with an empty key is defined and differs from a one-byte zero key") {
  std::error_code ec;
  auto a = hmac_sha256(std::string_view{}, "data", ec);
  REQUIRE_FALSE(ec);
  CHECK(hex(a) == "e528c4d99e6177f5841f712a143b90843299a4aa181a06501422d9ca862bd2a5");
  // RFC 2104 pads keys with zeros, so "" and "\0" are the same HMAC key:
  CHECK(a == hmac_sha256(bytes(1, 0), "data"));
}

TEST_CASE("mac_fields is injective: moving a boundary or a NUL changes the MAC") {
  std::array<unsigned char, 32> key{};
  hmac_sha256_key k(key);
  CHECK(k.mac_fields({"ab", "c"}) != k.mac_fields({"a", "bc"}));
  CHECK(k.mac_fields({std::string_view("a\0b", 3), "c"}) != k.mac_fields({"a", std::string_view("b\0c", 3)}));
  CHECK(k.mac_fields({"", "x"}) != k.mac_fields({"x", ""}));
  CHECK(k.mac_fields({"x"}) != k.mac("x"));
}

TEST_CASE("a prepared HMAC key can be used from many threads at once") {
  std::array<unsigned char, 32> key{1, 2, 3};
  hmac_sha256_key k(key);
  const auto expected = k.mac("payload");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (k.mac("payload") != expected) ++wrong;
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("to_hex writes lower-case pairs") {
  std::array<unsigned char, 3> b{0x00, 0xab, 0xff};
  CHECK(to_hex(b) == "00abff");
}
