// tessera — detail/ascii.hpp: ASCII case folding for protocol text.
//
// HTTP field values, URI schemes and hosts, cookie-name prefixes and auth schemes compare
// case-insensitively in ASCII only (RFC 9110 §5.1, RFC 3986 §3.1, §3.2.2). These helpers fold
// exactly 'A'-'Z' and nothing else: no locale (`std::tolower` follows the process locale and
// is undefined for negative `char`s), no Unicode. Layers that include Beast may use
// `boost::beast::iequals` instead; http/ and the layers below it use these.
#ifndef TESSERA_DETAIL_ASCII_HPP
#define TESSERA_DETAIL_ASCII_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::detail {

constexpr char to_lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `s` with 'A'-'Z' lowered.
inline std::string to_lower_ascii(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = to_lower_ascii(c);
  return r;
}

/// Equal ignoring ASCII case.
constexpr bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
  return true;
}

/// `s` starts with `prefix`, ignoring ASCII case.
constexpr bool istarts_with_ascii(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals_ascii(s.substr(0, prefix.size()), prefix);
}

}  // namespace tessera::detail

#endif
