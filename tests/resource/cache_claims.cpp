// The parts under the resource validator: SipHash against OpenSSL, the token cache's rules,
// and how claims are read.
#include "test_resource.hpp"

#include <tessera/crypto/siphash.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <thread>
#include <vector>

using namespace rtest;

namespace {

std::array<unsigned char, 16> openssl_siphash(std::span<const unsigned char, 16> key, std::string_view data) {
  std::array<unsigned char, 16> out{};
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  REQUIRE(mac);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  std::size_t size = 16;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_END};
  REQUIRE(EVP_MAC_init(ctx, key.data(), key.size(), params) == 1);
  REQUIRE(EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  std::size_t len = 0;
  REQUIRE(EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1);
  REQUIRE(len == 16);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return out;
}

}  // namespace

TEST_CASE("SipHash-2-4-128 agrees with OpenSSL's SIPHASH for every length up to 300 bytes and random keys") {
  for (int round = 0; round < 4; ++round) {
    std::array<unsigned char, 16> key{};
    crypto::random_bytes(key);
    const auto k = crypto::siphash_key::from_bytes(key);
    std::string data(300, '\0');
    crypto::random_bytes(std::span<unsigned char>(reinterpret_cast<unsigned char*>(data.data()), data.size()));
    for (std::size_t n = 0; n <= data.size(); ++n) {
      INFO("length " << n);
      REQUIRE(crypto::siphash_2_4_128(k, std::string_view(data).substr(0, n)).bytes() ==
              openssl_siphash(key, std::string_view(data).substr(0, n)));
    }
  }
}

TEST_CASE("SipHash output depends on the key and on every byte") {
  const auto k1 = crypto::siphash_key::random(), k2 = crypto::siphash_key::random();
  const std::string token(600, 'a');
  CHECK(crypto::siphash_2_4_128(k1, token) != crypto::siphash_2_4_128(k2, token));
  std::string other = token;
  other[599] = 'b';
  CHECK(crypto::siphash_2_4_128(k1, token) != crypto::siphash_2_4_128(k1, other));
  CHECK(crypto::siphash_2_4_128(k1, token.substr(0, 599)) != crypto::siphash_2_4_128(k1, token));
}

TEST_CASE("token cache: an entry is found until its instant, then never") {
  resource::token_cache<std::string> cache(100);
  const time_point now = from_unix_seconds(1'800'000'000);
  cache.insert("tok", std::make_shared<const std::string>("alice"), now + seconds(10), now);
  REQUIRE(cache.find("tok", now));
  CHECK(*cache.find("tok", now + seconds(9)) == "alice");
  CHECK_FALSE(cache.find("tok", now + seconds(10)));
  CHECK_FALSE(cache.find("tok2", now));
  CHECK_FALSE(cache.find("to", now));
  // Nothing is kept for an instant already past.
  cache.insert("old", std::make_shared<const std::string>("x"), now, now);
  CHECK_FALSE(cache.find("old", now - seconds(1)));
  cache.erase("tok");
  CHECK_FALSE(cache.find("tok", now));
}

TEST_CASE("token cache: bounded, evicting expired entries first, then the soonest to expire") {
  resource::token_cache<int> cache(32);  // two per shard
  REQUIRE(cache.capacity() == 32);
  const time_point now = from_unix_seconds(1'800'000'000);
  for (int i = 0; i < 10'000; ++i)
    cache.insert("token-" + std::to_string(i), std::make_shared<const int>(i), now + seconds(100 + i), now);
  CHECK(cache.size() <= 32);
  // The entries kept are the ones that live longest: each shard evicted its soonest.
  int kept_late = 0;
  for (int i = 9'900; i < 10'000; ++i) kept_late += cache.find("token-" + std::to_string(i), now) != nullptr;
  CHECK(kept_late > 16);
  int kept_early = 0;
  for (int i = 0; i < 100; ++i) kept_early += cache.find("token-" + std::to_string(i), now) != nullptr;
  CHECK(kept_early == 0);
}

TEST_CASE("token cache: max_entries 0 disables it") {
  resource::token_cache<int> cache(0);
  const time_point now = from_unix_seconds(1'800'000'000);
  cache.insert("tok", std::make_shared<const int>(1), now + seconds(10), now);
  CHECK_FALSE(cache.find("tok", now));
  CHECK(cache.size() == 0);
}

TEST_CASE("token cache: concurrent inserts and finds stay within bounds and never return another token's value") {
  resource::token_cache<std::string> cache(256);
  const time_point now = from_unix_seconds(1'800'000'000);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5'000; ++i) {
        const std::string tok = "t" + std::to_string(t) + "-" + std::to_string(i % 500);
        if (auto v = cache.find(tok, now)) {
          if (*v != tok) wrong.fetch_add(1);
        } else {
          cache.insert(tok, std::make_shared<const std::string>(tok), now + seconds(60), now);
        }
      }
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(cache.size() <= cache.capacity());
}

namespace {
resource::access_claims read(const boost::json::object& c, const resource::claim_options& o = {},
                             std::error_code* ec_out = nullptr) {
  resource::access_claims out;
  std::error_code ec;
  resource::read_access_claims(c, o, [](std::string_view a) { return a == audience || a == "flyte"; }, out, ec);
  if (ec_out) *ec_out = ec;
  else REQUIRE_FALSE(ec);
  return out;
}
}  // namespace

TEST_CASE("claims: scp as an array or a string, and scope, united without repeats") {
  boost::json::object c{{"sub", "alice"}, {"scp", boost::json::array{"all", "offline"}}, {"scope", "offline openid"}};
  CHECK(read(c).scopes == std::vector<std::string>{"all", "offline", "openid"});
  c["scp"] = "all  admin";  // Flyte dropped a string scp; tessera reads it
  CHECK(read(c).scopes == std::vector<std::string>{"all", "admin", "offline", "openid"});
  c.erase("scp");
  CHECK(read(c).scopes == std::vector<std::string>{"offline", "openid"});
  CHECK(read(c).has_scope("openid"));
  CHECK_FALSE(read(c).has_scope("open"));
  CHECK(read(c).scope_string() == "offline openid");
}

TEST_CASE("claims: a scope claim of another type is claim_type, as is a non-string entry") {
  std::error_code ec;
  read({{"scp", 42}}, {}, &ec);
  CHECK(ec == error::claim_type);
  read({{"scp", boost::json::array{"a", 1}}}, {}, &ec);
  CHECK(ec == error::claim_type);
  read({{"sub", 7}}, {}, &ec);
  CHECK(ec == error::claim_type);
  read({{"client_id", boost::json::array{}}}, {}, &ec);
  CHECK(ec == error::claim_type);
  resource::claim_options few;
  few.max_scopes = 3;
  read({{"scope", "a b c d"}}, few, &ec);
  CHECK(ec == error::claim_type);
}

TEST_CASE("claims: Azure roles are read only when asked for") {
  boost::json::object c{{"sub", "app"}, {"azp", "client-app"}, {"roles", boost::json::array{"all"}}};
  CHECK(read(c).scopes.empty());
  CHECK(read(c).client_id == "client-app");  // azp when there is no client_id
  resource::claim_options azure;
  azure.scope_claims.push_back("roles");
  CHECK(read(c, azure).scopes == std::vector<std::string>{"all"});
}

TEST_CASE("claims: subject from the configured claims, in order, else sub") {
  boost::json::object c{{"sub", "00u1"}, {"email", "alice@example.com"}, {"preferred_username", ""}};
  resource::claim_options o;
  o.subject_claims = {"preferred_username", "email"};
  CHECK(read(c, o).subject == "alice@example.com");  // the empty one is skipped
  o.subject_claims = {"upn"};
  CHECK(read(c, o).subject == "00u1");
}

TEST_CASE("claims: a token with neither client nor scope gets scopes_without_client") {
  resource::claim_options flyte;
  flyte.scopes_without_client = {"all"};
  CHECK(read({{"sub", "alice"}}, flyte).scopes == std::vector<std::string>{"all"});
  CHECK(read({{"sub", "alice"}}).scopes.empty());                                  // not by default
  CHECK(read({{"sub", "svc"}, {"client_id", "propeller"}}, flyte).scopes.empty());  // a client's token
  CHECK(read({{"sub", "alice"}, {"scope", "openid"}}, flyte).scopes == std::vector<std::string>{"openid"});
}

TEST_CASE("claims: the audience is the first accepted entry; dates, user_info and email") {
  boost::json::object c{{"aud", boost::json::array{"other", "flyte", audience}},
                        {"exp", 1'800'003'600},
                        {"iat", 1'800'000'000.75},
                        {"user_info", {{"name", "Alice"}}},
                        {"email", "alice@example.com"}};
  auto r = read(c);
  CHECK(r.audience == "flyte");
  CHECK(r.expires_at == from_unix_seconds(1'800'003'600));
  CHECK(r.issued_at == from_unix_seconds(1'800'000'000));
  CHECK(r.user_info.at("name") == "Alice");
  CHECK(r.user_info.at("email") == "alice@example.com");
  c["aud"] = "nobody";
  CHECK(read(c).audience.empty());
}
