// tessera — flyte/detail/yaml_reader.hpp
//
// What every Flyte configuration loader in tessera/flyte/ reads a value with: ASCII text
// helpers, Go's durations, and `yaml_reader`, the base of a loader that walks a yaml-cpp
// document and reports each failure as a `config_problem` (flyte/config_error.hpp) with the
// value's path and line, and each oddity as a warning:
//
//   * keys match Flyte's spelling without regard to case, as viper (flytectl, flyteadmin)
//     matches them; another spelling is kept with a warning; an unknown key fails, naming it,
//     its line, the keys expected and the likely intended one (`clientSecret` for
//     `client_secret`); a key given twice fails;
//   * strings (null = absent), booleans (true/false, yes/no, on/off, 1/0), lists of strings (or
//     one comma-separated string, as flytekit writes them), Go durations ("2m", "1h30m"; a bare
//     number is nanoseconds, as flytestdlib reads it, with a warning).
//
// Messages never quote a value from the input: a configuration may hold secrets.
#ifndef TESSERA_FLYTE_DETAIL_YAML_READER_HPP
#define TESSERA_FLYTE_DETAIL_YAML_READER_HPP

#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/flyte/config_error.hpp>

#include <openssl/crypto.h>

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::flyte {
namespace detail {

//------------------------------------------------------------------------------------------
// Small text helpers.

inline bool is_space_ascii(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline std::string_view trim_ascii(std::string_view s) noexcept {
  while (!s.empty() && is_space_ascii(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space_ascii(s.back())) s.remove_suffix(1);
  return s;
}
inline bool is_digit_ascii(char c) noexcept { return c >= '0' && c <= '9'; }

/// true/false, yes/no, on/off, 1/0 in any case (configparser's `getboolean`, YAML 1.1).
inline std::optional<bool> parse_config_bool(std::string_view s) noexcept {
  for (std::string_view t : {"true", "yes", "on", "1"})
    if (tessera::detail::iequals_ascii(s, t)) return true;
  for (std::string_view f : {"false", "no", "off", "0"})
    if (tessera::detail::iequals_ascii(s, f)) return false;
  return std::nullopt;
}
inline constexpr std::string_view bool_expected = "not a boolean: expected true or false (also yes/no, on/off, 1/0)";

/// flytekit's comma-separated list ("all,offline"), items trimmed, empty items dropped. A
/// Python list's text (`['all', 'offline']`, which old flyte-cli wrote into ~/.flyte/config) is
/// read as the list it shows.
inline std::vector<std::string> split_config_list(std::string_view s) {
  s = trim_ascii(s);
  const bool python_list = s.size() >= 2 && s.front() == '[' && s.back() == ']';
  if (python_list) s = s.substr(1, s.size() - 2);
  std::vector<std::string> out;
  while (true) {
    const auto comma = s.find(',');
    std::string_view item = trim_ascii(s.substr(0, comma));
    if (python_list && item.size() >= 2 && (item.front() == '\'' || item.front() == '"') && item.back() == item.front())
      item = item.substr(1, item.size() - 2);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

/// The detail of a parse error, reduced to the part that cannot carry input text: yaml-cpp
/// appends the offending character or value after a colon ("unknown escape character: x").
inline std::string safe_parser_message(std::string_view msg) {
  msg = msg.substr(0, msg.find(':'));
  std::string out;
  for (char c : msg.substr(0, 100))
    if (c >= 0x20 && c < 0x7f) out += c;
  return out;
}

/// Wipes a buffer that may have held a secret when it goes out of scope.
class wipe_on_exit {
 public:
  explicit wipe_on_exit(std::string& s) noexcept : s_(s) {}
  ~wipe_on_exit() {
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
  }
  wipe_on_exit(const wipe_on_exit&) = delete;
  wipe_on_exit& operator=(const wipe_on_exit&) = delete;

 private:
  std::string& s_;
};

inline std::string line_suffix(int line) { return line > 0 ? " (line " + std::to_string(line) + ")" : std::string(); }

//------------------------------------------------------------------------------------------
// Go durations (time.ParseDuration): [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".

inline bool parse_go_duration_ns(std::string_view s, std::int64_t& out) noexcept {
  constexpr std::uint64_t limit = std::uint64_t(1) << 63;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    out = 0;
    return true;
  }
  if (s.empty()) return false;
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s.front() == '.' || is_digit_ascii(s.front()))) return false;
    std::uint64_t v = 0;
    std::size_t pre = 0;
    for (; pre < s.size() && is_digit_ascii(s[pre]); ++pre) {
      if (v > limit / 10) return false;
      v = v * 10 + static_cast<std::uint64_t>(s[pre] - '0');
      if (v > limit) return false;
    }
    s.remove_prefix(pre);
    std::uint64_t f = 0;
    double scale = 1;
    std::size_t post = 0;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      for (; post < s.size() && is_digit_ascii(s[post]); ++post) {
        if (overflow) continue;
        if (f > (limit - 1) / 10) {
          overflow = true;  // Go ignores the digits it cannot hold
          continue;
        }
        f = f * 10 + static_cast<std::uint64_t>(s[post] - '0');
        scale *= 10;
      }
      s.remove_prefix(post);
    }
    if (pre == 0 && post == 0) return false;  // "." or ".s"
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit_ascii(s[u])) ++u;
    const std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    std::uint64_t unit = 0;
    if (unit_name == "ns") unit = 1;
    else if (unit_name == "us" || unit_name == "\xc2\xb5s" || unit_name == "\xce\xbcs") unit = 1000;
    else if (unit_name == "ms") unit = 1000 * 1000;
    else if (unit_name == "s") unit = 1000 * 1000 * 1000;
    else if (unit_name == "m") unit = 60ULL * 1000 * 1000 * 1000;
    else if (unit_name == "h") unit = 3600ULL * 1000 * 1000 * 1000;
    else return false;  // missing or unknown unit
    if (v > limit / unit) return false;
    v *= unit;
    if (f > 0) {
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > limit) return false;
    }
    total += v;
    if (total > limit) return false;
  }
  if (negative) {
    out = total == limit ? INT64_MIN : -static_cast<std::int64_t>(total);
    return true;
  }
  if (total > limit - 1) return false;
  out = static_cast<std::int64_t>(total);
  return true;
}

}  // namespace detail

/// Go duration strings: "2m", "5s", "1h30m", "300ms", "1.5s", "-1m", "0" (Go's
/// `time.ParseDuration`; units ns, us, µs, ms, s, m, h), truncated to milliseconds. Anything
/// else, or more than Go's 292 years: `ec` = `config_value_invalid` and 0.
inline std::chrono::milliseconds parse_go_duration(std::string_view s, std::error_code& ec) {
  ec.clear();
  std::int64_t ns = 0;
  if (!detail::parse_go_duration_ns(s, ns)) {
    ec = error::config_value_invalid;
    return {};
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
}

namespace detail {

//------------------------------------------------------------------------------------------
// What the file and the environment say, before defaults; each value with where it was said.

struct config_origin {
  std::string path;      // "admin.endpoint", "platform.url", "FLYTE_PLATFORM_URL"
  int line = 0;          // 1-based line in the file; 0: not in the file
  bool in_file = false;  // the value is from the config file (not the environment)
};

template <class T>
struct config_given {
  std::optional<T> value;
  config_origin origin;
  void set(T v, config_origin o) {
    value = std::move(v);
    origin = std::move(o);
  }
  explicit operator bool() const noexcept { return value.has_value(); }
};
//------------------------------------------------------------------------------------------
// The base of a YAML loader.

class yaml_reader {
 protected:
  /// `case_note` ends the warning for a key spelt in another case than Flyte's.
  yaml_reader(config_problem& problem, std::vector<std::string>& warnings, std::string_view case_note)
      : problem_(problem), warnings_(warnings), case_note_(case_note) {}

  //---------------------------------------------------------------------------------------
  // Failures and warnings.

  bool fail(error e, const config_origin& o, std::string detail) {
    problem_.code = e;
    problem_.file = o.in_file ? file_.string() : std::string();
    problem_.path = o.path;
    problem_.detail = std::move(detail) + line_suffix(o.line);
    return false;
  }
  void warn(const config_origin& o, std::string_view what) {
    std::string w = o.path;
    if (o.line > 0) w += " (line " + std::to_string(o.line) + ")";
    w += ": ";
    w += what;
    warnings_.push_back(std::move(w));
  }

  static int line_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
  }
  config_origin yaml_origin(const std::string& path, const YAML::Node& at) const { return {path, line_of(at), true}; }

  /// The keys of a mapping, each matched against `known` ignoring case; unknown keys and keys
  /// given twice fail; `on_key(index, origin, value)` handles the rest.
  template <std::size_t N, class OnKey>
  bool read_mapping(const YAML::Node& map, const std::string& path, const std::array<std::string_view, N>& known,
                    OnKey on_key) {
    std::array<bool, N> seen{};
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar())
        return fail(error::config_type_mismatch, yaml_origin(path, key), "has a key that is not a string");
      const std::string& name = key.Scalar();
      std::string key_path = path;
      append_member(key_path, name);
      const config_origin o = yaml_origin(key_path, key);
      std::size_t index = N;
      for (std::size_t i = 0; i < N; ++i)
        if (tessera::detail::iequals_ascii(name, known[i])) index = i;
      if (index == N) {
        std::string expected;
        for (auto k : known) {
          if (!expected.empty()) expected += ", ";
          expected += k;
        }
        const auto intended = likely_key(name, known);
        config_origin at = o;
        at.line = 0;  // named before the long list, not after it
        return fail(error::config_member_unknown, at,
                    "unknown key" + (o.line > 0 ? " at line " + std::to_string(o.line) : std::string()) +
                        (intended.empty() ? std::string() : " (did you mean " + std::string(intended) + "?)") +
                        "; expected one of: " + expected);
      }
      if (seen[index]) return fail(error::config_value_invalid, o, "key given twice");
      seen[index] = true;
      if (name != known[index]) {
        std::string path_known = path;
        append_member(path_known, known[index]);
        warn(o, "Flyte spells it " + path_known + std::string(case_note_));
      }
      if (!on_key(index, o, it->second)) return false;
    }
    return true;
  }

  /// `client_secret` for `clientSecret`, ignoring case, '_' and '-'.
  template <std::size_t N>
  static std::string_view likely_key(std::string_view name, const std::array<std::string_view, N>& known) {
    auto fold = [](std::string_view s) {
      std::string out;
      for (char c : s.substr(0, 64))
        if (c != '_' && c != '-') out += tessera::detail::to_lower_ascii(c);
      return out;
    };
    const std::string f = fold(name);
    for (auto k : known)
      if (fold(k) == f) return k;
    return {};
  }

  bool yaml_string(const YAML::Node& v, const config_origin& o, config_given<std::string>& out) {
    if (v.IsNull()) return true;
    if (!v.IsScalar()) return fail(error::config_type_mismatch, o, "not a string");
    out.set(v.Scalar(), o);
    return true;
  }
  bool yaml_bool(const YAML::Node& v, const config_origin& o, config_given<bool>* out) {
    if (v.IsNull()) return true;
    if (!v.IsScalar()) return fail(error::config_type_mismatch, o, std::string(bool_expected));
    auto b = parse_config_bool(v.Scalar());
    if (!b) return fail(error::config_type_mismatch, o, std::string(bool_expected));
    if (out) out->set(*b, o);
    return true;
  }
  bool yaml_list(const YAML::Node& v, const config_origin& o, config_given<std::vector<std::string>>& out) {
    if (v.IsNull()) return true;
    if (v.IsScalar()) {  // flytekit: one comma-separated string
      out.set(split_config_list(v.Scalar()), o);
      return true;
    }
    if (!v.IsSequence()) return fail(error::config_type_mismatch, o, "not a list of strings");
    std::vector<std::string> items;
    std::size_t i = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++i) {
      if (!it->IsScalar()) {
        config_origin io = yaml_origin(o.path, *it);
        append_index(io.path, i);
        return fail(error::config_type_mismatch, io, "not a string");
      }
      items.push_back(it->Scalar());
    }
    out.set(std::move(items), o);
    return true;
  }

  enum class duration_rule { any_nonnegative, positive };
  bool yaml_duration(const YAML::Node& v, const config_origin& o, config_given<std::chrono::milliseconds>* out,
                     duration_rule rule) {
    if (v.IsNull()) return true;
    if (!v.IsScalar()) return fail(error::config_type_mismatch, o, "not a duration such as 2m, 30s or 1h30m");
    const std::string& s = v.Scalar();
    std::chrono::milliseconds d{0};
    if (v.Tag() == "?" && is_plain_number(s)) {
      // flytestdlib's config.Duration reads a JSON number as nanoseconds.
      double ns = 0;
      auto r = std::from_chars(s.data() + (s.front() == '+' ? 1 : 0), s.data() + s.size(), ns);
      if (r.ec != std::errc() || !(ns > -9.2e18 && ns < 9.2e18))
        return fail(error::config_value_invalid, o, "a number of nanoseconds out of range");
      d = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
      if (ns != 0) warn(o, "a bare number is nanoseconds, as Flyte reads it; write a unit (for example 30s)");
    } else if (!s.empty()) {  // "": 0, as flytestdlib reads an empty string
      std::error_code ec;
      d = parse_go_duration(s, ec);
      if (ec) return fail(error::config_value_invalid, o, "not a Go duration such as 2m, 30s, 1h30m or 300ms");
    }
    if (d.count() < 0) return fail(error::config_value_invalid, o, "negative duration");
    if (rule == duration_rule::positive && d.count() == 0)
      return fail(error::config_value_invalid, o, "must be at least 1ms");
    if (out) out->set(d, o);
    return true;
  }
  static bool is_plain_number(std::string_view s) {
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    bool digits = false, dot = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (is_digit_ascii(c)) {
        digits = true;
      } else if (c == '.' && !dot) {
        dot = true;
      } else if ((c == 'e' || c == 'E') && digits) {
        std::string_view exp = s.substr(i + 1);
        if (!exp.empty() && (exp.front() == '-' || exp.front() == '+')) exp.remove_prefix(1);
        if (exp.empty()) return false;
        for (char x : exp)
          if (!is_digit_ascii(x)) return false;
        return true;
      } else {
        return false;
      }
    }
    return digits;
  }

  config_problem& problem_;
  std::vector<std::string>& warnings_;
  std::filesystem::path file_;  // the file being read (named in failures of values from it)
  std::string_view case_note_;
};

}  // namespace detail
}  // namespace tessera::flyte

#endif
