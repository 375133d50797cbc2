// Standard test vectors: RFC 7515 Appendix A, RFC 7638 §3.1, RFC 8037 Appendix A, RFC 7520 §4.
// Copied byte-exact from the RFCs (the RFC 7515 byte arrays were base64url-encoded once and
// the results compared with the RFC's own compact serializations).
#include "support.hpp"

using namespace jose_test;

namespace {

// RFC 7515 A.1: the header is the RFC's exact bytes {"typ":"JWT",\r\n "alg":"HS256"}.
constexpr std::string_view rfc7515_a1_key =
    R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
constexpr std::string_view rfc7515_a1_token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view rfc7515_payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

// RFC 7515 A.2
constexpr std::string_view rfc7515_a2_key = R"({"kty":"RSA",
 "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
 "e":"AQAB",
 "d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
 "p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
 "q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
 "dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
 "dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
 "qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"})";
constexpr std::string_view rfc7515_a2_token =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7515 A.3
constexpr std::string_view rfc7515_a3_key =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
constexpr std::string_view rfc7515_a3_token =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 7515 A.4
constexpr std::string_view rfc7515_a4_key = R"({"kty":"EC","crv":"P-521",
 "x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
 "y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2",
 "d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"})";
constexpr std::string_view rfc7515_a4_token =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"
    ".AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

// RFC 7638 §3.1 (the RSA key of RFC 7517 A.1).
constexpr std::string_view rfc7638_key = R"({"kty":"RSA",
 "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
 "e":"AQAB","alg":"RS256","kid":"2011-04-29"})";

// RFC 8037 A.1, A.2
constexpr std::string_view rfc8037_private =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view rfc8037_public =
    R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view rfc8037_signing_input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view rfc8037_signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// RFC 7520 §3.1–3.5 keys and the §4 payload.
constexpr std::string_view rfc7520_ec_public = R"({"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521",
 "x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",
 "y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"})";
constexpr std::string_view rfc7520_rsa_private = R"({"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig",
 "n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw",
 "e":"AQAB",
 "d":"bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ",
 "p":"3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k",
 "q":"uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc",
 "dp":"B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik",
 "dq":"CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8",
 "qi":"3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4"})";
constexpr std::string_view rfc7520_hmac =
    R"({"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"})";
constexpr std::string_view rfc7520_payload_b64 =
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlm"
    "IHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4";
constexpr std::string_view rfc7520_payload =
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep "
    "your feet, there\xe2\x80\x99s no knowing where you might be swept off to.";
constexpr std::string_view rfc7520_4_1_token =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlm"
    "IHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-"
    "Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIr"
    "DaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
constexpr std::string_view rfc7520_4_3_token =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlm"
    "IHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0l"
    "w-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";
constexpr std::string_view rfc7520_4_4_token =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9."
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlm"
    "IHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

// Signs the exact signing input of a vector and returns the base64url signature.
std::string sign_input(const jose::jwk& key, std::string_view input) {
  std::string sig;
  REQUIRE_FALSE(key.sign(input, sig));
  return sig;
}

// Verifies with the public half of `key`; the set lives in `set` (the result points into it).
jose::verified_jws verify_ok(std::string_view token, const jose::jwk& key, jose::jwk_set& set) {
  set = jose::jwk_set{key.public_key()};
  std::error_code ec;
  auto r = jose::verify_jws(token, set, {}, ec);
  REQUIRE_FALSE(ec);
  return r;
}

}  // namespace

TEST_CASE("RFC 7515 A.1: the HS256 example verifies with its oct JWK") {
  auto key = jose::jwk::from_json(rfc7515_a1_key, jose::algorithm::HS256);
  // The payload bytes are the RFC's, CRLFs included.
  std::error_code ec;
  const jose::jwk_set set{key};
  auto r = jose::verify_jws(rfc7515_a1_token, set, {}, ec);
  REQUIRE_FALSE(ec);
  CHECK(r.payload == rfc7515_payload);
  CHECK(r.alg == jose::algorithm::HS256);
  CHECK(r.header.at("typ").as_string() == "JWT");
}

TEST_CASE("RFC 7515 A.1: signing the RFC's exact signing input reproduces its HMAC signature") {
  auto key = jose::jwk::from_json(rfc7515_a1_key, jose::algorithm::HS256);
  CHECK(sign_input(key, signing_input(rfc7515_a1_token)) == signature_segment(rfc7515_a1_token));
}

TEST_CASE("RFC 7515 A.1: a one-bit change of the payload breaks the HMAC") {
  auto key = jose::jwk::from_json(rfc7515_a1_key, jose::algorithm::HS256);
  std::string token(rfc7515_a1_token);
  // 'joe' → 'jod' in the payload: re-encode the changed payload, keep the signature.
  std::string payload(rfc7515_payload);
  payload[9] = 'd';
  token = std::string(token.substr(0, token.find('.') + 1)) + b64(payload) + "." + signature_segment(rfc7515_a1_token);
  std::error_code ec;
  const jose::jwk_set set{key};
  jose::verify_jws(token, set, {}, ec);
  CHECK_INVALID_TOKEN(ec, error::signature_invalid);
}

TEST_CASE("RFC 7515 A.2: the RS256 example verifies and PKCS#1 v1.5 signing reproduces it exactly") {
  auto key = jose::jwk::from_json(rfc7515_a2_key);
  REQUIRE(key.alg() == jose::algorithm::RS256);  // RSA without alg binds to RS256
  REQUIRE(key.has_private_key());
  jose::jwk_set set;
  auto r = verify_ok(rfc7515_a2_token, key, set);
  CHECK(r.payload == rfc7515_payload);
  CHECK(sign_input(key, signing_input(rfc7515_a2_token)) == signature_segment(rfc7515_a2_token));
}

TEST_CASE("RFC 7515 A.3: the ES256 example verifies, and our own ES256 signature over it verifies too") {
  auto key = jose::jwk::from_json(rfc7515_a3_key);
  REQUIRE(key.alg() == jose::algorithm::ES256);
  jose::jwk_set set;
  auto r = verify_ok(rfc7515_a3_token, key, set);
  CHECK(r.payload == rfc7515_payload);
  // ECDSA is randomized: a fresh signature differs but verifies.
  std::string token = signing_input(rfc7515_a3_token) + "." + sign_input(key, signing_input(rfc7515_a3_token));
  CHECK(token != rfc7515_a3_token);
  jose::jwk_set set2;
  verify_ok(token, key, set2);
}

TEST_CASE("RFC 7515 A.4: the ES512 example (P-521, 132-byte R||S) verifies") {
  auto key = jose::jwk::from_json(rfc7515_a4_key);
  REQUIRE(key.alg() == jose::algorithm::ES512);
  CHECK(key.signature_size() == 132);
  jose::jwk_set set;
  auto r = verify_ok(rfc7515_a4_token, key, set);
  CHECK(r.payload == "Payload");
}

TEST_CASE("RFC 7515 A.5: the unsecured example is rejected with jws_alg_none") {
  constexpr std::string_view a5 =
      "eyJhbGciOiJub25lIn0"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
  std::error_code ec;
  const jose::jwk_set set{jose::jwk::from_json(rfc7515_a1_key, jose::algorithm::HS256)};
  jose::verify_jws(a5, set, {}, ec);
  CHECK_INVALID_TOKEN(ec, error::jws_alg_none);
}

TEST_CASE("RFC 7638 3.1: the RSA key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") {
  auto key = jose::jwk::from_json(rfc7638_key);
  CHECK(key.thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  CHECK(key.kid() == "2011-04-29");  // an explicit kid wins over the thumbprint default
  // Without a kid, the thumbprint becomes the kid.
  auto o = boost::json::parse(rfc7638_key).as_object();
  o.erase("kid");
  std::error_code ec;
  auto unnamed = jose::jwk::from_json(o, ec);
  REQUIRE_FALSE(ec);
  CHECK(unnamed.kid() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("RFC 8037 A.1-A.3: the Ed25519 key loads and its thumbprint is kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k") {
  auto priv = jose::jwk::from_json(rfc8037_private);
  auto pub = jose::jwk::from_json(rfc8037_public);
  CHECK(priv.alg() == jose::algorithm::EdDSA);
  CHECK(priv.kty() == jose::key_type::OKP);
  CHECK(priv.has_private_key());
  CHECK_FALSE(pub.has_private_key());
  CHECK(priv.thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  CHECK(pub.thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  // A.2: the public members come back out unchanged.
  auto pj = priv.public_json();
  CHECK(pj.at("crv").as_string() == "Ed25519");
  CHECK(pj.at("x").as_string() == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  CHECK_FALSE(pj.contains("d"));
}

TEST_CASE("RFC 8037 A.4: the deterministic Ed25519 signature of \"Example of Ed25519 signing\" is reproduced exactly") {
  auto priv = jose::jwk::from_json(rfc8037_private);
  CHECK(sign_input(priv, rfc8037_signing_input) == rfc8037_signature);
}

TEST_CASE("RFC 8037 A.5: the Ed25519 example verifies with the public key, and not after a change") {
  auto pub = jose::jwk::from_json(rfc8037_public);
  std::string token = std::string(rfc8037_signing_input) + "." + std::string(rfc8037_signature);
  std::error_code ec;
  const jose::jwk_set set{pub};
  auto r = jose::verify_jws(token, set, {}, ec);
  REQUIRE_FALSE(ec);
  CHECK(r.payload == "Example of Ed25519 signing");
  CHECK(r.alg == jose::algorithm::EdDSA);

  std::string changed = "eyJhbGciOiJFZERTQSJ9." + b64("Example of Ed25519 signinG") + "." + std::string(rfc8037_signature);
  jose::verify_jws(changed, set, {}, ec);
  CHECK_INVALID_TOKEN(ec, error::signature_invalid);
}

TEST_CASE("RFC 7520 4.1: the RS256 example verifies by kid and signing reproduces it exactly") {
  auto key = jose::jwk::from_json(rfc7520_rsa_private);
  REQUIRE(key.kid() == "bilbo.baggins@hobbiton.example");
  CHECK(tessera::crypto::base64url_decode(rfc7520_payload_b64) == rfc7520_payload);
  jose::jwk_set set;
  auto r = verify_ok(rfc7520_4_1_token, key, set);
  CHECK(r.payload == rfc7520_payload);
  CHECK(r.key->kid() == "bilbo.baggins@hobbiton.example");
  CHECK(sign_input(key, signing_input(rfc7520_4_1_token)) == signature_segment(rfc7520_4_1_token));
}

TEST_CASE("RFC 7520 4.3: the ES512 example verifies with the section 3.1 public key") {
  auto key = jose::jwk::from_json(rfc7520_ec_public);
  REQUIRE(key.alg() == jose::algorithm::ES512);
  jose::jwk_set set;
  auto r = verify_ok(rfc7520_4_3_token, key, set);
  CHECK(r.payload == rfc7520_payload);
}

TEST_CASE("RFC 7520 4.4: the HS256 example verifies by kid and signing reproduces it exactly") {
  auto key = jose::jwk::from_json(rfc7520_hmac);
  REQUIRE(key.alg() == jose::algorithm::HS256);
  REQUIRE(key.kid() == "018c0ae5-4d9b-471b-bfd6-eef314bc7037");
  jose::jwk_set set;
  auto r = verify_ok(rfc7520_4_4_token, key, set);
  CHECK(r.payload == rfc7520_payload);
  CHECK(sign_input(key, signing_input(rfc7520_4_4_token)) == signature_segment(rfc7520_4_4_token));
}

TEST_CASE("RFC vectors are refused by a key of the right type but another algorithm") {
  // The same RSA key bound to PS256 must not accept the RS256 example (one key, one alg).
  auto ps = jose::jwk::from_json(rfc7515_a2_key, jose::algorithm::PS256);
  std::error_code ec;
  const jose::jwk_set ps_set{ps.public_key()};
  jose::verify_jws(rfc7515_a2_token, ps_set, {}, ec);
  CHECK_INVALID_TOKEN(ec, error::jws_kid_unknown);  // no kid, and no RS256 key in the set
  auto ps_named = ps.public_key().with_kid("bilbo.baggins@hobbiton.example");
  const jose::jwk_set named_set{ps_named};
  jose::verify_jws(rfc7520_4_1_token, named_set, {}, ec);
  CHECK_INVALID_TOKEN(ec, error::jws_alg_not_allowed);
}
