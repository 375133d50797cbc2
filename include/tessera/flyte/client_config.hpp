// tessera — flyte/client_config.hpp
//
// A Flyte client configuration — the file and the FLYTE_* environment that flytectl, flytekit
// and Flyte's Go admin client read — as tessera's `client::client_settings`:
//
//     auto cfg = tessera::flyte::load_client_config({});  // search, as flytekit does; throws
//     for (const auto& w : cfg.warnings) std::cerr << "warning: " << w << '\n';
//     // cfg.settings is what a tessera::client::client is given; cfg.insecure_skip_verify and
//     // cfg.ca_cert_file are for its transport::client_options.
//
// Where the file is (flytekit's `get_config_file`, flytekit/configuration/file.py): the
// explicit file (--config); else $FLYTECTL_CONFIG; else ./flytekit.config, ~/.flyte/config,
// ~/.flyte/config.yaml — the first that exists. An explicit file or a FLYTECTL_CONFIG that
// does not exist is an error (flytekit only warns and goes on searching; flytectl fails). No
// file at all is fine: the environment alone is then the configuration.
//
// The YAML file (flytectl's; the Go client's `admin:` section, flyteidl/clients/go/admin/
// config.go) — every key of the section is known:
//
//     admin:
//       endpoint: dns:///flyte.example.com      # or https://..., http://..., host:port
//       insecure: false                         # true: http://, and plain http allowed
//       insecureSkipVerify: false               # loaded_client_config::insecure_skip_verify
//       caCertFilePath: /etc/ssl/flyte-ca.pem   # loaded_client_config::ca_cert_file
//       authType: ClientSecret                  # | Pkce | DeviceFlow | ExternalCommand
//       clientId: flytepropeller                # ClientSecret's default; else the server's
//       clientSecretLocation: /etc/secrets/client_secret   # the default
//       clientSecretEnvVar: MY_SECRET           # takes precedence over the file
//       scopes: [all]                           # absent: the server's
//       audience: https://flyte.example.com
//       useAudienceFromAdmin: false
//       authorizationHeader: flyte-authorization
//       tokenUrl: https://idp.example.com/token
//       tokenRefreshWindow: 5m
//       command: [gcloud, auth, print-identity-token]
//       pkceConfig: {timeout: 2m, refreshTime: 5m}
//       deviceFlowConfig: {timeout: 10m, pollInterval: 5s, refreshTime: 5m}
//       # accepted, and used by the Go client for gRPC only: maxBackoffDelay, perRetryTimeout,
//       # maxRetries, maxMessageSizeBytes, useAuth, authorizationServerUrl, proxyCommand,
//       # defaultServiceConfig, httpProxyURL
//
// Keys match without regard to case, as viper (flytectl) matches them; a key spelt in another
// case than Flyte's gets a warning (flytekit reads keys case-sensitively and would miss it).
// Any other key under `admin:` is an error naming it, its line and the keys expected (flytectl
// runs in viper's strict mode); other sections (logger, storage, console, ...) are ignored.
// Durations are Go's (`time.ParseDuration`: "2m", "1h30m", "300ms", "1.5s"); a bare number is
// nanoseconds, as flytestdlib's `config.Duration` reads it, with a warning; "" is 0. Booleans:
// true/false, yes/no, on/off, 1/0. A list may also be one comma-separated string (flytekit).
//
// The INI file of flytekit (flytekit.config; ~/.flyte/config as old flyte-cli wrote it),
// recognised by its first line being a [section] (flytekit/configuration/internal.py):
//
//     [platform]       url, insecure, insecure_skip_verify, ca_cert_file_path,
//                      console_endpoint and http_proxy_url (ignored); old: http_url, auth
//     [credentials]    client_id, client_secret, client_secret_location, client_secret_env_var,
//                      auth_mode, scopes, audience, command (comma-separated), proxy_command
//                      (ignored); old: oauth_scopes, scope, authorization_metadata_key,
//                      redirect_uri
//
// read as Python's configparser reads it (`key = value` or `key: value`, keys in any case,
// indented continuation lines, [DEFAULT], %(name)s and %%). Without auth_mode, flytekit's
// default applies to such a file: Pkce ("standard"), or ClientSecret when a client secret is
// configured. Unknown keys of the two sections are warnings (flytekit ignores them).
//
// The environment is read after the file and wins (flytekit's `ConfigEntry.read`):
// FLYTE_PLATFORM_URL, _INSECURE, _INSECURE_SKIP_VERIFY, _CA_CERT_FILE_PATH;
// FLYTE_CREDENTIALS_CLIENT_ID, _CLIENT_SECRET, _CLIENT_SECRET_LOCATION, _CLIENT_SECRET_ENV_VAR,
// _AUTH_MODE, _SCOPES, _AUDIENCE, _COMMAND (lists comma-separated). Old spellings are read,
// each with a warning: FLYTE_CREDENTIALS_OAUTH_SCOPES and _SCOPE (scopes),
// _AUTHORIZATION_METADATA_KEY (authorization header), _REDIRECT_URI (PKCE redirect),
// FLYTE_PLATFORM_HTTP_URL (the HTTP endpoint), FLYTE_PLATFORM_AUTH (obsolete: it forced
// authentication before servers advertised it; checked and ignored). An empty variable counts
// as unset. auth_mode takes flytekit's names, in any case: standard | pkce, basic |
// client_credentials | clientsecret, external_process | externalcommand, deviceflow. Not read:
// pyflyte's internal _FLYTECTL_CONFIG_PYFLYTE_OVERRIDE, and old flytekit's indirections
// FLYTE_..._FROM_ENV_VAR / _FROM_FILE.
//
// The client secret (ClientSecret only — the other flows send none, as in the Go client):
// the variable named by clientSecretEnvVar, else FLYTE_CREDENTIALS_CLIENT_SECRET (or the INI
// file's client_secret), else the clientSecretLocation file (at most 64 KiB), surrounding
// whitespace trimmed. Flyte's default location, /etc/secrets/client_secret, is read only when
// it exists: without it the secret stays empty and the client reports `client_secret_missing`
// when its flow needs one. A location that is configured and cannot be read is an error. No
// secret ever reaches a problem, a warning or an exception: only where it came from
// (`secret_source`).
//
// Failures are `config_problem`s (flyte/config_error.hpp): the file, the position
// ("admin.pkceConfig.timeout", "FLYTE_PLATFORM_INSECURE", "credentials.auth_mode") and a
// detail with the line: `config_member_unknown`, `config_type_mismatch`,
// `config_value_invalid` (also for text that is not YAML), `config_too_large` (a file over
// 1 MiB: the size bounds yaml-cpp's work; only the admin section is walked, so an alias of a
// large node elsewhere costs nothing), `config_file_unreadable`.
//
// Differences from Flyte, on purpose: authType ignores case (the Go client's enum does not);
// a missing FLYTECTL_CONFIG file is an error (flytekit warns and searches on); a missing
// default secret file is not (the Go client fails in its ClientSecret flow); boolean variables
// must be a boolean word (flytekit takes anything not false-like as true); FLYTE_CREDENTIALS_
// CLIENT_SECRET beats a configured secret file (flytekit reads the file over it); an explicit
// auth mode stands when a secret is configured (flytekit switches to ClientSecret); a file is
// INI or YAML by its content, not by its name (flytekit: *.yaml / *.yml are YAML).
#ifndef TESSERA_FLYTE_CLIENT_CONFIG_HPP
#define TESSERA_FLYTE_CLIENT_CONFIG_HPP

#include <tessera/client/settings.hpp>
#include <tessera/oauth/discovery.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/flyte/config_error.hpp>
#include <tessera/flyte/detail/read_file.hpp>
#include <tessera/flyte/detail/yaml_reader.hpp>
#include <tessera/transport/detail/url.hpp>

#include <boost/url/parse.hpp>

#include <openssl/crypto.h>

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::flyte {

/// Where the configuration comes from. Every member may be left as it is.
/// Flyte's default `clientSecretLocation` (its Go client's).
inline constexpr std::string_view flyte_default_client_secret_location_v = "/etc/secrets/client_secret";

struct client_config_sources {
  std::filesystem::path explicit_file;  // --config; empty: search
  std::function<const char*(const char*)> getenv = [](const char* n) { return std::getenv(n); };
  std::filesystem::path home;  // empty: $HOME from getenv
  std::filesystem::path cwd;   // empty: std::filesystem::current_path()
  /// Overrides the configured `authType` (a command-line flag): applied before what depends on
  /// the flow — the default client id, whether a secret is read.
  std::optional<client::auth_type> auth_type{};
  /// Overrides the configured `clientId` (a command-line flag).
  std::string client_id{};
  /// Flyte's default `clientSecretLocation` (tests point it elsewhere).
  std::filesystem::path default_secret_location{std::string(flyte_default_client_secret_location_v)};
};

/// What was read: the client's settings, and what the caller does with the rest.
struct loaded_client_config {
  client::client_settings settings;
  std::filesystem::path file;   // the config file read; empty when none was found (env only)
  std::string secret_source;    // "environment variable FOO", "file /etc/secrets/client_secret",
                                // "FLYTE_CREDENTIALS_CLIENT_SECRET", ...; "" when none — never the secret
  bool insecure_skip_verify = false;  // admin.insecureSkipVerify / FLYTE_PLATFORM_INSECURE_SKIP_VERIFY
  std::string ca_cert_file;           // admin.caCertFilePath / FLYTE_PLATFORM_CA_CERT_FILE_PATH
  std::vector<std::string> warnings;  // old spellings, ignored settings, ...: for the person to read
};

/// Flyte's default client id for ClientSecret (`DefaultClientID`, admin/config.go).
inline constexpr std::string_view flyte_default_client_id = "flytepropeller";
/// Flyte's default `clientSecretLocation`.
inline constexpr std::string_view flyte_default_client_secret_location = flyte_default_client_secret_location_v;
/// Largest configuration file read, and largest client secret file.
inline constexpr std::size_t max_client_config_size = 1024 * 1024;
inline constexpr std::size_t max_client_secret_size = 64 * 1024;

/// The keys of Flyte's `admin:` section (admin/config.go, `Config`'s json tags), in Flyte's
/// spelling: the ones tessera uses and the ones only the Go client's gRPC side uses.
inline constexpr std::array<std::string_view, 26> flyte_admin_keys = {
    "endpoint",          "insecure",           "insecureSkipVerify",     "caCertFilePath",
    "authType",          "clientId",           "clientSecretLocation",   "clientSecretEnvVar",
    "scopes",            "audience",           "useAudienceFromAdmin",   "authorizationHeader",
    "tokenUrl",          "tokenRefreshWindow", "command",                "pkceConfig",
    "deviceFlowConfig",  "maxBackoffDelay",    "perRetryTimeout",        "maxRetries",
    "maxMessageSizeBytes", "useAuth",          "authorizationServerUrl", "proxyCommand",
    "defaultServiceConfig", "httpProxyURL"};

namespace detail {

//------------------------------------------------------------------------------------------
// Endpoints.

/// The https (or, insecure, http) URL of a Flyte endpoint, or the reason it is none.
inline std::string make_endpoint_url(std::string_view endpoint, bool insecure, std::string& why) {
  why.clear();
  std::string_view e = trim_ascii(endpoint);
  if (e.empty()) {
    why = "empty";
    return {};
  }
  for (unsigned char c : e)
    if (c <= 0x20 || c >= 0x7f) {
      why = "has a space, a control character or a non-ASCII character";
      return {};
    }
  const std::string_view scheme = insecure ? "http://" : "https://";
  std::string url;
  if (tessera::detail::istarts_with_ascii(e, "dns:")) {
    // gRPC's name syntax: dns:[//authority/]host[:port]; the authority is the DNS server.
    std::string_view rest = e.substr(4);
    if (rest.substr(0, 2) == "//") {
      rest.remove_prefix(2);
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos) {
        why = "a dns: target without a host (expected dns:///host[:port])";
        return {};
      }
      rest.remove_prefix(slash + 1);
    }
    url.assign(scheme);
    url.append(rest);
  } else if (const auto sep = e.find("://"); sep != std::string_view::npos) {
    const std::string_view s = e.substr(0, sep);
    if (!tessera::detail::iequals_ascii(s, "https") && !tessera::detail::iequals_ascii(s, "http")) {
      why = "unsupported scheme (expected https://, http://, dns:/// or host[:port])";
      return {};
    }
    url.assign(e);
  } else {
    url.assign(scheme);
    url.append(e);
  }
  const auto parsed = boost::urls::parse_uri(url);
  std::error_code ec;
  if (parsed) transport::detail::parse_http_url(*parsed, ec);
  if (!parsed || ec) {
    why = "not a host[:port] or an http(s) URL with a host";
    return {};
  }
  if (parsed->has_port()) {  // Boost.URL's port_number() wraps a port above 65535
    const std::string_view port = parsed->port();
    unsigned value = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || value == 0 || value > 65535) {
      why = "a port outside 1-65535";
      return {};
    }
  }
  if (parsed->has_query() || parsed->has_fragment() || parsed->has_userinfo()) {
    why = "has a query, a fragment or user info";
    return {};
  }
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace detail


/// A Flyte endpoint as the base URL of its HTTP side: "dns:///flyte.example.com:443" →
/// "https://flyte.example.com:443" ("http://" when `insecure`); "https://x" and "http://x" are
/// kept (trailing slashes dropped); a bare "host[:port]" gets https:// (http:// when
/// `insecure`). Anything else (another scheme, no host, user info, a query): `ec` =
/// `config_value_invalid` and "".
inline std::string endpoint_url(std::string_view endpoint, bool insecure, std::error_code& ec) {
  ec.clear();
  std::string why;
  std::string url = detail::make_endpoint_url(endpoint, insecure, why);
  if (!why.empty()) ec = error::config_value_invalid;
  return url;
}

namespace detail {

struct client_config_values {
  config_given<std::string> endpoint, http_url, ca_cert_file, client_id, secret_location, secret_env_var, audience,
      authorization_header, token_url, redirect_uri;
  config_given<std::string> secret;  // inline: FLYTE_CREDENTIALS_CLIENT_SECRET, INI client_secret
  config_given<bool> insecure, insecure_skip_verify, use_audience_from_admin;
  config_given<client::auth_type> type;
  config_given<std::vector<std::string>> scopes, command;
  config_given<std::chrono::milliseconds> refresh_window, pkce_timeout, device_timeout, device_poll_interval;

  client_config_values() = default;
  client_config_values(const client_config_values&) = delete;
  client_config_values& operator=(const client_config_values&) = delete;
  ~client_config_values() {
    if (secret.value && !secret.value->empty()) OPENSSL_cleanse(secret.value->data(), secret.value->size());
  }
};

/// flytekit's auth_mode names (`AuthType[value.upper()]`, flytekit/clients/auth_helper.py).
inline std::optional<client::auth_type> parse_flytekit_auth_mode(std::string_view s) noexcept {
  using tessera::detail::iequals_ascii;
  using client::auth_type;
  for (std::string_view n : {"standard", "pkce"})
    if (iequals_ascii(s, n)) return auth_type::pkce;
  for (std::string_view n : {"basic", "client_credentials", "clientsecret"})
    if (iequals_ascii(s, n)) return auth_type::client_secret;
  for (std::string_view n : {"external_process", "externalcommand"})
    if (iequals_ascii(s, n)) return auth_type::external_command;
  if (iequals_ascii(s, "deviceflow")) return auth_type::device_flow;
  return std::nullopt;
}
inline constexpr std::string_view auth_mode_expected =
    "not an auth mode: expected standard or pkce, basic, client_credentials or clientsecret, "
    "external_process or externalcommand, deviceflow";

//------------------------------------------------------------------------------------------
// A small configparser: sections, `key = value` / `key: value`, continuation lines, comments,
// [DEFAULT], %(name)s and %% interpolation, duplicates refused (configparser's strict mode).

struct ini_entry {
  std::string section;
  std::string key;  // lowered, as configparser's optionxform
  std::string value;
  int line = 0;
};

class ini_document {
 public:
  ini_document() = default;
  ini_document(const ini_document&) = delete;
  ini_document& operator=(const ini_document&) = delete;
  ~ini_document() {  // values may be secrets (client_secret)
    for (auto& e : entries_)
      if (!e.value.empty()) OPENSSL_cleanse(e.value.data(), e.value.size());
  }

  /// "section.key", each part escaped as config_error.hpp escapes names.
  static std::string member_path(std::string_view section, std::string_view key) {
    std::string path;
    append_member(path, section);
    if (!key.empty()) append_member(path, key);
    return path;
  }

  /// Parses `text`; on failure fills `problem` (without the file) and returns false.
  bool parse(std::string_view text, config_problem& problem) {
    int line_no = 0;
    std::string section;
    bool in_section = false;
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::size_t current = none;  // the entry a continuation line extends
    std::size_t current_indent = 0;
    auto fail = [&](error e, std::string path, std::string detail) {
      problem.code = e;
      problem.path = std::move(path);
      problem.detail = std::move(detail) + line_suffix(line_no);
      return false;
    };
    if (text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);
    while (!text.empty()) {
      ++line_no;
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::string_view stripped = trim_ascii(line);
      if (stripped.empty()) {
        current = none;  // a blank line ends a value (configparser keeps it only inside one)
        continue;
      }
      if (stripped.front() == '#' || stripped.front() == ';') continue;
      std::size_t indent = 0;
      while (indent < line.size() && (line[indent] == ' ' || line[indent] == '\t')) ++indent;
      if (current != none && indent > current_indent) {  // continuation of the value above
        entries_[current].value += '\n';
        entries_[current].value.append(stripped);
        continue;
      }
      current = none;
      if (stripped.front() == '[') {
        const auto close = stripped.rfind(']');
        if (close == std::string_view::npos || close == 1)
          return fail(error::config_value_invalid, {}, "a section header that is not [name]");
        section.assign(stripped.substr(1, close - 1));
        if (!sections_.insert(section).second)
          return fail(error::config_value_invalid, member_path(section, {}), "section given twice");
        in_section = true;
        continue;
      }
      if (!in_section) return fail(error::config_value_invalid, {}, "a line before the first [section]");
      const auto delim = stripped.find_first_of("=:");
      if (delim == std::string_view::npos)
        return fail(error::config_value_invalid, member_path(section, {}), "a line that is not key = value");
      std::string key = tessera::detail::to_lower_ascii(trim_ascii(stripped.substr(0, delim)));
      if (key.empty()) return fail(error::config_value_invalid, member_path(section, {}), "a value without a key");
      if (!keys_.emplace(section, key).second)
        return fail(error::config_value_invalid, member_path(section, key), "key given twice");
      entries_.push_back({section, std::move(key), std::string(trim_ascii(stripped.substr(delim + 1))), line_no});
      current = entries_.size() - 1;
      current_indent = indent;
    }
    return true;
  }

  const std::vector<ini_entry>& entries() const noexcept { return entries_; }
  bool has_section(const std::string& s) const { return sections_.count(s) != 0; }

  /// The entry of `key` in `section`, else in [DEFAULT]; nullptr when absent.
  const ini_entry* find(std::string_view section, std::string_view key) const {
    const ini_entry* fallback = nullptr;
    for (const auto& e : entries_) {
      if (e.key != key) continue;
      if (e.section == section) return &e;
      if (e.section == "DEFAULT") fallback = &e;
    }
    return fallback;
  }

  /// configparser's BasicInterpolation: %% is %, %(name)s the value of `name` in the same
  /// section (or [DEFAULT]). False for any other %, an unknown name, or a loop.
  bool interpolate(std::string_view section, std::string_view value, std::string& out, int depth = 0) const {
    if (depth > 10) return false;  // configparser's MAX_INTERPOLATION_DEPTH
    out.clear();
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '%') {
        out += value[i];
        continue;
      }
      if (i + 1 < value.size() && value[i + 1] == '%') {
        out += '%';
        ++i;
        continue;
      }
      if (i + 1 < value.size() && value[i + 1] == '(') {
        const auto close = value.find(")s", i + 2);
        if (close == std::string_view::npos) return false;
        const std::string name = tessera::detail::to_lower_ascii(value.substr(i + 2, close - i - 2));
        const ini_entry* ref = find(section, name);
        if (!ref) return false;
        std::string expanded;
        if (!interpolate(section, ref->value, expanded, depth + 1)) return false;
        out += expanded;
        i = close + 1;
        continue;
      }
      return false;
    }
    return true;
  }

 private:
  std::set<std::string> sections_;
  std::set<std::pair<std::string, std::string>> keys_;
  std::vector<ini_entry> entries_;
};

/// True when the text's first line that is neither blank nor a comment is a [section] header.
inline bool looks_like_ini(std::string_view text) {
  if (text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim_ascii(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    return line.front() == '[' && line.find(']') != std::string_view::npos;
  }
  return false;
}

//------------------------------------------------------------------------------------------
// The loader.

class client_config_loader : yaml_reader {
 public:
  client_config_loader(const client_config_sources& src, loaded_client_config& out, config_problem& problem)
      : yaml_reader(problem, out.warnings, " (flytekit reads keys case-sensitively and would miss it)"),
        src_(src),
        out_(out) {}

  bool run() {
    problem_ = {};
    if (!locate()) return false;
    if (!file_.empty()) {
      std::string text;
      wipe_on_exit wipe(text);  // an INI file may hold a secret
      if (!read_config_file(file_, max_client_config_size, text, problem_)) return false;
      out_.file = file_;
      bool ok;
      if (looks_like_ini(text)) {
        ini_ = true;
        ok = read_ini(text);
      } else {
        ok = read_yaml(text);
      }
      if (!ok) {
        problem_.file = file_.string();
        return false;
      }
    }
    if (!read_environment()) return false;
    return resolve();
  }

 private:
  //---------------------------------------------------------------------------------------
  // Finding the file.

  const char* env_raw(const char* name) const { return src_.getenv ? src_.getenv(name) : nullptr; }
  /// A variable's value; unset or empty: nullopt.
  std::optional<std::string_view> env(const char* name) const {
    const char* v = env_raw(name);
    if (!v || !*v) return std::nullopt;
    return std::string_view(v);
  }

  std::filesystem::path resolve_path(const std::filesystem::path& p) const {
    return p.is_relative() && !cwd_.empty() ? cwd_ / p : p;
  }

  bool locate() {
    cwd_ = src_.cwd;
    if (cwd_.empty()) {
      std::error_code ec;
      cwd_ = std::filesystem::current_path(ec);
      if (ec) cwd_.clear();
    }
    std::filesystem::path home = src_.home;
    if (home.empty())
      if (auto h = env("HOME")) home = std::filesystem::path(*h);

    auto must_exist = [&](const std::filesystem::path& p, std::string_view named_by) {
      file_ = resolve_path(p);
      std::error_code ec;
      const auto st = std::filesystem::status(file_, ec);
      if (st.type() == std::filesystem::file_type::not_found) {
        problem_.code = error::config_file_unreadable;
        problem_.file = file_.string();
        problem_.detail = "no such file" + std::string(named_by);
        return false;
      }
      return true;  // any other trouble is read_config_file's to report
    };
    if (!src_.explicit_file.empty()) return must_exist(src_.explicit_file, "");
    if (auto p = env("FLYTECTL_CONFIG")) return must_exist(std::filesystem::path(*p), " (named by FLYTECTL_CONFIG)");

    std::vector<std::filesystem::path> candidates;
    candidates.push_back(resolve_path("flytekit.config"));
    if (!home.empty()) {
      candidates.push_back(home / ".flyte" / "config");
      candidates.push_back(home / ".flyte" / "config.yaml");
    }
    for (const auto& c : candidates) {
      std::error_code ec;
      const auto st = std::filesystem::status(c, ec);
      if (st.type() == std::filesystem::file_type::not_found) continue;
      if (ec) {
        problem_.code = error::config_file_unreadable;
        problem_.file = c.string();
        problem_.detail = "cannot read: " + ec.message();
        return false;
      }
      file_ = c;
      return true;
    }
    return true;  // no file: the environment alone
  }

  /// Checks an endpoint where it is given, so that the error names that place.
  bool check_endpoint(const std::string& e, const config_origin& o) {
    std::string why;
    make_endpoint_url(e, false, why);
    if (!why.empty()) return fail(error::config_value_invalid, o, "not a Flyte endpoint: " + why);
    return true;
  }

  //---------------------------------------------------------------------------------------
  // YAML (flytectl's file).

  bool read_yaml(std::string_view text) {
    try {
      const YAML::Node doc = YAML::Load(std::string(text));
      if (!doc.IsDefined() || doc.IsNull()) return true;  // an empty file
      if (!doc.IsMap())
        return fail(error::config_type_mismatch, yaml_origin("", doc),
                    "the document is not a YAML mapping (expected admin: and its keys)");
      YAML::Node admin;
      YAML::Node admin_key;
      bool seen = false;
      for (auto it = doc.begin(); it != doc.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar() || !tessera::detail::iequals_ascii(key.Scalar(), "admin")) continue;
        if (seen) return fail(error::config_value_invalid, yaml_origin("admin", key), "section given twice");
        seen = true;
        admin = it->second;
        admin_key = key;
      }
      if (!seen || admin.IsNull()) return true;
      if (admin_key.Scalar() != "admin")
        warn(yaml_origin(admin_key.Scalar(), admin_key), "Flyte spells it admin (flytekit reads keys case-sensitively)");
      if (!admin.IsMap()) return fail(error::config_type_mismatch, yaml_origin("admin", admin_key), "not a mapping");
      return read_admin(admin);
    } catch (const YAML::Exception& e) {
      config_origin o{"", e.mark.is_null() ? 0 : e.mark.line + 1, true};
      const std::string msg = safe_parser_message(e.msg);
      return fail(error::config_value_invalid, o, "not valid YAML" + (msg.empty() ? std::string() : ": " + msg));
    }
  }


  bool read_admin(const YAML::Node& admin) {
    auto& v = values_;
    return read_mapping(admin, "admin", flyte_admin_keys, [&](std::size_t index, const config_origin& o,
                                                               const YAML::Node& value) -> bool {
      const std::string_view key = flyte_admin_keys[index];
      if (key == "endpoint") {
        if (!yaml_string(value, o, v.endpoint)) return false;
        return !v.endpoint || check_endpoint(*v.endpoint.value, o);
      }
      if (key == "insecure") return yaml_bool(value, o, &v.insecure);
      if (key == "insecureSkipVerify") return yaml_bool(value, o, &v.insecure_skip_verify);
      if (key == "caCertFilePath") return yaml_string(value, o, v.ca_cert_file);
      if (key == "authType") {
        if (value.IsNull()) return true;
        if (!value.IsScalar()) return fail(error::config_type_mismatch, o, "not a string");
        auto t = client::parse_auth_type(value.Scalar());
        if (!t) return fail(error::config_value_invalid, o, "not an auth type: expected ClientSecret, Pkce, DeviceFlow or ExternalCommand");
        v.type.set(*t, o);
        return true;
      }
      if (key == "clientId") return yaml_string(value, o, v.client_id);
      if (key == "clientSecretLocation") return yaml_string(value, o, v.secret_location);
      if (key == "clientSecretEnvVar") return yaml_string(value, o, v.secret_env_var);
      if (key == "scopes") return yaml_list(value, o, v.scopes);
      if (key == "audience") return yaml_string(value, o, v.audience);
      if (key == "useAudienceFromAdmin") return yaml_bool(value, o, &v.use_audience_from_admin);
      if (key == "authorizationHeader") return yaml_string(value, o, v.authorization_header);
      if (key == "tokenUrl") return yaml_string(value, o, v.token_url);
      if (key == "tokenRefreshWindow")
        return yaml_duration(value, o, &v.refresh_window, duration_rule::any_nonnegative);
      if (key == "command") return yaml_list(value, o, v.command);
      if (key == "pkceConfig") {
        if (value.IsNull()) return true;
        if (!value.IsMap()) return fail(error::config_type_mismatch, o, "not a mapping (timeout, refreshTime)");
        static constexpr std::array<std::string_view, 2> pkce_keys = {"timeout", "refreshTime"};
        return read_mapping(value, o.path, pkce_keys, [&](std::size_t i, const config_origin& po, const YAML::Node& pv) {
          return i == 0 ? yaml_duration(pv, po, &v.pkce_timeout, duration_rule::positive)
                        : yaml_duration(pv, po, nullptr, duration_rule::any_nonnegative);
        });
      }
      if (key == "deviceFlowConfig") {
        if (value.IsNull()) return true;
        if (!value.IsMap())
          return fail(error::config_type_mismatch, o, "not a mapping (timeout, pollInterval, refreshTime)");
        static constexpr std::array<std::string_view, 3> device_keys = {"timeout", "pollInterval", "refreshTime"};
        return read_mapping(value, o.path, device_keys, [&](std::size_t i, const config_origin& po, const YAML::Node& pv) {
          if (i == 0) return yaml_duration(pv, po, &v.device_timeout, duration_rule::positive);
          if (i == 1) return yaml_duration(pv, po, &v.device_poll_interval, duration_rule::positive);
          return yaml_duration(pv, po, nullptr, duration_rule::any_nonnegative);
        });
      }
      return true;  // a key only the Go client's gRPC side uses
    });
  }

  //---------------------------------------------------------------------------------------
  // INI (flytekit's legacy file).

  bool read_ini(std::string_view text) {
    ini_document doc;
    if (!doc.parse(text, problem_)) return false;
    if (doc.has_section("internal"))
      return fail(error::config_value_invalid, {"internal", 0, true},
                  "a section for flytekit-internal settings, which flytekit refuses in a config file");
    static constexpr std::array<std::string_view, 8> platform_keys = {
        "url", "insecure", "insecure_skip_verify", "ca_cert_file_path", "console_endpoint", "http_proxy_url",
        "http_url", "auth"};
    static constexpr std::array<std::string_view, 14> credentials_keys = {
        "command",  "proxy_command", "client_id", "client_secret", "client_secret_location", "client_secret_env_var",
        "scopes",   "auth_mode",     "audience",  "oauth_scopes",  "scope", "authorization_metadata_key",
        "redirect_uri", "http_proxy_url"};
    auto known = [](const auto& keys, std::string_view k) {
      for (auto x : keys)
        if (x == k) return true;
      return false;
    };
    std::size_t unknown = 0;
    constexpr std::size_t shown = 20;  // a file of junk gives a few warnings, not thousands
    for (const auto& e : doc.entries()) {
      if ((e.section == "platform" && !known(platform_keys, e.key)) ||
          (e.section == "credentials" && !known(credentials_keys, e.key))) {
        if (++unknown <= shown)
          warn({ini_document::member_path(e.section, e.key), e.line, true}, "unknown key, ignored (as flytekit ignores it)");
      }
    }
    if (unknown > shown)
      out_.warnings.push_back(std::to_string(unknown - shown) + " more unknown keys in [platform] and [credentials]");
    // Old spellings first: the current ones, read after, take their place when both are given.
    std::string value;
    wipe_on_exit wipe(value);
    auto get = [&](std::string_view section, std::string_view key, config_origin& o) -> bool {
      const ini_entry* e = doc.find(section, key);
      if (!e) return false;
      o = {std::string(section), e->line, true};
      append_member(o.path, key);
      return true;
    };
    auto expand = [&](std::string_view section, std::string_view key, const config_origin& o) -> bool {
      const ini_entry* e = doc.find(section, key);
      if (!doc.interpolate(section, e->value, value))
        return fail(error::config_value_invalid, o, "a '%' that is not %% or %(name)s of a key in the section");
      return true;
    };
    auto str = [&](std::string_view section, std::string_view key, config_given<std::string>& out) -> bool {
      config_origin o;
      if (!get(section, key, o)) return true;
      if (!expand(section, key, o)) return false;
      if (!value.empty()) out.set(value, o);  // flytekit: an empty value counts as unset
      return true;
    };
    auto boolean = [&](std::string_view section, std::string_view key, config_given<bool>* out) -> bool {
      config_origin o;
      if (!get(section, key, o)) return true;
      if (!expand(section, key, o)) return false;
      auto b = parse_config_bool(value);
      if (!b) return fail(error::config_type_mismatch, o, std::string(bool_expected));
      if (out) out->set(*b, o);
      return true;
    };
    auto list = [&](std::string_view section, std::string_view key, config_given<std::vector<std::string>>& out) -> bool {
      config_origin o;
      if (!get(section, key, o)) return true;
      if (!expand(section, key, o)) return false;
      if (!value.empty()) out.set(split_config_list(value), o);
      return true;
    };
    auto old = [&](std::string_view section, std::string_view key, std::string_view note) {
      config_origin o;
      if (get(section, key, o)) warn(o, note);
    };
    auto& v = values_;
    old("platform", "http_url", "an old flytekit setting (the HTTP endpoint); used as the endpoint");
    if (!str("platform", "http_url", v.http_url)) return false;
    if (v.http_url && !check_endpoint(strip_network_path(*v.http_url.value), v.http_url.origin)) return false;
    old("platform", "auth", "an old flytekit setting, obsolete (the server says whether to authenticate); ignored");
    if (!boolean("platform", "auth", nullptr)) return false;
    if (!str("platform", "url", v.endpoint)) return false;
    if (v.endpoint && !check_endpoint(*v.endpoint.value, v.endpoint.origin)) return false;
    if (!boolean("platform", "insecure", &v.insecure)) return false;
    if (!boolean("platform", "insecure_skip_verify", &v.insecure_skip_verify)) return false;
    if (!str("platform", "ca_cert_file_path", v.ca_cert_file)) return false;

    if (!str("credentials", "client_id", v.client_id)) return false;
    if (!str("credentials", "client_secret", v.secret)) return false;
    if (!str("credentials", "client_secret_location", v.secret_location)) return false;
    if (!str("credentials", "client_secret_env_var", v.secret_env_var)) return false;
    {
      config_origin o;
      if (get("credentials", "auth_mode", o)) {
        if (!expand("credentials", "auth_mode", o)) return false;
        auto t = parse_flytekit_auth_mode(trim_ascii(value));
        if (!t) return fail(error::config_value_invalid, o, std::string(auth_mode_expected));
        v.type.set(*t, o);
      }
    }
    old("credentials", "scope", "an old flytekit setting; scopes is its current form");
    {
      config_given<std::string> scope;
      if (!str("credentials", "scope", scope)) return false;
      if (scope) v.scopes.set({*scope.value}, scope.origin);
    }
    old("credentials", "oauth_scopes", "an old flytekit setting; scopes is its current form");
    if (!list("credentials", "oauth_scopes", v.scopes)) return false;
    if (!list("credentials", "scopes", v.scopes)) return false;
    if (!str("credentials", "audience", v.audience)) return false;
    if (!list("credentials", "command", v.command)) return false;
    old("credentials", "authorization_metadata_key",
        "an old flytekit setting; admin.authorizationHeader is its current form");
    if (!str("credentials", "authorization_metadata_key", v.authorization_header)) return false;
    old("credentials", "redirect_uri", "an old flytekit setting; used as the PKCE redirect URI");
    return str("credentials", "redirect_uri", v.redirect_uri);
  }

  /// Old flytekit's http_url could be a network-path reference ("//host:port").
  static std::string strip_network_path(const std::string& s) { return s.rfind("//", 0) == 0 ? s.substr(2) : s; }

  //---------------------------------------------------------------------------------------
  // The environment (flytekit's FLYTE_{SECTION}_{OPTION}), after the file.

  bool read_environment() {
    auto& v = values_;
    auto origin = [](const char* name) { return config_origin{name, 0, false}; };
    auto str = [&](const char* name, config_given<std::string>& out) {
      if (auto e = env(name)) out.set(std::string(*e), origin(name));
    };
    auto boolean = [&](const char* name, config_given<bool>* out) -> bool {
      auto e = env(name);
      if (!e) return true;
      auto b = parse_config_bool(trim_ascii(*e));
      if (!b) return fail(error::config_value_invalid, origin(name), std::string(bool_expected));
      if (out) out->set(*b, origin(name));
      return true;
    };
    auto list = [&](const char* name, config_given<std::vector<std::string>>& out) {
      if (auto e = env(name)) out.set(split_config_list(*e), origin(name));
    };
    auto old = [&](const char* name, std::string_view note) {
      if (env(name)) out_.warnings.push_back(std::string(name) + " " + std::string(note));
    };

    old("FLYTE_PLATFORM_HTTP_URL", "is an old spelling of FLYTE_PLATFORM_URL (the HTTP endpoint); used as the endpoint");
    const bool url_from_env = env("FLYTE_PLATFORM_URL").has_value();
    if (env("FLYTE_PLATFORM_HTTP_URL")) {
      str("FLYTE_PLATFORM_HTTP_URL", v.http_url);
      if (!check_endpoint(strip_network_path(*v.http_url.value), v.http_url.origin)) return false;
    } else if (url_from_env) {
      v.http_url = {};  // the file's http_url gives way to the environment's URL
    }
    str("FLYTE_PLATFORM_URL", v.endpoint);
    if (url_from_env && !check_endpoint(*v.endpoint.value, v.endpoint.origin)) return false;
    if (!boolean("FLYTE_PLATFORM_INSECURE", &v.insecure)) return false;
    if (!boolean("FLYTE_PLATFORM_INSECURE_SKIP_VERIFY", &v.insecure_skip_verify)) return false;
    str("FLYTE_PLATFORM_CA_CERT_FILE_PATH", v.ca_cert_file);
    old("FLYTE_PLATFORM_AUTH",
        "is an old flytekit setting, obsolete (the server says whether to authenticate); ignored");
    if (!boolean("FLYTE_PLATFORM_AUTH", nullptr)) return false;

    str("FLYTE_CREDENTIALS_CLIENT_ID", v.client_id);
    str("FLYTE_CREDENTIALS_CLIENT_SECRET", v.secret);
    str("FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION", v.secret_location);
    str("FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR", v.secret_env_var);
    if (auto e = env("FLYTE_CREDENTIALS_AUTH_MODE")) {
      auto t = parse_flytekit_auth_mode(trim_ascii(*e));
      if (!t) return fail(error::config_value_invalid, origin("FLYTE_CREDENTIALS_AUTH_MODE"), std::string(auth_mode_expected));
      v.type.set(*t, origin("FLYTE_CREDENTIALS_AUTH_MODE"));
    }
    old("FLYTE_CREDENTIALS_SCOPE", "is an old spelling of FLYTE_CREDENTIALS_SCOPES");
    if (auto e = env("FLYTE_CREDENTIALS_SCOPE"))
      v.scopes.set({std::string(trim_ascii(*e))}, origin("FLYTE_CREDENTIALS_SCOPE"));
    old("FLYTE_CREDENTIALS_OAUTH_SCOPES", "is an old spelling of FLYTE_CREDENTIALS_SCOPES");
    list("FLYTE_CREDENTIALS_OAUTH_SCOPES", v.scopes);
    list("FLYTE_CREDENTIALS_SCOPES", v.scopes);
    str("FLYTE_CREDENTIALS_AUDIENCE", v.audience);
    list("FLYTE_CREDENTIALS_COMMAND", v.command);
    old("FLYTE_CREDENTIALS_AUTHORIZATION_METADATA_KEY",
        "is an old flytekit setting; admin.authorizationHeader is its current form");
    str("FLYTE_CREDENTIALS_AUTHORIZATION_METADATA_KEY", v.authorization_header);
    old("FLYTE_CREDENTIALS_REDIRECT_URI", "is an old flytekit setting; used as the PKCE redirect URI");
    str("FLYTE_CREDENTIALS_REDIRECT_URI", v.redirect_uri);
    return true;
  }

  //---------------------------------------------------------------------------------------
  // Defaults, the endpoint, the secret.

  bool resolve() {
    auto& v = values_;
    auto& s = out_.settings;
    const bool insecure = v.insecure.value.value_or(false);
    s.allow_http = insecure;
    out_.insecure_skip_verify = v.insecure_skip_verify.value.value_or(false);
    if (v.ca_cert_file) out_.ca_cert_file = *v.ca_cert_file.value;

    const config_given<std::string>& ep = v.http_url ? v.http_url : v.endpoint;
    if (ep) {
      std::string why;
      const std::string text = &ep == &v.http_url ? strip_network_path(*ep.value) : *ep.value;
      s.endpoint = make_endpoint_url(text, insecure, why);
      if (!why.empty()) return fail(error::config_value_invalid, ep.origin, "not a Flyte endpoint: " + why);
      std::error_code lec;
      if (!insecure && tessera::detail::istarts_with_ascii(s.endpoint, "http://") &&
          !oauth::secure_or_loopback(s.endpoint, lec))
        warn(ep.origin, "an http:// endpoint to another machine without insecure: true; the client refuses plain http "
                        "there (it allows it only on this machine's loopback)");
    }

    const bool secret_configured = v.secret || v.secret_location || v.secret_env_var;
    if (src_.auth_type) s.type = *src_.auth_type;
    else if (v.type) s.type = *v.type.value;
    else if (ini_ && !secret_configured) s.type = client::auth_type::pkce;  // flytekit's default
    else s.type = client::auth_type::client_secret;                         // the Go client's default

    if (!src_.client_id.empty()) s.client_id = src_.client_id;
    else if (v.client_id && !v.client_id.value->empty()) s.client_id = *v.client_id.value;
    else if (s.type == client::auth_type::client_secret) s.client_id = std::string(flyte_default_client_id);
    if (v.scopes) s.scopes = *v.scopes.value;
    if (v.audience) s.audience = *v.audience.value;
    s.use_audience_from_server = v.use_audience_from_admin.value.value_or(false);
    if (v.authorization_header) s.authorization_header = *v.authorization_header.value;
    if (v.token_url) s.token_url = *v.token_url.value;
    if (v.refresh_window)
      s.refresh_window = std::chrono::duration_cast<std::chrono::seconds>(*v.refresh_window.value);
    if (v.command) s.command = *v.command.value;
    if (v.redirect_uri) s.pkce.redirect_uri = *v.redirect_uri.value;
    if (v.pkce_timeout) s.pkce.timeout = *v.pkce_timeout.value;
    if (v.device_timeout) s.device.timeout = *v.device_timeout.value;
    if (v.device_poll_interval) s.device.poll_interval = *v.device_poll_interval.value;

    if (s.type != client::auth_type::client_secret) {
      if (v.secret || v.secret_env_var || v.secret_location) {
        const config_origin& o = v.secret ? v.secret.origin : v.secret_env_var ? v.secret_env_var.origin : v.secret_location.origin;
        warn(o, "a client secret is configured, but authType " + std::string(client::auth_type_name(s.type)) +
                    " does not use one; ignored");
      }
      return true;
    }
    return read_secret();
  }

  bool read_secret() {
    auto& v = values_;
    auto& s = out_.settings;
    if (v.secret_env_var && !v.secret_env_var.value->empty()) {
      const std::string& name = *v.secret_env_var.value;
      if (const char* raw = env_raw(name.c_str()); raw && *raw) {
        const std::string_view secret = trim_ascii(raw);
        if (!secret.empty()) {
          s.client_secret.assign(secret);
          out_.secret_source = "environment variable " + name;
          return true;
        }
      }
      warn(v.secret_env_var.origin, "names the environment variable " + name + ", which is not set or empty");
    }
    if (v.secret) {
      const std::string_view secret = trim_ascii(*v.secret.value);
      if (!secret.empty()) {
        s.client_secret.assign(secret);
        out_.secret_source = v.secret.origin.in_file ? v.secret.origin.path + " in " + file_.string() : v.secret.origin.path;
        return true;
      }
    }
    const bool configured = v.secret_location.value.has_value();
    if (configured && v.secret_location.value->empty()) return true;  // "": no file (the Go client's len check)
    const std::filesystem::path location =
        resolve_path(configured ? std::filesystem::path(*v.secret_location.value)
                                : src_.default_secret_location);
    if (!configured) {
      std::error_code ec;
      if (std::filesystem::status(location, ec).type() == std::filesystem::file_type::not_found) return true;
    }
    std::string text;
    wipe_on_exit wipe(text);
    if (!read_config_file(location, max_client_secret_size, text, problem_)) {
      problem_.path = configured ? v.secret_location.origin.path : "admin.clientSecretLocation";
      problem_.detail = "client secret file: " + problem_.detail + (configured ? "" : " (Flyte's default location)");
      return false;
    }
    const std::string_view secret = trim_ascii(text);
    s.client_secret.assign(secret);
    if (s.client_secret.empty()) {
      config_origin o = configured ? v.secret_location.origin : config_origin{"admin.clientSecretLocation", 0, false};
      warn(o, "the client secret file " + location.string() + " is empty");
      return true;
    }
    out_.secret_source = "file " + location.string();
    return true;
  }

  const client_config_sources& src_;
  loaded_client_config& out_;
  std::filesystem::path cwd_;
  bool ini_ = false;
  client_config_values values_;
};

}  // namespace detail

//------------------------------------------------------------------------------------------
// Loading.

/// Finds and reads the configuration (file, then environment) as Flyte's clients do. On
/// failure `problem` says what and where, and the result is empty.
inline loaded_client_config load_client_config(const client_config_sources& sources, config_problem& problem) {
  loaded_client_config out;
  detail::client_config_loader loader(sources, out, problem);
  if (!loader.run()) {
    if (!out.settings.client_secret.empty())
      OPENSSL_cleanse(out.settings.client_secret.data(), out.settings.client_secret.size());
    return {};
  }
  return out;
}
inline loaded_client_config load_client_config(const client_config_sources& sources, std::error_code& ec) {
  config_problem p;
  auto out = load_client_config(sources, p);
  ec = p.code;
  return out;
}
/// Throws `config_error` naming the file, the setting and what is wrong with it.
inline loaded_client_config load_client_config(const client_config_sources& sources) {
  config_problem p;
  auto out = load_client_config(sources, p);
  detail::throw_if(p);
  return out;
}

}  // namespace tessera::flyte

#endif
