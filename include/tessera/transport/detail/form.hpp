// tessera — transport/detail/form.hpp: application/x-www-form-urlencoded encoding (WHATWG URL
// §5.2, as RFC 6749 Appendix B requires for token requests).
#ifndef TESSERA_TRANSPORT_DETAIL_FORM_HPP
#define TESSERA_TRANSPORT_DETAIL_FORM_HPP

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::transport {

/// Name/value pairs of a form, in order; names may repeat.
using form_fields = std::vector<std::pair<std::string, std::string>>;

namespace detail {

inline void form_encode_component(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' || c == '-' ||
        c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
}

/// `a=1&b=x+y`: every byte outside [A-Za-z0-9*-._] percent-encoded, space as '+'.
inline std::string form_encode(const form_fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    form_encode_component(out, name);
    out += '=';
    form_encode_component(out, value);
  }
  return out;
}

}  // namespace detail
}  // namespace tessera::transport

#endif
