// tessera — oauth/peer_error.hpp
//
// When *another* server refuses a request — a token endpoint answering `invalid_grant`, a
// device endpoint answering `slow_down` — the refusal is its wire condition, not one of
// tessera's own causes. `peer_category()` ("tessera.peer") carries it: the value is the
// `tessera::condition`, so
//
//     if (ec == tessera::condition::invalid_grant) ...          // mine or the peer's
//     if (ec.category() == tessera::oauth::peer_category()) ... // the peer's
//
// both work. (`tessera::condition_of`, which tells *this* server what to answer, maps a
// peer's refusal to `server_error`: a server does not pass another server's verdict on as its own.)
//
// `read_error_response` reads an RFC 6749 §5.2 body (`error`, `error_description`). The
// description is the peer's text: it is kept only when it keeps to the characters §5.2 allows
// (printable ASCII without '"' and '\'), cut to `max_description` bytes, so a hostile server
// cannot write control sequences into a terminal or a log through it.
#ifndef TESSERA_OAUTH_PEER_ERROR_HPP
#define TESSERA_OAUTH_PEER_ERROR_HPP

#include <tessera/detail/json.hpp>
#include <tessera/error.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::oauth {

namespace detail {
class peer_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.peer"; }
  std::string message(int v) const override {
    auto w = wire_name(static_cast<condition>(v));
    return w.empty() ? std::string("the server refused the request")
                     : "the server refused the request: " + std::string(w);
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    return make_error_condition(static_cast<condition>(v));
  }
};
}  // namespace detail

inline const std::error_category& peer_category() noexcept {
  static const detail::peer_category_impl instance;
  return instance;
}

/// The error_code of a peer's refusal with wire condition `c`.
inline std::error_code make_peer_error(condition c) noexcept { return {static_cast<int>(c), peer_category()}; }

/// The condition a wire name stands for; `condition::none` for a name OAuth does not define.
inline condition condition_from_wire(std::string_view name) noexcept {
  for (int i = 1;; ++i) {
    auto w = wire_name(static_cast<condition>(i));
    if (w.empty()) return condition::none;
    if (w == name) return static_cast<condition>(i);
  }
}

inline constexpr std::size_t max_description = 256;

/// The peer's description, if it keeps to RFC 6749 §5.2's characters; cut to `max_description`.
inline std::string safe_description(std::string_view s) {
  if (s.size() > max_description) s = s.substr(0, max_description);
  for (char c : s)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return {};
  return std::string(s);
}

/// Reads a §5.2 error body. Returns the peer error for a known `error`, and
/// `peer_error_unrecognized` for an unknown one or a body that is not such an object (also for
/// a body over 64 KiB). `description`, when given, receives the safe description (or empty).
inline std::error_code read_error_response(const transport::response& res, std::string* description = nullptr) {
  if (description) description->clear();
  boost::json::value doc;
  const auto* o = tessera::detail::parse_bounded_object(res.body(), 64 * 1024, 8, doc);
  const auto* e = o ? o->if_contains("error") : nullptr;
  if (!e || !e->is_string()) return error::peer_error_unrecognized;
  if (description)
    if (const auto* d = o->if_contains("error_description"); d && d->is_string())
      *description = safe_description(d->get_string());
  const condition c = condition_from_wire(e->get_string());
  if (c == condition::none) return error::peer_error_unrecognized;
  return make_peer_error(c);
}

}  // namespace tessera::oauth

#endif
