// Keys and key sets: PEM import in every accepted form (PEMs made at test time with the
// openssl CLI), refusals with their precise causes, JWK round trips, JWKS parsing.
#include "support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

using namespace jose_test;
using jose::algorithm;

namespace {

// PEM files generated once per run by the openssl CLI (no passphrase prompt: stdin is
// /dev/null and every encrypted key gets -passout).
struct pem_files {
  temp_dir dir;
  std::map<std::string, std::string> text;

  pem_files() {
    auto p = [&](const char* name) { return (dir / name).string(); };
    const std::pair<const char*, std::string> commands[] = {
        {"rsa_pkcs8", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + p("rsa_pkcs8")},
        {"rsa_pkcs1", "rsa -in " + p("rsa_pkcs8") + " -traditional -out " + p("rsa_pkcs1")},
        {"rsa_spki", "pkey -in " + p("rsa_pkcs8") + " -pubout -out " + p("rsa_spki")},
        {"rsa_pkcs1_public", "rsa -in " + p("rsa_pkcs8") + " -RSAPublicKey_out -out " + p("rsa_pkcs1_public")},
        {"rsa_cert", "req -new -x509 -key " + p("rsa_pkcs8") + " -subj /CN=tessera-test -days 1 -out " + p("rsa_cert")},
        {"rsa_pkcs8_encrypted",
         "pkey -in " + p("rsa_pkcs8") + " -aes256 -passout pass:hunter22 -out " + p("rsa_pkcs8_encrypted")},
        {"rsa_pkcs1_encrypted",
         "rsa -in " + p("rsa_pkcs8") + " -traditional -aes256 -passout pass:hunter22 -out " + p("rsa_pkcs1_encrypted")},
        {"rsa1024", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " + p("rsa1024")},
        {"ec256_sec1", "ecparam -name prime256v1 -genkey -noout -out " + p("ec256_sec1")},
        {"ec256_pkcs8", "pkey -in " + p("ec256_sec1") + " -out " + p("ec256_pkcs8")},
        {"ec256_spki", "pkey -in " + p("ec256_sec1") + " -pubout -out " + p("ec256_spki")},
        {"ec384_sec1", "ecparam -name secp384r1 -genkey -noout -out " + p("ec384_sec1")},
        {"ec521_sec1", "ecparam -name secp521r1 -genkey -noout -out " + p("ec521_sec1")},
        {"ec256k1_sec1", "ecparam -name secp256k1 -genkey -noout -out " + p("ec256k1_sec1")},
        {"ec256_cert", "req -new -x509 -key " + p("ec256_sec1") + " -subj /CN=tessera-test -days 1 -out " + p("ec256_cert")},
        {"ed25519", "genpkey -algorithm ED25519 -out " + p("ed25519")},
        {"ed25519_spki", "pkey -in " + p("ed25519") + " -pubout -out " + p("ed25519_spki")},
        {"ed448", "genpkey -algorithm ED448 -out " + p("ed448")},
        {"x25519", "genpkey -algorithm X25519 -out " + p("x25519")},
    };
    for (const auto& [name, args] : commands) {
      INFO("openssl " << args);
      REQUIRE(openssl(args));
      text[name] = slurp(dir / name);
      REQUIRE_FALSE(text[name].empty());
    }
  }
  const std::string& operator[](const std::string& name) const { return text.at(name); }
};

const pem_files& pems() {
  static const pem_files files;
  return files;
}

// Signs a payload with `signer` and verifies it with `verifier` (a fresh set).
void check_signs_and_verifies(const jose::jwk& signer, const jose::jwk& verifier) {
  REQUIRE(signer.has_private_key());
  const jose::jwk_set set{verifier};
  const std::string token = jose::jws_signer(signer).sign("{\"sub\":\"alice\"}");
  std::error_code ec;
  auto r = jose::verify_jws(token, set, {}, ec);
  REQUIRE_FALSE(ec);
  CHECK(r.payload == "{\"sub\":\"alice\"}");
}

jose::jwk pem_key(const std::string& name, algorithm alg) {
  std::error_code ec;
  auto k = jose::jwk::from_pem(pems()[name], alg, ec);
  INFO(name << ": " << ec.message());
  REQUIRE_FALSE(ec);
  REQUIRE(k.valid());
  return k;
}

std::error_code pem_error(const std::string& name, algorithm alg) {
  std::error_code ec;
  auto k = jose::jwk::from_pem(pems()[name], alg, ec);
  CHECK_FALSE(k.valid());
  return ec;
}

std::error_code json_error(std::string_view json, std::optional<algorithm> alg = {}) {
  std::error_code ec;
  auto k = jose::jwk::from_json(json, ec, alg);
  CHECK_FALSE(k.valid());
  return ec;
}

}  // namespace

//------------------------------------------------------------------------------------------
// PEM import

TEST_CASE("PEM: a PKCS#8 RSA private key signs and its SubjectPublicKeyInfo PEM verifies") {
  auto priv = pem_key("rsa_pkcs8", algorithm::RS256);
  auto pub = pem_key("rsa_spki", algorithm::RS256);
  CHECK(priv.has_private_key());
  CHECK_FALSE(pub.has_private_key());
  CHECK(priv.kty() == jose::key_type::RSA);
  CHECK(priv.signature_size() == 256);
  CHECK(priv.thumbprint() == pub.thumbprint());
  CHECK(priv.kid() == priv.thumbprint());  // the default kid is the RFC 7638 thumbprint
  check_signs_and_verifies(priv, pub);
}

TEST_CASE("PEM: a PKCS#1 'RSA PRIVATE KEY' imports as the same key") {
  REQUIRE(pems()["rsa_pkcs1"].find("BEGIN RSA PRIVATE KEY") != std::string::npos);
  auto priv = pem_key("rsa_pkcs1", algorithm::PS256);
  CHECK(priv.has_private_key());
  CHECK(priv.thumbprint() == pem_key("rsa_pkcs8", algorithm::PS256).thumbprint());
  check_signs_and_verifies(priv, pem_key("rsa_spki", algorithm::PS256));
}

TEST_CASE("PEM: a PKCS#1 'RSA PUBLIC KEY' verifies") {
  REQUIRE(pems()["rsa_pkcs1_public"].find("BEGIN RSA PUBLIC KEY") != std::string::npos);
  auto pub = pem_key("rsa_pkcs1_public", algorithm::RS384);
  CHECK_FALSE(pub.has_private_key());
  check_signs_and_verifies(pem_key("rsa_pkcs8", algorithm::RS384), pub);
}

TEST_CASE("PEM: an X.509 certificate yields its public key only") {
  auto rsa = pem_key("rsa_cert", algorithm::RS512);
  CHECK_FALSE(rsa.has_private_key());
  CHECK(rsa.thumbprint() == pem_key("rsa_pkcs8", algorithm::RS512).thumbprint());
  check_signs_and_verifies(pem_key("rsa_pkcs8", algorithm::RS512), rsa);

  auto ec = pem_key("ec256_cert", algorithm::ES256);
  CHECK_FALSE(ec.has_private_key());
  check_signs_and_verifies(pem_key("ec256_sec1", algorithm::ES256), ec);
}

TEST_CASE("PEM: SEC1 'EC PRIVATE KEY' and PKCS#8 EC keys import for their curve's algorithm") {
  REQUIRE(pems()["ec256_sec1"].find("BEGIN EC PRIVATE KEY") != std::string::npos);
  auto sec1 = pem_key("ec256_sec1", algorithm::ES256);
  auto pkcs8 = pem_key("ec256_pkcs8", algorithm::ES256);
  auto spki = pem_key("ec256_spki", algorithm::ES256);
  CHECK(sec1.has_private_key());
  CHECK(pkcs8.has_private_key());
  CHECK(sec1.thumbprint() == pkcs8.thumbprint());
  CHECK(sec1.thumbprint() == spki.thumbprint());
  CHECK(sec1.signature_size() == 64);
  check_signs_and_verifies(sec1, spki);
  check_signs_and_verifies(pkcs8, spki);

  auto p384 = pem_key("ec384_sec1", algorithm::ES384);
  CHECK(p384.signature_size() == 96);
  check_signs_and_verifies(p384, p384.public_key());
  auto p521 = pem_key("ec521_sec1", algorithm::ES512);
  CHECK(p521.signature_size() == 132);
  check_signs_and_verifies(p521, p521.public_key());
}

TEST_CASE("PEM: an Ed25519 PKCS#8 key signs and its SPKI verifies") {
  auto priv = pem_key("ed25519", algorithm::EdDSA);
  auto pub = pem_key("ed25519_spki", algorithm::EdDSA);
  CHECK(priv.kty() == jose::key_type::OKP);
  CHECK(priv.has_private_key());
  CHECK_FALSE(pub.has_private_key());
  check_signs_and_verifies(priv, pub);
}

TEST_CASE("PEM: encrypted keys are refused with pem_invalid instead of prompting for a passphrase") {
  REQUIRE(pems()["rsa_pkcs8_encrypted"].find("BEGIN ENCRYPTED PRIVATE KEY") != std::string::npos);
  REQUIRE(pems()["rsa_pkcs1_encrypted"].find("ENCRYPTED") != std::string::npos);
  CHECK(pem_error("rsa_pkcs8_encrypted", algorithm::RS256) == error::pem_invalid);
  CHECK(pem_error("rsa_pkcs1_encrypted", algorithm::RS256) == error::pem_invalid);
}

TEST_CASE("PEM: text that is not a key is refused with pem_invalid") {
  std::error_code ec;
  CHECK_FALSE(jose::jwk::from_pem("", algorithm::RS256, ec).valid());
  CHECK(ec == error::pem_invalid);
  CHECK_FALSE(jose::jwk::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", algorithm::RS256, ec).valid());
  CHECK(ec == error::pem_invalid);
  CHECK_FALSE(jose::jwk::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", algorithm::RS256, ec).valid());
  CHECK(ec == error::pem_invalid);
  // A PEM bigger than any key is refused before parsing.
  std::string huge = pems()["rsa_pkcs8"] + std::string(70 * 1024, '\n');
  CHECK_FALSE(jose::jwk::from_pem(huge, algorithm::RS256, ec).valid());
  CHECK(ec == error::pem_invalid);
}

TEST_CASE("RSA-1024 is refused with rsa_key_too_small") {
  CHECK(pem_error("rsa1024", algorithm::RS256) == error::rsa_key_too_small);
  CHECK(pem_error("rsa1024", algorithm::PS512) == error::rsa_key_too_small);
  // Same key as a JWK.
  auto big = pem_key("rsa_pkcs8", algorithm::RS256).public_json();
  // A 1024-bit modulus as a JWK: the top 128 bytes of a 2048-bit n (the size rule is checked
  // before anything else about the modulus).
  std::string n = tessera::crypto::base64url_decode(std::string_view(big.at("n").as_string()));
  n.resize(128);
  big["n"] = b64(n);
  CHECK(json_error(boost::json::serialize(big)) == error::rsa_key_too_small);
}

TEST_CASE("a P-256 key cannot be bound to ES384 or ES512: key_algorithm_mismatch") {
  CHECK(pem_error("ec256_sec1", algorithm::ES384) == error::key_algorithm_mismatch);
  CHECK(pem_error("ec256_sec1", algorithm::ES512) == error::key_algorithm_mismatch);
  CHECK(pem_error("ec384_sec1", algorithm::ES256) == error::key_algorithm_mismatch);
  auto p256 = pem_key("ec256_spki", algorithm::ES256).public_json();
  p256["alg"] = "ES384";
  CHECK(json_error(boost::json::serialize(p256)) == error::key_algorithm_mismatch);
  p256.erase("alg");
  CHECK(json_error(boost::json::serialize(p256), algorithm::ES384) == error::key_algorithm_mismatch);
}

TEST_CASE("keys cannot change family: RSA as ES256 or HS256, EC as RS256, a secret as RS256") {
  CHECK(pem_error("rsa_pkcs8", algorithm::ES256) == error::key_algorithm_mismatch);
  CHECK(pem_error("rsa_pkcs8", algorithm::HS256) == error::key_algorithm_mismatch);
  CHECK(pem_error("ec256_sec1", algorithm::RS256) == error::key_algorithm_mismatch);
  CHECK(pem_error("ed25519", algorithm::ES256) == error::key_algorithm_mismatch);
  std::error_code ec;
  CHECK_FALSE(jose::jwk::from_secret(std::string(64, 'k'), algorithm::RS256, ec).valid());
  CHECK(ec == error::key_algorithm_mismatch);
}

TEST_CASE("Ed448, X25519 and secp256k1 keys are refused with curve_unsupported") {
  CHECK(pem_error("ed448", algorithm::EdDSA) == error::curve_unsupported);
  CHECK(pem_error("x25519", algorithm::EdDSA) == error::curve_unsupported);
  CHECK(pem_error("ec256k1_sec1", algorithm::ES256) == error::curve_unsupported);
  CHECK(json_error(R"({"kty":"OKP","crv":"Ed448","x":"X9dEm1m0Yf0s54fsYWrUah2hNCSFpw4fig6nXYDpZ3jt8SR2m0bHBhvWeD3x5Q9s0foavq_oJWGA"})") ==
        error::curve_unsupported);
  CHECK(json_error(R"({"kty":"EC","crv":"secp256k1","x":"AAAA","y":"AAAA"})") == error::curve_unsupported);
}

TEST_CASE("an HMAC secret shorter than the hash output is refused with hmac_key_too_small") {
  for (auto [alg, size] : {std::pair{algorithm::HS256, 32}, {algorithm::HS384, 48}, {algorithm::HS512, 64}}) {
    INFO(jose::to_string(alg));
    std::error_code ec;
    CHECK_FALSE(jose::jwk::from_secret(std::string(size - 1, 's'), alg, ec).valid());
    CHECK(ec == error::hmac_key_too_small);
    auto k = jose::jwk::from_secret(std::string(size, 's'), alg, ec);
    CHECK_FALSE(ec);
    CHECK(k.signature_size() == static_cast<std::size_t>(size));
    CHECK(k.kid().empty());  // a hash of a secret is never published as a kid
    // Same rule through a JWK.
    boost::json::object o{{"kty", "oct"}, {"alg", jose::to_string(alg)}, {"k", b64(std::string(size - 1, 's'))}};
    CHECK(json_error(boost::json::serialize(o)) == error::hmac_key_too_small);
  }
}

//------------------------------------------------------------------------------------------
// JWK

TEST_CASE("every algorithm's generated key round-trips through its public JWK and still verifies") {
  for (std::size_t i = 0; i < jose::algorithm_count; ++i) {
    const auto alg = static_cast<algorithm>(i);
    if (jose::is_hmac(alg)) continue;
    INFO(jose::to_string(alg));
    auto priv = jose::jwk::generate(alg);
    auto pj = priv.public_json();
    for (auto m : {"d", "p", "q", "dp", "dq", "qi", "k"}) CHECK_FALSE(pj.contains(m));
    CHECK(pj.at("use").as_string() == "sig");
    CHECK(pj.at("alg").as_string() == jose::to_string(alg));
    CHECK(pj.at("kid").as_string() == priv.kid());
    std::error_code ec;
    auto pub = jose::jwk::from_json(pj, ec);
    REQUIRE_FALSE(ec);
    CHECK(pub.alg() == alg);
    CHECK(pub.kid() == priv.kid());
    CHECK(pub.thumbprint() == priv.thumbprint());
    CHECK_FALSE(pub.has_private_key());
    check_signs_and_verifies(priv, pub);
    // And through PEM.
    CHECK(priv.private_pem().find("BEGIN PRIVATE KEY") != std::string::npos);
    CHECK(pub.private_pem().empty());
    check_signs_and_verifies(jose::jwk::from_pem(priv.private_pem(), alg), jose::jwk::from_pem(pub.public_pem(), alg));
  }
}

TEST_CASE("a public-only key cannot sign: key_not_private") {
  auto pub = jose::jwk::generate(algorithm::ES256).public_key();
  std::string out;
  CHECK(pub.sign("x.y", out) == error::key_not_private);
  std::error_code ec;
  jose::jws_signer(pub).sign("{}", ec);
  CHECK(ec == error::key_not_private);
}

TEST_CASE("an oct JWK publishes no secret and needs an alg") {
  auto k = jose::jwk::generate(algorithm::HS384);
  auto pj = k.public_json();
  CHECK_FALSE(pj.contains("k"));
  CHECK(pj.at("kty").as_string() == "oct");
  CHECK(json_error(R"({"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U"})") == error::jwk_missing_member);
  std::error_code ec;
  auto bound = jose::jwk::from_json(R"({"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U"})", ec, algorithm::HS256);
  CHECK_FALSE(ec);
  CHECK(bound.alg() == algorithm::HS256);
}

TEST_CASE("malformed JWKs are refused with their precise cause") {
  CHECK(json_error("not json") == error::json_syntax);
  CHECK(json_error("[1,2]") == error::json_not_object);
  CHECK(json_error(R"({"crv":"P-256"})") == error::jwk_missing_member);
  CHECK(json_error(R"({"kty":1})") == error::jwk_invalid);
  CHECK(json_error(R"({"kty":"XYZ"})") == error::key_type_unsupported);
  CHECK(json_error(R"({"kty":"RSA","e":"AQAB"})") == error::jwk_missing_member);
  CHECK(json_error(R"({"kty":"RSA","n":"!!","e":"AQAB"})") == error::jwk_invalid);
  CHECK(json_error(R"({"kty":"RSA","n":"AQAB","e":"AQAB","use":"enc"})") == error::key_algorithm_mismatch);
  CHECK(json_error(R"({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"none"})") == error::jws_alg_none);
  CHECK(json_error(R"({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RSA-OAEP"})") == error::algorithm_unsupported);
  CHECK(json_error(R"({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"ES256"})") == error::key_algorithm_mismatch);
  // EC: short coordinate; point not on the curve.
  auto p256 = jose::jwk::generate(algorithm::ES256).public_json();
  auto shortx = p256;
  shortx["x"] = b64(std::string(31, '\1'));
  CHECK(json_error(boost::json::serialize(shortx)) == error::jwk_invalid);
  auto off_curve = p256;
  off_curve["y"] = p256.at("x");
  CHECK(json_error(boost::json::serialize(off_curve)) == error::jwk_invalid);
  // OKP: d that does not belong to x.
  auto ed = jose::jwk::generate(algorithm::EdDSA).public_json();
  ed["d"] = b64(std::string(32, '\7'));
  CHECK(json_error(boost::json::serialize(ed)) == error::jwk_invalid);
  // A JSON nesting bomb is refused by the depth limit.
  CHECK(json_error(std::string(100, '[') + std::string(100, ']')) == error::json_syntax);
}

TEST_CASE("an EC JWK's private scalar must match its public point") {
  auto mixed = jose::jwk::generate(algorithm::ES256).public_json();
  mixed["d"] = b64(std::string(32, '\x11'));
  CHECK(json_error(boost::json::serialize(mixed)) == error::jwk_invalid);
  mixed["d"] = b64(std::string(31, '\x11'));  // and must be full length
  CHECK(json_error(boost::json::serialize(mixed)) == error::jwk_invalid);
}

//------------------------------------------------------------------------------------------
// JWKS

namespace {
std::string jwks_doc(std::initializer_list<boost::json::value> keys) {
  boost::json::array a(keys.begin(), keys.end());
  return boost::json::serialize(boost::json::object{{"keys", a}});
}
std::error_code jwks_error(std::string_view doc) {
  std::error_code ec;
  auto s = jose::jwk_set::parse(doc, ec);
  CHECK(s.empty());
  return ec;
}
}  // namespace

TEST_CASE("JWKS: encryption keys, unknown key types, X25519 and unsupported curves are skipped, not fatal") {
  auto rsa = jose::jwk::generate(algorithm::RS256);
  auto ec = jose::jwk::generate(algorithm::ES256);
  auto enc = jose::jwk::generate(algorithm::RS256).public_json();
  enc["use"] = "enc";
  enc["kid"] = "enc-key";
  auto oaep = jose::jwk::generate(algorithm::RS256).public_json();
  oaep.erase("use");
  oaep["alg"] = "RSA-OAEP-256";
  oaep["kid"] = "oaep-key";
  boost::json::object unknown{{"kty", "PQC"}, {"kid", "future"}, {"pub", "AAAA"}};
  boost::json::object x25519{{"kty", "OKP"}, {"crv", "X25519"}, {"kid", "ecdh"}, {"x", "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}};
  boost::json::object k1{{"kty", "EC"}, {"crv", "secp256k1"}, {"kid", "k1"}, {"x", b64(std::string(32, '\1'))}, {"y", b64(std::string(32, '\2'))}};

  std::string doc = jwks_doc({rsa.public_json(), enc, oaep, unknown, x25519, k1, ec.public_json()});
  std::error_code err;
  auto set = jose::jwk_set::parse(std::string_view(doc), err);
  REQUIRE_FALSE(err);
  REQUIRE(set.size() == 2);
  CHECK(set[0].kid() == rsa.kid());
  CHECK(set[1].kid() == ec.kid());
  for (auto skipped : {"enc-key", "oaep-key", "future", "ecdh", "k1"}) CHECK(set.find(skipped) == nullptr);
}

TEST_CASE("JWKS: a private member in a public key set is refused") {
  const auto pub = jose::jwk::generate(algorithm::RS256).public_json();
  for (auto member : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    INFO(member);
    auto pj = pub;
    pj[member] = "AQAB";
    CHECK(jwks_error(jwks_doc({pj})) == error::jwk_private_member_in_public_key);
  }
}

TEST_CASE("JWKS: two keys with the same kid are refused with jwks_duplicate_kid") {
  auto a = jose::jwk::generate(algorithm::ES256).with_kid("same").public_json();
  auto b = jose::jwk::generate(algorithm::RS256).with_kid("same").public_json();
  CHECK(jwks_error(jwks_doc({a, b})) == error::jwks_duplicate_kid);
  jose::jwk_set set;
  set.add(jose::jwk::generate(algorithm::ES256).with_kid("same"));
  std::error_code ec;
  set.add(jose::jwk::generate(algorithm::ES256).with_kid("same"), ec);
  CHECK(ec == error::jwks_duplicate_kid);
  CHECK(set.size() == 1);
}

TEST_CASE("an empty key (a failed import whose error was ignored) is refused, not dereferenced") {
  std::error_code ec;
  auto bad = jose::jwk::from_pem("not a key", algorithm::RS256, ec);
  REQUIRE(ec);
  REQUIRE_FALSE(bad.valid());
  jose::jwk_set set;
  set.add(bad, ec);
  CHECK(ec == error::jwk_invalid);
  CHECK(set.size() == 0);
  CHECK_THROWS_AS(jose::jwk_set({bad}), tessera::system_error);
  CHECK_THROWS_AS(jose::jws_signer(bad), tessera::system_error);
  jose::jws_signer empty;
  std::string out = "stale";
  empty.sign("{}", out, ec);
  CHECK(ec == error::jwk_invalid);
  CHECK(out.empty());
}

TEST_CASE("JWKS: malformed documents are refused") {
  CHECK(jwks_error("{") == error::json_syntax);
  CHECK(jwks_error("[]") == error::jwks_invalid);
  CHECK(jwks_error(R"({"keys":{}})") == error::jwks_invalid);
  CHECK(jwks_error(R"({"nokeys":[]})") == error::jwks_invalid);
  CHECK(jwks_error(R"({"keys":[1]})") == error::jwks_invalid);
  // A key we should understand but cannot parse is an error, not a skip.
  CHECK(jwks_error(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]})") == error::jwk_invalid);
  std::error_code ec;
  jose::jwk_set::parse(std::string_view(R"({"keys":[]})"), ec, 5);
  CHECK(ec == error::input_too_large);
}

TEST_CASE("JWKS: kid lookup finds exactly the configured keys") {
  auto a = jose::jwk::generate(algorithm::ES256).with_kid("a");
  auto b = jose::jwk::generate(algorithm::EdDSA).with_kid("b");
  auto doc = jose::jwk_set{a, b}.public_json();
  std::error_code ec;
  auto set = jose::jwk_set::parse(boost::json::value(doc), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(set.size() == 2);
  REQUIRE(set.find("a") != nullptr);
  CHECK(set.find("a")->alg() == algorithm::ES256);
  CHECK(set.find("b")->alg() == algorithm::EdDSA);
  CHECK(set.find("A") == nullptr);
  CHECK(set.find("") == nullptr);
  CHECK(set.find("a ") == nullptr);
}

TEST_CASE("JWKS: the published set never contains shared secrets") {
  jose::jwk_set set{jose::jwk::generate(algorithm::HS256).with_kid("hmac"), jose::jwk::generate(algorithm::ES256)};
  auto doc = set.public_json();
  CHECK(doc.at("keys").as_array().size() == 1);
  CHECK(boost::json::serialize(doc).find("hmac") == std::string::npos);
}

//------------------------------------------------------------------------------------------
// Throwing overloads

TEST_CASE("key-loading throwing overloads throw tessera::system_error carrying the same code") {
  auto code_of = [](auto&& f) -> std::error_code {
    try {
      f();
    } catch (const tessera::system_error& e) {
      return e.code();
    }
    return {};
  };
  CHECK(code_of([] { jose::jwk::from_pem("nope", algorithm::RS256); }) == error::pem_invalid);
  CHECK(code_of([] { jose::jwk::from_json("{}"); }) == error::jwk_missing_member);
  CHECK(code_of([] { jose::jwk::from_secret("short", algorithm::HS256); }) == error::hmac_key_too_small);
  CHECK(code_of([] { jose::jwk_set::parse(std::string_view("{\"keys\":3}")); }) == error::jwks_invalid);
  CHECK(code_of([] {
          auto k = jose::jwk::generate(algorithm::ES256).with_kid("x");
          jose::jwk_set{k, k};
        }) == error::jwks_duplicate_kid);
}
