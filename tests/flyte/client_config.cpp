#include <tessera/flyte/client_config.hpp>

#include "test_files.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace tessera;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A scratch home and working directory, and an environment that is a map: the real $HOME,
/// current directory and environment are never consulted.
struct fixture {
  test::scratch_dir dir;
  std::map<std::string, std::string> env;
  fs::path home = dir / "home";
  fs::path cwd = dir / "work";
  fs::path default_secret = dir / "etc-secrets" / "client_secret";  // Flyte's /etc/secrets/client_secret, here

  fixture() {
    fs::create_directories(home / ".flyte");
    fs::create_directories(cwd);
  }

  fs::path write(const fs::path& p, std::string_view content) const {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }
  /// A config file of its own, read explicitly.
  fs::path config(std::string_view content, std::string_view name = "config.yaml") const {
    return write(dir / name, content);
  }

  flyte::client_config_sources sources(fs::path explicit_file = {}) const {
    flyte::client_config_sources s;
    s.explicit_file = std::move(explicit_file);
    s.getenv = [this](const char* n) -> const char* {
      auto it = env.find(n);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    s.home = home;
    s.cwd = cwd;
    s.default_secret_location = default_secret;
    return s;
  }

  flyte::loaded_client_config load(fs::path explicit_file = {}) const {
    flyte::config_problem p;
    auto r = flyte::load_client_config(sources(std::move(explicit_file)), p);
    INFO(p.message());
    REQUIRE_FALSE(p);
    return r;
  }
  flyte::config_problem fail(fs::path explicit_file = {}) const {
    flyte::config_problem p;
    auto r = flyte::load_client_config(sources(std::move(explicit_file)), p);
    REQUIRE(p);
    CHECK(r.settings.endpoint.empty());  // a failure gives nothing
    CHECK(r.settings.client_secret.empty());
    return p;
  }
};

bool has_warning(const flyte::loaded_client_config& c, std::string_view text) {
  for (const auto& w : c.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

std::string warnings_of(const flyte::loaded_client_config& c) {
  std::string all;
  for (const auto& w : c.warnings) all += w + "\n";
  return all;
}

}  // namespace

//------------------------------------------------------------------------------------------
// Go durations and endpoints.

TEST_CASE("parse_go_duration reads Go's time.ParseDuration syntax") {
  const std::vector<std::pair<std::string, std::chrono::milliseconds>> good = {
      {"2m", 2min},          {"5s", 5s},          {"1h30m", 90min},  {"300ms", 300ms},
      {"1.5s", 1500ms},      {"0", 0ms},          {"-1m", -1min},    {"+5s", 5s},
      {".5s", 500ms},        {"5.s", 5s},         {"1500us", 1ms},   {"1500\xc2\xb5s", 1ms},
      {"2500000ns", 2ms},    {"2h45m30.5s", 2h + 45min + 30500ms}, {"1m0s", 1min}, {"0.25h", 15min}};
  for (const auto& [text, want] : good) {
    INFO(text);
    std::error_code ec;
    CHECK(flyte::parse_go_duration(text, ec) == want);
    CHECK_FALSE(ec);
  }
  for (std::string_view bad : {"", "5", "s", "1x", "1.2.3s", "--1s", " 5s", "5s ", "5 s", ".s", "-", "1m-1s",
                               "9999999999999h", "3000000h", "1S", "1d", "0x10s"}) {
    INFO(bad);
    std::error_code ec;
    CHECK(flyte::parse_go_duration(bad, ec) == 0ms);
    CHECK(ec == error::config_value_invalid);
  }
}

TEST_CASE("endpoint_url turns Flyte's gRPC endpoints into the HTTP base URL") {
  struct row {
    std::string in;
    bool insecure;
    std::string out;
  };
  const std::vector<row> good = {
      {"dns:///flyte.example.com:443", false, "https://flyte.example.com:443"},
      {"dns:///flyte.example.com", false, "https://flyte.example.com"},
      {"dns:///localhost:30080", true, "http://localhost:30080"},
      {"DNS:///flyte.example.com", false, "https://flyte.example.com"},
      {"dns://8.8.8.8/flyte.example.com:443", false, "https://flyte.example.com:443"},
      {"dns:flyte.example.com:443", false, "https://flyte.example.com:443"},
      {"https://flyte.example.com", false, "https://flyte.example.com"},
      {"https://flyte.example.com", true, "https://flyte.example.com"},  // kept as written
      {"http://flyte.example.com:8088", false, "http://flyte.example.com:8088"},
      {"https://flyte.example.com/", false, "https://flyte.example.com"},
      {"https://flyte.example.com/flyte/", false, "https://flyte.example.com/flyte"},
      {"flyte.example.com:443", false, "https://flyte.example.com:443"},
      {"localhost:30080", true, "http://localhost:30080"},
      {"flyte.example.com", false, "https://flyte.example.com"},
      {"[::1]:8089", false, "https://[::1]:8089"},
      {"  dns:///flyte.example.com  ", false, "https://flyte.example.com"},
  };
  for (const auto& r : good) {
    INFO(r.in << (r.insecure ? " (insecure)" : ""));
    std::error_code ec;
    CHECK(flyte::endpoint_url(r.in, r.insecure, ec) == r.out);
    CHECK_FALSE(ec);
  }
  for (std::string_view bad : {"", "   ", "grpc://flyte.example.com", "unix:///tmp/admin.sock", "dns:///", "dns://8.8.8.8",
                               "https://", "https://user@flyte.example.com", "https://flyte.example.com?x=1",
                               "https://flyte.example.com#f", "flyte example.com", "flyte.example.com:0",
                               "flyte.example.com:99999", "flyte.example.com:65536", "https://flyte.example.com:", "ftp://flyte.example.com", "flyte.example.com:port",
                               "https://flyte.example.com\x01"}) {
    INFO(bad);
    std::error_code ec;
    CHECK(flyte::endpoint_url(bad, false, ec).empty());
    CHECK(ec == error::config_value_invalid);
  }
}

//------------------------------------------------------------------------------------------
// Finding the file.

TEST_CASE("the config file is searched as flytekit searches it") {
  fixture f;
  const auto ctl = f.write(f.dir / "ctl" / "sandbox.yaml", "admin:\n  endpoint: dns:///ctl.example.com\n");
  const auto kit = f.write(f.cwd / "flytekit.config", "[platform]\nurl = kit.example.com\n");
  const auto home_ini = f.write(f.home / ".flyte" / "config", "[platform]\nurl = home-ini.example.com\n");
  const auto home_yaml = f.write(f.home / ".flyte" / "config.yaml", "admin:\n  endpoint: dns:///home-yaml.example.com\n");
  const auto explicit_file = f.config("admin:\n  endpoint: https://explicit.example.com\n", "explicit.yaml");
  f.env["FLYTECTL_CONFIG"] = ctl.string();

  auto c = f.load(explicit_file);  // --config first
  CHECK(c.file == explicit_file);
  CHECK(c.settings.endpoint == "https://explicit.example.com");

  c = f.load();  // then $FLYTECTL_CONFIG
  CHECK(c.file == ctl);
  CHECK(c.settings.endpoint == "https://ctl.example.com");

  f.env.erase("FLYTECTL_CONFIG");  // then ./flytekit.config
  c = f.load();
  CHECK(c.file == kit);
  CHECK(c.settings.endpoint == "https://kit.example.com");

  fs::remove(kit);  // then ~/.flyte/config
  c = f.load();
  CHECK(c.file == home_ini);
  CHECK(c.settings.endpoint == "https://home-ini.example.com");

  fs::remove(home_ini);  // then ~/.flyte/config.yaml
  c = f.load();
  CHECK(c.file == home_yaml);
  CHECK(c.settings.endpoint == "https://home-yaml.example.com");

  fs::remove(home_yaml);  // none: the environment alone
  f.env["FLYTE_PLATFORM_URL"] = "dns:///env.example.com";
  c = f.load();
  CHECK(c.file.empty());
  CHECK(c.settings.endpoint == "https://env.example.com");
  CHECK(c.warnings.empty());
}

TEST_CASE("home comes from $HOME when not given, and relative names from the working directory") {
  fixture f;
  const auto home_yaml = f.write(f.home / ".flyte" / "config.yaml", "admin:\n  endpoint: dns:///home.example.com\n");
  auto s = f.sources();
  s.home.clear();
  f.env["HOME"] = f.home.string();
  flyte::config_problem p;
  auto c = flyte::load_client_config(s, p);
  REQUIRE_FALSE(p);
  CHECK(c.file == home_yaml);

  f.env.erase("HOME");  // no home at all: no home candidates
  c = flyte::load_client_config(s, p);
  REQUIRE_FALSE(p);
  CHECK(c.file.empty());

  const auto rel = f.write(f.cwd / "sub" / "c.yaml", "admin:\n  endpoint: dns:///rel.example.com\n");
  f.env["FLYTECTL_CONFIG"] = "sub/c.yaml";  // relative to the working directory given
  c = f.load();
  CHECK(c.file == rel);
  CHECK(c.settings.endpoint == "https://rel.example.com");
}

TEST_CASE("an explicit file or FLYTECTL_CONFIG that does not exist is an error; no file at all is not") {
  fixture f;
  auto p = f.fail(f.dir / "nope.yaml");
  CHECK(p.code == error::config_file_unreadable);
  CHECK(p.file == (f.dir / "nope.yaml").string());
  CHECK(p.message() == (f.dir / "nope.yaml").string() + ": no such file");

  f.env["FLYTECTL_CONFIG"] = (f.dir / "gone.yaml").string();
  p = f.fail();
  CHECK(p.code == error::config_file_unreadable);
  CHECK(p.message() == (f.dir / "gone.yaml").string() + ": no such file (named by FLYTECTL_CONFIG)");

  f.env["FLYTECTL_CONFIG"] = "";  // empty: unset
  const auto c = f.load();
  CHECK(c.file.empty());
  CHECK(c.settings.endpoint.empty());
  CHECK(c.settings.type == client::auth_type::client_secret);  // the Go client's default
  CHECK(c.settings.client_id == "flytepropeller");

  // The three overloads agree.
  std::error_code ec;
  flyte::load_client_config(f.sources(f.dir / "nope.yaml"), ec);
  CHECK(ec == error::config_file_unreadable);
  try {
    flyte::load_client_config(f.sources(f.dir / "nope.yaml"));
    FAIL("no exception");
  } catch (const flyte::config_error& e) {
    CHECK(e.code() == error::config_file_unreadable);
    CHECK(std::string(e.what()) == (f.dir / "nope.yaml").string() + ": no such file");
  }
  CHECK_NOTHROW(flyte::load_client_config(f.sources()));
}

TEST_CASE("a directory in the way, and an oversized file, are refused") {
  fixture f;
  fs::create_directories(f.cwd / "flytekit.config");
  auto p = f.fail();
  CHECK(p.code == error::config_file_unreadable);
  CHECK(p.file == (f.cwd / "flytekit.config").string());

  const auto big = f.config("admin:\n  endpoint: dns:///x\n" + std::string(1024 * 1024, '#'));
  p = f.fail(big);
  CHECK(p.code == error::config_too_large);
}

//------------------------------------------------------------------------------------------
// YAML.

TEST_CASE("every key of Flyte's admin section is read into the settings") {
  fixture f;
  f.env["MY_FLYTE_SECRET"] = "  s3cr3t-from-env\n";
  const auto file = f.config(R"(# flytectl's file
admin:
  endpoint: dns:///flyte.example.com:443
  insecure: false
  insecureSkipVerify: true
  caCertFilePath: /etc/ssl/flyte-ca.pem
  authType: ClientSecret
  clientId: my-service
  clientSecretLocation: /nonexistent/secret
  clientSecretEnvVar: MY_FLYTE_SECRET
  scopes:
    - all
    - offline
  audience: https://flyte.example.com
  useAudienceFromAdmin: true
  authorizationHeader: flyte-authorization
  tokenUrl: https://idp.example.com/oauth2/token
  tokenRefreshWindow: 5m
  command: [gcloud, auth, print-identity-token]
  pkceConfig:
    timeout: 3m
    refreshTime: 5m
  deviceFlowConfig:
    timeout: 15m
    pollInterval: 7s
    refreshTime: 5m
  maxBackoffDelay: 8s
  perRetryTimeout: 15s
  maxRetries: 4
  maxMessageSizeBytes: 0
  useAuth: false
  authorizationServerUrl: https://idp.example.com
  proxyCommand: [proxy-token]
  defaultServiceConfig: '{"loadBalancingConfig": [{"round_robin":{}}]}'
  httpProxyURL: http://proxy.example.com:3128
logger:
  level: 4
  show-source: true
storage:
  type: minio
  connection: {access-key: minio, secret-key: miniostorage}
console:
  endpoint: https://console.example.com
)");
  const auto c = f.load(file);
  INFO(warnings_of(c));
  CHECK(c.warnings.empty());
  CHECK(c.file == file);
  const auto& s = c.settings;
  CHECK(s.endpoint == "https://flyte.example.com:443");
  CHECK_FALSE(s.allow_http);
  CHECK(c.insecure_skip_verify);
  CHECK(c.ca_cert_file == "/etc/ssl/flyte-ca.pem");
  CHECK(s.type == client::auth_type::client_secret);
  CHECK(s.client_id == "my-service");
  CHECK(s.client_secret == "s3cr3t-from-env");  // the named variable wins over the location
  CHECK(c.secret_source == "environment variable MY_FLYTE_SECRET");
  CHECK(s.scopes == std::vector<std::string>{"all", "offline"});
  CHECK(s.audience == "https://flyte.example.com");
  CHECK(s.use_audience_from_server);
  CHECK(s.authorization_header == "flyte-authorization");
  CHECK(s.token_url == "https://idp.example.com/oauth2/token");
  CHECK(s.refresh_window == 300s);
  CHECK(s.command == std::vector<std::string>{"gcloud", "auth", "print-identity-token"});
  CHECK(s.pkce.timeout == 3min);
  CHECK(s.device.timeout == 15min);
  CHECK(s.device.poll_interval == 7s);
}

TEST_CASE("absent keys keep Flyte's defaults") {
  fixture f;
  auto c = f.load(f.config("admin:\n  endpoint: dns:///flyte.example.com\n"));
  const client::client_settings defaults;
  CHECK(c.settings.type == client::auth_type::client_secret);
  CHECK(c.settings.client_id == "flytepropeller");  // ClientSecret's default client
  CHECK(c.settings.scopes.empty());
  CHECK(c.settings.pkce.timeout == 2min);
  CHECK(c.settings.device.timeout == 10min);
  CHECK(c.settings.device.poll_interval == 5s);
  CHECK(c.settings.refresh_window == 0s);
  CHECK(c.settings.authorization_header.empty());
  CHECK_FALSE(c.insecure_skip_verify);
  CHECK(c.ca_cert_file.empty());
  CHECK(c.secret_source.empty());

  // Pkce and DeviceFlow take the server's client: no default id.
  for (std::string_view t : {"Pkce", "pkce", "DeviceFlow", "DEVICEFLOW", "ExternalCommand"}) {
    INFO(t);
    c = f.load(f.config("admin:\n  endpoint: dns:///flyte.example.com\n  authType: " + std::string(t) + "\n"));
    CHECK(c.settings.client_id.empty());
    CHECK(c.settings.type != client::auth_type::client_secret);
  }
  c = f.load(f.config("admin:\n  authType: Pkce\n  clientId: flytectl\n"));
  CHECK(c.settings.type == client::auth_type::pkce);
  CHECK(c.settings.client_id == "flytectl");

  // An empty document, a document without admin:, and an empty admin: are all fine.
  for (std::string_view text : {"", "# nothing\n", "logger:\n  level: 1\n", "admin:\n", "admin: {}\n"}) {
    INFO(text);
    c = f.load(f.config(text));
    CHECK(c.settings.endpoint.empty());
    CHECK(c.warnings.empty());
  }
}

TEST_CASE("insecure gives http:// and allows plain http") {
  fixture f;
  auto c = f.load(f.config("admin:\n  endpoint: dns:///localhost:30080\n  insecure: true\n"));
  CHECK(c.settings.endpoint == "http://localhost:30080");
  CHECK(c.settings.allow_http);
  // YAML 1.1's words are booleans too.
  c = f.load(f.config("admin:\n  endpoint: localhost:30080\n  insecure: yes\n"));
  CHECK(c.settings.endpoint == "http://localhost:30080");
  c = f.load(f.config("admin:\n  endpoint: localhost:30080\n  insecure: False\n"));
  CHECK(c.settings.endpoint == "https://localhost:30080");
  CHECK_FALSE(c.settings.allow_http);
  // An http:// endpoint without insecure is kept, with a warning: the client will refuse it.
  c = f.load(f.config("admin:\n  endpoint: http://flyte.example.com\n"));
  CHECK(c.settings.endpoint == "http://flyte.example.com");
  CHECK_FALSE(c.settings.allow_http);
  CHECK(has_warning(c, "admin.endpoint (line 2): an http:// endpoint to another machine without insecure: true"));
  // This machine's loopback over http is allowed: no warning.
  c = f.load(f.config("admin:\n  endpoint: http://127.0.0.1:8088\n"));
  CHECK(c.settings.endpoint == "http://127.0.0.1:8088");
  CHECK(c.warnings.empty());
  // The environment's insecure applies to the file's endpoint.
  f.env["FLYTE_PLATFORM_INSECURE"] = "TRUE";
  c = f.load(f.config("admin:\n  endpoint: dns:///flyte.example.com\n"));
  CHECK(c.settings.endpoint == "http://flyte.example.com");
  CHECK(c.settings.allow_http);
}

TEST_CASE("durations are Go's; a bare number is nanoseconds, as Flyte reads it") {
  fixture f;
  auto c = f.load(f.config(R"(admin:
  tokenRefreshWindow: 1h30m
  pkceConfig: {timeout: 1.5s}
  deviceFlowConfig: {timeout: "300ms", pollInterval: 2500000000}
)"));
  CHECK(c.settings.refresh_window == 90min);
  CHECK(c.settings.pkce.timeout == 1500ms);
  CHECK(c.settings.device.timeout == 300ms);
  CHECK(c.settings.device.poll_interval == 2500ms);
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0] ==
        "admin.deviceFlowConfig.pollInterval (line 4): a bare number is nanoseconds, as Flyte reads it; write a unit "
        "(for example 30s)");

  c = f.load(f.config("admin:\n  tokenRefreshWindow: \"\"\n"));  // "": 0, as flytestdlib reads it
  CHECK(c.settings.refresh_window == 0s);
  CHECK(c.warnings.empty());

  struct bad {
    std::string text;
    std::string path;
    std::string detail;
  };
  const std::vector<bad> cases = {
      {"admin:\n  pkceConfig:\n    timeout: 2 minutes\n", "admin.pkceConfig.timeout",
       "not a Go duration such as 2m, 30s, 1h30m or 300ms (line 3)"},
      {"admin:\n  pkceConfig:\n    timeout: \"120\"\n", "admin.pkceConfig.timeout",
       "not a Go duration such as 2m, 30s, 1h30m or 300ms (line 3)"},
      {"admin:\n  pkceConfig:\n    timeout: 0s\n", "admin.pkceConfig.timeout", "must be at least 1ms (line 3)"},
      {"admin:\n  deviceFlowConfig:\n    pollInterval: 120\n", "admin.deviceFlowConfig.pollInterval",
       "must be at least 1ms (line 3)"},
      {"admin:\n  tokenRefreshWindow: -5m\n", "admin.tokenRefreshWindow", "negative duration (line 2)"},
      {"admin:\n  deviceFlowConfig:\n    refreshTime: soon\n", "admin.deviceFlowConfig.refreshTime",
       "not a Go duration such as 2m, 30s, 1h30m or 300ms (line 3)"},
      {"admin:\n  deviceFlowConfig:\n    timeout: [1m]\n", "admin.deviceFlowConfig.timeout",
       "not a duration such as 2m, 30s or 1h30m (line 3)"},
  };
  for (const auto& b : cases) {
    INFO(b.text);
    const auto p = f.fail(f.config(b.text));
    CHECK(p.code == (b.detail.rfind("not a duration", 0) == 0 ? error::config_type_mismatch : error::config_value_invalid));
    CHECK(p.path == b.path);
    CHECK(p.detail == b.detail);
  }
}

TEST_CASE("an unknown key under admin: is named with its line and the keys expected") {
  fixture f;
  const auto file = f.config("admin:\n  endpoint: dns:///flyte.example.com\n\n  clientSecretFile: /etc/x\n");
  const auto p = f.fail(file);
  CHECK(p.code == error::config_member_unknown);
  CHECK(p.file == file.string());
  CHECK(p.path == "admin.clientSecretFile");
  std::string expected;
  for (auto k : flyte::flyte_admin_keys) expected += (expected.empty() ? "" : ", ") + std::string(k);
  CHECK(p.detail == "unknown key at line 4; expected one of: " + expected);
  CHECK(p.message() == file.string() + ": admin.clientSecretFile: unknown key at line 4; expected one of: " + expected);

  // A likely spelling is suggested; nested sections have their own keys.
  auto q = f.fail(f.config("admin:\n  client_id: x\n"));
  CHECK(q.path == "admin.client_id");
  CHECK(q.detail.rfind("unknown key at line 2 (did you mean clientId?); expected one of: endpoint, ", 0) == 0);
  q = f.fail(f.config("admin:\n  pkceConfig:\n    timeout: 1m\n    browserTimeout: 2m\n"));
  CHECK(q.code == error::config_member_unknown);
  CHECK(q.path == "admin.pkceConfig.browserTimeout");
  CHECK(q.detail == "unknown key at line 4; expected one of: timeout, refreshTime");
  q = f.fail(f.config("admin:\n  deviceFlowConfig: {interval: 5s}\n"));
  CHECK(q.path == "admin.deviceFlowConfig.interval");
  CHECK(q.detail == "unknown key at line 2; expected one of: timeout, pollInterval, refreshTime");
  // A key that is not a plain name is quoted in the path.
  q = f.fail(f.config("admin:\n  \"end point\": x\n"));
  CHECK(q.path == R"(admin["end point"])");
}

TEST_CASE("keys match in any case, as viper matches them, with a warning") {
  fixture f;
  const auto c = f.load(f.config("Admin:\n  ENDPOINT: dns:///flyte.example.com\n  clientID: x\n  PkceConfig: {Timeout: 1m}\n"));
  CHECK(c.settings.endpoint == "https://flyte.example.com");
  CHECK(c.settings.client_id == "x");
  CHECK(c.settings.pkce.timeout == 1min);
  INFO(warnings_of(c));
  CHECK(c.warnings.size() == 5);
  CHECK(has_warning(c, "Admin (line 1): Flyte spells it admin"));
  CHECK(has_warning(c, "admin.clientID (line 3): Flyte spells it admin.clientId (flytekit reads keys case-sensitively"));
  CHECK(has_warning(c, "admin.PkceConfig.Timeout (line 4): Flyte spells it admin.PkceConfig.timeout"));
}

TEST_CASE("values of the wrong type or shape are refused with their position") {
  fixture f;
  struct bad {
    std::string text;
    error code;
    std::string path;
    std::string detail;
  };
  const std::vector<bad> cases = {
      {"- admin\n", error::config_type_mismatch, "", "the document is not a YAML mapping (expected admin: and its keys) (line 1)"},
      {"admin: [1, 2]\n", error::config_type_mismatch, "admin", "not a mapping (line 1)"},
      {"admin: x\n", error::config_type_mismatch, "admin", "not a mapping (line 1)"},
      {"admin:\n  insecure: maybe\n", error::config_type_mismatch, "admin.insecure",
       "not a boolean: expected true or false (also yes/no, on/off, 1/0) (line 2)"},
      {"admin:\n  insecureSkipVerify: [true]\n", error::config_type_mismatch, "admin.insecureSkipVerify",
       "not a boolean: expected true or false (also yes/no, on/off, 1/0) (line 2)"},
      {"admin:\n  useAudienceFromAdmin: 2\n", error::config_type_mismatch, "admin.useAudienceFromAdmin",
       "not a boolean: expected true or false (also yes/no, on/off, 1/0) (line 2)"},
      {"admin:\n  endpoint: {host: x}\n", error::config_type_mismatch, "admin.endpoint", "not a string (line 2)"},
      {"admin:\n  clientId: [a]\n", error::config_type_mismatch, "admin.clientId", "not a string (line 2)"},
      {"admin:\n  scopes: {all: true}\n", error::config_type_mismatch, "admin.scopes", "not a list of strings (line 2)"},
      {"admin:\n  scopes:\n    - all\n    - [offline]\n", error::config_type_mismatch, "admin.scopes[1]",
       "not a string (line 4)"},
      {"admin:\n  command: [a, {b: c}]\n", error::config_type_mismatch, "admin.command[1]", "not a string (line 2)"},
      {"admin:\n  authType: Basic\n", error::config_value_invalid, "admin.authType",
       "not an auth type: expected ClientSecret, Pkce, DeviceFlow or ExternalCommand (line 2)"},
      {"admin:\n  authType: [Pkce]\n", error::config_type_mismatch, "admin.authType", "not a string (line 2)"},
      {"admin:\n  pkceConfig: 2m\n", error::config_type_mismatch, "admin.pkceConfig",
       "not a mapping (timeout, refreshTime) (line 2)"},
      {"admin:\n  endpoint: grpc://flyte.example.com\n", error::config_value_invalid, "admin.endpoint",
       "not a Flyte endpoint: unsupported scheme (expected https://, http://, dns:/// or host[:port]) (line 2)"},
      {"admin:\n  endpoint: dns:///\n", error::config_value_invalid, "admin.endpoint",
       "not a Flyte endpoint: not a host[:port] or an http(s) URL with a host (line 2)"},
      {"admin:\n  endpoint: x\n  endpoint: y\n", error::config_value_invalid, "admin.endpoint", "key given twice (line 3)"},
      {"admin:\n  endpoint: x\n  Endpoint: y\n", error::config_value_invalid, "admin.Endpoint", "key given twice (line 3)"},
      {"admin: {}\nadmin: {}\n", error::config_value_invalid, "admin", "section given twice (line 2)"},
      {"admin:\n  ? [a, b]\n  : c\n", error::config_type_mismatch, "admin", "has a key that is not a string (line 2)"},
      {"admin:\n  endpoint: [x\n", error::config_value_invalid, "", "not valid YAML: end of sequence flow not found (line 3)"},
      {"admin:\n\tendpoint: x\n", error::config_value_invalid, "", ""},
      // yaml-cpp names the offending character after a colon: cut, as it is input text.
      {"admin:\n  clientId: \"a\\qb\"\n", error::config_value_invalid, "", "not valid YAML: unknown escape character (line 2)"},
  };
  for (const auto& b : cases) {
    INFO(b.text);
    const auto file = f.config(b.text);
    const auto p = f.fail(file);
    CHECK(p.code == b.code);
    CHECK(p.file == file.string());
    CHECK(p.path == b.path);
    if (!b.detail.empty()) CHECK(p.detail == b.detail);
  }
}

TEST_CASE("a list may be one comma-separated string, as flytekit reads it") {
  fixture f;
  const auto c = f.load(f.config("admin:\n  scopes: all, offline\n  command: my-token\n"));
  CHECK(c.settings.scopes == std::vector<std::string>{"all", "offline"});
  CHECK(c.settings.command == std::vector<std::string>{"my-token"});
}

//------------------------------------------------------------------------------------------
// INI (flytekit's legacy file).

TEST_CASE("flytekit's INI file is read with the keys flytekit knows") {
  fixture f;
  const auto secret_file = f.write(f.dir / "secret", "ini-secret\n");
  const auto file = f.write(f.cwd / "flytekit.config", "; flytekit.config\n"
                                                      "[sdk]\n"
                                                      "workflow_packages = app.workflows\n"
                                                      "\n"
                                                      "[platform]\n"
                                                      "url = flyte.example.com:443\n"
                                                      "insecure = False\n"
                                                      "insecure_skip_verify: yes\n"
                                                      "ca_cert_file_path = /etc/ssl/ca.pem\n"
                                                      "console_endpoint = https://console.example.com\n"
                                                      "http_proxy_url = http://proxy:3128\n"
                                                      "\n"
                                                      "[credentials]\n"
                                                      "Client_ID = my-app\n"
                                                      "auth_mode = basic\n"
                                                      "scopes = all,offline\n"
                                                      "audience = api://flyte\n"
                                                      "command = get-token,--json\n"
                                                      "client_secret_location = " +
                                                          secret_file.string() + "\n");
  const auto c = f.load();
  INFO(warnings_of(c));
  CHECK(c.warnings.empty());
  CHECK(c.file == file);
  CHECK(c.settings.endpoint == "https://flyte.example.com:443");
  CHECK_FALSE(c.settings.allow_http);
  CHECK(c.insecure_skip_verify);
  CHECK(c.ca_cert_file == "/etc/ssl/ca.pem");
  CHECK(c.settings.client_id == "my-app");
  CHECK(c.settings.type == client::auth_type::client_secret);
  CHECK(c.settings.scopes == std::vector<std::string>{"all", "offline"});
  CHECK(c.settings.audience == "api://flyte");
  CHECK(c.settings.command == std::vector<std::string>{"get-token", "--json"});
  CHECK(c.settings.client_secret == "ini-secret");
  CHECK(c.secret_source == "file " + secret_file.string());
}

TEST_CASE("flytekit's auth_mode names, and its default for an INI file") {
  fixture f;
  const std::vector<std::pair<std::string, client::auth_type>> modes = {
      {"standard", client::auth_type::pkce},
      {"Pkce", client::auth_type::pkce},
      {"basic", client::auth_type::client_secret},
      {"client_credentials", client::auth_type::client_secret},
      {"ClientSecret", client::auth_type::client_secret},
      {"external_process", client::auth_type::external_command},
      {"ExternalCommand", client::auth_type::external_command},
      {"DeviceFlow", client::auth_type::device_flow},
      {"DEVICEFLOW", client::auth_type::device_flow},
  };
  for (const auto& [name, type] : modes) {
    INFO(name);
    auto c = f.load(f.config("[credentials]\nauth_mode = " + name + "\n", "kit.config"));
    CHECK(c.settings.type == type);
    f.env["FLYTE_CREDENTIALS_AUTH_MODE"] = name;
    c = f.load();
    CHECK(c.settings.type == type);
    f.env.erase("FLYTE_CREDENTIALS_AUTH_MODE");
  }
  for (std::string_view bad : {"device_flow", "oauth", "none"}) {
    INFO(bad);
    auto p = f.fail(f.config("[credentials]\nauth_mode = " + std::string(bad) + "\n", "kit.config"));
    CHECK(p.code == error::config_value_invalid);
    CHECK(p.path == "credentials.auth_mode");
    CHECK(p.detail ==
          "not an auth mode: expected standard or pkce, basic, client_credentials or clientsecret, external_process or "
          "externalcommand, deviceflow (line 2)");
  }
  // Without auth_mode: flytekit's default (PKCE), or ClientSecret when a secret is configured.
  auto c = f.load(f.config("[platform]\nurl = dns:///flyte.example.com\n", "kit.config"));
  CHECK(c.settings.type == client::auth_type::pkce);
  CHECK(c.settings.client_id.empty());
  c = f.load(f.config("[credentials]\nclient_secret_env_var = NOT_SET_HERE\n", "kit.config"));
  CHECK(c.settings.type == client::auth_type::client_secret);
  CHECK(c.settings.client_id == "flytepropeller");
  CHECK(has_warning(c, "credentials.client_secret_env_var (line 2): names the environment variable NOT_SET_HERE"));
}

TEST_CASE("the INI file's old keys are read, each with a warning") {
  fixture f;
  // What old flyte-cli's setup-config wrote (scopes as a Python list), and older keys still.
  const auto c = f.load(f.config("[platform]\n"
                                 "url = flyte.example.com:81\n"
                                 "http_url = //flyte.example.com:8088\n"
                                 "insecure = True\n"
                                 "auth = true\n"
                                 "[credentials]\n"
                                 "client_id = flytectl\n"
                                 "redirect_uri = http://localhost:12345/callback\n"
                                 "scopes = ['all', 'offline']\n"
                                 "oauth_scopes = openid\n"
                                 "authorization_metadata_key = flyte-authorization\n"
                                 "auth_mode = standard\n"
                                 "favourite_colour = blue\n",
                                 "old.config"));
  INFO(warnings_of(c));
  CHECK(c.settings.endpoint == "http://flyte.example.com:8088");  // http_url: the HTTP side
  CHECK(c.settings.allow_http);
  CHECK(c.settings.scopes == std::vector<std::string>{"all", "offline"});  // scopes beats oauth_scopes
  CHECK(c.settings.authorization_header == "flyte-authorization");
  CHECK(c.settings.pkce.redirect_uri == "http://localhost:12345/callback");
  CHECK(c.settings.type == client::auth_type::pkce);
  CHECK(c.warnings.size() == 6);
  CHECK(has_warning(c, "platform.http_url (line 3): an old flytekit setting (the HTTP endpoint); used as the endpoint"));
  CHECK(has_warning(c, "platform.auth (line 5): an old flytekit setting, obsolete"));
  CHECK(has_warning(c, "credentials.redirect_uri (line 8): an old flytekit setting; used as the PKCE redirect URI"));
  CHECK(has_warning(c, "credentials.oauth_scopes (line 10): an old flytekit setting; scopes is its current form"));
  CHECK(has_warning(c, "credentials.authorization_metadata_key (line 11): an old flytekit setting"));
  CHECK(has_warning(c, "credentials.favourite_colour (line 13): unknown key, ignored"));

  const auto d = f.load(f.config("[credentials]\nscope = one\n", "old.config"));
  CHECK(d.settings.scopes == std::vector<std::string>{"one"});
  CHECK(has_warning(d, "credentials.scope (line 2): an old flytekit setting; scopes is its current form"));
}

TEST_CASE("the INI file is read as configparser reads it") {
  fixture f;
  const auto c = f.load(f.config("# comment\n"
                                 "[DEFAULT]\n"
                                 "host = flyte.example.com\n"
                                 "insecure = off\n"
                                 "[platform]\n"
                                 "URL: %(host)s:443\n"
                                 "[credentials]\n"
                                 "audience = 100%%\n"
                                 "command = a,\n"
                                 "   b\n",
                                 "kit.config"));
  CHECK(c.settings.endpoint == "https://flyte.example.com:443");
  CHECK_FALSE(c.settings.allow_http);  // [DEFAULT] applies to every section
  CHECK(c.settings.audience == "100%");
  CHECK(c.settings.command == std::vector<std::string>{"a", "b"});  // continuation line

  struct bad {
    std::string text;
    std::string path;
    std::string detail;
  };
  const std::vector<bad> cases = {
      {"[platform]\ninsecure = maybe\n", "platform.insecure",
       "not a boolean: expected true or false (also yes/no, on/off, 1/0) (line 2)"},
      {"[platform]\nurl\n", "platform", "a line that is not key = value (line 2)"},
      {"[platform]\n= x\n", "platform", "a value without a key (line 2)"},
      {"[platform]\nurl = a\nURL = b\n", "platform.url", "key given twice (line 3)"},
      {"[platform]\n[platform]\n", "platform", "section given twice (line 2)"},
      {"[platform]\nurl = 50%\n", "platform.url", "a '%' that is not %% or %(name)s of a key in the section (line 2)"},
      {"[platform]\nurl = %(nothing)s\n", "platform.url",
       "a '%' that is not %% or %(name)s of a key in the section (line 2)"},
      {"[platform]\nurl = grpc://x\n", "platform.url",
       "not a Flyte endpoint: unsupported scheme (expected https://, http://, dns:/// or host[:port]) (line 2)"},
      {"[internal]\nx = 1\n", "internal", "a section for flytekit-internal settings, which flytekit refuses in a config file"},
  };
  for (const auto& b : cases) {
    INFO(b.text);
    const auto file = f.config(b.text, "kit.config");
    const auto p = f.fail(file);
    CHECK(p.file == file.string());
    CHECK(p.path == b.path);
    CHECK(p.detail == b.detail);
  }
  // A large file of unknown keys: read in linear time, with a bounded number of warnings.
  std::string junk = "[credentials]\n";
  for (int i = 0; junk.size() < 1000 * 1000; ++i) junk += "k" + std::to_string(i) + " = v\n";
  const auto started = std::chrono::steady_clock::now();
  const auto j = f.load(f.config(junk, "junk.config"));
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  REQUIRE(j.warnings.size() == 21);
  CHECK(j.warnings[0] == "credentials.k0 (line 2): unknown key, ignored (as flytekit ignores it)");
  CHECK(j.warnings[20].find(" more unknown keys in [platform] and [credentials]") != std::string::npos);

  // A line before any section makes it YAML, which it is not.
  const auto p = f.fail(f.config("url = x\n[platform]\n", "kit.config"));
  CHECK(p.code == error::config_type_mismatch);
  CHECK(p.detail == "the document is not a YAML mapping (expected admin: and its keys) (line 1)");
}

//------------------------------------------------------------------------------------------
// The environment.

TEST_CASE("every FLYTE_* variable overrides the file") {
  fixture f;
  const auto secret_file = f.write(f.dir / "env-secret", "from-env-location");
  const auto file = f.config(R"(admin:
  endpoint: dns:///file.example.com
  insecure: true
  insecureSkipVerify: true
  caCertFilePath: /file/ca.pem
  authType: Pkce
  clientId: file-client
  scopes: [file]
  audience: file-audience
  command: [file-command]
)");
  f.env = {
      {"FLYTE_PLATFORM_URL", "dns:///env.example.com:8443"},
      {"FLYTE_PLATFORM_INSECURE", "false"},
      {"FLYTE_PLATFORM_INSECURE_SKIP_VERIFY", "0"},
      {"FLYTE_PLATFORM_CA_CERT_FILE_PATH", "/env/ca.pem"},
      {"FLYTE_CREDENTIALS_CLIENT_ID", "env-client"},
      {"FLYTE_CREDENTIALS_AUTH_MODE", "client_credentials"},
      {"FLYTE_CREDENTIALS_SCOPES", "a, b,c"},
      {"FLYTE_CREDENTIALS_AUDIENCE", "env-audience"},
      {"FLYTE_CREDENTIALS_COMMAND", "token-helper,--audience,flyte"},
      {"FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION", secret_file.string()},
  };
  auto c = f.load(file);
  INFO(warnings_of(c));
  CHECK(c.warnings.empty());
  CHECK(c.settings.endpoint == "https://env.example.com:8443");
  CHECK_FALSE(c.settings.allow_http);
  CHECK_FALSE(c.insecure_skip_verify);
  CHECK(c.ca_cert_file == "/env/ca.pem");
  CHECK(c.settings.client_id == "env-client");
  CHECK(c.settings.type == client::auth_type::client_secret);
  CHECK(c.settings.scopes == std::vector<std::string>{"a", "b", "c"});
  CHECK(c.settings.audience == "env-audience");
  CHECK(c.settings.command == std::vector<std::string>{"token-helper", "--audience", "flyte"});
  CHECK(c.settings.client_secret == "from-env-location");
  CHECK(c.secret_source == "file " + secret_file.string());

  // The secret's variable name, from the environment too.
  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR"] = "OTHER_SECRET";
  f.env["OTHER_SECRET"] = "from-other";
  c = f.load(file);
  CHECK(c.settings.client_secret == "from-other");
  CHECK(c.secret_source == "environment variable OTHER_SECRET");

  // Booleans in every accepted spelling; an empty variable counts as unset.
  for (std::string_view t : {"true", "TRUE", "1", "yes", "Yes", "on"}) {
    f.env["FLYTE_PLATFORM_INSECURE_SKIP_VERIFY"] = t;
    CHECK(f.load(file).insecure_skip_verify);
  }
  for (std::string_view t : {"false", "False", "0", "no", "off"}) {
    f.env["FLYTE_PLATFORM_INSECURE_SKIP_VERIFY"] = t;
    CHECK_FALSE(f.load(file).insecure_skip_verify);
  }
  f.env["FLYTE_PLATFORM_INSECURE_SKIP_VERIFY"] = "";
  CHECK(f.load(file).insecure_skip_verify);  // the file's true stands
}

TEST_CASE("a malformed variable is named, and its value is not shown") {
  fixture f;
  for (const char* name : {"FLYTE_PLATFORM_INSECURE", "FLYTE_PLATFORM_INSECURE_SKIP_VERIFY", "FLYTE_PLATFORM_AUTH"}) {
    INFO(name);
    f.env = {{name, "definitely"}};
    const auto p = f.fail();
    CHECK(p.code == error::config_value_invalid);
    CHECK(p.file.empty());
    CHECK(p.path == name);
    CHECK(p.message() == std::string(name) + ": not a boolean: expected true or false (also yes/no, on/off, 1/0)");
  }
  f.env = {{"FLYTE_CREDENTIALS_AUTH_MODE", "magic"}};
  auto p = f.fail();
  CHECK(p.path == "FLYTE_CREDENTIALS_AUTH_MODE");
  CHECK(p.message().find("magic") == std::string::npos);
  f.env = {{"FLYTE_PLATFORM_URL", "grpc://flyte.example.com"}};
  p = f.fail();
  CHECK(p.path == "FLYTE_PLATFORM_URL");
  CHECK(p.detail == "not a Flyte endpoint: unsupported scheme (expected https://, http://, dns:/// or host[:port])");
}

TEST_CASE("the old spellings of the environment are read, each with a warning") {
  fixture f;
  f.env = {
      {"FLYTE_CREDENTIALS_OAUTH_SCOPES", "all,offline"},
      {"FLYTE_CREDENTIALS_AUTHORIZATION_METADATA_KEY", "flyte-authorization"},
      {"FLYTE_PLATFORM_AUTH", "true"},
      {"FLYTE_CREDENTIALS_REDIRECT_URI", "http://localhost:12345/callback"},
      {"FLYTE_PLATFORM_HTTP_URL", "flyte.example.com:8088"},
      {"FLYTE_PLATFORM_URL", "flyte.example.com:81"},
  };
  auto c = f.load();
  INFO(warnings_of(c));
  CHECK(c.settings.scopes == std::vector<std::string>{"all", "offline"});
  CHECK(c.settings.authorization_header == "flyte-authorization");
  CHECK(c.settings.pkce.redirect_uri == "http://localhost:12345/callback");
  CHECK(c.settings.endpoint == "https://flyte.example.com:8088");
  CHECK(c.warnings == std::vector<std::string>{
                          "FLYTE_PLATFORM_HTTP_URL is an old spelling of FLYTE_PLATFORM_URL (the HTTP endpoint); used as "
                          "the endpoint",
                          "FLYTE_PLATFORM_AUTH is an old flytekit setting, obsolete (the server says whether to "
                          "authenticate); ignored",
                          "FLYTE_CREDENTIALS_OAUTH_SCOPES is an old spelling of FLYTE_CREDENTIALS_SCOPES",
                          "FLYTE_CREDENTIALS_AUTHORIZATION_METADATA_KEY is an old flytekit setting; "
                          "admin.authorizationHeader is its current form",
                          "FLYTE_CREDENTIALS_REDIRECT_URI is an old flytekit setting; used as the PKCE redirect URI"});

  // The current spelling wins over the old one; the old one still warns.
  f.env = {{"FLYTE_CREDENTIALS_OAUTH_SCOPES", "old"}, {"FLYTE_CREDENTIALS_SCOPES", "new"}, {"FLYTE_CREDENTIALS_SCOPE", "older"}};
  c = f.load();
  CHECK(c.settings.scopes == std::vector<std::string>{"new"});
  CHECK(c.warnings.size() == 2);
  CHECK(has_warning(c, "FLYTE_CREDENTIALS_SCOPE is an old spelling of FLYTE_CREDENTIALS_SCOPES"));
  f.env = {{"FLYTE_CREDENTIALS_SCOPE", "older"}};
  CHECK(f.load().settings.scopes == std::vector<std::string>{"older"});

  // FLYTE_PLATFORM_AUTH=false is accepted as well; the environment's URL beats the file's http_url.
  f.env = {{"FLYTE_PLATFORM_AUTH", "false"}, {"FLYTE_PLATFORM_URL", "dns:///env.example.com"}};
  c = f.load(f.config("[platform]\nhttp_url = file.example.com:8088\n", "kit.config"));
  CHECK(c.settings.endpoint == "https://env.example.com");
  CHECK(has_warning(c, "FLYTE_PLATFORM_AUTH is an old flytekit setting"));
}

//------------------------------------------------------------------------------------------
// The client secret.

TEST_CASE("the secret comes from the named variable, then FLYTE_CREDENTIALS_CLIENT_SECRET, then the file") {
  fixture f;
  const auto secret_file = f.write(f.dir / "client_secret", "\n  from-file \r\n");
  const auto file = f.config("admin:\n  clientSecretEnvVar: NAMED_SECRET\n  clientSecretLocation: " +
                             secret_file.string() + "\n");
  f.env["NAMED_SECRET"] = "from-named";
  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET"] = " from-flyte-env ";

  auto c = f.load(file);
  CHECK(c.settings.client_secret == "from-named");
  CHECK(c.secret_source == "environment variable NAMED_SECRET");
  CHECK(c.warnings.empty());

  f.env.erase("NAMED_SECRET");
  c = f.load(file);
  CHECK(c.settings.client_secret == "from-flyte-env");
  CHECK(c.secret_source == "FLYTE_CREDENTIALS_CLIENT_SECRET");
  CHECK(c.warnings == std::vector<std::string>{
                          "admin.clientSecretEnvVar (line 2): names the environment variable NAMED_SECRET, which is not "
                          "set or empty"});

  f.env.erase("FLYTE_CREDENTIALS_CLIENT_SECRET");
  c = f.load(file);
  CHECK(c.settings.client_secret == "from-file");  // surrounding whitespace trimmed
  CHECK(c.secret_source == "file " + secret_file.string());

  // The INI file's inline client_secret stands where FLYTE_CREDENTIALS_CLIENT_SECRET does.
  c = f.load(f.config("[credentials]\nclient_secret = inline\nclient_secret_location = " + secret_file.string() + "\n",
                      "kit.config"));
  CHECK(c.settings.client_secret == "inline");
  CHECK(c.secret_source == "credentials.client_secret in " + (f.dir / "kit.config").string());
  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET"] = "env-beats-ini";
  c = f.load(f.dir / "kit.config");
  CHECK(c.settings.client_secret == "env-beats-ini");

  // A relative location is read from the working directory.
  f.write(f.cwd / "rel_secret", "relative");
  f.env.clear();
  c = f.load(f.config("admin:\n  clientSecretLocation: rel_secret\n"));
  CHECK(c.settings.client_secret == "relative");
  CHECK(c.secret_source == "file " + (f.cwd / "rel_secret").string());
}

TEST_CASE("Flyte's default secret file may be missing; a configured one may not") {
  fixture f;
  f.default_secret = f.dir / "no-such-default-secret";
  auto c = f.load(f.config("admin:\n  endpoint: dns:///flyte.example.com\n  authType: ClientSecret\n"));
  CHECK(c.settings.client_secret.empty());
  CHECK(c.secret_source.empty());
  CHECK(c.warnings.empty());

  const auto missing = f.dir / "missing_secret";
  auto p = f.fail(f.config("admin:\n  clientSecretLocation: " + missing.string() + "\n"));
  CHECK(p.code == error::config_file_unreadable);
  CHECK(p.file == missing.string());
  CHECK(p.path == "admin.clientSecretLocation");
  CHECK(p.detail.rfind("client secret file: cannot read: ", 0) == 0);

  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION"] = missing.string();
  p = f.fail();
  CHECK(p.path == "FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION");
  CHECK(p.code == error::config_file_unreadable);

  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION"] = f.write(f.dir / "huge", std::string(64 * 1024 + 1, 'x')).string();
  p = f.fail();
  CHECK(p.code == error::config_too_large);
  CHECK(p.message().find("xxxx") == std::string::npos);

  // An empty file: no secret, with a warning.
  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION"] = f.write(f.dir / "empty", " \n").string();
  c = f.load();
  CHECK(c.settings.client_secret.empty());
  CHECK(c.secret_source.empty());
  CHECK(has_warning(c, "is empty"));

  // clientSecretLocation: "" reads no file at all (the Go client's length check).
  f.env.clear();
  c = f.load(f.config("admin:\n  clientSecretLocation: \"\"\n"));
  CHECK(c.settings.client_secret.empty());
}

TEST_CASE("flows other than ClientSecret read no secret, and say so when one is configured") {
  fixture f;
  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET"] = "unused";
  f.env["FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION"] = (f.dir / "missing").string();  // not read: no error
  const auto c = f.load(f.config("admin:\n  authType: DeviceFlow\n"));
  CHECK(c.settings.client_secret.empty());
  CHECK(c.secret_source.empty());
  CHECK(c.warnings == std::vector<std::string>{
                          "FLYTE_CREDENTIALS_CLIENT_SECRET: a client secret is configured, but authType DeviceFlow does "
                          "not use one; ignored"});
}

TEST_CASE("no secret reaches a problem, a warning or an exception") {
  const std::string secret = "Zq7-S3CRET-VALUE-91x";
  fixture f;
  f.write(f.dir / "secret_file", secret + "\n");
  std::vector<std::string> texts;
  auto collect = [&](const flyte::config_problem& p) {
    REQUIRE(p);
    texts.push_back(p.message());
    try {
      flyte::detail::throw_if(p);
    } catch (const flyte::config_error& e) {
      texts.emplace_back(e.what());
    }
  };

  // The secret in the environment, while something else fails.
  f.env = {{"FLYTE_CREDENTIALS_CLIENT_SECRET", secret}, {"FLYTE_PLATFORM_INSECURE", "perhaps"}};
  collect(f.fail());
  // The secret placed where a value of another kind is expected.
  for (const char* var : {"FLYTE_PLATFORM_INSECURE", "FLYTE_CREDENTIALS_AUTH_MODE", "FLYTE_PLATFORM_URL"}) {
    f.env = {{var, secret + " !"}};
    collect(f.fail());
  }
  f.env.clear();
  for (const std::string& text : {"admin:\n  insecure: " + secret + "\n", "admin:\n  authType: " + secret + "\n",
                                  "admin:\n  endpoint: " + secret + " x\n",
                                  "admin:\n  tokenRefreshWindow: " + secret + "\n",
                                  "admin:\n  clientId: \"" + secret + "\\q\"\n",  // a YAML escape error on its line
                                  "admin:\n  clientId: [" + secret + "\n"}) {
    collect(f.fail(f.config(text)));
  }
  // An INI file holding the secret inline, broken further down.
  collect(f.fail(f.config("[credentials]\nclient_secret = " + secret + "\n[platform]\ninsecure = " + secret + "\n",
                          "kit.config")));
  collect(f.fail(f.config("[credentials]\nclient_secret = " + secret + "%\n", "kit.config")));
  // The secret file itself too large to read.
  f.write(f.dir / "big_secret", secret + std::string(70 * 1024, ' ') + secret);
  f.env = {{"FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION", (f.dir / "big_secret").string()}};
  collect(f.fail());

  REQUIRE(texts.size() >= 20);
  for (const auto& t : texts) {
    INFO(t);
    CHECK(t.find(secret) == std::string::npos);
    CHECK(t.find("S3CRET") == std::string::npos);
  }

  // Nor a warning or the secret's source: the secret is read, and only where it came from is named.
  std::vector<flyte::loaded_client_config> loaded;
  f.env = {{"NAMED", secret}, {"FLYTE_CREDENTIALS_CLIENT_SECRET", secret}, {"FLYTE_CREDENTIALS_OAUTH_SCOPES", "all"}};
  loaded.push_back(f.load(f.config("admin:\n  clientSecretEnvVar: NAMED\n  tokenRefreshWindow: 1000\n")));
  CHECK(loaded.back().warnings.size() == 2);
  f.env = {{"FLYTE_CREDENTIALS_CLIENT_SECRET", secret}};
  loaded.push_back(f.load(f.config("admin:\n  authType: Pkce\n")));  // configured and unused: named, not shown
  CHECK(loaded.back().warnings.size() == 1);
  CHECK(loaded.back().settings.client_secret.empty());
  loaded.push_back(f.load(f.config("admin:\n  clientSecretEnvVar: UNSET\n")));  // falls through to the variable
  CHECK(loaded.back().warnings.size() == 1);
  f.env.clear();
  loaded.push_back(f.load(f.config("admin:\n  clientSecretLocation: " + (f.dir / "secret_file").string() + "\n")));
  loaded.push_back(f.load(f.config("[credentials]\nclient_secret = " + secret + "\nfoo = bar\n", "kit.config")));
  CHECK(loaded.back().warnings.size() == 1);
  for (const auto& c : loaded) {
    INFO(warnings_of(c));
    if (c.settings.type == client::auth_type::client_secret) CHECK(c.settings.client_secret == secret);
    CHECK(c.secret_source.find(secret) == std::string::npos);
    for (const auto& w : c.warnings) CHECK(w.find(secret) == std::string::npos);
  }
}

TEST_CASE("Flyte's default secret location is read when nothing else names a secret") {
  fixture f;
  f.write(f.default_secret, "  from-default-location\n");
  auto c = f.load(f.config("admin:\n  endpoint: dns:///flyte.example.com\n"));
  CHECK(c.settings.client_secret == "from-default-location");
  CHECK(c.secret_source == "file " + f.default_secret.string());
}

TEST_CASE("command-line overrides of authType and clientId apply before what depends on them") {
  fixture f;
  f.write(f.default_secret, "s3cret");
  const auto file = f.config("admin:\n  endpoint: dns:///flyte.example.com\n");  // no authType: ClientSecret
  auto src = f.sources(file);
  src.auth_type = client::auth_type::pkce;
  flyte::config_problem p;
  auto c = flyte::load_client_config(src, p);
  REQUIRE_FALSE(p);
  CHECK(c.settings.type == client::auth_type::pkce);
  CHECK(c.settings.client_id.empty());       // the server's client, not flytepropeller
  CHECK(c.settings.client_secret.empty());   // PKCE reads no secret

  const auto pkce_file = f.config("admin:\n  endpoint: dns:///flyte.example.com\n  authType: Pkce\n", "pkce.yaml");
  auto src2 = f.sources(pkce_file);
  src2.auth_type = client::auth_type::client_secret;
  c = flyte::load_client_config(src2, p);
  REQUIRE_FALSE(p);
  CHECK(c.settings.client_id == "flytepropeller");
  CHECK(c.settings.client_secret == "s3cret");
  src2.client_id = "ci-bot";
  c = flyte::load_client_config(src2, p);
  CHECK(c.settings.client_id == "ci-bot");
}
