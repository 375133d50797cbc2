// tessera — tests/fuzz/fuzz_client.cpp: what a client reads from a server it does not control
// (include/tessera/client/): a token endpoint's answer (success and RFC 6749 §5.2 refusals), the
// metadata and Flyte's /config/v1/flyte_client, a device authorization answer, and a token
// cache file (another process, or an older version, wrote it).
//
// The first byte picks the part (and, for token answers, the HTTP status); the rest is what the
// peer sends. Beyond "does not crash": an accepted token answer has a non-empty access token of
// at most 16 KiB; a refusal's description holds only RFC 6749 §5.2 characters; discovered
// endpoints a secret goes to are https or loopback; a device prompt shows only printable text.
#include <tessera/client.hpp>
#include <tessera/transport/in_memory.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {

using namespace tessera;
namespace bhttp = transport::http;

struct fixed_clock {
  time_point now() const noexcept { return from_unix_seconds(1'800'000'000); }
};
struct traits : client::client_defaults {
  using clock = fixed_clock;
};

bool safe_text(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  return true;
}
bool printable(std::string_view s) {
  for (char c : s)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

void token_answer(std::uint8_t selector, std::string_view body) {
  static constexpr bhttp::status statuses[] = {bhttp::status::ok, bhttp::status::bad_request, bhttp::status::unauthorized,
                                               bhttp::status::internal_server_error};
  transport::request req{bhttp::verb::post, "/", 11};
  auto res = transport::make_response(req, statuses[(selector >> 3) % 4], std::string(body), "application/json");
  std::error_code ec;
  std::string desc;
  auto t = client::read_token_response(res, from_unix_seconds(1'800'000'000), ec, &desc);
  if (!ec) {
    FUZZ_CHECK(!t.access_token.empty() && t.access_token.size() <= client::max_token_size);
    FUZZ_CHECK(res.result() == bhttp::status::ok);
  } else {
    FUZZ_CHECK(t.access_token.empty());
  }
  FUZZ_CHECK(desc.size() <= oauth::max_description && safe_text(desc));
}

void discovery(std::string_view input) {
  const auto cut = input.find('\0');
  const std::string metadata(input.substr(0, cut));
  const std::string flyte(cut == std::string_view::npos ? std::string_view{} : input.substr(cut + 1));
  transport::router routes;
  routes.get("/.well-known/oauth-authorization-server", [&](const transport::request& req) {
    return transport::make_response(req, bhttp::status::ok, metadata, "application/json");
  });
  routes.get("/config/v1/flyte_client", [&](const transport::request& req) {
    return transport::make_response(req, bhttp::status::ok, flyte, "application/json");
  });
  transport::in_memory wire{routes};
  std::error_code ec;
  auto info = client::discover_server(transport::any_sync_client(wire), "https://flyte.example.com", false, true, ec);
  if (ec) return;
  for (const std::string* u : {&info.metadata.token_endpoint, &info.metadata.device_authorization_endpoint,
                               &info.metadata.revocation_endpoint, &info.metadata.authorization_endpoint}) {
    if (u->empty()) continue;
    std::error_code uec;
    FUZZ_CHECK(oauth::secure_or_loopback(*u, uec) && !uec);
  }
}

void device(std::string_view body) {
  transport::router routes;
  const std::string b(body);
  routes.get("/.well-known/oauth-authorization-server", [](const transport::request& req) {
    return transport::make_response(
        req, bhttp::status::ok,
        R"({"issuer":"https://flyte.example.com","token_endpoint":"https://flyte.example.com/t","device_authorization_endpoint":"https://flyte.example.com/d"})",
        "application/json");
  });
  routes.post("/d", [&](const transport::request& req) {
    return transport::make_response(req, bhttp::status::ok, b, "application/json");
  });
  routes.post("/t", [](const transport::request& req) {
    return transport::make_response(req, bhttp::status::ok, R"({"access_token":"a","token_type":"Bearer","expires_in":60})",
                                    "application/json");
  });
  transport::in_memory wire{routes};
  client::client_settings s;
  s.endpoint = "https://flyte.example.com";
  s.type = client::auth_type::device_flow;
  s.client_id = "cli";
  client::interaction ui;
  bool shown = false;
  ui.device_code = [&](const client::device_prompt& p) {
    shown = true;
    FUZZ_CHECK(printable(p.user_code) && printable(p.verification_uri) && printable(p.verification_uri_complete));
    FUZZ_CHECK(p.verification_uri.starts_with("http"));
  };
  ui.sleep = [](std::chrono::milliseconds) {};
  client::client<traits, client::flow::device_code> c(s, transport::any_sync_client(wire), ui);
  std::error_code ec;
  auto t = c.login(ec);
  if (!ec) FUZZ_CHECK(shown && t.access_token == "a");
}

void cache_file(std::string_view text) {
  std::error_code ec;
  boost::json::parse_options opt;
  opt.max_depth = 8;
  auto doc = boost::json::parse(text, ec, {}, opt);
  if (ec) return;
  auto t = client::token_set_from_json(doc, ec);
  if (!ec) FUZZ_CHECK(!t.access_token.empty() && t.access_token.size() <= client::max_token_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: token_answer(data[0], rest); break;
    case 1: discovery(rest); break;
    case 2: device(rest); break;
    default: cache_file(rest); break;
  }
  return 0;
}
