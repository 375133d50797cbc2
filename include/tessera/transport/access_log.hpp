// tessera — transport/access_log.hpp: one line per request, for operators.
//
// A line holds the peer, the method, the request *path*, the status, the response body size,
// the time from a complete request header to a written response, and the request id
// (transport/request_id.hpp) when there is one. Two formats (`access_log_format`):
//
//     127.0.0.1:50312 "POST /oauth2/token" 200 612 183us tls id=9f2c...
//     {"time":"2024-05-01T12:00:00.123Z","level":"info","event":"http_request","request_id":"9f2c...",
//      "method":"POST","path":"/oauth2/token","status":200,"bytes":612,"duration_us":183,
//      "peer":"127.0.0.1:50312","tls":true}
//
// A JSON line's level is `error` for a 5xx answer, else `info`.
//
// Never logged, by construction (the entry has no field for them): header fields (so no
// `Authorization`, no `Cookie`), the query string and fragment (codes and tokens travel there),
// and bodies. Bytes of the path that are not printable ASCII, and `"` and `\`, are written as
// `%XX`, so a crafted path cannot forge a log line; paths longer than 256 bytes are cut. The
// same rule holds in both formats (the JSON line escapes on top of it).
//
// The sink is any `void(std::string_view)` callable; the server calls it from several I/O
// threads at once, so it must be thread-safe. `stderr_sink` writes each line with one
// `fwrite` (stdio locks the stream per call). An empty sink turns logging off.
//
// The same entry goes to a `request_observer` (server_options::observer), for metrics
// (ops/http_metrics.hpp): it is the one point where the server knows a request is done.
#ifndef TESSERA_TRANSPORT_ACCESS_LOG_HPP
#define TESSERA_TRANSPORT_ACCESS_LOG_HPP

#include <tessera/ops/json_line.hpp>
#include <tessera/transport/request_id.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace tessera::transport {

/// Receives one formatted line, without the trailing newline.
using access_log_sink = std::function<void(std::string_view)>;

/// What the server knows about a finished request, minus everything secret.
struct access_log_entry {
  std::string_view peer_address{};
  std::uint16_t peer_port = 0;
  std::string_view method{};
  std::string_view target{};  // the raw target; only its path is written
  unsigned status = 0;
  std::size_t bytes = 0;    // response body bytes
  std::chrono::microseconds duration{};
  bool tls = false;
  std::string_view request_id{};  // safe by construction (request_id.hpp); empty: none
  std::string_view route{};       // the router's registered path that answered; empty: none
  std::size_t route_index = static_cast<std::size_t>(-1);  // its index (router::paths)
};

/// Receives every finished request's entry (metrics). Called on the I/O threads.
using request_observer = std::function<void(const access_log_entry&)>;

/// How access-log lines look.
using access_log_format = ops::log_format;

namespace detail {
// Printable ASCII but `"` and `\`; anything else as '?'. HTTP methods are tokens (RFC 9110
// §9.1), so a real one is never changed.
inline void append_log_method(std::string& out, std::string_view method) {
  for (char c : method) out += (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
}

inline void append_log_path(std::string& out, std::string_view target) {
  constexpr std::size_t max_path = 256;
  auto end = target.find_first_of("?#");
  auto path = end == std::string_view::npos ? target : target.substr(0, end);
  const bool cut = path.size() > max_path;
  if (cut) path = path.substr(0, max_path);
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : path) {
    if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (cut) out += "...";
}
}  // namespace detail

/// Formats `e` as one line (see the header comment), without a newline.
inline std::string format_access_log(const access_log_entry& e) {
  std::string line;
  line.reserve(96 + e.target.size());
  line += e.peer_address.empty() ? std::string_view{"-"} : e.peer_address;
  line += ':';
  line += std::to_string(e.peer_port);
  line += " \"";
  detail::append_log_method(line, e.method);
  line += ' ';
  detail::append_log_path(line, e.target);
  line += "\" ";
  line += std::to_string(e.status);
  line += ' ';
  line += std::to_string(e.bytes);
  line += ' ';
  line += std::to_string(e.duration.count());
  line += "us";
  if (e.tls) line += " tls";
  if (!e.request_id.empty()) {
    line += " id=";
    line += e.request_id;
  }
  return line;
}

/// Formats `e` as one JSON object (see the header comment), without a newline; `when` is the
/// line's `time`.
inline std::string format_access_log_json(const access_log_entry& e,
                                          std::chrono::system_clock::time_point when = std::chrono::system_clock::now()) {
  ops::json_line line(when, e.status >= 500 ? "error" : "info", "http_request");
  // The id is checked (request_id.hpp) and the method and path sanitized as in the text line:
  // printable ASCII without quotes or backslashes, JSON as they are.
  if (!e.request_id.empty()) {
    if (is_safe_request_id(e.request_id)) line.safe_field("request_id", e.request_id);
    else line.field("request_id", e.request_id);
  }
  std::string s;
  s.reserve(64);
  detail::append_log_method(s, e.method);
  line.safe_field("method", s);
  s.clear();
  detail::append_log_path(s, e.target);
  line.safe_field("path", s);
  line.field("status", e.status).field("bytes", e.bytes).field("duration_us", e.duration.count());
  const bool v6 = e.peer_address.find(':') != std::string_view::npos;
  s.assign(v6 ? "[" : "");
  s += e.peer_address.empty() ? std::string_view{"-"} : e.peer_address;
  s += v6 ? "]:" : ":";
  s += std::to_string(e.peer_port);
  line.field("peer", s).field("tls", e.tls);
  return std::move(line).str();
}

/// Formats `e` in format `f`.
inline std::string format_access_log(const access_log_entry& e, access_log_format f) {
  return f == access_log_format::json ? format_access_log_json(e) : format_access_log(e);
}

/// The default sink: the line and a newline to stderr, in one write.
inline void stderr_sink(std::string_view line) {
  std::string buf;
  buf.reserve(line.size() + 1);
  buf += line;
  buf += '\n';
  std::fwrite(buf.data(), 1, buf.size(), stderr);
}

}  // namespace tessera::transport

#endif
