// tessera — redis/detail/connection.hpp: one connection to a Redis server for
// `store::redis` (redis/store.hpp).
//
// The I/O is a transport::detail::sync_stream (transport/detail/sync_stream.hpp): Boost.Asio,
// TCP or TLS through OpenSSL with certificate and host-name checks, driven synchronously, every
// step with a deadline (resolving the host name included). hiredis is only the RESP codec:
// `redisFormatCommandArgv` encodes a command (binary-safe), a `redisReader` parses the reply.
// hiredis's own networking is not used, because the hiredis of Debian 12 (0.14) has no TLS.
//
// One command at a time, no pipelining: a reply is complete when the reader yields it, and a
// connection that holds any unread byte after it is not reused. Replies are bounded
// (`max_reply_bytes`); a larger one is refused and the connection dropped.
#ifndef TESSERA_REDIS_DETAIL_CONNECTION_HPP
#define TESSERA_REDIS_DETAIL_CONNECTION_HPP

#include <tessera/error.hpp>
#include <tessera/transport/detail/sync_stream.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::store::detail {

/// A reply, copied out of hiredis's reply tree (RESP2 types: hiredis's REDIS_REPLY_* values).
struct redis_reply {
  int type = REDIS_REPLY_NIL;
  long long integer = 0;
  std::string str;                    // string, status and error replies
  std::vector<redis_reply> elements;  // array replies

  bool is_error() const noexcept { return type == REDIS_REPLY_ERROR; }
  bool is_nil() const noexcept { return type == REDIS_REPLY_NIL; }
  bool is_string() const noexcept { return type == REDIS_REPLY_STRING; }
  bool is_array() const noexcept { return type == REDIS_REPLY_ARRAY; }
  bool is_integer() const noexcept { return type == REDIS_REPLY_INTEGER; }
};

class redis_connection {
  using error_code = boost::system::error_code;

 public:
  /// The largest reply accepted, in bytes of the wire encoding.
  static constexpr std::size_t max_reply_bytes = 1024 * 1024;

  redis_connection() : reader_(redisReaderCreate()) {
    if (!reader_) throw std::bad_alloc();
  }
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;
  ~redis_connection() {
    close();
    redisReaderFree(reader_);
  }

  /// Resolves `host`, connects, and with `tls` runs the handshake, verifying the server's
  /// certificate against `tls`'s trust store and its name against `verify_name`. Every step is
  /// bounded by `timeout`. Any failure is `error::store_unavailable`; `last_error()` says why.
  std::error_code connect(const std::string& host, unsigned short port, boost::asio::ssl::context* tls,
                          const std::string& verify_name, std::chrono::milliseconds timeout) {
    if (auto ec = stream_.connect(host, port, timeout, {.tls = tls, .server_name = verify_name, .keep_alive = true}))
      return fail(stream_.failure(), ec == tessera::error::timeout);
    open_ = true;
    reusable_ = true;
    return {};
  }

  /// Sends one command and reads its reply into `out` (an error reply is a reply, not a
  /// failure). `sent` tells whether the whole command left this host: when it did not, the
  /// server cannot have executed it (Redis runs only complete commands, and the connection is
  /// dropped with its partial bytes). Failures: `error::store_unavailable` (I/O, timeout:
  /// `timed_out()`), `error::store_failure` (a malformed or oversized reply).
  std::error_code exec(std::span<const std::string_view> argv, redis_reply& out, std::chrono::milliseconds timeout,
                       bool& sent) {
    sent = false;
    timed_out_ = false;
    reusable_ = false;
    if (!open_) return fail("not connected");
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    args.reserve(argv.size());
    lens.reserve(argv.size());
    for (auto a : argv) {
      args.push_back(a.data() ? a.data() : "");
      lens.push_back(a.size());
    }
    char* cmd = nullptr;
    int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), args.data(), lens.data());
    if (len < 0 || !cmd) throw std::bad_alloc();
    struct freer {
      char* p;
      ~freer() { redisFreeCommand(p); }
    } guard{cmd};

    std::size_t written = 0;
    stream_.expires_after(timeout);
    error_code ec = stream_.write(boost::asio::buffer(cmd, static_cast<std::size_t>(len)), written);
    sent = written == static_cast<std::size_t>(len);
    if (ec) return io_failure("writing", ec);

    std::size_t received = 0;
    void* raw = nullptr;
    for (;;) {
      if (redisReaderGetReply(reader_, &raw) != REDIS_OK) return protocol_failure(std::string("malformed reply: ") + reader_->errstr);
      if (raw) break;
      if (received > max_reply_bytes) return protocol_failure("reply larger than the limit");
      std::size_t n = 0;
      ec = stream_.read_some(boost::asio::buffer(buffer_), n);
      if (ec) return io_failure("reading", ec);
      received += n;
      if (redisReaderFeed(reader_, buffer_.data(), n) != REDIS_OK) return protocol_failure("reply buffer failure");
    }
    stream_.expires_never();
    auto* reply = static_cast<redisReply*>(raw);
    out = copy(reply);
    freeReplyObject(reply);
    // Anything left unread (a reply nobody asked for) makes the connection unusable.
    reusable_ = reader_->pos >= reader_->len || reader_->len == 0;
    return {};
  }

  /// Whether the last exec left the connection fit for another command.
  bool reusable() const noexcept { return open_ && reusable_; }
  /// Whether the last failure was a deadline.
  bool timed_out() const noexcept { return timed_out_; }
  /// What went wrong last, for diagnostics (never contains a secret).
  const std::string& last_error() const noexcept { return last_error_; }

  /// An idle connection is reused only if the server has neither closed it (a restart, an idle
  /// timeout) nor sent anything unasked.
  bool still_open() { return open_ && reusable_ && stream_.still_open(); }

  void close() noexcept {
    stream_.close();
    open_ = false;
    reusable_ = false;
  }

 private:
  std::error_code fail(std::string why, bool timeout = false) {
    last_error_ = std::move(why);
    timed_out_ = timeout;
    close();
    return tessera::error::store_unavailable;
  }
  std::error_code io_failure(const char* what, error_code ec) {
    const bool timeout = ec == boost::beast::error::timeout;
    return fail(std::string(what) + (timeout ? " timed out" : " failed: " + ec.message()), timeout);
  }
  std::error_code protocol_failure(std::string why) {
    last_error_ = std::move(why);
    close();
    return tessera::error::store_failure;
  }

  static redis_reply copy(const redisReply* r) {
    redis_reply out;
    out.type = r->type;
    switch (r->type) {
      case REDIS_REPLY_INTEGER: out.integer = r->integer; break;
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
      case REDIS_REPLY_ERROR: out.str.assign(r->str, r->len); break;
      case REDIS_REPLY_ARRAY:
        out.elements.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy(r->element[i]));
        break;
      default: break;
    }
    return out;
  }

  transport::detail::sync_stream stream_;
  redisReader* reader_;
  std::array<char, 16 * 1024> buffer_{};
  std::string last_error_;
  bool open_ = false;
  bool reusable_ = false;
  bool timed_out_ = false;
};

}  // namespace tessera::store::detail

#endif
