// tessera — flyte/detail/read_file.hpp: reads a configuration or key file whole, bounded.
#ifndef TESSERA_FLYTE_DETAIL_READ_FILE_HPP
#define TESSERA_FLYTE_DETAIL_READ_FILE_HPP

#include <tessera/error.hpp>
#include <tessera/flyte/config_error.hpp>

#include <openssl/crypto.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

namespace tessera::flyte::detail {

/// Reads `file` into `out`. Fails (filling `problem` with the file named) when it is missing,
/// not a regular file, unreadable (`config_file_unreadable`, with the system's reason) or
/// larger than `max_size` (`config_too_large`). On failure `out` is wiped and empty.
inline bool read_config_file(const std::filesystem::path& file, std::size_t max_size, std::string& out,
                             config_problem& problem) {
  problem = {};
  out.clear();
  auto fail = [&](error e, std::string detail) {
    if (!out.empty()) OPENSSL_cleanse(out.data(), out.size());  // a partly read key file
    out.clear();
    problem.code = e;
    problem.file = file.string();
    problem.detail = std::move(detail);
    return false;
  };
  std::error_code ec;
  auto status = std::filesystem::status(file, ec);
  if (ec) return fail(error::config_file_unreadable, "cannot read: " + ec.message());
  if (!std::filesystem::is_regular_file(status)) return fail(error::config_file_unreadable, "not a regular file");
  auto size = std::filesystem::file_size(file, ec);
  if (ec) return fail(error::config_file_unreadable, "cannot read: " + ec.message());
  if (size > max_size) return fail(error::config_too_large, "larger than " + std::to_string(max_size) + " bytes");
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) return fail(error::config_file_unreadable, "cannot open");
  // At most max_size + 1 bytes: the file may have grown (or been swapped) since file_size.
  out.resize(max_size + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (in.bad()) return fail(error::config_file_unreadable, "read error");
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (out.size() > max_size) return fail(error::config_too_large, "larger than " + std::to_string(max_size) + " bytes");
  return true;
}

}  // namespace tessera::flyte::detail

#endif
