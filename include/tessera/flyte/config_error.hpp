// tessera — flyte/config_error.hpp
//
// What went wrong in a configuration input, and where. Every loader in tessera/flyte/ reports
// a failure as a `config_problem`: the cause (a `tessera::error`, so `code == condition::...`
// works as everywhere else), the file when there is one, the path of the offending value
// inside the document, and a short detail:
//
//     clients.json: clients[2].redirect_uris[0]: not a string
//     /etc/secrets/token_rsa_key_old.pem: PEM text holds no usable key
//
// The path uses the document's own member names (`staticClients.flytectl.scopes[1]`); a name
// that is not a plain identifier is quoted and escaped (`clients["a b"]`). Details never
// contain a value from the input — a client secret, a key — only its position.
//
// Each loader has three overloads: filling a `config_problem&` (the full report), filling a
// `std::error_code&` (the cause only), and throwing `config_error`, a `tessera::system_error`
// whose `what()` is exactly `problem().message()`.
#ifndef TESSERA_FLYTE_CONFIG_ERROR_HPP
#define TESSERA_FLYTE_CONFIG_ERROR_HPP

#include <tessera/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tessera::flyte {

/// One configuration failure: cause, file, position and detail. Empty (false) on success.
struct config_problem {
  std::error_code code;  // the cause; clear when nothing went wrong
  std::string file;      // the file read, when the input came from one
  std::string path;      // position of the value in the document: "clients[2].redirect_uris[0]"
  std::string detail;    // what is wrong with it: "not a string"; empty: the cause says it all

  explicit operator bool() const noexcept { return static_cast<bool>(code); }

  /// "file: path: detail", leaving out empty parts; the cause's description when `detail`
  /// is empty.
  std::string message() const {
    std::string out;
    auto add = [&out](std::string_view part) {
      if (part.empty()) return;
      if (!out.empty()) out += ": ";
      out += part;
    };
    add(file);
    add(path);
    add(detail.empty() ? std::string_view(description_of(code)) : std::string_view(detail));
    return out;
  }

 private:
  static std::string description_of(const std::error_code& ec) { return ec ? ec.message() : std::string("ok"); }
};

/// Thrown by the throwing overloads of the flyte loaders.
class config_error : public tessera::system_error {
 public:
  explicit config_error(config_problem p)
      : tessera::system_error(p.code, p.message()), problem_(std::move(p)), what_(problem_.message()) {}

  /// The file, path and detail of the failure; `code()` is its cause.
  const config_problem& problem() const noexcept { return problem_; }
  /// Exactly `problem().message()`: "clients[2].redirect_uris[0]: not a string".
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  config_problem problem_;
  std::string what_;
};

namespace detail {

inline void throw_if(const config_problem& p) {
  if (p) throw config_error(p);
}

/// Appends `.name` to a path, or `["name"]` (escaped, at most 64 bytes shown) when `name` is
/// not a plain identifier: input text reaches a message only in this bounded, printable form.
inline void append_member(std::string& path, std::string_view name) {
  constexpr std::size_t shown = 64;
  bool plain = !name.empty() && name.size() <= shown;
  for (unsigned char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      plain = false;
  if (plain) {
    if (!path.empty()) path += '.';
    path.append(name);
    return;
  }
  static constexpr char hex[] = "0123456789abcdef";
  path += "[\"";
  for (unsigned char c : name.substr(0, shown)) {
    if (c == '"' || c == '\\') {
      path += '\\';
      path += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      path += "\\x";
      path += hex[c >> 4];
      path += hex[c & 0xf];
    } else {
      path += static_cast<char>(c);
    }
  }
  if (name.size() > shown) path += "...";
  path += "\"]";
}

inline void append_index(std::string& path, std::size_t i) {
  path += '[';
  path += std::to_string(i);
  path += ']';
}

}  // namespace detail

}  // namespace tessera::flyte

#endif
