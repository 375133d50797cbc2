// tessera — oauth/discovery.hpp
//
// Finding another server's metadata — an authorization server's (RFC 8414) for the resource
// server, an OpenID provider's (`.well-known/openid-configuration`) for the relying party and
// the client — the way Flyte's External mode does (`externalAuthServer.baseUrl` and
// `metadataUrl`), and checking what Flyte does not: that the document describes the issuer it
// was fetched for.
//
// Where the document is (`metadata_url_for`): `metadata_url` resolved against `base_url` taken
// as a directory (one trailing '/' added when absent), as a browser resolves a link: an
// absolute `metadata_url` is used as it is, a relative one such as
// `.well-known/openid-configuration` lands under the base's path, and an empty one means
// `.well-known/oauth-authorization-server` under it. So `https://x.okta.com/oauth2/default`
// gives `https://x.okta.com/oauth2/default/.well-known/oauth-authorization-server`, which
// Okta, Auth0, Keycloak and tessera all serve. (RFC 8414 §3.1 puts the well-known segment
// before the path instead; give that form as an absolute `metadata_url` where an issuer needs
// it.)
//
// Plain http is refused (`url_insecure`) for the base URL and the metadata URL — and, by the
// callers that fetch them (resource::external), for the `jwks_uri` and the introspection
// endpoint — unless the host is this machine's
// loopback (127.0.0.0/8, ::1, localhost) or `allow_http` is set: keys fetched in the clear can
// be swapped by anyone on the path, and every token they sign would be accepted.
//
// The check (RFC 8414 §3.3): the document's `issuer` must be `expected_issuer` exactly — by
// default the base URL, compared without one trailing '/' on either side —, else
// `metadata_issuer_mismatch`: a document that names another issuer would make its reader trust
// another issuer's tokens (docs/security.md row 43).
#ifndef TESSERA_OAUTH_DISCOVERY_HPP
#define TESSERA_OAUTH_DISCOVERY_HPP

#include <tessera/error.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/transport/any_client.hpp>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <string>
#include <string_view>

namespace tessera::oauth {

inline constexpr std::string_view default_metadata_path = ".well-known/oauth-authorization-server";

/// The metadata URL for a base URL and an optional (absolute or relative) metadata URL. `ec`:
/// `url_invalid` when either does not parse or the base is not absolute http(s).
inline std::string metadata_url_for(std::string_view base_url, std::string_view metadata_url, std::error_code& ec) {
  ec = {};
  auto base = boost::urls::parse_absolute_uri(base_url);
  if (!base || (base->scheme() != "https" && base->scheme() != "http") || base->encoded_host().empty()) {
    ec = error::url_invalid;
    return {};
  }
  boost::urls::url dir(*base);
  dir.remove_query();
  dir.remove_fragment();
  if (!dir.encoded_path().ends_with('/')) dir.set_encoded_path(std::string(dir.encoded_path()) + "/");
  auto ref = boost::urls::parse_uri_reference(metadata_url.empty() ? default_metadata_path : metadata_url);
  if (!ref) {
    ec = error::url_invalid;
    return {};
  }
  boost::urls::url out;
  if (auto r = boost::urls::resolve(dir, *ref, out); !r) {
    ec = error::url_invalid;
    return {};
  }
  if (out.scheme() != "https" && out.scheme() != "http") {
    ec = error::url_invalid;
    return {};
  }
  return std::string(out.buffer());
}

/// Whether `url` is https, or http to a loopback host. `ec`: `url_invalid` when it does not
/// parse as an absolute http(s) URL.
inline bool secure_or_loopback(std::string_view url, std::error_code& ec) {
  ec = {};
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u || (u->scheme() != "https" && u->scheme() != "http")) {
    ec = error::url_invalid;
    return false;
  }
  if (u->scheme() == "https") return true;
  switch (u->host_type()) {
    case boost::urls::host_type::ipv4: return u->host_ipv4_address().is_loopback();
    case boost::urls::host_type::ipv6: return u->host_ipv6_address().is_loopback();
    case boost::urls::host_type::name: return u->encoded_host() == "localhost";
    default: return false;
  }
}

namespace detail {
/// `url_insecure` unless `url` is https or loopback http (or `allow_http`); `url_invalid`.
inline void require_secure(std::string_view url, bool allow_http, std::error_code& ec) {
  const bool ok = secure_or_loopback(url, ec);
  if (!ec && !ok && !allow_http) ec = error::url_insecure;
}

inline std::string_view without_trailing_slash(std::string_view s) noexcept {
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}
}  // namespace detail

struct discovery_options {
  /// Relative or absolute; empty: `.well-known/oauth-authorization-server`.
  std::string metadata_url{};
  /// The issuer the document must name; empty: the base URL.
  std::string expected_issuer{};
  /// Largest document accepted.
  std::size_t max_document_bytes = 256 * 1024;
  /// Accept plain http to hosts other than loopback (never in production).
  bool allow_http = false;
};

/// Fetches and checks the metadata of the authorization server at `base_url`. `ec`:
/// `url_invalid`; `url_insecure`; `http_status_unexpected` for a non-200 answer; the client's
/// I/O error;
/// `metadata_invalid` (not JSON, malformed, too large, or without `jwks_uri`);
/// `metadata_issuer_mismatch`.
inline server_metadata discover(const transport::any_sync_client& http, std::string_view base_url,
                                       const discovery_options& opt, std::error_code& ec) {
  detail::require_secure(base_url, opt.allow_http, ec);
  if (ec) return {};
  const std::string url = metadata_url_for(base_url, opt.metadata_url, ec);
  if (ec) return {};
  detail::require_secure(url, opt.allow_http, ec);
  if (ec) return {};
  transport::request req{transport::http::verb::get, "/", 11};
  req.set(transport::http::field::accept, "application/json");
  auto res = http.send(std::move(req), url, ec);
  if (ec) return {};
  if (res.result() != transport::http::status::ok) {
    ec = error::http_status_unexpected;
    return {};
  }
  if (res.body().size() > opt.max_document_bytes) {
    ec = error::metadata_invalid;
    return {};
  }
  boost::json::parse_options popts;
  popts.max_depth = 16;
  std::error_code pec;
  auto doc = boost::json::parse(res.body(), pec, {}, popts);
  if (pec) {
    ec = error::metadata_invalid;
    return {};
  }
  auto m = metadata_from_json(doc, ec);
  if (ec) return {};
  if (m.jwks_uri.empty()) {
    ec = error::metadata_invalid;
    return {};
  }
  const std::string_view expected = opt.expected_issuer.empty() ? detail::without_trailing_slash(base_url)
                                                                : std::string_view(opt.expected_issuer);
  const std::string_view named = opt.expected_issuer.empty() ? detail::without_trailing_slash(m.issuer)
                                                             : std::string_view(m.issuer);
  if (named != expected) {
    ec = error::metadata_issuer_mismatch;
    return {};
  }
  return m;
}

}  // namespace tessera::oauth

#endif
