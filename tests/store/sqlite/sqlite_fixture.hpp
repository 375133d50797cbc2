// tessera — tests/store/sqlite/sqlite_fixture.hpp: store_fixture<sqlite> for the conformance
// suite — a fresh database file in a temporary directory per test, removed afterwards; no
// background sweep (housekeep sweeps explicitly).
#pragma once

#include <tessera/sqlite/store.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tessera::store::test {

/// A temporary directory, removed with everything in it when this goes.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tessera-store-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

inline sqlite_settings test_sqlite_settings(const std::filesystem::path& file) {
  sqlite_settings s;
  s.path = file;
  s.sweep_interval = std::chrono::seconds(0);
  s.synchronous = sqlite_settings::sync::normal;  // the suite tests semantics; the kill test uses full
  return s;
}

template <>
class store_fixture<sqlite> {
 public:
  sqlite& store() noexcept { return store_; }
  void housekeep(time_point now) {
    std::error_code ec;
    store_.sweep(now, ec);
    if (ec) throw std::system_error(ec, "sweep");
  }

 private:
  temp_dir dir_;
  sqlite store_{test_sqlite_settings(dir_.path() / "tessera.db")};
};

}  // namespace tessera::store::test
