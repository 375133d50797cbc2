// tests/flyte: a scratch directory removed at the end of the test, and file helpers.
#pragma once

#include <tessera/crypto/random.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace test {

class scratch_dir {
 public:
  scratch_dir()
      : path_(std::filesystem::temp_directory_path() / ("tessera-flyte-test-" + tessera::crypto::random_token<12>())) {
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  std::filesystem::path write(std::string_view name, std::string_view content) const {
    auto p = path_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace test
