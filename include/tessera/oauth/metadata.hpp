// tessera — oauth/metadata.hpp
//
// Authorization server metadata (RFC 8414 §2) and its OpenID Connect Discovery 1.0 §3
// additions, as one value type: the server fills and serves it; the client and the identity
// layer read it from `/.well-known/...` of another server.
//
// `to_json` writes only what is set (an empty string or list is left out, a false flag too),
// then the `extra` members — where a grant or an extension advertises what this type does not
// name. `metadata_from_json` reads a document: `issuer` is required (RFC 8414 §3.3: the caller
// must then compare it with the issuer it asked, exactly); members of the wrong type are
// errors (`metadata_invalid`), unknown members go to `extra`; at most `max_entries` members and
// `max_list` entries per list are read, so a hostile document cannot make it allocate without
// bound.
#ifndef TESSERA_OAUTH_METADATA_HPP
#define TESSERA_OAUTH_METADATA_HPP

#include <tessera/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::oauth {

struct server_metadata {
  // RFC 8414 §2
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string registration_endpoint;
  std::vector<std::string> scopes_supported;
  std::vector<std::string> response_types_supported;
  std::vector<std::string> response_modes_supported;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> token_endpoint_auth_signing_alg_values_supported;
  std::string revocation_endpoint;
  std::vector<std::string> revocation_endpoint_auth_methods_supported;
  std::string introspection_endpoint;
  std::vector<std::string> introspection_endpoint_auth_methods_supported;
  std::vector<std::string> code_challenge_methods_supported;
  // RFC 8628 §4
  std::string device_authorization_endpoint;
  // RFC 9207 §3
  bool authorization_response_iss_parameter_supported = false;
  // OpenID Connect Discovery 1.0 §3 and RP-Initiated Logout 1.0 §2.1
  std::string userinfo_endpoint;
  std::string end_session_endpoint;
  std::vector<std::string> subject_types_supported;
  std::vector<std::string> id_token_signing_alg_values_supported;
  std::vector<std::string> claims_supported;
  /// Members this type does not name: written after the named ones (and never over them).
  boost::json::object extra;

  static constexpr std::size_t max_entries = 256;
  static constexpr std::size_t max_list = 256;
};

namespace detail {

template <class F>
void for_each_metadata_member(F&& f) {
  // One table for both directions: name, and a pointer to the member.
  f("issuer", &server_metadata::issuer);
  f("authorization_endpoint", &server_metadata::authorization_endpoint);
  f("token_endpoint", &server_metadata::token_endpoint);
  f("jwks_uri", &server_metadata::jwks_uri);
  f("registration_endpoint", &server_metadata::registration_endpoint);
  f("scopes_supported", &server_metadata::scopes_supported);
  f("response_types_supported", &server_metadata::response_types_supported);
  f("response_modes_supported", &server_metadata::response_modes_supported);
  f("grant_types_supported", &server_metadata::grant_types_supported);
  f("token_endpoint_auth_methods_supported", &server_metadata::token_endpoint_auth_methods_supported);
  f("token_endpoint_auth_signing_alg_values_supported", &server_metadata::token_endpoint_auth_signing_alg_values_supported);
  f("revocation_endpoint", &server_metadata::revocation_endpoint);
  f("revocation_endpoint_auth_methods_supported", &server_metadata::revocation_endpoint_auth_methods_supported);
  f("introspection_endpoint", &server_metadata::introspection_endpoint);
  f("introspection_endpoint_auth_methods_supported", &server_metadata::introspection_endpoint_auth_methods_supported);
  f("code_challenge_methods_supported", &server_metadata::code_challenge_methods_supported);
  f("device_authorization_endpoint", &server_metadata::device_authorization_endpoint);
  f("authorization_response_iss_parameter_supported", &server_metadata::authorization_response_iss_parameter_supported);
  f("userinfo_endpoint", &server_metadata::userinfo_endpoint);
  f("end_session_endpoint", &server_metadata::end_session_endpoint);
  f("subject_types_supported", &server_metadata::subject_types_supported);
  f("id_token_signing_alg_values_supported", &server_metadata::id_token_signing_alg_values_supported);
  f("claims_supported", &server_metadata::claims_supported);
}

}  // namespace detail

/// The metadata document: set members only, then `extra`.
inline boost::json::object to_json(const server_metadata& m) {
  boost::json::object out;
  detail::for_each_metadata_member([&](std::string_view name, auto member) {
    const auto& v = m.*member;
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.empty()) out[name] = v;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (v) out[name] = true;
    } else {
      if (v.empty()) return;
      boost::json::array a;
      a.reserve(v.size());
      for (const auto& s : v) a.emplace_back(s);
      out[name] = std::move(a);
    }
  });
  for (const auto& [name, value] : m.extra)
    if (!out.contains(name)) out[name] = value;
  return out;
}

/// Reads a metadata document (see the header comment). `ec`: `metadata_invalid` for a
/// document that is not an object, lacks `issuer`, has a member of the wrong type, or exceeds
/// the bounds.
inline server_metadata metadata_from_json(const boost::json::value& doc, std::error_code& ec) {
  ec = {};
  server_metadata m;
  const auto* o = doc.if_object();
  if (!o || o->size() > server_metadata::max_entries) {
    ec = error::metadata_invalid;
    return {};
  }
  std::vector<std::string_view> known;
  detail::for_each_metadata_member([&](std::string_view name, auto member) {
    known.push_back(name);
    if (ec) return;
    const auto* v = o->if_contains(name);
    if (!v) return;
    auto& out = m.*member;
    using T = std::decay_t<decltype(out)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v->is_string()) return void(ec = error::metadata_invalid);
      out = std::string(v->get_string());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v->is_bool()) return void(ec = error::metadata_invalid);
      out = v->get_bool();
    } else {
      const auto* a = v->if_array();
      if (!a || a->size() > server_metadata::max_list) return void(ec = error::metadata_invalid);
      out.reserve(a->size());
      for (const auto& e : *a) {
        if (!e.is_string()) return void(ec = error::metadata_invalid);
        out.emplace_back(e.get_string());
      }
    }
  });
  if (!ec && m.issuer.empty()) ec = error::metadata_invalid;
  if (ec) return {};
  for (const auto& [name, value] : *o)
    if (std::find(known.begin(), known.end(), std::string_view(name)) == known.end()) m.extra[name] = value;
  return m;
}

/// Throwing overload: `tessera::system_error`.
inline server_metadata metadata_from_json(const boost::json::value& doc) {
  std::error_code ec;
  auto m = metadata_from_json(doc, ec);
  if (ec) tessera::detail::throw_error(ec);
  return m;
}

}  // namespace tessera::oauth

#endif
