// tessera — tests/store/redis/redis_fixture.hpp: `store_fixture<store::redis>` for the store
// conformance suite (tests/store/store_fixture.hpp), on the server with_redis.sh started.
//
// The server is named by TESSERA_TEST_REDIS_URL. Each fixture works under a key prefix of its
// own (process id and a counter), so fixtures never see each other's keys, and deletes its keys
// when it is destroyed. `housekeep(now)` is `sweep(now)`: Redis's clock does not follow the
// suite's fixed one, so its TTLs alone would forget nothing.
#pragma once

#include <tessera/redis/store.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tessera::store::test {

/// The settings of the test server, under a prefix no other fixture uses.
inline redis_settings redis_test_settings(const char* url_variable = "TESSERA_TEST_REDIS_URL") {
  const char* url = std::getenv(url_variable);
  if (!url) throw std::runtime_error(std::string(url_variable) + " is not set: run the suite through with_redis.sh");
  std::error_code ec;
  auto s = parse_redis_url(url, ec);
  if (ec) throw std::system_error(ec, url_variable);
  static std::atomic<unsigned> counter{0};
  s.key_prefix = "tt:" + std::to_string(::getpid()) + ":" + std::to_string(counter.fetch_add(1)) + ":";
  return s;
}

template <>
class store_fixture<redis> {
 public:
  store_fixture() : store_(redis_test_settings()) {}
  store_fixture(const store_fixture&) = delete;
  store_fixture& operator=(const store_fixture&) = delete;
  ~store_fixture() {
    std::error_code ec;
    store_.erase_all(ec);
  }

  redis& store() noexcept { return store_; }
  void housekeep(time_point now) {
    std::error_code ec;
    store_.sweep(now, ec);
    if (ec) throw std::system_error(ec, "redis sweep: " + store_.last_error());
  }

 private:
  redis store_;
};

}  // namespace tessera::store::test
