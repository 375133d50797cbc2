// tessera — redis/detail/connection.hpp: one connection to a Redis server for
// `store::redis` (redis/store.hpp).
//
// The I/O is Boost.Asio's (TCP, or TLS through OpenSSL with certificate and host-name checks),
// driven synchronously on a private single-threaded io_context: every step starts an
// asynchronous operation and runs the context until it completes, so every step has a deadline
// (beast::tcp_stream's timer closes the socket when it passes). hiredis is only the RESP codec:
// `redisFormatCommandArgv` encodes a command (binary-safe), a `redisReader` parses the reply.
// hiredis's own networking is not used, because the hiredis of Debian 12 (0.14) has no TLS.
//
// One command at a time, no pipelining: a reply is complete when the reader yields it, and a
// connection that holds any unread byte after it is not reused. Replies are bounded
// (`max_reply_bytes`); a larger one is refused and the connection dropped.
#ifndef TESSERA_REDIS_DETAIL_CONNECTION_HPP
#define TESSERA_REDIS_DETAIL_CONNECTION_HPP

#include <tessera/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <new>
#include <optional>
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
  using tcp = boost::asio::ip::tcp;

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
    error_code ec;
    error_code ignored;
    error_code not_ip;
    boost::asio::ip::make_address(host, not_ip);
    const bool host_is_ip = !not_ip;
    tcp::resolver resolver(ioc_);
    boost::asio::steady_timer timer(ioc_);
    bool resolve_timed_out = false;
    tcp::resolver::results_type endpoints;
    timer.expires_after(timeout);
    timer.async_wait([&](error_code e) {
      if (!e) {
        resolve_timed_out = true;
        resolver.cancel();
      }
    });
    auto flags = host_is_ip ? tcp::resolver::numeric_host | tcp::resolver::numeric_service : tcp::resolver::numeric_service;
    resolver.async_resolve(host, std::to_string(port), flags, [&](error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      timer.cancel();
    });
    run();
    if (resolve_timed_out) return fail("resolving the host timed out", true);
    if (ec) return fail("resolving the host failed: " + ec.message());

    if (tls) tls_.emplace(ioc_, *tls);
    else plain_.emplace(ioc_);
    auto& t = tcp_layer();
    t.expires_after(timeout);
    t.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec == boost::beast::error::timeout) return fail("connecting timed out", true);
    if (ec) return fail("connecting failed: " + ec.message());
    t.socket().set_option(tcp::no_delay(true), ignored);
    t.socket().set_option(boost::asio::socket_base::keep_alive(true), ignored);

    if (tls_) {
      SSL* ssl = tls_->native_handle();
      error_code name_not_ip;
      boost::asio::ip::make_address(verify_name, name_not_ip);
      if (name_not_ip) SSL_set_tlsext_host_name(ssl, verify_name.c_str());  // SNI for names only (RFC 6066 §3)
      tls_->set_verify_mode(boost::asio::ssl::verify_peer);
      tls_->set_verify_callback([this, check = boost::asio::ssl::host_name_verification(verify_name)](
                                    bool preverified, boost::asio::ssl::verify_context& vc) {
        if (!preverified) {
          verify_error_ = X509_STORE_CTX_get_error(vc.native_handle());
          return false;
        }
        if (!check(preverified, vc)) {
          host_mismatch_ = true;
          return false;
        }
        return true;
      });
      t.expires_after(timeout);
      tls_->async_handshake(boost::asio::ssl::stream_base::client, [&](error_code e) { ec = e; });
      run();
      ERR_clear_error();
      if (ec) {
        if (host_mismatch_) return fail("TLS: the server's certificate is not for " + verify_name);
        if (verify_error_ != X509_V_OK)
          return fail(std::string("TLS: the server's certificate is not trusted: ") +
                      X509_verify_cert_error_string(verify_error_));
        if (ec == boost::beast::error::timeout) return fail("TLS handshake timed out", true);
        return fail("TLS handshake failed: " + ec.message());
      }
    }
    t.expires_never();
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

    error_code ec;
    std::size_t written = 0;
    auto& t = tcp_layer();
    t.expires_after(timeout);
    with_stream([&](auto& s) {
      boost::asio::async_write(s, boost::asio::buffer(cmd, static_cast<std::size_t>(len)), [&](error_code e, std::size_t n) {
        ec = e;
        written = n;
      });
    });
    run();
    sent = written == static_cast<std::size_t>(len);
    if (ec) return io_failure("writing", ec);

    std::size_t received = 0;
    void* raw = nullptr;
    for (;;) {
      if (redisReaderGetReply(reader_, &raw) != REDIS_OK) return protocol_failure(std::string("malformed reply: ") + reader_->errstr);
      if (raw) break;
      if (received > max_reply_bytes) return protocol_failure("reply larger than the limit");
      std::size_t n = 0;
      with_stream([&](auto& s) {
        s.async_read_some(boost::asio::buffer(buffer_), [&](error_code e, std::size_t k) {
          ec = e;
          n = k;
        });
      });
      run();
      if (ec) return io_failure("reading", ec);
      received += n;
      if (redisReaderFeed(reader_, buffer_.data(), n) != REDIS_OK) return protocol_failure("reply buffer failure");
    }
    t.expires_never();
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
  /// timeout) nor sent anything unasked: a non-blocking peek must find nothing to read.
  bool still_open() {
    if (!open_ || !reusable_) return false;
    auto& s = tcp_layer().socket();
    if (!s.is_open()) return false;
    error_code ec;
    s.non_blocking(true, ec);
    if (ec) return false;
    char c;
    s.receive(boost::asio::buffer(&c, 1), tcp::socket::message_peek, ec);
    error_code ignored;
    s.non_blocking(false, ignored);
    return ec == boost::asio::error::would_block;
  }

  void close() noexcept {
    error_code ignored;
    if (plain_ || tls_) {
      tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer().close();
    }
    open_ = false;
    reusable_ = false;
  }

 private:
  boost::beast::tcp_stream& tcp_layer() { return tls_ ? tls_->next_layer() : *plain_; }

  template <class F>
  void with_stream(F&& f) {
    if (tls_) f(*tls_);
    else f(*plain_);
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

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

  boost::asio::io_context ioc_{1};
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  redisReader* reader_;
  std::array<char, 16 * 1024> buffer_{};
  std::string last_error_;
  int verify_error_ = X509_V_OK;
  bool host_mismatch_ = false;
  bool open_ = false;
  bool reusable_ = false;
  bool timed_out_ = false;
};

}  // namespace tessera::store::detail

#endif
