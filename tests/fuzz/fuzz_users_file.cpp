// tessera — tests/fuzz/fuzz_users_file.cpp: the users-file parser of the local identity.
//
// Properties checked beyond "no crash, no sanitizer report":
//  * a failure names a line that exists in the input (or none, for oversized input) and
//    returns no users;
//  * every accepted user has a bcrypt hash `check_secret_hash` accepts and can be found by
//    its name; names hold no ':', space or control character.
// bcrypt itself never runs here: parsing must not cost a hash per line.
#include <tessera/identity/users_file.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  tessera::identity::users_file_report report;
  auto dir = tessera::identity::parse_users_file(text, ec, report);
  if (ec) {
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    if (!dir.empty() || report.line > lines) std::abort();
    if (report.line == 0 && ec != tessera::error::input_too_large) std::abort();
    return 0;
  }
  if (report.line != 0) std::abort();
  // Walk the input again and look every accepted name up: the directory must hold exactly
  // well-formed users.
  std::size_t found = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto name = line.substr(0, colon);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    if (const auto* u = dir.find(name)) {
      ++found;
      std::error_code hash_ec;
      tessera::crypto::check_secret_hash(u->password_hash, hash_ec);
      if (hash_ec || u->name != name || u->name.find_first_of(": \t\r\n") != std::string::npos) std::abort();
    }
  }
  if (found != dir.size()) std::abort();
  return 0;
}
