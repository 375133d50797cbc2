// tessera — transport/detail/url.hpp: the parts of an absolute http(s) URL the client needs.
#ifndef TESSERA_TRANSPORT_DETAIL_URL_HPP
#define TESSERA_TRANSPORT_DETAIL_URL_HPP

#include <tessera/error.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::transport::detail {

struct http_url {
  bool https = false;
  std::string host;         // name or IP literal, without brackets
  std::uint16_t port = 0;
  std::string target;       // path and query, never empty, never a fragment
  std::string host_header;  // RFC 9112 §3.2: host[:port], brackets for IPv6, default port omitted
  bool host_is_ip = false;

  /// The connection-pool key and the "same origin" test for redirects.
  std::string origin() const { return (https ? "https://" : "http://") + host_header_with_port(); }
  std::string host_header_with_port() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
  }
};

/// Parses an absolute `http` or `https` URL. Fails with `error::url_invalid` for anything else:
/// a relative reference, another scheme, no host, user info (credentials never travel in a
/// URL), a percent-encoded host, or a port outside 1..65535.
inline http_url parse_http_url(boost::urls::url_view u, std::error_code& ec) {
  namespace urls = boost::urls;
  ec.clear();
  http_url out;
  auto bad = [&] {
    ec = tessera::error::url_invalid;
    return http_url{};
  };
  if (u.scheme_id() == urls::scheme::https) out.https = true;
  else if (u.scheme_id() != urls::scheme::http) return bad();
  if (!u.has_authority() || u.has_userinfo()) return bad();
  auto ht = u.host_type();
  if (ht != urls::host_type::name && ht != urls::host_type::ipv4 && ht != urls::host_type::ipv6) return bad();
  std::string_view host = u.encoded_host_address();
  if (host.empty() || host.find('%') != std::string_view::npos) return bad();
  out.host = std::string(host);
  out.host_is_ip = ht != urls::host_type::name;
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return bad();
    out.port = u.port_number();
  } else {
    out.port = out.https ? 443 : 80;
  }
  std::string_view path = u.encoded_path();
  out.target = path.empty() ? "/" : std::string(path);
  if (u.has_query()) {
    out.target += '?';
    out.target += std::string_view(u.encoded_query());
  }
  out.host_header = ht == urls::host_type::ipv6 ? "[" + out.host + "]" : out.host;
  if (out.port != (out.https ? 443 : 80)) out.host_header += ":" + std::to_string(out.port);
  return out;
}

inline http_url parse_http_url(std::string_view text, std::error_code& ec) {
  auto r = boost::urls::parse_uri(text);
  if (!r) {
    ec = tessera::error::url_invalid;
    return {};
  }
  return parse_http_url(*r, ec);
}

}  // namespace tessera::transport::detail

#endif
