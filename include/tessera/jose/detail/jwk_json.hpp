// tessera — jose/detail/jwk_json.hpp: JWK members (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2)
// into an OpenSSL key.
#ifndef TESSERA_JOSE_DETAIL_JWK_JSON_HPP
#define TESSERA_JOSE_DETAIL_JWK_JSON_HPP

#include <tessera/jose/detail/key_import.hpp>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <optional>
#include <string>

namespace tessera::jose::detail {

// Reads a string member; nullopt when absent; error when present but not a string.
inline std::optional<std::string_view> string_member(const boost::json::object& o, std::string_view name,
                                                     std::error_code& ec) {
  auto it = o.find(name);
  if (it == o.end()) return std::nullopt;
  if (!it->value().is_string()) {
    ec = error::jwk_invalid;
    return std::nullopt;
  }
  const auto& s = it->value().get_string();
  return std::string_view(s.data(), s.size());
}

// Reads and decodes a required base64url member.
inline std::string bytes_member(const boost::json::object& o, std::string_view name, std::error_code& ec) {
  if (ec) return {};
  auto v = string_member(o, name, ec);
  if (ec) return {};
  if (!v) {
    ec = error::jwk_missing_member;
    return {};
  }
  std::error_code dec;
  std::string out = crypto::base64url_decode(*v, dec);
  if (dec || out.empty()) ec = error::jwk_invalid;
  return out;
}

struct secure_string {
  std::string s;
  ~secure_string() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

inline bool push_bn(OSSL_PARAM_BLD* bld, const char* key, const std::string& bytes, std::vector<ossl::bn_ptr>& keep) {
  ossl::bn_ptr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
  if (!bn || OSSL_PARAM_BLD_push_BN(bld, key, bn.get()) != 1) return false;
  keep.push_back(std::move(bn));
  return true;
}

inline ossl::pkey_ptr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld, bool with_private) {
  ossl::params_ptr params(OSSL_PARAM_BLD_to_param(bld));
  ossl::pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return ossl::pkey_ptr(raw);
}

inline ossl::pkey_ptr rsa_from_jwk(const boost::json::object& o, std::error_code& ec) {
  const std::string n = bytes_member(o, "n", ec), e = bytes_member(o, "e", ec);
  if (ec) return nullptr;
  const bool priv = o.contains("d");
  std::vector<ossl::bn_ptr> keep;
  ossl::param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld || !push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_N, n, keep) || !push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_E, e, keep)) {
    ec = error::crypto_failure;
    return nullptr;
  }
  if (priv) {
    secure_string d{bytes_member(o, "d", ec)};
    if (ec) return nullptr;
    if (!push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.s, keep)) {
      ec = error::crypto_failure;
      return nullptr;
    }
    // The CRT members come all together or not at all (RFC 7518 §6.3.2).
    static constexpr std::pair<const char*, const char*> crt[] = {
        {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
        {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},   {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
        {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    std::size_t present = 0;
    for (auto [m, _] : crt) present += o.contains(m) ? 1 : 0;
    if (present != 0 && present != std::size(crt)) {
      ec = error::jwk_missing_member;
      return nullptr;
    }
    if (o.contains("oth")) {  // multi-prime keys
      ec = error::key_type_unsupported;
      return nullptr;
    }
    for (auto [m, param] : present ? std::span(crt) : std::span<const std::pair<const char*, const char*>>{}) {
      secure_string v{bytes_member(o, m, ec)};
      if (ec) return nullptr;
      if (!push_bn(bld.get(), param, v.s, keep)) {
        ec = error::crypto_failure;
        return nullptr;
      }
    }
  }
  auto pkey = pkey_from_params("RSA", bld.get(), priv);
  for (auto& bn : keep) BN_clear(bn.get());
  if (!pkey) ec = error::jwk_invalid;
  return pkey;
}

inline ossl::pkey_ptr ec_from_jwk(const boost::json::object& o, std::error_code& ec) {
  auto crv = string_member(o, "crv", ec);
  if (ec) return nullptr;
  if (!crv) {
    ec = error::jwk_missing_member;
    return nullptr;
  }
  const curve_info* c = curve_by_jose_name(*crv);
  if (!c) {
    ec = error::curve_unsupported;
    return nullptr;
  }
  const std::string x = bytes_member(o, "x", ec), y = bytes_member(o, "y", ec);
  if (ec) return nullptr;
  // RFC 7518 §6.2.1.2: coordinates are full-length octet strings.
  if (x.size() != c->coordinate_size || y.size() != c->coordinate_size) {
    ec = error::jwk_invalid;
    return nullptr;
  }
  std::string point = "\x04" + x + y;
  const bool priv = o.contains("d");
  std::vector<ossl::bn_ptr> keep;
  ossl::param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c->openssl_name.data(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    ec = error::crypto_failure;
    return nullptr;
  }
  if (priv) {
    secure_string d{bytes_member(o, "d", ec)};
    if (ec) return nullptr;
    if (d.s.size() != c->coordinate_size) {
      ec = error::jwk_invalid;
      return nullptr;
    }
    if (!push_bn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.s, keep)) {
      ec = error::crypto_failure;
      return nullptr;
    }
  }
  auto pkey = pkey_from_params("EC", bld.get(), priv);
  for (auto& bn : keep) BN_clear(bn.get());
  if (!pkey) {
    ec = error::jwk_invalid;
    return nullptr;
  }
  // The point must be on the curve, and a private scalar must match it.
  ossl::pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1 || (priv && EVP_PKEY_pairwise_check(check.get()) != 1)) {
    ossl::clear_openssl_errors();
    ec = error::jwk_invalid;
    return nullptr;
  }
  return pkey;
}

inline ossl::pkey_ptr okp_from_jwk(const boost::json::object& o, std::error_code& ec) {
  auto crv = string_member(o, "crv", ec);
  if (ec) return nullptr;
  if (!crv) {
    ec = error::jwk_missing_member;
    return nullptr;
  }
  if (*crv != "Ed25519") {
    ec = error::curve_unsupported;
    return nullptr;
  }
  const std::string x = bytes_member(o, "x", ec);
  if (ec) return nullptr;
  if (x.size() != 32) {
    ec = error::jwk_invalid;
    return nullptr;
  }
  if (!o.contains("d")) {
    ossl::pkey_ptr p(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                 reinterpret_cast<const unsigned char*>(x.data()), x.size()));
    if (!p) ec = error::jwk_invalid;
    return p;
  }
  secure_string d{bytes_member(o, "d", ec)};
  if (ec) return nullptr;
  if (d.s.size() != 32) {
    ec = error::jwk_invalid;
    return nullptr;
  }
  ossl::pkey_ptr p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(d.s.data()), d.s.size()));
  unsigned char derived[32];
  std::size_t len = sizeof derived;
  if (!p || EVP_PKEY_get_raw_public_key(p.get(), derived, &len) != 1 ||
      !crypto::constant_time_equal(std::string_view(reinterpret_cast<char*>(derived), len), x)) {
    ec = error::jwk_invalid;  // x does not belong to d
    return nullptr;
  }
  return p;
}

/// The algorithm a JWK without `alg` is bound to: RS256 for RSA (the ubiquitous default of
/// identity providers), the curve's ES algorithm for EC, EdDSA for Ed25519. oct keys must say.
inline std::optional<algorithm> default_algorithm(key_type kty, const boost::json::object& o) {
  switch (kty) {
    case key_type::RSA: return algorithm::RS256;
    case key_type::OKP: return algorithm::EdDSA;
    case key_type::EC: {
      auto it = o.find("crv");
      if (it != o.end() && it->value().is_string())
        if (auto* c = curve_by_jose_name(std::string_view(it->value().get_string()))) return c->alg;
      return std::nullopt;
    }
    case key_type::oct: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace tessera::jose::detail

#endif
