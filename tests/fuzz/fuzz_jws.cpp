// tessera — tests/fuzz/fuzz_jws.cpp: compact JWS verification (jose/jws.hpp) over a fixed key
// set with one HS256, ES256, RS256 and EdDSA key (RFC 7520 §3.5, RFC 7515 A.3 and A.2,
// RFC 8037 A.2), with default options and with every option on.
//
// Checks: a failure leaves no key and no payload; a success names a key of the set whose
// algorithm is the header's alg, whose kid is the header's kid when there is one, and whose
// raw verify accepts the token's signature. Seeds in corpus/fuzz_jws/ are tokens that verify
// against these keys, so mutations start past the signature check.
#include <tessera/jose/jws.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x)             \
  do {                            \
    if (!(x)) __builtin_trap();   \
  } while (0)

namespace {

namespace jose = tessera::jose;

const jose::jwk_set& fuzz_keys() {
  static const jose::jwk_set set = [] {
    jose::jwk_set s;
    s.add(jose::jwk::from_json(
        R"({"kty":"oct","kid":"hs","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"})"));
    s.add(jose::jwk::from_json(
        R"({"kty":"EC","kid":"es","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})"));
    s.add(jose::jwk::from_json(
        R"({"kty":"RSA","kid":"rs","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})"));
    s.add(jose::jwk::from_json(
        R"({"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})"));
    return s;
  }();
  return set;
}

const jose::jws_verify_options& all_options() {
  static const jose::jws_verify_options opt = [] {
    jose::jws_verify_options o;
    o.max_token_size = 4096;
    o.understood_critical = {"exp-hint", "b64"};
    o.required_typ = "at+jwt";
    o.accept_key_id_header = true;
    return o;
  }();
  return opt;
}

void check(std::string_view token, const jose::jws_verify_options& opt) {
  std::error_code ec;
  const auto r = jose::verify_jws(token, fuzz_keys(), opt, ec);
  if (ec) {
    FUZZ_CHECK(r.key == nullptr && r.payload.empty());
    FUZZ_CHECK(ec.category() == tessera::error_category());
    return;
  }
  FUZZ_CHECK(token.size() <= opt.max_token_size);
  FUZZ_CHECK(r.key != nullptr);
  FUZZ_CHECK(r.key >= &*fuzz_keys().begin() && r.key < &*fuzz_keys().begin() + fuzz_keys().size());
  FUZZ_CHECK(r.key->alg() == r.alg);
  FUZZ_CHECK(r.header.at("alg").as_string() == jose::to_string(r.alg));
  FUZZ_CHECK(!r.header.contains("jku") && !r.header.contains("x5u") && !r.header.contains("jwk") &&
             !r.header.contains("x5c"));
  if (const auto* kid = r.header.if_contains("kid")) FUZZ_CHECK(kid->as_string() == r.key->kid());
  const std::size_t dot = token.rfind('.');
  const std::string sig = tessera::crypto::base64url_decode(token.substr(dot + 1));
  FUZZ_CHECK(!r.key->verify(token.substr(0, dot),
                            std::span(reinterpret_cast<const unsigned char*>(sig.data()), sig.size())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  check(token, {});
  check(token, all_options());
  return 0;
}
