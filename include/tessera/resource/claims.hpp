// tessera — resource/claims.hpp
//
// `access_claims`: what a resource server knows about the caller once a bearer token has been
// accepted — who (subject, client), for what (scopes, the audience that matched), until when —
// read the same way from a verified JWT access token and from an RFC 7662 introspection answer.
//
// How the fields are read (`claim_options`), as Flyte's resource side reads them, with its
// gaps closed:
//   subject   the first non-empty string among `subject_claims` (Flyte's `subjectClaimNames`),
//             else `sub`
//   scopes    the union, in order and without repeats, of every claim in `scope_claims`
//             (default `scp`, then `scope`); each may be a space-separated string or an array
//             of strings (Okta and Flyte send `scp` as an array, RFC 9068 servers `scope` as a
//             string; Flyte dropped a string `scp`, tessera reads it). Another type is
//             `claim_type`. Add `roles` for Azure AD application tokens, which carry app roles
//             instead of scopes.
//   client_id `client_id`, else `azp` (Keycloak, Azure v1 `appid` is not read)
//   audience  the first entry of `aud` (string or array) that the validator accepts
//   user_info Flyte's `user_info` object claim, when present (its `email` filled from an
//             `email` claim when missing)
// A token without client and without scopes (a person's token from an IdP that sends no
// scopes) gets `scopes_without_client` — empty by default; Flyte's deployments set {"all"}.
#ifndef TESSERA_RESOURCE_CLAIMS_HPP
#define TESSERA_RESOURCE_CLAIMS_HPP

#include <tessera/clock.hpp>
#include <tessera/error.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/oauth/scope.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::resource {

/// How the token came to be trusted.
enum class token_source {
  jwt,            // a JWT whose signature and claims this process verified
  introspection,  // an RFC 7662 answer from the authorization server
  id_token,       // an OpenID Connect ID token presented as a credential (resource/id_tokens.hpp)
};

struct access_claims {
  std::string subject;
  std::string client_id;
  std::string issuer;
  /// The accepted audience the token named (the first, in the token's order).
  std::string audience;
  std::string jwt_id;
  std::vector<std::string> scopes;
  std::optional<time_point> expires_at;
  std::optional<time_point> issued_at;
  /// Flyte's `user_info` claim (name, email, ...); empty when absent.
  boost::json::object user_info;
  /// Every claim of the token (or of the introspection answer).
  boost::json::object claims;
  token_source source = token_source::jwt;

  bool has_scope(std::string_view s) const noexcept {
    return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
  }
  /// Whether every scope of `required` is held.
  template <class Range>
  bool has_scopes(const Range& required) const {
    for (const auto& r : required)
      if (!has_scope(std::string_view(r))) return false;
    return true;
  }
  /// The scopes joined by spaces.
  std::string scope_string() const { return oauth::join_scope(scopes); }
};

struct claim_options {
  /// Claims tried in order for the subject; empty: `sub`.
  std::vector<std::string> subject_claims{};
  /// Claims whose scopes are united, in order.
  std::vector<std::string> scope_claims{"scp", "scope"};
  /// Scopes given to a token that names neither a client nor any scope.
  std::vector<std::string> scopes_without_client{};
  /// Most scopes read from one token (more is `claim_type`: no real token has that many).
  std::size_t max_scopes = 256;
};

namespace detail {

inline void add_scope(std::vector<std::string>& out, std::string_view s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.emplace_back(s);
}

inline std::string_view string_member(const boost::json::object& o, std::string_view name) noexcept {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

}  // namespace detail

/// Fills `out` from a claims object (a JWT's payload or an introspection answer). `accepts`
/// says whether an audience is one the validator accepts; `out.audience` is the first such
/// entry (empty when `aud` is absent or none is accepted — the validator has refused those
/// already when audiences are configured). `ec`: `claim_type` for a scope claim that is
/// neither a string nor an array of strings, a non-string `sub`/`client_id`, or too many scopes.
template <class Accepts>
void read_access_claims(const boost::json::object& c, const claim_options& opt, Accepts&& accepts, access_claims& out,
                        std::error_code& ec) {
  ec = {};
  auto string_or_absent = [&](std::string_view name, std::string& to) {
    auto* v = c.if_contains(name);
    if (!v) return true;
    if (!v->is_string()) return false;
    to = std::string(v->get_string());
    return true;
  };
  if (!string_or_absent("sub", out.subject) || !string_or_absent("client_id", out.client_id) ||
      !string_or_absent("iss", out.issuer) || !string_or_absent("jti", out.jwt_id)) {
    ec = error::claim_type;
    return;
  }
  for (const auto& name : opt.subject_claims) {
    auto s = detail::string_member(c, name);
    if (!s.empty()) {
      out.subject = std::string(s);
      break;
    }
  }
  if (out.client_id.empty()) out.client_id = std::string(detail::string_member(c, "azp"));

  for (const auto& name : opt.scope_claims) {
    auto* v = c.if_contains(name);
    if (!v) continue;
    if (v->is_string()) {
      for (auto s : oauth::split_scope(v->get_string())) detail::add_scope(out.scopes, s);
    } else if (v->is_array()) {
      for (const auto& e : v->get_array()) {
        if (!e.is_string()) {
          ec = error::claim_type;
          return;
        }
        // An array entry is one scope; a space inside would make it two on the wire.
        for (auto s : oauth::split_scope(e.get_string())) detail::add_scope(out.scopes, s);
      }
    } else {
      ec = error::claim_type;
      return;
    }
    if (out.scopes.size() > opt.max_scopes) {
      ec = error::claim_type;
      return;
    }
  }
  if (out.client_id.empty() && out.scopes.empty())
    for (const auto& s : opt.scopes_without_client) detail::add_scope(out.scopes, s);

  if (auto* aud = c.if_contains("aud")) {
    if (aud->is_string()) {
      if (accepts(std::string_view(aud->get_string()))) out.audience = std::string(aud->get_string());
    } else if (aud->is_array()) {
      for (const auto& a : aud->get_array())
        if (a.is_string() && accepts(std::string_view(a.get_string()))) {
          out.audience = std::string(a.get_string());
          break;
        }
    }
  }
  auto date = [&](std::string_view name) -> std::optional<time_point> {
    auto* v = c.if_contains(name);
    return v ? jose::numeric_date(*v) : std::nullopt;
  };
  out.expires_at = date("exp");
  out.issued_at = date("iat");
  if (auto* ui = c.if_contains("user_info"); ui && ui->is_object()) out.user_info = ui->get_object();
  if (auto email = detail::string_member(c, "email"); !email.empty() && !out.user_info.contains("email"))
    out.user_info["email"] = email;
}

}  // namespace tessera::resource

#endif
