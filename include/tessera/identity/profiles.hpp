// tessera — identity/profiles.hpp
//
// Identity-provider profiles: compile-time policies of `upstream<Profile, Clock>`
// (upstream.hpp) that encode what an IdP's discovery document does not say. Each derives from
// `generic_oidc` (the reference behaviour) and hides what it changes. A profile is a type with
// these static members (all of `generic_oidc`'s):
//
//   name                      "okta", ...
//   openid                    true: OpenID Connect (ID token, userinfo); false: plain OAuth 2.0
//   interactive               false: the IdP only vouches for tokens (no one signs in through it)
//   metadata_path             the discovery document under the base URL
//   check(settings, why)      configuration rules; sets `why` for a bad one
//   discovery_issuer(s)       the issuer the discovery document must name ("" = the base URL)
//   default_scopes(metadata)  when `settings.scopes` is empty
//   token_issuers(s, m, options, ec)   which `iss` ID tokens may carry
//   authorize_parameters(s, extra)     parameters of the authorization request
//   token_parameters(s, form)          parameters of every token request
//   check_id_token(s, jwt) -> error_code   checks beyond oauth::id_token_validator's
//   id_token_audience(s)      the `aud` ID tokens must carry (the client id)
//   adjust_claims(claims)     the person's profile claims, normalised
//   static_metadata(s)        plain OAuth 2.0 only: the endpoints
//   fetch_person(http, s, access_token, ec) -> upstream_person   plain OAuth 2.0 only
//
// Profiles (facts: the IdPs' own documentation):
//   generic_oidc   any OpenID provider: its discovery document, its issuer exactly. Default
//                  scopes `openid`, `profile` and `email` (when it lists them, or lists
//                  nothing), `offline_access` only when it lists it.
//   okta           org (`https://<org>.okta.com`) and custom authorization servers
//                  (`.../oauth2/<id>`) alike; `idp=` through `idp_query_parameter`.
//   google         ID tokens carry `https://accounts.google.com` or `accounts.google.com`;
//                  refresh tokens need `access_type=offline` (sent); userinfo may omit `sub`.
//                  No `offline_access` scope.
//   gcp_identity   Identity Platform: issuer `https://securetoken.google.com/<project>`, `aud`
//                  the project id (`audience`, else the base URL's last segment). Vouches for
//                  tokens (Flyte's `IDToken`); nobody signs in through it here.
//   azure_ad       v2 endpoints. A tenant's base URL: its issuer exactly; `/consumers`: the
//                  personal-accounts tenant's issuer. `/common`, `/organizations`: the
//                  document's `{tenantid}` template with an allow-list (`tenants`, required —
//                  never "any tenant"). Either way the v1
//                  issuer `https://sts.windows.net/<tid>/` of the same tenants too, and `tid` must
//                  be the tenant the issuer names (`id_token_tenant_mismatch`).
//   auth0          issuer with a trailing slash (kept: tokens carry it); `audience` on the
//                  authorization and token requests when configured; `offline_access`.
//   keycloak       realm URLs (`realm_url`: `/realms/<realm>`, or the legacy `/auth/realms`).
//   github         plain OAuth 2.0: fixed endpoints under the base URL, JSON token answers
//                  (`Accept: application/json`; errors come with 200), the person from
//                  `GET /user` (the numeric `id` is the subject, never the renameable `login`),
//                  the email from `/user/emails` (primary and verified) when `/user` has none.
#ifndef TESSERA_IDENTITY_PROFILES_HPP
#define TESSERA_IDENTITY_PROFILES_HPP

#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/identity/upstream.hpp>
#include <tessera/jose/issuer.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/oauth/id_token.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/transport/any_client.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::identity::profile {

struct generic_oidc {
  static constexpr std::string_view name = "generic_oidc";
  static constexpr bool openid = true;
  static constexpr bool interactive = true;
  static constexpr std::string_view metadata_path = ".well-known/openid-configuration";

  static void check(const upstream_settings&, std::string&) {}
  static std::string discovery_issuer(const upstream_settings& s) { return s.issuer_url; }
  static std::vector<std::string> default_scopes(const oauth::server_metadata& m) {
    auto listed = [&](std::string_view sc) {
      return std::find(m.scopes_supported.begin(), m.scopes_supported.end(), sc) != m.scopes_supported.end();
    };
    std::vector<std::string> out{"openid"};
    for (std::string_view sc : {"profile", "email"})
      if (m.scopes_supported.empty() || listed(sc)) out.emplace_back(sc);
    if (listed("offline_access")) out.emplace_back("offline_access");
    return out;
  }
  static void token_issuers(const upstream_settings&, const oauth::server_metadata& m, oauth::id_token_options& o,
                            std::error_code&) {
    o.issuer = m.issuer;
  }
  static void authorize_parameters(const upstream_settings&, std::vector<std::pair<std::string, std::string>>&) {}
  static void token_parameters(const upstream_settings&, transport::form_fields&) {}
  static std::error_code check_id_token(const upstream_settings&, const jose::verified_jwt&) { return {}; }
  static std::string id_token_audience(const upstream_settings& s) { return s.client_id; }
  static void adjust_claims(boost::json::object&) {}
  static oauth::server_metadata static_metadata(const upstream_settings&) { return {}; }
  static upstream_person fetch_person(const transport::any_sync_client&, const upstream_settings&, std::string_view,
                                      std::error_code& ec) {
    ec = error::userinfo_failed;
    return {};
  }
};

struct okta : generic_oidc {
  static constexpr std::string_view name = "okta";
  static std::vector<std::string> default_scopes(const oauth::server_metadata&) {
    return {"openid", "profile", "email", "offline_access"};
  }
};

struct google : generic_oidc {
  static constexpr std::string_view name = "google";
  static constexpr std::string_view issuer = "https://accounts.google.com";
  static std::string discovery_issuer(const upstream_settings& s) {
    return s.issuer_url.empty() ? std::string(issuer) : s.issuer_url;
  }
  static std::vector<std::string> default_scopes(const oauth::server_metadata&) { return {"openid", "profile", "email"}; }
  static void token_issuers(const upstream_settings&, const oauth::server_metadata& m, oauth::id_token_options& o,
                            std::error_code&) {
    o.issuer = m.issuer;
    // The same issuer without its scheme, as Google's older tokens spell it.
    constexpr std::string_view https = "https://";
    if (m.issuer.starts_with(https)) o.also_issuers.push_back(m.issuer.substr(https.size()));
  }
  static void authorize_parameters(const upstream_settings&, std::vector<std::pair<std::string, std::string>>& extra) {
    extra.emplace_back("access_type", "offline");
  }
};

struct gcp_identity : generic_oidc {
  static constexpr std::string_view name = "gcp_identity";
  static constexpr bool interactive = false;
  /// The project id: `audience`, else the last path segment of the base URL.
  static std::string project(const upstream_settings& s) {
    if (!s.audience.empty()) return s.audience;
    auto u = boost::urls::parse_absolute_uri(s.base_url);
    if (!u) return {};
    std::string path(u->encoded_path());
    while (!path.empty() && path.back() == '/') path.pop_back();
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(slash + 1);
  }
  static void check(const upstream_settings& s, std::string& why) {
    if (project(s).empty()) why = "gcp_identity needs the project id (audience, or base_url https://securetoken.google.com/<project>)";
  }
  static std::string id_token_audience(const upstream_settings& s) { return project(s); }
};

struct azure_ad : generic_oidc {
  static constexpr std::string_view name = "azure_ad";
  static constexpr std::string_view v1_template = "https://sts.windows.net/{tenantid}/";

  /// The tenant segment of an Azure URL (the first path segment), or "".
  static std::string tenant_segment(std::string_view url) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u) return {};
    std::string path(u->encoded_path());
    if (path.starts_with("/")) path.erase(0, 1);
    return path.substr(0, path.find('/'));
  }
  /// The tenant of personal Microsoft accounts: `/consumers` documents name it as issuer.
  static constexpr std::string_view consumers_tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
  static bool multi_tenant(const upstream_settings& s) {
    const std::string t = tenant_segment(s.base_url);
    return t == "common" || t == "organizations";
  }
  static void check(const upstream_settings& s, std::string& why) {
    if (multi_tenant(s) && s.tenants.empty())
      why = "azure_ad with a /common or /organizations base_url needs tenants: the tenants whose people may log in";
  }
  static std::string discovery_issuer(const upstream_settings& s) {
    if (s.issuer_url.empty() && tenant_segment(s.base_url) == "consumers") {
      // One fixed tenant: the base URL with its GUID in place of "consumers".
      auto u = boost::urls::parse_absolute_uri(s.base_url);
      std::string path(u->encoded_path());
      path.replace(0, std::string_view("/consumers").size(), "/" + std::string(consumers_tenant));
      while (!path.empty() && path.back() == '/') path.pop_back();
      return std::string(u->scheme()) + "://" + std::string(u->encoded_authority()) + path;
    }
    if (!s.issuer_url.empty() || !multi_tenant(s)) return s.issuer_url;
    // The multi-tenant documents name the template: the base URL with {tenantid} for the tenant.
    auto u = boost::urls::parse_absolute_uri(s.base_url);
    std::string path(u->encoded_path());
    const std::string seg = "/" + tenant_segment(s.base_url);
    path.replace(0, seg.size(), "/{tenantid}");
    while (!path.empty() && path.back() == '/') path.pop_back();
    return std::string(u->scheme()) + "://" + std::string(u->encoded_authority()) + path;
  }
  static std::vector<std::string> default_scopes(const oauth::server_metadata&) {
    return {"openid", "profile", "email", "offline_access"};
  }
  static void token_issuers(const upstream_settings& s, const oauth::server_metadata& m, oauth::id_token_options& o,
                            std::error_code& ec) {
    if (m.issuer.find(jose::tenant_issuer::placeholder) != std::string::npos) {
      o.tenant_issuers.push_back(jose::tenant_issuer::allow(m.issuer, s.tenants, ec));
      if (ec) return;
      o.tenant_issuers.push_back(jose::tenant_issuer::allow(v1_template, s.tenants, ec));
    } else {
      o.issuer = m.issuer;
      const std::string tid = tenant_segment(m.issuer);
      if (!tid.empty()) o.also_issuers.push_back("https://sts.windows.net/" + tid + "/");
    }
  }
  /// `tid` must name the tenant of `iss` (v2: its first path segment; v1 likewise).
  static std::error_code check_id_token(const upstream_settings&, const jose::verified_jwt& jwt) {
    const auto* tid = jwt.claims.if_contains("tid");
    if (!tid || !tid->is_string() || tid->get_string().empty()) return error::id_token_tenant_mismatch;
    if (tenant_segment(jwt.issuer()) != std::string_view(tid->get_string())) return error::id_token_tenant_mismatch;
    return {};
  }
};

struct auth0 : generic_oidc {
  static constexpr std::string_view name = "auth0";
  static std::vector<std::string> default_scopes(const oauth::server_metadata&) {
    return {"openid", "profile", "email", "offline_access"};
  }
  static void authorize_parameters(const upstream_settings& s, std::vector<std::pair<std::string, std::string>>& extra) {
    if (!s.audience.empty()) extra.emplace_back("audience", s.audience);
  }
  static void token_parameters(const upstream_settings& s, transport::form_fields& form) {
    if (!s.audience.empty()) form.emplace_back("audience", s.audience);
  }
};

struct keycloak : generic_oidc {
  static constexpr std::string_view name = "keycloak";
  /// The realm's base URL: `<server>/realms/<realm>`, or `<server>/auth/realms/<realm>` for
  /// Keycloak before 17 (`legacy`).
  static std::string realm_url(std::string_view server, std::string_view realm, bool legacy = false) {
    std::string out(server);
    while (!out.empty() && out.back() == '/') out.pop_back();
    out += legacy ? "/auth/realms/" : "/realms/";
    out += realm;
    return out;
  }
};

struct github : generic_oidc {
  static constexpr std::string_view name = "github";
  static constexpr bool openid = false;

  static void check(const upstream_settings& s, std::string& why) {
    if (s.client_secret.empty()) why = "github needs client_secret (GitHub OAuth apps are confidential clients)";
  }
  static std::string base(const upstream_settings& s) {
    std::string b = s.base_url;
    while (!b.empty() && b.back() == '/') b.pop_back();
    return b;
  }
  static std::string api(const upstream_settings& s) {
    if (!s.api_url.empty()) {
      std::string a = s.api_url;
      while (!a.empty() && a.back() == '/') a.pop_back();
      return a;
    }
    return base(s) == "https://github.com" ? std::string("https://api.github.com") : base(s) + "/api/v3";
  }
  static std::vector<std::string> default_scopes(const oauth::server_metadata&) { return {"read:user", "user:email"}; }
  static oauth::server_metadata static_metadata(const upstream_settings& s) {
    oauth::server_metadata m;
    m.issuer = base(s);
    m.authorization_endpoint = base(s) + "/login/oauth/authorize";
    m.token_endpoint = base(s) + "/login/oauth/access_token";
    m.userinfo_endpoint = api(s) + "/user";
    m.token_endpoint_auth_methods_supported = {"client_secret_basic", "client_secret_post"};
    return m;
  }

  static upstream_person fetch_person(const transport::any_sync_client& http, const upstream_settings& s,
                                      std::string_view access_token, std::error_code& ec) {
    upstream_person p;
    auto user = detail::get_json_with_token(http, api(s) + "/user", access_token, "application/vnd.github+json", s, ec);
    if (ec) return {};
    if (!user.is_object()) {
      ec = error::userinfo_failed;
      return {};
    }
    const auto& u = user.get_object();
    const auto* id = u.if_contains("id");
    if (!id || !(id->is_int64() || id->is_uint64()) || (id->is_int64() && id->get_int64() <= 0)) {
      ec = error::userinfo_failed;
      return {};
    }
    p.subject = id->is_int64() ? std::to_string(id->get_int64()) : std::to_string(id->get_uint64());
    auto copy = [&](std::string_view from, std::string_view to) {
      if (const auto* v = u.if_contains(from); v && v->is_string() && !v->get_string().empty()) p.claims[to] = *v;
    };
    copy("login", "preferred_username");
    copy("name", "name");
    copy("avatar_url", "picture");
    copy("html_url", "profile");
    copy("email", "email");
    if (!p.claims.contains("email")) {
      std::error_code emails_ec;
      auto emails = detail::get_json_with_token(http, api(s) + "/user/emails", access_token, "application/vnd.github+json", s,
                                                emails_ec);
      if (!emails_ec && emails.is_array()) {
        for (const auto& e : emails.get_array()) {
          if (!e.is_object()) continue;
          const auto& o = e.get_object();
          const auto* addr = o.if_contains("email");
          const auto* primary = o.if_contains("primary");
          const auto* verified = o.if_contains("verified");
          if (addr && addr->is_string() && primary && primary->is_bool() && primary->get_bool() && verified &&
              verified->is_bool() && verified->get_bool()) {
            p.claims["email"] = *addr;
            p.claims["email_verified"] = true;
            break;
          }
        }
      }
    }
    return p;
  }
};

}  // namespace tessera::identity::profile

namespace tessera::identity {

/// The names `make_upstream` knows, for usage texts and configuration errors.
inline constexpr std::string_view profile_names[] = {"generic_oidc", "okta",     "google", "gcp_identity",
                                                     "azure_ad",     "auth0",    "keycloak", "github"};

/// Calls `f(static_cast<P*>(nullptr))` with the profile type `P` whose `P::name` is `name`
/// ("oidc" is `generic_oidc`): the one place a configured name becomes a profile type. False,
/// and `f` not called, for an unknown name.
template <class F>
bool visit_profile(std::string_view name, F&& f) {
  if (name == "oidc") name = profile::generic_oidc::name;
  auto one = [&]<class P>(P*) {
    if (name != P::name) return false;
    f(static_cast<P*>(nullptr));
    return true;
  };
  return one(static_cast<profile::generic_oidc*>(nullptr)) || one(static_cast<profile::okta*>(nullptr)) ||
         one(static_cast<profile::google*>(nullptr)) || one(static_cast<profile::gcp_identity*>(nullptr)) ||
         one(static_cast<profile::azure_ad*>(nullptr)) || one(static_cast<profile::auth0*>(nullptr)) ||
         one(static_cast<profile::keycloak*>(nullptr)) || one(static_cast<profile::github*>(nullptr));
}

/// Whether people sign in through the profile named `profile` (`Profile::interactive`); false
/// for one that only vouches for tokens presented to it (`gcp_identity`), which then needs no
/// client secret. An unknown name: true (`make_upstream` refuses it).
inline bool profile_is_interactive(std::string_view profile) {
  bool out = true;
  visit_profile(profile, [&]<class P>(P*) { out = P::interactive; });
  return out;
}

/// The profile for an IdP's base URL (Flyte's `openId.baseUrl`) when the configuration names
/// none: by the host the IdPs of the Flyte docs are reached under — Okta (`*.okta.com`,
/// `*.oktapreview.com`, `*.okta-emea.com`), Google (`accounts.google.com`), GCP Identity
/// Platform (`securetoken.google.com`), Azure AD (`login.microsoftonline.com`), Auth0
/// (`*.auth0.com`), GitHub (`github.com`) — and Keycloak by its `/realms/<realm>` path;
/// anything else (custom domains included): `generic_oidc`, which needs only discovery.
inline std::string_view profile_for_base_url(std::string_view base_url) {
  auto u = boost::urls::parse_absolute_uri(base_url);
  if (!u) return "generic_oidc";
  const std::string host = tessera::detail::to_lower_ascii(u->encoded_host());
  auto ends_with = [&](std::string_view suffix) {
    return host.size() > suffix.size() && host.ends_with(suffix) && host[host.size() - suffix.size() - 1] == '.';
  };
  if (ends_with("okta.com") || ends_with("oktapreview.com") || ends_with("okta-emea.com")) return "okta";
  if (host == "accounts.google.com") return "google";
  if (host == "securetoken.google.com") return "gcp_identity";
  if (host == "login.microsoftonline.com") return "azure_ad";
  if (ends_with("auth0.com")) return "auth0";
  if (host == "github.com") return "github";
  const std::string_view path = u->encoded_path();
  if (path.find("/realms/") != std::string_view::npos) return "keycloak";
  return "generic_oidc";
}

/// An `upstream<P, Clock>` for the profile named `profile` (a configuration chooses it at run
/// time). Throws `tessera::system_error` (`config_value_invalid`) for an unknown name, and as
/// `upstream`'s constructor does.
template <clock Clock = system_clock>
std::shared_ptr<upstream_provider> make_upstream(std::string_view profile, upstream_settings s,
                                                 transport::any_sync_client http, Clock clk = {}) {
  std::shared_ptr<upstream_provider> out;
  if (visit_profile(profile, [&]<class P>(P*) {
        out = std::make_shared<upstream<P, Clock>>(std::move(s), std::move(http), std::move(clk));
      }))
    return out;
  std::string known;
  for (auto n : profile_names) known.append(known.empty() ? "" : ", ").append(n);
  throw tessera::system_error(error::config_value_invalid, "tessera::identity::make_upstream: unknown identity-provider profile \"" +
                                                               std::string(profile) + "\" (" + known + ")");
}

}  // namespace tessera::identity

#endif
