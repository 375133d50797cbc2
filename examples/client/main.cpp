// tessera-client — get, keep and use tokens of a Flyte (or any OAuth 2.0) server, configured the
// way flytectl and pyflyte are: ~/.flyte/config.yaml's `admin:` block and the FLYTE_* environment
// (tessera/flyte/client_config.hpp).
//
//   tessera-client [options] login     run the configured flow now, cache the tokens
//   tessera-client [options] token     print a valid access token (from the cache, refreshed,
//                                      or by running the flow) — for scripts and ExternalCommand
//   tessera-client [options] whoami    who the server says the token belongs to (/me or userinfo)
//   tessera-client [options] logout    revoke the tokens at the server and forget them
//   tessera-client [options] status    endpoint, flow, cache, token expiry — no network
//
// Exit codes: 0 done; 1 other failure; 2 usage or configuration; 3 server unreachable or timed
// out; 4 TLS verification failed; 5 credentials refused (client id or secret, refresh token);
// 6 the login did not complete (denied, timed out, device code expired, a forged redirect);
// 7 the server answered something unusable. Tokens and secrets are never printed except the
// access token by `token`; `-v` shows each HTTP step with every token, code and secret redacted.
#include <tessera/client.hpp>
#include <tessera/flyte/client_config.hpp>
#include <tessera/transport/any_client.hpp>
#include <tessera/transport/http_client.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace tc = tessera::client;
namespace tt = tessera::transport;

struct traits : tc::client_defaults {
  using cache = tc::file_cache;
};
using cli_client =
    tc::client<traits, tc::flow::pkce, tc::flow::client_credentials, tc::flow::device_code, tc::flow::external_command>;

constexpr const char* help_text = R"help(tessera-client: get and keep OAuth 2.0 tokens for a Flyte (or any OAuth) server.

usage: tessera-client [options] <command>

commands:
  login     sign in now with the configured flow and cache the tokens
  token     print a valid access token (cached, refreshed, or by signing in):
              curl -H "Authorization: Bearer $(tessera-client token)" ...
            or, for another Flyte client: admin: {authType: ExternalCommand,
                                          command: [tessera-client, --config, FILE, token]}
            (FILE configures tessera-client's own flow; it refuses to run as its own command)
  whoami    ask the server whom the token belongs to (Flyte's /me, else the userinfo endpoint)
  logout    revoke the tokens at the server and delete the cached copy
  status    which endpoint, flow, client and cache; when the cached token expires (no network)

options:
  --config FILE      read this Flyte client config (default: $FLYTECTL_CONFIG, ./flytekit.config,
                     ~/.flyte/config, ~/.flyte/config.yaml, the first that exists)
  --endpoint URL     the server: https://host, http://127.0.0.1:8088, or Flyte's dns:///host
  --auth-type T      ClientSecret | Pkce | DeviceFlow | ExternalCommand (Flyte's authType)
  --client-id ID     the OAuth client (default: the server's advertised client for Pkce and
                     DeviceFlow; flytepropeller for ClientSecret)
  --scopes A,B       scopes to ask for (default: the server's)
  --redirect-uri U   where the browser returns for Pkce (default: the server's, else
                     http://localhost:53593/callback; http://127.0.0.1:0/callback = any free port)
  --cache-dir DIR    token cache directory (default: $XDG_CACHE_HOME/tessera or ~/.cache/tessera)
  --no-browser       print the sign-in address but do not try to open a browser
  -v, --verbose      show each step and HTTP exchange (tokens, codes and secrets redacted)
  -h, --help         this text

The client secret is read as Flyte reads it: from the environment variable named by
admin.clientSecretEnvVar, from FLYTE_CREDENTIALS_CLIENT_SECRET, or from the file
admin.clientSecretLocation (default /etc/secrets/client_secret). Never put it on the command line.

exit codes: 0 ok, 1 other failure, 2 usage or configuration, 3 server unreachable, 4 TLS
verification failed, 5 credentials refused, 6 sign-in did not complete, 7 unusable server answer.
)help";

struct options {
  std::string command;
  std::string config, endpoint, auth_type, client_id, scopes, redirect_uri, cache_dir;
  bool no_browser = false, verbose = false;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "tessera-client: " << what << "\n(see tessera-client --help)\n";
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help" || a == "help") {
      std::cout << help_text;
      std::exit(0);
    } else if (a == "--config") o.config = value();
    else if (a == "--endpoint") o.endpoint = value();
    else if (a == "--auth-type") o.auth_type = value();
    else if (a == "--client-id") o.client_id = value();
    else if (a == "--scopes") o.scopes = value();
    else if (a == "--redirect-uri") o.redirect_uri = value();
    else if (a == "--cache-dir") o.cache_dir = value();
    else if (a == "--no-browser") o.no_browser = true;
    else if (a == "-v" || a == "--verbose") o.verbose = true;
    else if (a.starts_with("-")) usage_error("unknown option " + std::string(a));
    else if (o.command.empty()) o.command = a;
    else usage_error("one command at a time (got " + o.command + " and " + std::string(a) + ")");
  }
  if (o.command.empty()) usage_error("no command given: login, token, whoami, logout or status");
  if (o.command != "login" && o.command != "token" && o.command != "whoami" && o.command != "logout" &&
      o.command != "status")
    usage_error("unknown command " + o.command);
  return o;
}

// --- -v: the HTTP steps, redacted ---------------------------------------------------------------

bool secret_field(std::string_view name) {
  for (std::string_view s : {"code", "code_verifier", "refresh_token", "device_code", "client_secret", "token",
                             "client_assertion", "password", "access_token", "id_token", "assertion"})
    if (name == s) return true;
  return false;
}

/// A sync_client that logs each exchange: method, URL without its query, the form's field names
/// with the values of secret ones replaced, the status, the body's type and size.
class logging_client {
 public:
  explicit logging_client(tt::http_client& net) : net_(net) {}

  tt::response send(tt::request req, std::string_view url, std::error_code& ec) {
    std::cerr << "tessera: > " << req.method_string() << " " << without_query(url) << "\n";
    return done(net_.send(std::move(req), url, ec), ec);
  }
  tt::response get(std::string_view url, std::error_code& ec) {
    std::cerr << "tessera: > GET " << without_query(url) << "\n";
    return done(net_.get(url, ec), ec);
  }
  tt::response post_form(std::string_view url, const tt::form_fields& fields, const tt::http::fields& headers,
                         std::error_code& ec) {
    std::string shown;
    for (const auto& [k, v] : fields) {
      if (!shown.empty()) shown += "&";
      shown += k + "=" + (secret_field(k) ? std::string("[redacted]") : v);
    }
    std::cerr << "tessera: > POST " << without_query(url) << " " << shown
              << (headers.count(tt::http::field::authorization) ? " (client authentication: Basic [redacted])" : "")
              << "\n";
    return done(net_.post_form(url, fields, headers, ec), ec);
  }

 private:
  static std::string_view without_query(std::string_view u) { return u.substr(0, u.find('?')); }
  static tt::response done(tt::response res, const std::error_code& ec) {
    if (ec) std::cerr << "tessera: < failed: " << ec.message() << "\n";
    else
      std::cerr << "tessera: < " << res.result_int() << " " << res[tt::http::field::content_type] << " ("
                << res.body().size() << " bytes)\n";
    return res;
  }
  tt::http_client& net_;
};

// --- errors ----------------------------------------------------------------------------------

int exit_code_of(const std::error_code& ec) {
  using tessera::error;
  using tessera::condition;
  if (ec == error::connection_failed || ec == error::timeout || ec == std::errc::connection_refused ||
      ec == std::errc::connection_reset || ec == std::errc::connection_aborted || ec == std::errc::timed_out ||
      ec == std::errc::network_unreachable || ec == std::errc::host_unreachable ||
      ec == std::error_code(boost::system::error_code(boost::asio::error::eof)) ||
      ec == std::error_code(boost::system::error_code(boost::beast::http::error::end_of_stream)))
    return 3;
  if (ec == error::certificate_invalid || ec == error::host_name_mismatch || ec == error::tls_failure) return 4;
  if (ec == error::client_config_invalid || ec == error::auth_type_unavailable || ec == error::url_invalid ||
      ec == error::url_insecure || ec == error::client_secret_missing)
    return 2;
  if (ec.category() == tessera::oauth::peer_category() &&
      (ec == condition::invalid_client || ec == condition::invalid_grant || ec == condition::unauthorized_client ||
       ec == condition::invalid_scope))
    return 5;
  if (ec == condition::access_denied || ec == condition::expired_token || ec == error::device_code_expired ||
      ec == error::authorization_timeout || ec == error::authorization_response_state_mismatch ||
      ec == error::authorization_response_issuer_mismatch || ec == error::authorization_response_code_missing)
    return 6;
  if (ec == error::metadata_invalid || ec == error::token_response_invalid || ec == error::http_status_unexpected ||
      ec == error::server_metadata_incomplete || ec == error::peer_error_unrecognized ||
      ec == error::device_authorization_invalid || ec == error::token_type_not_bearer ||
      ec == error::redirect_not_followed || ec == error::response_too_large || ec == error::redirect_limit_exceeded ||
      ec.category() == tessera::oauth::peer_category())
    return 7;
  return 1;
}

std::string hint_of(const std::error_code& ec, const tc::client_settings& s) {
  using tessera::error;
  using tessera::condition;
  if (ec == error::connection_failed) return "is the server running at " + s.endpoint + "?";
  if (ec == error::certificate_invalid) return "the server's certificate is not trusted: set admin.caCertFilePath";
  if (ec == error::client_secret_missing)
    return "set the secret in the file admin.clientSecretLocation, or the variable admin.clientSecretEnvVar names";
  if (ec == condition::invalid_client) return "the client id or secret is wrong, or the client is unknown to the server";
  if (ec == error::authorization_timeout) return "nobody completed the sign-in in the browser in time";
  if (ec == error::device_code_expired || ec == condition::expired_token) return "the code expired; run login again";
  if (ec == error::url_insecure) return "plain http to another machine sends secrets in the clear; use https (or admin.insecure: true for a test setup)";
  return {};
}

int fail(const std::string& what, const std::error_code& ec, const tc::client_settings& s,
         const std::string& description = {}) {
  std::cerr << "tessera-client: " << what << ": " << ec.message();
  if (!description.empty()) std::cerr << " (the server said: " << description << ")";
  std::cerr << "\n";
  if (auto h = hint_of(ec, s); !h.empty()) std::cerr << "  " << h << "\n";
  return exit_code_of(ec);
}

std::string when(tessera::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_args(argc, argv);

  tessera::flyte::client_config_sources sources;
  sources.explicit_file = opt.config;
  if (!opt.auth_type.empty()) {
    sources.auth_type = tc::parse_auth_type(opt.auth_type);
    if (!sources.auth_type) usage_error("--auth-type must be ClientSecret, Pkce, DeviceFlow or ExternalCommand");
  }
  sources.client_id = opt.client_id;
  tessera::flyte::config_problem problem;
  auto loaded = tessera::flyte::load_client_config(sources, problem);
  if (problem) {
    std::cerr << "tessera-client: configuration: " << problem.message() << "\n";
    return 2;
  }
  for (const auto& w : loaded.warnings) std::cerr << "tessera-client: warning: " << w << "\n";
  auto& s = loaded.settings;
  if (!opt.endpoint.empty()) {
    std::error_code ec;
    s.endpoint = tessera::flyte::endpoint_url(opt.endpoint, s.allow_http, ec);
    if (ec) usage_error("--endpoint " + opt.endpoint + ": not a URL (https://host, http://127.0.0.1:PORT, dns:///host)");
  }
  if (s.type == tc::auth_type::external_command && std::getenv(std::string(tc::flow::external_command::nested_variable).c_str())) {
    std::cerr << "tessera-client: this tessera-client runs as another's token command and is configured with "
                 "ExternalCommand itself: that would run it again, without end. Give it a config of its own flow "
                 "(--config FILE or --auth-type).\n";
    return 2;
  }
  if (!opt.scopes.empty()) s.scopes = split_list(opt.scopes);
  if (!opt.redirect_uri.empty()) s.pkce.redirect_uri = opt.redirect_uri;
  if (s.endpoint.empty() && s.type != tc::auth_type::external_command) {
    std::cerr << "tessera-client: no server configured: pass --endpoint, set FLYTE_PLATFORM_URL, or admin.endpoint in "
                 "~/.flyte/config.yaml\n";
    return 2;
  }

  tt::client_options net_options;
  net_options.ca_file = loaded.ca_cert_file;
  net_options.insecure_skip_verify = loaded.insecure_skip_verify;
  std::error_code ec;
  tt::http_client net(net_options, ec);
  if (ec) {
    std::cerr << "tessera-client: cannot load the CA file " << loaded.ca_cert_file << ": " << ec.message() << "\n";
    return 2;
  }
  logging_client logged(net);
  tt::any_sync_client http = opt.verbose ? tt::any_sync_client(logged) : tt::any_sync_client(net);

  auto ui = tc::console_interaction({.open_browser = !opt.no_browser, .verbose = opt.verbose});
  const auto cache_dir = opt.cache_dir.empty() ? tc::file_cache::default_directory() : std::filesystem::path(opt.cache_dir);
  cli_client client(s, http, ui, tessera::system_clock{}, cache_dir);

  if (opt.command == "status") {
    std::cout << "endpoint     " << (s.endpoint.empty() ? "(none)" : s.endpoint) << "\n"
              << "config       " << (loaded.file.empty() ? "(none; environment only)" : loaded.file.string()) << "\n"
              << "flow         " << tc::auth_type_name(s.type) << "\n"
              << "client       " << (s.client_id.empty() ? "(the server's advertised client)" : s.client_id) << "\n";
    if (s.type == tc::auth_type::client_secret)
      std::cout << "secret       " << (s.client_secret.empty() ? "(none found)" : "from " + loaded.secret_source) << "\n";
    if (s.type == tc::auth_type::external_command) {
      std::cout << "command      " << (s.command.empty() ? "(none)" : s.command.front()) << "\n";
      return 0;
    }
    std::cout << "cache        " << client.cache().location(client.key()) << "\n";
    auto t = client.cached(ec);
    if (ec) {
      std::cout << "token        unreadable cache entry (" << ec.message() << ")\n";
      return 1;
    }
    if (!t) {
      std::cout << "token        none (run: tessera-client login)\n";
      return 0;
    }
    const auto now = std::chrono::system_clock::now();
    if (!t->expiry_known()) std::cout << "token        cached, expiry unknown\n";
    else if (t->expires_at > now)
      std::cout << "token        valid until " << when(t->expires_at) << " ("
                << std::chrono::duration_cast<std::chrono::minutes>(t->expires_at - now).count() << " min left)\n";
    else std::cout << "token        expired at " << when(t->expires_at) << "\n";
    std::cout << "refresh      " << (t->refresh_token.empty() ? "no refresh token" : "refresh token cached") << "\n";
    if (!t->scope.empty()) std::cout << "scope        " << t->scope << "\n";
    return 0;
  }

  if (opt.command == "logout") {
    client.logout(ec);
    if (ec == tessera::error::server_metadata_incomplete) {
      std::cerr << "tessera-client: the server offers no revocation endpoint; the cached tokens were deleted here but stay "
                   "valid at the server until they expire\n";
      return 0;
    }
    if (ec) return fail("logout", ec, s, client.last_description());
    std::cerr << "tessera-client: signed out (tokens revoked at " << s.endpoint << ", cache entry deleted)\n";
    return 0;
  }

  tc::token_set t = opt.command == "login" ? client.login(ec) : client.token(ec);
  if (ec) return fail(opt.command == "login" ? "sign-in" : "getting a token", ec, s, client.last_description());

  if (opt.command == "token") {
    std::cout << t.access_token << "\n";
    return 0;
  }
  if (opt.command == "login") {
    std::cerr << "tessera-client: signed in to " << s.endpoint;
    if (t.expiry_known()) std::cerr << "; the access token is valid until " << when(t.expires_at);
    std::cerr << (t.refresh_token.empty() ? "" : " (and will be refreshed)") << "\n";
    return 0;
  }

  // whoami: Flyte's /me on a Flyte server (it answers any token of its issuer, OpenID scope or
  // not), else the userinfo endpoint the metadata names, else /me.
  const auto& info = client.server(ec);
  if (ec) return fail("discovery", ec, s);
  const std::string me = std::string(tessera::oauth::detail::without_trailing_slash(s.endpoint)) + "/me";
  const std::string url = info.flyte || info.metadata.userinfo_endpoint.empty() ? me : info.metadata.userinfo_endpoint;
  tessera::oauth::detail::require_secure(url, s.allow_http, ec);
  if (ec) return fail("whoami", ec, s);
  const std::string header = client.authorization_header(ec);
  for (int attempt = 0;; ++attempt) {
    tt::request req{tt::http::verb::get, "/", 11};
    req.set(tt::http::field::authorization, "Bearer " + t.access_token);
    if (!tessera::detail::iequals_ascii(header, "authorization")) req.set(header, "Bearer " + t.access_token);
    req.set(tt::http::field::accept, "application/json");
    auto res = http.send(std::move(req), url, ec);
    if (ec) return fail("whoami", ec, s);
    if (res.result() == tt::http::status::unauthorized && attempt == 0) {
      // The server no longer takes the cached token (revoked, keys rotated): once more, fresh.
      t = client.refresh(ec);
      if (ec == tessera::error::refresh_token_unknown || cli_client::refresh_refused(ec)) t = client.login(ec);
      if (ec) return fail("refreshing the token", ec, s, client.last_description());
      continue;
    }
    if (res.result() != tt::http::status::ok) {
      std::cerr << "tessera-client: whoami: " << url << " answered " << res.result_int() << "\n";
      return 7;
    }
    std::error_code pec;
    auto doc = boost::json::parse(res.body(), pec);
    if (pec || !doc.is_object()) {
      std::cerr << "tessera-client: whoami: " << url << " did not answer with a JSON object\n";
      return 7;
    }
    std::cout << boost::json::serialize(doc) << "\n";
    return 0;
  }
}
