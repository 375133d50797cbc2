// tessera — client/settings.hpp
//
// What a client is told at run time, in the terms of Flyte's `admin:` client configuration
// (tessera/flyte/client_config.hpp reads that file and the FLYTE_* environment into this). The
// flows a client *can* run are chosen at compile time (`client<Traits, Flows...>`); `type`
// picks one of them.
//
// Left empty, `client_id`, `scopes`, `authorization_header` and the PKCE redirect come from the
// server's `/config/v1/flyte_client` as Flyte's clients take them; `token_url` from its
// metadata. `audience` is sent when set, or — with `use_audience_from_server` — the audience the
// server advertises.
#ifndef TESSERA_CLIENT_SETTINGS_HPP
#define TESSERA_CLIENT_SETTINGS_HPP

#include <tessera/detail/ascii.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::client {

/// Flyte's `authType`.
enum class auth_type { client_secret, pkce, device_flow, external_command };

/// Flyte's spelling: `ClientSecret`, `Pkce`, `DeviceFlow`, `ExternalCommand`.
constexpr std::string_view auth_type_name(auth_type t) noexcept {
  switch (t) {
    case auth_type::client_secret: return "ClientSecret";
    case auth_type::pkce: return "Pkce";
    case auth_type::device_flow: return "DeviceFlow";
    case auth_type::external_command: return "ExternalCommand";
  }
  return "";
}

/// Reads Flyte's spelling, ignoring ASCII case.
inline std::optional<auth_type> parse_auth_type(std::string_view s) noexcept {
  for (auto t : {auth_type::client_secret, auth_type::pkce, auth_type::device_flow, auth_type::external_command})
    if (tessera::detail::iequals_ascii(s, auth_type_name(t))) return t;
  return std::nullopt;
}

/// How a confidential client presents its secret (RFC 6749 §2.3.1).
enum class secret_method { basic, post };

struct pkce_settings {
  /// Where the browser returns: an `http` URI on a loopback host. `http://127.0.0.1:0/...` or
  /// `http://[::1]:0/...` listens on any free port (RFC 8252 §7.3). Empty: the server's
  /// advertised redirect, else Flyte's `http://localhost:53593/callback`.
  std::string redirect_uri{};
  /// `pkceConfig.timeout`: how long to wait for the browser.
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
};

struct device_settings {
  /// `deviceFlowConfig.timeout`: the longest a device login waits (the server's `expires_in`
  /// ends it sooner).
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  /// `deviceFlowConfig.pollInterval`: used when the server names no `interval`.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(5)};
};

struct client_settings {
  /// The server's base URL (`https://flyte.example.com`); discovery happens under it.
  std::string endpoint;
  auth_type type = auth_type::client_secret;
  std::string client_id{};
  /// The secret itself, already read from wherever it lives (file, environment).
  std::string client_secret{};
  secret_method secret_auth = secret_method::basic;
  std::vector<std::string> scopes{};
  std::string audience{};
  bool use_audience_from_server = false;
  /// The header the token is sent in (Flyte: `authorization` or `flyte-authorization`).
  std::string authorization_header{};
  /// Overrides the metadata's `token_endpoint`.
  std::string token_url{};
  /// `tokenRefreshWindow`: refresh when less than this is left of the access token's life (at
  /// least `min_refresh_margin`).
  std::chrono::seconds refresh_window{0};
  /// `command` of `ExternalCommand`: the program and its arguments (no shell).
  std::vector<std::string> command{};
  std::chrono::milliseconds command_timeout{std::chrono::seconds(60)};
  pkce_settings pkce{};
  device_settings device{};
  /// Accept plain http to hosts other than this machine (Flyte's `insecure`). Never in production:
  /// tokens and secrets cross the network in the clear.
  bool allow_http = false;

  /// A token is used while more than this is left of its life.
  static constexpr std::chrono::seconds min_refresh_margin{10};
  std::chrono::seconds refresh_margin() const noexcept {
    return refresh_window > min_refresh_margin ? refresh_window : min_refresh_margin;
  }
};

/// What a device login shows the person (RFC 8628 §3.3).
struct device_prompt {
  std::string user_code;
  std::string verification_uri;
  /// With the code in it; empty when the server gave none.
  std::string verification_uri_complete;
  std::chrono::seconds expires_in{};
};

/// How a client talks to the person and waits. Every member may be left empty (then nothing is
/// shown, and waiting sleeps the thread).
struct interaction {
  /// PKCE: the authorization URL, to print and to open in a browser.
  std::function<void(const std::string& url)> authorization_url;
  /// Device flow: what to show.
  std::function<void(const device_prompt&)> device_code;
  /// Device flow: called before each poll with the time left.
  std::function<void(std::chrono::seconds left)> waiting;
  /// Diagnostics (which endpoint, which step, the server's error description): never a token,
  /// a code or a secret.
  std::function<void(std::string_view)> log;
  /// Sleeps between device polls; tests move a manual clock instead.
  std::function<void(std::chrono::milliseconds)> sleep;
};

}  // namespace tessera::client

#endif
