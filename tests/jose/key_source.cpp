#include <tessera/jose/key_source.hpp>
// Key sources (jose/key_source.hpp): the concept and its models, key rotation under a
// shared_key_set (results outlive the swap, one snapshot per verification), the unknown-kid
// cue for a refreshing fetcher, and four threads verifying while the snapshot is swapped.

#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

using namespace jose_test;
using jose::algorithm;

namespace {

constexpr std::int64_t now = 1'700'000'000;
constexpr std::string_view issuer = "https://idp.example.com";

// Compile-time: the exemplar of the header comment models the concept; things that are not
// key sources do not.
struct fixed_keys {
  jose::jwk_set keys;
  jose::key_snapshot snapshot() const noexcept { return {&keys, nullptr}; }
};
struct throwing_snapshot {
  jose::key_snapshot snapshot() const { return {}; }  // not noexcept
};
static_assert(jose::key_source<fixed_keys>);
static_assert(jose::key_source<jose::static_key_set>);
static_assert(jose::key_source<jose::shared_key_set>);
static_assert(!jose::key_source<jose::jwk_set>);
static_assert(!jose::key_source<throwing_snapshot>);
// A validator works over any model, the exemplar included.
static_assert(std::is_same_v<jose::jwt_validator, jose::basic_jwt_validator<jose::static_key_set>>);
static_assert(std::is_same_v<jose::shared_jwt_validator, jose::basic_jwt_validator<jose::shared_key_set>>);

boost::json::object claims(std::string_view sub = "alice") {
  return {{"iss", issuer}, {"sub", sub}, {"iat", now - 10}, {"exp", now + 300}};
}

std::string sign(const jose::jwk& key, std::string_view sub = "alice") {
  return jose::sign_jwt(jose::jws_signer(key), claims(sub));
}

const jose::jwk& old_key() {
  static const auto k = jose::jwk::generate(algorithm::ES256);
  return k;
}
const jose::jwk& new_key() {
  static const auto k = jose::jwk::generate(algorithm::ES256);
  return k;
}

template <class Validator>
std::error_code validate_error_of(const Validator& v, std::string_view token, const tessera::manual_clock& clock) {
  std::error_code ec;
  auto r = v.validate(token, ec, clock);
  if (ec) CHECK((r.claims.empty() && r.key == nullptr && r.key_owner == nullptr));
  return ec;
}

// Whether `key` verifies the signature of `token` (directly, without any set or validator).
bool key_verifies(const jose::jwk& key, std::string_view token) {
  const std::string raw = raw_signature(token);
  return !key.verify(signing_input(token),
                     std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
}

}  // namespace

TEST_CASE("a validator over the concept's exemplar verifies like jwt_validator") {
  jose::basic_jwt_validator<fixed_keys> v(fixed_keys{jose::jwk_set{old_key().public_key()}});
  v.issuer(std::string(issuer));
  std::error_code ec;
  auto r = v.validate(sign(old_key()), ec, tessera::manual_clock(now));
  REQUIRE_FALSE(ec);
  CHECK(r.key == &v.source().keys[0]);
  CHECK(r.key_owner == nullptr);
}

TEST_CASE("a static key set costs no ownership: the result points into the validator") {
  jose::jwt_validator v(jose::jwk_set{old_key().public_key()});
  std::error_code ec;
  auto r = v.validate(sign(old_key()), ec, tessera::manual_clock(now));
  REQUIRE_FALSE(ec);
  CHECK(r.key == &v.keys()[0]);
  CHECK(r.key == &v.source().keys()[0]);
  CHECK(r.key_owner == nullptr);
}

TEST_CASE("a token verified before a key rotation stays valid after the swap") {
  jose::shared_key_set keys(jose::jwk_set{old_key().public_key()});
  const jose::shared_jwt_validator v = [&] {
    jose::shared_jwt_validator val(keys);
    val.issuer(std::string(issuer));
    return val;
  }();
  const tessera::manual_clock clock(now);
  std::error_code ec;
  auto before = v.validate(sign(old_key(), "before"), ec, clock);
  REQUIRE_FALSE(ec);
  const jose::jwk* key_before = before.key;
  REQUIRE(key_before != nullptr);
  const std::string old_kid = key_before->kid();

  // Rotate: the new set knows only the new key. `keys` is another handle to the same snapshot.
  keys.update(jose::jwk_set{new_key().public_key()});
  CHECK(keys.current()->size() == 1);
  CHECK((*keys.current())[0].kid() == new_key().kid());

  // The earlier result still owns the old snapshot: its key is alive and still verifies.
  REQUIRE(before.key_owner != nullptr);
  CHECK(before.key_owner.use_count() == 1);  // nobody else holds the old set any more
  CHECK(before.key == key_before);
  CHECK(before.key == &(*before.key_owner)[0]);
  CHECK(before.key->kid() == old_kid);
  CHECK(before.subject() == "before");
  CHECK(key_verifies(*before.key, sign(old_key(), "before")));

  // New tokens: the old key is gone, the new one verifies.
  CHECK_INVALID_TOKEN(validate_error_of(v, sign(old_key()), clock), error::jws_kid_unknown);
  auto after = v.validate(sign(new_key(), "after"), ec, clock);
  REQUIRE_FALSE(ec);
  CHECK(after.key->kid() == new_key().kid());
  CHECK(after.key_owner == keys.current());
  CHECK(after.key_owner != before.key_owner);
}

TEST_CASE("copies of a shared_key_set share one snapshot and a validator source updates it") {
  jose::shared_key_set a(jose::jwk_set{old_key().public_key()});
  jose::shared_key_set b = a;
  CHECK(a == b);
  CHECK(a.current() == b.current());
  CHECK_FALSE(a == jose::shared_key_set(jose::jwk_set{old_key().public_key()}));
  jose::shared_jwt_validator v(a);
  CHECK(v.source() == a);
  v.source().update(jose::jwk_set{new_key().public_key()});  // through the validator's handle
  CHECK((*b.current())[0].kid() == new_key().kid());
  // A validator built from a set owns a fresh snapshot, reachable through source().
  jose::shared_jwt_validator w(jose::jwk_set{old_key().public_key()});
  CHECK_FALSE(w.source() == a);
  CHECK((*w.source().current())[0].kid() == old_key().kid());
  // An empty shared set knows no kid.
  jose::shared_jwt_validator empty{jose::shared_key_set{}};
  CHECK(empty.source().current() != nullptr);
  CHECK(empty.source().current()->empty());
  std::error_code ec;
  empty.validate(sign(old_key()), ec, tessera::manual_clock(now));
  CHECK(ec == error::jws_kid_unknown);
}

TEST_CASE("an unknown kid is jws_kid_unknown, the cue to refresh, and after update the same token verifies") {
  jose::shared_key_set keys(jose::jwk_set{old_key().public_key()});
  jose::shared_jwt_validator v(keys);
  const tessera::manual_clock clock(now);
  const std::string token = sign(new_key());  // signed with a key the IdP published after our fetch
  std::error_code ec;
  v.validate(token, ec, clock);
  REQUIRE(ec == error::jws_kid_unknown);
  // What a refreshing fetcher does on exactly this cause: fetch, update, retry once.
  keys.update(jose::jwk_set{old_key().public_key(), new_key().public_key()});
  auto r = v.validate(token, ec, clock);
  CHECK_FALSE(ec);
  CHECK(r.key->kid() == new_key().kid());
  // A known kid with a bad signature is not that cue.
  std::string sig = raw_signature(token);
  sig[3] ^= 1;
  v.validate(with_signature(token, sig), ec, clock);
  CHECK(ec == error::signature_invalid);
  // Neither is a token without a kid when several keys could verify it.
  v.validate(forge(new_key(), R"({"alg":"ES256"})", R"({"exp":1700000300})"), ec, clock);
  CHECK(ec == error::jws_key_ambiguous);
}

TEST_CASE("four threads verify while the snapshot is swapped and every result keeps its key") {
  // Two generations of keys; every swap publishes a set with exactly one of them. Tokens
  // signed with the other key fail with jws_kid_unknown; tokens with the current key pass,
  // and their result's key stays usable after any number of later swaps.
  const auto es = jose::jwk::generate(algorithm::ES256);
  const auto ed = jose::jwk::generate(algorithm::EdDSA);
  const auto hs_a = jose::jwk::generate(algorithm::HS256).with_kid("hs-a");
  const auto hs_b = jose::jwk::generate(algorithm::HS256).with_kid("hs-b");
  const jose::jwk_set gen_a{es.public_key(), hs_a};
  const jose::jwk_set gen_b{ed.public_key(), hs_b};
  jose::shared_key_set keys(gen_a);
  const jose::shared_jwt_validator v = [&] {
    jose::shared_jwt_validator val(keys);
    val.issuer(std::string(issuer));
    return val;
  }();
  struct sample {
    std::string token;
    std::string kid;
  };
  std::vector<sample> samples;
  for (const auto* k : {&es, &ed, &hs_a, &hs_b}) samples.push_back({sign(*k, "user-" + k->kid()), k->kid()});

  const tessera::manual_clock clock(now);
  constexpr int threads = 4, rounds = 300;
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0}, passed{0}, unknown{0};
  std::vector<jose::verified_jwt> kept[threads];

  std::thread swapper([&] {
    bool b = false;
    while (!done.load(std::memory_order_relaxed)) {
      b = !b;
      keys.update(b ? gen_b : gen_a);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int round = 0; round < rounds; ++round) {
        for (std::size_t i = 0; i < samples.size(); ++i) {
          const auto& s = samples[(i + static_cast<std::size_t>(t)) % samples.size()];
          std::error_code ec;
          auto r = v.validate(s.token, ec, clock);
          if (ec == error::jws_kid_unknown) {
            ++unknown;
          } else if (ec || r.key == nullptr || r.key->kid() != s.kid || r.subject() != "user-" + s.kid ||
                     r.key_owner == nullptr || r.key < &*r.key_owner->begin() ||
                     r.key >= &*r.key_owner->begin() + r.key_owner->size()) {
            ++wrong;
          } else {
            ++passed;
            if (round % 30 == 0) kept[t].push_back(std::move(r));
          }
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  done = true;
  swapper.join();

  CHECK(wrong == 0);
  CHECK(passed + unknown == threads * rounds * static_cast<int>(samples.size()));
  CHECK(passed > 0);
  // Results from many generations ago: each key still verifies a fresh signature of its own
  // token's signing input (use after free here is what ASan would report).
  keys.update(jose::jwk_set{});
  std::size_t checked = 0;
  for (auto& results : kept)
    for (const auto& r : results) {
      const auto& s = *std::find_if(samples.begin(), samples.end(), [&](const sample& x) { return x.kid == r.key->kid(); });
      CHECK(key_verifies(*r.key, s.token));
      ++checked;
    }
  CHECK(checked > 0);
}
