// The token endpoint's observer (server_settings::token_events) and the metrics made from it
// (ops/token_metrics.hpp), and the store timing decorator (ops/store_metrics.hpp).
#include "test_server.hpp"

#include <tessera/ops/store_metrics.hpp>
#include <tessera/ops/token_metrics.hpp>

#include <mutex>
#include <vector>

using namespace test;

namespace {

/// The value of the exposition line that starts with `series` ("name{labels}"), or -1.
long long sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  at += series.size() + 2;
  return std::stoll(text.substr(at, text.find('\n', at) - at));
}

}  // namespace

TEST_CASE("token endpoint tells its observer the grant type served and the cause of each failure") {
  std::mutex m;
  std::vector<server::token_outcome> seen;
  std::vector<std::string> grant_types;  // copies: the outcome's view lives as long as the request
  fixture f([&](server::server_settings& s) {
    s.token_events = [&](const server::token_outcome& o) {
      std::lock_guard lk(m);
      seen.push_back(o);
      grant_types.emplace_back(o.grant_type);
    };
  });
  CHECK(f.post_form("/oauth2/token", "grant_type=client_credentials", "flytepropeller", service_secret).result() ==
        bhttp::status::ok);
  CHECK(f.post_form("/oauth2/token", "grant_type=client_credentials", "flytepropeller", "wrong").result() ==
        bhttp::status::unauthorized);
  CHECK(f.post_form("/oauth2/token", "grant_type=evil-grant%7Blabel%7D", "flytepropeller", service_secret).result() ==
        bhttp::status::bad_request);
  CHECK(f.post_form("/oauth2/token", "scope=all", "flytepropeller", service_secret).result() == bhttp::status::bad_request);
  CHECK(f.post_form("/oauth2/token", "grant_type=refresh_token&refresh_token=nope", "flytepropeller", service_secret)
            .result() == bhttp::status::bad_request);
  std::lock_guard lk(m);
  REQUIRE(seen.size() == 5);
  CHECK(grant_types == std::vector<std::string>{"client_credentials", "client_credentials", "", "", "refresh_token"});
  CHECK_FALSE(seen[0].error);
  CHECK(seen[1].error == condition::invalid_client);
  CHECK(seen[2].error == error::grant_type_unsupported);
  CHECK(seen[3].error == condition::invalid_request);
  CHECK(seen[4].error == condition::invalid_grant);
}

TEST_CASE("token metrics count issued tokens per grant type and failures per wire code and cause, no request text") {
  ops::registry metrics;
  ops::token_metrics tokens(metrics, server_type::grant_types());
  fixture f([&](server::server_settings& s) { s.token_events = tokens.observer(); });

  // Before any request every served grant type is there, at zero.
  auto text = metrics.expose();
  for (auto g : server_type::grant_types()) {
    INFO(g);
    CHECK(sample(text, "tessera_tokens_issued_total{grant_type=\"" + std::string(g) + "\"}") == 0);
  }
  for (int i = 0; i < 3; ++i)
    REQUIRE(f.post_form("/oauth2/token", "grant_type=client_credentials", "flytepropeller", service_secret).result() ==
            bhttp::status::ok);
  f.post_form("/oauth2/token", "grant_type=client_credentials", "flytepropeller", "wrong-secret");
  f.post_form("/oauth2/token", "grant_type=client_credentials", "flytepropeller", "wrong-secret");
  f.post_form("/oauth2/token", "grant_type=evil-grant%7Bx%7D", "flytepropeller", service_secret);
  f.post_form("/oauth2/token", "grant_type=refresh_token&refresh_token=SECRET-REFRESH", "flytepropeller", service_secret);

  text = metrics.expose();
  INFO(text);
  CHECK(sample(text, "tessera_tokens_issued_total{grant_type=\"client_credentials\"}") == 3);
  CHECK(sample(text, "tessera_tokens_issued_total{grant_type=\"refresh_token\"}") == 0);
  const auto cause = [](tessera::error e) { return std::string(description(e)); };
  CHECK(sample(text, "tessera_token_errors_total{error=\"unsupported_grant_type\",cause=\"" +
                         cause(error::grant_type_unsupported) + "\"}") == 1);
  // The wrong secret: one series under invalid_client, whatever the precise cause.
  long long invalid_client = 0;
  for (std::size_t at = text.find("tessera_token_errors_total{error=\"invalid_client\""); at != std::string::npos;
       at = text.find("tessera_token_errors_total{error=\"invalid_client\"", at + 1))
    invalid_client += std::stoll(text.substr(text.find("} ", at) + 2));
  CHECK(invalid_client == 2);
  CHECK(text.find("tessera_token_errors_total{error=\"invalid_grant\"") != std::string::npos);
  for (const char* raw : {"evil", "SECRET", "{x}", "flytepropeller", "wrong-secret"}) CHECK(text.find(raw) == std::string::npos);
}

TEST_CASE("token metrics: a store's own error is labelled by its category's name, never its message") {
  ops::registry metrics;
  ops::token_metrics tokens(metrics, {"client_credentials"});
  tokens.observe({"client_credentials", std::make_error_code(std::errc::io_error)});
  tokens.observe({"client_credentials", std::make_error_code(std::errc::io_error)});
  tokens.observe({"client_credentials", {}});
  tokens.observe({"not_served", {}});  // a grant type not given: no new label
  const auto text = metrics.expose();
  INFO(text);
  CHECK(sample(text, "tessera_token_errors_total{error=\"server_error\",cause=\"generic\"}") == 2);
  CHECK(sample(text, "tessera_tokens_issued_total{grant_type=\"client_credentials\"}") == 1);
  CHECK(text.find("not_served") == std::string::npos);
}

TEST_CASE("timed store: every operation is timed and failures counted, and the store behaves as before") {
  ops::registry metrics;
  test_store backing;
  store::any store = ops::timed_store(store::any(backing), metrics);
  static_assert(store::full_store<decltype(store)>);

  auto text = metrics.expose();
  for (auto op : ops::store_operation_names) {
    INFO(op);
    CHECK(sample(text, "tessera_store_operation_duration_seconds_count{operation=\"" + std::string(op) + "\"}") == 0);
    CHECK(sample(text, "tessera_store_errors_total{operation=\"" + std::string(op) + "\"}") == 0);
  }
  std::error_code ec;
  const auto now = from_unix_seconds(1'800'000'000);
  store::code_record code;
  code.expires_at = now + std::chrono::minutes(5);
  store.put_code("h1", code, ec);
  REQUIRE_FALSE(ec);
  auto consumed = store.consume_code("h1", now, ec);
  REQUIRE_FALSE(ec);
  CHECK(consumed.status == store::consume_status::ok);
  CHECK(store.consume_code("h1", now, ec).status == store::consume_status::replayed);  // forwarded, not cached
  backing.unavailable = true;
  store.consume_code("h2", now, ec);
  CHECK(ec == error::store_unavailable);

  text = metrics.expose();
  INFO(text);
  CHECK(sample(text, "tessera_store_operation_duration_seconds_count{operation=\"put_code\"}") == 1);
  CHECK(sample(text, "tessera_store_operation_duration_seconds_count{operation=\"consume_code\"}") == 3);
  CHECK(sample(text, "tessera_store_errors_total{operation=\"consume_code\"}") == 1);
  CHECK(sample(text, "tessera_store_errors_total{operation=\"put_code\"}") == 0);
  CHECK(sample(text, "tessera_store_operation_duration_seconds_count{operation=\"rotate_refresh\"}") == 0);
  CHECK(text.find("h1") == std::string::npos);
}
