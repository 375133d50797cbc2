// tessera — detail/json.hpp: reading a JSON object from a peer, bounded.
//
// Every answer tessera reads from another program — a token endpoint, a device endpoint, a
// discovery document, a cache file — is parsed the same way: at most so many bytes, at most so
// deep (Boost.JSON's default of 32 levels is far more than any OAuth document needs, and depth is
// what a hostile document uses to cost stack), and it must be an object.
#ifndef TESSERA_DETAIL_JSON_HPP
#define TESSERA_DETAIL_JSON_HPP

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>

namespace tessera::detail {

/// The object `text` holds, parsed into `storage`; null when it is larger than `max_size`
/// bytes, nested deeper than `max_depth`, not JSON, or not an object.
inline const boost::json::object* parse_bounded_object(std::string_view text, std::size_t max_size, unsigned max_depth,
                                                       boost::json::value& storage) {
  if (text.size() > max_size) return nullptr;
  boost::json::parse_options opt;
  opt.max_depth = max_depth;
  std::error_code ec;
  storage = boost::json::parse(text, ec, {}, opt);
  return ec ? nullptr : storage.if_object();
}

}  // namespace tessera::detail

#endif
