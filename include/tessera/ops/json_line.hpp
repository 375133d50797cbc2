// tessera — ops/json_line.hpp: one log record as one line of JSON (RFC 8259), for log
// collectors that read a JSON object per line (Loki, Elasticsearch, Cloud Logging, ...).
//
//     ops::json_line line(std::chrono::system_clock::now(), "info", "listening");
//     line.field("url", "http://127.0.0.1:8088").field("threads", 2);
//     sink(line.str());   // {"time":"2024-05-01T12:00:00.123Z","level":"info","event":"listening",...}
//
// Contract:
//  * The result is always one valid JSON object with no raw newline, whatever the bytes given:
//    `"`, `\` and control characters are escaped, bytes that are not valid UTF-8 become U+FFFD.
//    A hostile value cannot end the line or the object early.
//  * `time` is RFC 3339 in UTC with milliseconds (`2024-05-01T12:00:00.123Z`).
//  * Field names are the caller's constants: printable ASCII without `"` and `\` (asserted),
//    written as they are.
//  * What goes in is the caller's choice: the access log (transport/access_log.hpp) and the
//    program logger (ops/logger.hpp) never pass headers, bodies, query strings or secrets.
//
// `log_format` is the choice an operator makes between this and the classic text lines.
#ifndef TESSERA_OPS_JSON_LINE_HPP
#define TESSERA_OPS_JSON_LINE_HPP

#include <tessera/config.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::ops {

/// How a program's log lines look: `text` (for people) or `json` (one object per line).
enum class log_format { text, json };

/// "text" or "json"; nullopt for anything else.
constexpr std::optional<log_format> parse_log_format(std::string_view s) noexcept {
  if (s == "text") return log_format::text;
  if (s == "json") return log_format::json;
  return std::nullopt;
}

constexpr std::string_view to_string(log_format f) noexcept { return f == log_format::json ? "json" : "text"; }

namespace detail {

/// Length of the valid UTF-8 sequence at the start of `s` (1-4), or 0 when it is not one
/// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
constexpr std::size_t utf8_sequence_length(std::string_view s) noexcept {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

}  // namespace detail

/// Appends `s` as a JSON string (with its quotes) to `out`.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t copied = 0;  // s[copied, i) is written as it is, in one append
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t n = detail::utf8_sequence_length(s.substr(i))) {
        i += n;
        continue;
      }
    }
    out.append(s.data() + copied, i - copied);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c >= 0x80) {
          out += "\\ufffd";  // not UTF-8
        } else {
          const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
          out.append(esc, sizeof esc);
        }
    }
    copied = ++i;
  }
  out.append(s.data() + copied, s.size() - copied);
  out += '"';
}

/// Appends `t` as RFC 3339 UTC with milliseconds: `2024-05-01T12:00:00.123Z` (years 0-9999).
inline void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t) {
  namespace chrono = std::chrono;
  const auto ms = chrono::floor<chrono::milliseconds>(t);
  const auto day = chrono::floor<chrono::days>(ms);
  const chrono::year_month_day ymd{day};
  const chrono::hh_mm_ss hms{ms - day};
  char buf[] = "0000-00-00T00:00:00.000Z";
  const auto put = [&](std::size_t at, unsigned value, int width) {
    for (int k = width - 1; k >= 0; --k, value /= 10)
      buf[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
  };
  const int year = static_cast<int>(ymd.year());
  put(0, static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  put(20, static_cast<unsigned>(hms.subseconds().count()), 3);
  out.append(buf, sizeof buf - 1);
}

/// A JSON object written field by field, starting with `time`, `level` and `event`.
class json_line {
 public:
  json_line(std::chrono::system_clock::time_point when, std::string_view level, std::string_view event) {
    out_.reserve(192);
    out_ += "{\"time\":\"";
    append_rfc3339(out_, when);
    out_ += '"';
    field("level", level);
    field("event", event);
  }

  json_line& field(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(out_, value);
    return *this;
  }
  /// A string field whose value the caller made safe already: printable ASCII without `"` and
  /// `\` (the access log's sanitized method and path, a checked request id). Written without a
  /// second scan; asserted in debug builds.
  json_line& safe_field(std::string_view name, std::string_view value) {
    TESSERA_ASSERT(is_plain(value));
    key(name);
    out_ += '"';
    out_ += value;
    out_ += '"';
    return *this;
  }
  json_line& field(std::string_view name, const char* value) { return field(name, std::string_view(value)); }
  json_line& field(std::string_view name, const std::string& value) { return field(name, std::string_view(value)); }
  json_line& field(std::string_view name, bool value) {
    key(name);
    out_ += value ? "true" : "false";
    return *this;
  }
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) json_line& field(std::string_view name, I value) {
    key(name);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, r.ptr);
    return *this;
  }

  /// The finished object, without a newline.
  std::string str() && {
    out_ += '}';
    return std::move(out_);
  }

 private:
  static constexpr bool is_plain(std::string_view s) noexcept {
    for (char c : s)
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
    return true;
  }
  void key(std::string_view name) {
    TESSERA_ASSERT(is_plain(name));
    out_ += ",\"";
    out_ += name;
    out_ += "\":";
  }
  std::string out_;
};

}  // namespace tessera::ops

#endif
