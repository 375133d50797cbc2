// tessera — identity/users_file.hpp
//
// The users file of the local identity: htpasswd-compatible, so `htpasswd -B` writes it.
//
//     # comment                              lines whose first non-blank character is '#'
//     alice:$2y$10$<53 chars>                user:bcrypt-hash
//     bob:$2b$12$<53 chars>:bob@example.com:Bob Builder
//     carol:$2a$10$<53 chars>::Carol         (empty email, display name given)
//
// * Fields are split on ':' into at most four: user name, bcrypt hash, email, display name;
//   the display name is the rest of the line and may itself contain ':'.
// * CRLF line ends are accepted; blank lines (spaces and tabs only) are skipped; spaces or
//   tabs around the line are ignored, never inside a field.
// * The user name is 1–255 bytes of UTF-8 without spaces, control characters or ':'. It is
//   the user's stable subject, compared byte for byte (case-sensitive, as htpasswd is).
// * The hash must be bcrypt (`$2a$`, `$2b$`, `$2y$`) with a cost in
//   [crypto::bcrypt_min_cost, crypto::bcrypt_max_cost] — `check_secret_hash` decides, so a
//   file that would make every login fail, or cost a second of CPU per guess, is refused at
//   load (`secret_hash_invalid` / `secret_hash_cost`), not discovered at the first login.
//   `htpasswd`'s other formats (MD5 `$apr1$`, `{SHA}`, crypt) are refused the same way.
// * The email, when present, has one '@' with text on both sides and no spaces; the display
//   name is UTF-8 without control characters. Both are at most 255 bytes.
// * A user listed twice is refused (`users_file_duplicate_user`): which line should win is
//   not a question to answer silently.
// * Any other malformed line: `users_file_malformed`. A file over `max_users_file_size`:
//   `input_too_large`.
//
// Errors name the line (`users_file_report::line`, and the message of the thrown
// `users_file_error`), never its content: a line holds a password hash.
//
// Loading from a path also checks the file mode: a file that users other than its owner can
// read or write (POSIX mode bits o+r, o+w or g+w) loads, but `report.warning` is set to
// `users_file_permissions` so the caller can log it (docs/security.md row 24: bcrypt hashes invite
// offline guessing). Group read is allowed: `root:tessera 0640` is the usual deployment.
#ifndef TESSERA_IDENTITY_USERS_FILE_HPP
#define TESSERA_IDENTITY_USERS_FILE_HPP

#include <tessera/crypto/secret_hash.hpp>
#include <tessera/error.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::identity {

inline constexpr std::size_t max_users_file_size = 4 * 1024 * 1024;  // ≈ 40,000 users
inline constexpr std::size_t max_user_field_size = 255;

/// One line of the users file.
struct local_user {
  std::string name;           // user name: the subject and `preferred_username`
  std::string password_hash;  // bcrypt, checked by `crypto::check_secret_hash`
  std::string email;          // empty when not given
  std::string display_name;   // `name` claim; empty when not given
};

/// The users of a users file, looked up by exact user name. Immutable once built.
class user_directory {
 public:
  /// The user called `name`, or nullptr.
  const local_user* find(std::string_view name) const noexcept {
    auto it = users_.find(name);
    return it == users_.end() ? nullptr : &it->second;
  }
  std::size_t size() const noexcept { return users_.size(); }
  bool empty() const noexcept { return users_.empty(); }

  /// The highest bcrypt cost in the file (the default cost when the file is empty): the cost
  /// of the decoy hash verified for unknown users, so they take as long as real ones.
  unsigned max_cost() const noexcept { return max_cost_; }

  /// Adds a user; false when the name is taken. The parser checks the fields first.
  bool insert(local_user u, unsigned cost) {
    std::string key = u.name;
    if (!users_.emplace(std::move(key), std::move(u)).second) return false;
    max_cost_ = empty_cost_ ? cost : std::max(max_cost_, cost);
    empty_cost_ = false;
    return true;
  }

 private:
  std::map<std::string, local_user, std::less<>> users_;
  unsigned max_cost_ = crypto::bcrypt_default_cost;
  bool empty_cost_ = true;
};

/// Where parsing stopped, and what the caller should log.
struct users_file_report {
  std::size_t line = 0;      // 1-based line of the error; 0 when the error has no line
  std::error_code warning;   // users_file_permissions when the file mode is too open
};

/// Thrown by the throwing overloads: the error code, and the line in `what()` and `line()`.
class users_file_error : public tessera::system_error {
 public:
  users_file_error(std::error_code ec, std::size_t line)
      : tessera::system_error(ec, line ? "users file line " + std::to_string(line) : std::string("users file")),
        line_(line) {}
  std::size_t line() const noexcept { return line_; }

 private:
  std::size_t line_;
};

namespace detail {

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) without C0/C1
// control characters or DEL.
inline bool is_clean_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1fu;
    else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0fu;
    else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07u;
    else return false;
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3fu);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0x80 && cp <= 0x9f))
      return false;
    i += n + 1;
  }
  return true;
}

inline bool valid_user_name(std::string_view s) noexcept {
  return !s.empty() && s.size() <= max_user_field_size && s.find(' ') == std::string_view::npos &&
         is_clean_utf8(s);
}

inline bool valid_email(std::string_view s) noexcept {
  auto at = s.find('@');
  return s.size() <= max_user_field_size && at != 0 && at != std::string_view::npos && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string_view::npos && s.find(' ') == std::string_view::npos && is_clean_utf8(s);
}

inline std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Cuts the next ':'-separated field off `rest`; the whole of `rest` when there is no ':'.
inline std::string_view next_field(std::string_view& rest) noexcept {
  auto colon = rest.find(':');
  std::string_view f = rest.substr(0, colon);
  rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  return f;
}

// Parses one non-blank, non-comment line into `dir`.
inline void parse_user_line(std::string_view line, user_directory& dir, std::error_code& ec) {
  std::string_view rest = line;
  const bool has_email = std::count(line.begin(), line.end(), ':') >= 2;
  local_user u;
  u.name = next_field(rest);
  u.password_hash = next_field(rest);
  if (has_email) u.email = next_field(rest);
  u.display_name = rest;  // the rest of the line, ':' included

  if (!valid_user_name(u.name)) return void(ec = error::users_file_malformed);
  unsigned cost = 0;
  {
    // parse_bcrypt reports the cost even when it is out of bounds; we need it in range.
    crypto::check_secret_hash(u.password_hash, ec);
    if (ec) return;
    cost = static_cast<unsigned>((u.password_hash[4] - '0') * 10 + (u.password_hash[5] - '0'));
  }
  if (!u.email.empty() && !valid_email(u.email)) return void(ec = error::users_file_malformed);
  if (u.display_name.size() > max_user_field_size || !is_clean_utf8(u.display_name))
    return void(ec = error::users_file_malformed);
  if (!dir.insert(std::move(u), cost)) ec = error::users_file_duplicate_user;
}

}  // namespace detail

/// Parses the text of a users file. On failure returns an empty directory, sets `ec` and
/// `report.line`.
inline user_directory parse_users_file(std::string_view text, std::error_code& ec, users_file_report& report) {
  ec = {};
  report.line = 0;
  if (text.size() > max_users_file_size) return ec = error::input_too_large, user_directory{};
  user_directory dir;
  std::size_t number = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = detail::trim_blanks(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    detail::parse_user_line(line, dir, ec);
    if (ec) {
      report.line = number;
      return user_directory{};
    }
  }
  return dir;
}
inline user_directory parse_users_file(std::string_view text) {
  std::error_code ec;
  users_file_report report;
  auto dir = parse_users_file(text, ec, report);
  if (ec) throw users_file_error(ec, report.line);
  return dir;
}

/// Reads and parses the users file at `path`: `users_file_unreadable` when it cannot be
/// opened or read, otherwise as `parse_users_file`. Sets `report.warning` (without failing)
/// when the file mode lets other users read it or anyone but its owner write it.
inline user_directory load_users_file(const std::filesystem::path& path, std::error_code& ec,
                                      users_file_report& report) {
  ec = {};
  report = {};
  std::error_code fs_ec;
  auto status = std::filesystem::status(path, fs_ec);
  if (fs_ec || !std::filesystem::is_regular_file(status)) return ec = error::users_file_unreadable, user_directory{};
  using std::filesystem::perms;
  if ((status.permissions() & (perms::others_read | perms::others_write | perms::group_write)) != perms::none)
    report.warning = error::users_file_permissions;
  auto size = std::filesystem::file_size(path, fs_ec);
  if (fs_ec) return ec = error::users_file_unreadable, user_directory{};
  if (size > max_users_file_size) return ec = error::input_too_large, user_directory{};

  std::ifstream in(path, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad() || !in.is_open()) return ec = error::users_file_unreadable, user_directory{};
  auto warning = report.warning;
  auto dir = parse_users_file(text, ec, report);
  report.warning = warning;
  return dir;
}
/// Throws `users_file_error` on failure; a permission warning is returned in `report`.
inline user_directory load_users_file(const std::filesystem::path& path, users_file_report& report) {
  std::error_code ec;
  auto dir = load_users_file(path, ec, report);
  if (ec) throw users_file_error(ec, report.line);
  return dir;
}

}  // namespace tessera::identity

#endif
