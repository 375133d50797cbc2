// tessera — server/token_observer.hpp: what the token endpoint tells an observer about each
// request it answered (`server_settings::token_events`), for metrics (ops/token_metrics.hpp)
// or audit. An outcome holds no client-supplied text but a grant type the server serves, and
// no token, secret or client id.
#ifndef TESSERA_SERVER_TOKEN_OBSERVER_HPP
#define TESSERA_SERVER_TOKEN_OBSERVER_HPP

#include <functional>
#include <string_view>
#include <system_error>

namespace tessera::server {

/// One answered token request.
struct token_outcome {
  /// The request's `grant_type` when the server serves it; empty when it named none it serves
  /// (the request then fails with `grant_type_unsupported` or a malformed-request cause).
  std::string_view grant_type{};
  /// Empty: tokens were issued. Otherwise the cause the answer was made from: a
  /// `tessera::error` (its `condition` is the wire `error`), or a store's own error code.
  std::error_code error{};
};

/// Called on the request's thread after the answer is made: must be thread-safe and cheap; what
/// it throws is dropped. The outcome's views are valid during the call only.
using token_observer = std::function<void(const token_outcome&)>;

}  // namespace tessera::server

#endif
