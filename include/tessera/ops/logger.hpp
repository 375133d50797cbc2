// tessera — ops/logger.hpp: a program's own messages ("listening on", "stopped", errors) in
// the format its operator chose, so that a log collector reading JSON lines gets every line of
// the program as JSON, not only the access log.
//
//     ops::logger log("tessera-server", ops::log_format::json);
//     log.info("listening", "listening on http://127.0.0.1:8088", {{"url", "http://127.0.0.1:8088"}});
//     // text: tessera-server: listening on http://127.0.0.1:8088
//     // json: {"time":"...","level":"info","event":"listening","message":"listening on ...","url":"..."}
//
// Text lines are `<program>: <message>` (`<program>: warning: <message>` for warnings), as
// tessera-server always wrote them. Each line goes to the sink whole, in one call; the default
// sink writes it and a newline to stderr with one `fwrite`, so lines from several threads do
// not interleave. Messages are the program's words: never put a secret, a token or a request's
// query string in one.
#ifndef TESSERA_OPS_LOGGER_HPP
#define TESSERA_OPS_LOGGER_HPP

#include <tessera/ops/json_line.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::ops {

/// Receives one finished line, without its newline.
using log_sink = std::function<void(std::string_view)>;

/// The line and a newline to stderr, in one write.
inline void stderr_line(std::string_view line) {
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line).push_back('\n');
  std::fwrite(buf.data(), 1, buf.size(), stderr);
  std::fflush(stderr);
}

/// A named string value of a log record (JSON only; text lines carry the message alone).
struct log_field {
  std::string_view name;
  std::string_view value;
};

class logger {
 public:
  explicit logger(std::string program, log_format format = log_format::text, log_sink sink = stderr_line)
      : program_(std::move(program)), format_(format), sink_(std::move(sink)) {}

  log_format format() const noexcept { return format_; }

  void info(std::string_view event, std::string_view message, std::initializer_list<log_field> fields = {}) const {
    write("info", event, message, fields);
  }
  void warn(std::string_view event, std::string_view message, std::initializer_list<log_field> fields = {}) const {
    write("warn", event, message, fields);
  }
  void error(std::string_view event, std::string_view message, std::initializer_list<log_field> fields = {}) const {
    write("error", event, message, fields);
  }

  /// The line `info`, `warn` or `error` would write, without writing it.
  std::string format_line(std::string_view level, std::string_view event, std::string_view message,
                          std::initializer_list<log_field> fields = {}) const {
    if (format_ == log_format::text) {
      std::string line = program_;
      line += ": ";
      if (level == "warn") line += "warning: ";
      line += message;
      return line;
    }
    json_line line(std::chrono::system_clock::now(), level, event);
    line.field("program", program_).field("message", message);
    for (const auto& f : fields) line.field(f.name, f.value);
    return std::move(line).str();
  }

 private:
  void write(std::string_view level, std::string_view event, std::string_view message,
             std::initializer_list<log_field> fields) const {
    if (sink_) sink_(format_line(level, event, message, fields));
  }

  std::string program_;
  log_format format_;
  log_sink sink_;
};

}  // namespace tessera::ops

#endif
