// The keyring token cache (component tessera::keyring) against a real Secret Service — a GNOME
// Keyring daemon in a private D-Bus session (with_keyring.sh) — and, run without any D-Bus,
// its fallback to the file cache (one warning, never a failure).
#include "../client/scripted_as.hpp"

#include <tessera/keyring.hpp>

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

using namespace ctest;
using client::auth_type;

namespace {

struct temp_dir {
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "tessera-keyring-test-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

client::token_set sample() {
  client::token_set t;
  t.access_token = "at-keyring";
  t.refresh_token = "rt-keyring";
  t.expires_at = from_unix_seconds(1'800'000'600);
  t.obtained_at = from_unix_seconds(1'800'000'000);
  return t;
}

/// What the Secret Service holds for an entry, read past the cache.
std::string stored(const client::cache_key& k) {
  SecretSchema s{};
  s.name = "org.tessera.Token";
  s.attributes[0] = {"entry", SECRET_SCHEMA_ATTRIBUTE_STRING};
  GError* err = nullptr;
  gchar* v = secret_password_lookup_sync(&s, nullptr, &err, "entry", k.id().c_str(), nullptr);
  if (err) {
    g_error_free(err);
    return "error";
  }
  std::string out = v ? v : "";
  if (v) secret_password_free(v);
  return out;
}

}  // namespace

TEST_CASE("keyring cache: entries live in the Secret Service, not on disk", "[service]") {
  temp_dir tmp;
  std::vector<std::string> warnings;
  client::keyring_cache cache(tmp.path / "fallback", [&](std::string_view w) { warnings.emplace_back(w); });
  client::cache_key k{"https://flyte.example.com", "flytectl", auth_type::pkce};
  std::error_code ec;
  CHECK_FALSE(cache.load(k, ec).has_value());
  REQUIRE_FALSE(ec);
  cache.save(k, sample(), ec);
  REQUIRE_FALSE(ec);
  CHECK(cache.using_keyring());
  CHECK(warnings.empty());
  CHECK(stored(k).find("\"refresh_token\":\"rt-keyring\"") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(tmp.path / "fallback" / (k.id() + ".json")));
  CHECK(cache.location(k).starts_with("keyring"));
  // Another cache (another process) finds it.
  client::keyring_cache other(tmp.path / "fallback");
  auto t = other.load(k, ec);
  REQUIRE(t);
  CHECK(t->access_token == "at-keyring");
  CHECK(t->expires_at == sample().expires_at);
  // Another key does not.
  CHECK_FALSE(other.load({"https://flyte.example.com", "flytectl", auth_type::device_flow}, ec).has_value());
  cache.erase(k, ec);
  CHECK_FALSE(ec);
  CHECK(stored(k).empty());
  CHECK_FALSE(other.load(k, ec).has_value());
}

TEST_CASE("keyring cache: a client keeps its tokens there", "[service]") {
  struct traits : client::client_defaults {
    using clock = shared_clock;
    using cache = client::keyring_cache;
  };
  temp_dir tmp;
  scripted_as as;
  as.client_secret = "x";
  auto s = settings_for(auth_type::client_secret);
  s.client_id = "flytectl";
  s.client_secret = "x";
  shared_clock clock;
  client::client<traits, client::flow::client_credentials> c(s, transport::any_sync_client(as.wire), {}, clock,
                                                             tmp.path / "fallback");
  std::error_code ec;
  REQUIRE(c.token(ec).access_token == "at-1");
  CHECK(stored(c.key()).find("at-1") != std::string::npos);
  CHECK(c.token(ec).access_token == "at-1");  // from the keyring
  CHECK(as.hits["token"] == 1);
  c.cache().erase(c.key(), ec);
}

TEST_CASE("keyring cache: without a Secret Service it warns once and uses the file cache", "[fallback]") {
  temp_dir tmp;
  std::vector<std::string> warnings;
  client::keyring_cache cache(tmp.path / "fallback", [&](std::string_view w) { warnings.emplace_back(w); });
  client::cache_key k{"https://flyte.example.com", "flytectl", auth_type::pkce};
  std::error_code ec;
  CHECK_FALSE(cache.load(k, ec).has_value());
  CHECK_FALSE(ec);
  cache.save(k, sample(), ec);
  CHECK_FALSE(ec);
  CHECK_FALSE(cache.using_keyring());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("using the file cache") != std::string::npos);
  CHECK(warnings[0].find("rt-keyring") == std::string::npos);
  const auto file = tmp.path / "fallback" / (k.id() + ".json");
  REQUIRE(std::filesystem::exists(file));
  struct stat st{};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto t = cache.load(k, ec);
  REQUIRE(t);
  CHECK(t->refresh_token == "rt-keyring");
  CHECK(cache.location(k).find("keyring was unavailable") != std::string::npos);
  cache.erase(k, ec);
  CHECK_FALSE(std::filesystem::exists(file));
  CHECK(warnings.size() == 1);
}
