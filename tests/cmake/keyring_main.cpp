// A downstream program using the keyring component (tessera::keyring): its headers and libsecret
// come with it. Without a Secret Service it must fall back to files quietly (no crash).
#include <tessera/keyring.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

int main() {
  namespace tc = tessera::client;
  const auto dir = std::filesystem::temp_directory_path() / "tessera-keyring-consumer";
  tc::keyring_cache cache(dir, [](std::string_view) {});
  const tc::cache_key key{"https://flyte.example.com", "flytectl", tc::auth_type::pkce};
  if (cache.location(key).rfind("keyring", 0) != 0) {
    std::fprintf(stderr, "unexpected location %s\n", cache.location(key).c_str());
    return 1;
  }
  std::error_code ec;
  cache.erase(key, ec);  // talks to the keyring, or falls back: either way no failure
  std::filesystem::remove_all(dir);
  return ec ? 2 : 0;
}
