// The token endpoint, in process: a client-credentials request parsed, authenticated, granted,
// signed, recorded in the memory store and serialized — everything but the socket — for
// ES256, RS256 and EdDSA keys. The raw-signature row of the same key in the same run is the
// ceiling: the endpoint's overhead is what lies between them.
//
//   BM_token_endpoint/client_credentials/<alg>   one request → one response (cached secret)
//   BM_sign_ceiling/<alg>                        jwk::sign of a 300-byte input alone
#include <tessera/server.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace tessera;
namespace bhttp = boost::beast::http;

struct no_identity {
  std::optional<identity::user> current_user(const transport::request&, const transport::request_context&,
                                             std::error_code& ec) const {
    ec = {};
    return std::nullopt;
  }
  std::string_view login_path() const { return "/login"; }
  void install(transport::router&) const {}
  const identity::browser& browser() const { return browser_; }

 private:
  static identity::browser_settings one_key() {
    identity::browser_settings s;
    s.cookie_keys = {std::string(32, 'k')};
    return s;
  }
  identity::browser browser_{one_key()};
};

struct traits : server_defaults {
  using identity = no_identity;
};
using server_type = authorization_server<traits, grant::client_credentials>;

constexpr std::string_view secret = "benchmark-client-secret-0123456789";

server::client_registry clients(unsigned cost) {
  server::client c;
  c.id = "bench";
  std::error_code ec;
  c.add_secret_hash(crypto::hash_secret(secret, cost), ec);
  c.grant_types = {"client_credentials"};
  c.scopes = {"all"};
  server::client_registry reg;
  reg.add(std::move(c));
  return reg;
}

transport::request token_request() {
  transport::request req{bhttp::verb::post, "/oauth2/token", 11};
  req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  req.set(bhttp::field::authorization, tessera::http::basic_authorization("bench", secret));
  req.body() = "grant_type=client_credentials&scope=all";
  req.prepare_payload();
  return req;
}

jose::algorithm alg_of(const benchmark::State& st) { return static_cast<jose::algorithm>(st.range(0)); }

void BM_token_endpoint(benchmark::State& st) {
  store::memory store;
  no_identity idp;
  server::server_settings settings;
  settings.issuer = "https://auth.example.com";
  server_type srv(settings, clients(crypto::bcrypt_default_cost), server::key_set(jose::jwk::generate(alg_of(st))),
                  store, idp);
  transport::router r;
  srv.install(r);
  const auto req = token_request();
  const transport::request_context ctx{"127.0.0.1", 5000, false};
  // The first request pays bcrypt (cost 10); every later one hits the verified-secret cache,
  // as a service refreshing its token does.
  if (r.route(req, ctx).result() != bhttp::status::ok) st.SkipWithError("token request failed");
  for (auto _ : st) {
    auto res = r.route(req, ctx);
    if (res.result() != bhttp::status::ok) st.SkipWithError("token request failed");
    benchmark::DoNotOptimize(res);
  }
  st.SetLabel(std::string(jose::to_string(alg_of(st))));
}

void BM_sign_ceiling(benchmark::State& st) {
  auto key = jose::jwk::generate(alg_of(st));
  const std::string input(300, 'x');
  std::string out;
  for (auto _ : st) {
    out.clear();
    if (key.sign(input, out)) st.SkipWithError("sign failed");
    benchmark::DoNotOptimize(out);
  }
  st.SetLabel(std::string(jose::to_string(alg_of(st))));
}

void args(benchmark::internal::Benchmark* b) {
  for (auto a : {jose::algorithm::ES256, jose::algorithm::RS256, jose::algorithm::EdDSA}) b->Arg(static_cast<int>(a));
}

BENCHMARK(BM_token_endpoint)->Name("BM_token_endpoint/client_credentials")->Apply(args);
BENCHMARK(BM_sign_ceiling)->Apply(args);

}  // namespace

BENCHMARK_MAIN();
