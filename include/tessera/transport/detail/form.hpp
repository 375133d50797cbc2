// tessera — transport/detail/form.hpp: the form bodies the transport clients send
// (`post_form`), encoded by tessera's one form encoder, `http::form_encode_append`
// (http/form.hpp: RFC 3986 unreserved kept, space as '+', the rest %XX; the choice is
// documented there), so a token request and a server-built redirect encode alike.
#ifndef TESSERA_TRANSPORT_DETAIL_FORM_HPP
#define TESSERA_TRANSPORT_DETAIL_FORM_HPP

#include <tessera/http/form.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::transport {

/// Name/value pairs of a form, in order; names may repeat.
using form_fields = std::vector<std::pair<std::string, std::string>>;

namespace detail {

/// `a=1&b=x+y`, each name and value encoded by `http::form_encode_append`.
inline std::string form_encode(const form_fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    tessera::http::form_encode_append(out, name);
    out += '=';
    tessera::http::form_encode_append(out, value);
  }
  return out;
}

}  // namespace detail
}  // namespace tessera::transport

#endif
