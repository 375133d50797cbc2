#include <tessera/crypto/base64.hpp>

#include <catch2/catch.hpp>

using namespace tessera;
using namespace tessera::crypto;

TEST_CASE("base64url round-trips every length up to 64 bytes") {
  std::string raw;
  for (int n = 0; n <= 64; ++n) {
    std::string enc = base64url_encode(raw);
    CHECK(enc.size() == base64url_encoded_size(raw.size()));
    std::error_code ec;
    CHECK(base64url_decode(enc, ec) == raw);
    CHECK_FALSE(ec);
    raw.push_back(static_cast<char>(n * 37 + 11));
  }
}

TEST_CASE("base64url matches RFC 4648 test vectors") {
  CHECK(base64url_encode(std::string_view("")) == "");
  CHECK(base64url_encode(std::string_view("f")) == "Zg");
  CHECK(base64url_encode(std::string_view("fo")) == "Zm8");
  CHECK(base64url_encode(std::string_view("foo")) == "Zm9v");
  CHECK(base64url_encode(std::string_view("foob")) == "Zm9vYg");
  CHECK(base64url_encode(std::string_view("fooba")) == "Zm9vYmE");
  CHECK(base64url_encode(std::string_view("foobar")) == "Zm9vYmFy");
  CHECK(base64_encode(std::string_view("fooba")) == "Zm9vYmE=");
  CHECK(base64_encode(std::string_view("foob")) == "Zm9vYg==");
  CHECK(base64url_encode(std::string_view("\xfb\xff")) == "-_8");
  CHECK(base64_encode(std::string_view("\xfb\xff")) == "+/8=");
}

TEST_CASE("base64url decoding rejects padding") {
  std::error_code ec;
  base64url_decode("Zg==", ec);
  CHECK(ec == error::base64_padding);
  base64url_decode("Zm9v=", ec);
  CHECK(ec == error::base64_padding);
}

TEST_CASE("base64url decoding rejects characters outside the URL-safe alphabet") {
  std::error_code ec;
  using namespace std::literals;
  for (std::string_view bad : {"Zm9+"sv, "Zm9/"sv, "Zm 9"sv, "Zm9\n"sv, "Zm\0v"sv, "Zm9\xc3"sv}) {
    base64url_decode(bad, ec);
    CHECK(ec == error::base64_invalid_character);
  }
}

TEST_CASE("base64url decoding rejects an impossible length") {
  std::error_code ec;
  base64url_decode("Zm9vY", ec);
  CHECK(ec == error::base64_invalid_length);
}

TEST_CASE("base64url decoding rejects non-zero trailing bits") {
  std::error_code ec;
  CHECK(base64url_decode("Zg", ec) == "f");
  base64url_decode("Zh", ec);  // same byte, trailing bits set
  CHECK(ec == error::base64_non_canonical);
  CHECK(base64url_decode("Zm8", ec) == "fo");
  base64url_decode("Zm9", ec);
  CHECK(ec == error::base64_non_canonical);
}

TEST_CASE("base64 decoding needs exact padding") {
  std::error_code ec;
  CHECK(base64_decode("Zm9vYg==", ec) == "foob");
  CHECK_FALSE(ec);
  base64_decode("Zm9vYg", ec);
  CHECK(ec == error::base64_invalid_length);
  base64_decode("Zm9v=mFy", ec);
  CHECK(ec == error::base64_padding);
  base64_decode("Zm9vYh==", ec);
  CHECK(ec == error::base64_non_canonical);
  base64_decode("Zm9-", ec);
  CHECK(ec == error::base64_invalid_character);
}

TEST_CASE("throwing decode overload throws tessera::system_error with the cause") {
  try {
    (void)base64url_decode("a");
    FAIL("no throw");
  } catch (const tessera::system_error& e) {
    CHECK(e.code() == error::base64_invalid_length);
  }
}
