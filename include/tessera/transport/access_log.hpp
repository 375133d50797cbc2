// tessera — transport/access_log.hpp: one line per request, for operators.
//
// A line holds the peer, the method, the request *path*, the status, the response body size
// and the time from a complete request header to a written response:
//
//     127.0.0.1:50312 "POST /oauth2/token" 200 612 183us tls
//
// Never logged, by construction (the entry has no field for them): header fields (so no
// `Authorization`, no `Cookie`), the query string and fragment (codes and tokens travel there),
// and bodies. Bytes of the path that are not printable ASCII, and `"` and `\`, are written as
// `%XX`, so a crafted path cannot forge a log line; paths longer than 256 bytes are cut.
//
// The sink is any `void(std::string_view)` callable; the server calls it from several I/O
// threads at once, so it must be thread-safe. `stderr_sink` writes each line with one
// `fwrite` (stdio locks the stream per call). An empty sink turns logging off.
#ifndef TESSERA_TRANSPORT_ACCESS_LOG_HPP
#define TESSERA_TRANSPORT_ACCESS_LOG_HPP

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
};

namespace detail {
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
  for (char c : e.method) line += (c > 0x20 && c < 0x7f && c != '"') ? c : '?';
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
  return line;
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
