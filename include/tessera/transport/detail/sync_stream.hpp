// tessera — transport/detail/sync_stream.hpp: a blocking client byte stream over TCP or TLS in
// which every step has a deadline. The HTTP client's connections (detail/client_connection.hpp)
// and the Redis store's (redis/detail/connection.hpp) are written on it; each keeps its own
// protocol, error causes and reuse rules.
//
// A stream has its own single-threaded io_context and is driven synchronously: each step
// starts an asynchronous operation and runs the context until it completes. The deadline of
// connecting and of the TLS handshake is beast::tcp_stream's timer, which closes the socket when
// it passes; reads and writes run under whatever `expires_after` the caller set last.
//
// Resolving a host name. The system resolver (getaddrinfo) cannot be interrupted, and Asio's
// asynchronous resolver only moves that blocking call to a thread of its own, whose completion
// the io_context still waits for: a timer that cancels it does not end the wait. So a name is
// looked up on a detached thread of its own, awaited at most `timeout`; when the deadline
// passes, the connect fails and the lookup finishes in the background, its answer dropped.
// Connects that want a name already being looked up wait for that lookup instead of starting
// another, so a resolver that hangs (a DNS outage) holds one thread per name, not one per
// attempt. An IP literal needs no lookup and is converted in place.
#ifndef TESSERA_TRANSPORT_DETAIL_SYNC_STREAM_HPP
#define TESSERA_TRANSPORT_DETAIL_SYNC_STREAM_HPP

#include <tessera/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace tessera::transport::detail {

class sync_stream {
 public:
  using error_code = boost::system::error_code;
  using tcp = boost::asio::ip::tcp;

  struct connect_options {
    /// TLS through this context; null: plain TCP.
    boost::asio::ssl::context* tls = nullptr;
    /// TLS: the name sent as SNI (unless it is an IP literal: RFC 6066 §3) and required in the
    /// server's certificate. Empty: the host connected to.
    std::string server_name{};
    /// TLS: verify the certificate chain against `tls`'s trust store, and its name.
    bool verify = true;
    /// Turn on TCP keep-alive probes (SO_KEEPALIVE).
    bool keep_alive = false;
  };

  sync_stream() = default;
  sync_stream(const sync_stream&) = delete;  // the TLS verify callback holds `this`
  sync_stream& operator=(const sync_stream&) = delete;
  ~sync_stream() { close(); }

  /// Resolves `host`, connects (TCP_NODELAY) and with `o.tls` runs the client handshake. Each
  /// of the three steps is bounded by `timeout`. Errors are tessera causes: timeout,
  /// connection_failed (resolving or connecting), host_name_mismatch, certificate_invalid,
  /// tls_failure; `failure()` then says which step failed and why. A failed connect leaves
  /// the stream closed.
  std::error_code connect(const std::string& host, unsigned short port, std::chrono::milliseconds timeout,
                          const connect_options& o) {
    close();
    plain_.reset();
    tls_.reset();
    failure_.clear();
    verify_error_ = X509_V_OK;
    host_mismatch_ = false;

    error_code ec;
    tcp::resolver::results_type endpoints;
    if (resolve(host, port, timeout, endpoints, ec)) return fail(tessera::error::timeout, "resolving the host timed out");
    if (ec) return fail(tessera::error::connection_failed, "resolving the host failed: " + ec.message());

    if (o.tls) tls_.emplace(ioc_, *o.tls);
    else plain_.emplace(ioc_);
    auto& t = tcp_layer();
    t.expires_after(timeout);
    t.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec == boost::beast::error::timeout) return fail(tessera::error::timeout, "connecting timed out");
    if (ec) return fail(tessera::error::connection_failed, "connecting failed: " + ec.message());
    error_code ignored;
    t.socket().set_option(tcp::no_delay(true), ignored);
    if (o.keep_alive) t.socket().set_option(boost::asio::socket_base::keep_alive(true), ignored);

    if (tls_) {
      const std::string& name = o.server_name.empty() ? host : o.server_name;
      error_code not_ip;
      boost::asio::ip::make_address(name, not_ip);
      if (not_ip) SSL_set_tlsext_host_name(tls_->native_handle(), name.c_str());
      if (o.verify) {
        tls_->set_verify_mode(boost::asio::ssl::verify_peer);
        tls_->set_verify_callback([this, check = boost::asio::ssl::host_name_verification(name)](
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
      } else {
        tls_->set_verify_mode(boost::asio::ssl::verify_none);
      }
      t.expires_after(timeout);
      tls_->async_handshake(boost::asio::ssl::stream_base::client, [&](error_code e) { ec = e; });
      run();
      ERR_clear_error();
      if (ec) {
        if (host_mismatch_)
          return fail(tessera::error::host_name_mismatch, "TLS: the server's certificate is not for " + name);
        if (verify_error_ != X509_V_OK)
          return fail(tessera::error::certificate_invalid,
                      std::string("TLS: the server's certificate is not trusted: ") +
                          X509_verify_cert_error_string(verify_error_));
        if (ec == boost::beast::error::timeout) return fail(tessera::error::timeout, "TLS handshake timed out");
        return fail(tessera::error::tls_failure, "TLS handshake failed: " + ec.message());
      }
    }
    t.expires_never();
    return {};
  }

  /// Why the last connect failed, for diagnostics (never contains a secret).
  const std::string& failure() const noexcept { return failure_; }

  /// The deadline of the reads and writes that follow: when it passes during one, the socket
  /// is closed and the operation fails with beast::error::timeout.
  void expires_after(std::chrono::milliseconds timeout) {
    if (connected()) tcp_layer().expires_after(timeout);
  }
  void expires_never() {
    if (connected()) tcp_layer().expires_never();
  }

  /// Runs one asynchronous operation on the stream, the TCP or the TLS one, to its end:
  /// `start(stream, handler)` starts it with `handler`, a `void(error_code, std::size_t)`
  /// completion. For composed operations (Beast's HTTP read and write); `transferred`, when
  /// given, receives the size the operation reported.
  template <class Start>
  error_code perform(Start&& start, std::size_t* transferred = nullptr) {
    if (!connected()) return boost::asio::error::not_connected;
    error_code ec;
    std::size_t n = 0;
    auto done = [&ec, &n](error_code e, std::size_t k) {
      ec = e;
      n = k;
    };
    if (tls_) start(*tls_, done);
    else start(*plain_, done);
    run();
    if (transferred) *transferred = n;
    return ec;
  }

  /// Writes all of `data`; `written` is how much left before a failure.
  error_code write(boost::asio::const_buffer data, std::size_t& written) {
    return perform([data](auto& s, auto done) { boost::asio::async_write(s, data, std::move(done)); }, &written);
  }

  /// Reads what is there, at least one byte, into `into`.
  error_code read_some(boost::asio::mutable_buffer into, std::size_t& read) {
    return perform([into](auto& s, auto done) { s.async_read_some(into, std::move(done)); }, &read);
  }

  /// Whether the peer has neither closed the connection nor sent anything: a non-blocking peek
  /// must find nothing to read. Callers ask before reusing an idle connection.
  bool still_open() {
    if (!connected()) return false;
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
    if (!connected()) return;
    error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_layer().close();
  }

 private:
  bool connected() const noexcept { return plain_ || tls_; }
  boost::beast::tcp_stream& tcp_layer() { return tls_ ? tls_->next_layer() : *plain_; }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  std::error_code fail(tessera::error cause, std::string why) {
    failure_ = std::move(why);
    close();
    return cause;
  }

  /// Resolves `host` into `out` (`ec` on failure). Returns true when `timeout` passed first.
  bool resolve(const std::string& host, unsigned short port, std::chrono::milliseconds timeout,
               tcp::resolver::results_type& out, error_code& ec) {
    const auto service = std::to_string(port);
    error_code not_ip;
    boost::asio::ip::make_address(host, not_ip);
    if (!not_ip) {  // a literal: getaddrinfo converts it without a lookup
      tcp::resolver r(ioc_);
      out = r.resolve(host, service, tcp::resolver::numeric_host | tcp::resolver::numeric_service, ec);
      return false;
    }
    std::shared_ptr<lookup> l;
    try {
      l = lookup::of(host, service);
    } catch (const std::system_error& e) {  // no thread to be had
      ec = error_code(e.code().value(), boost::system::generic_category());
      return false;
    }
    std::unique_lock lock(l->mutex);
    const auto finished = [&] { return l->done; };
    const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::time_point::max() -
                                                                            std::chrono::steady_clock::now());
    if (timeout < room) {
      if (!l->done_cv.wait_for(lock, timeout, finished)) return true;
    } else {
      l->done_cv.wait(lock, finished);
    }
    ec = l->ec;
    out = l->results;
    return false;
  }

  /// One getaddrinfo call on a detached thread, shared by the connects that want its answer.
  struct lookup {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;

    /// The lookup of `host`:`service` in flight, or a new one started.
    static std::shared_ptr<lookup> of(const std::string& host, const std::string& service) {
      auto& p = pending();
      auto key = host + ':' + service;
      std::lock_guard pending_lock(p.mutex);
      if (auto it = p.by_name.find(key); it != p.by_name.end()) return it->second;
      auto l = std::make_shared<lookup>();
      std::thread([l, host, service, key] {
        error_code e;
        tcp::resolver::results_type r;
        try {
          boost::asio::io_context ioc(1);
          tcp::resolver resolver(ioc);
          r = resolver.resolve(host, service, tcp::resolver::numeric_service, e);
        } catch (...) {
          e = boost::asio::error::no_memory;
        }
        {
          auto& q = pending();
          std::lock_guard done_lock(q.mutex);
          q.by_name.erase(key);
        }
        std::lock_guard lock(l->mutex);
        l->ec = e;
        l->results = std::move(r);
        l->done = true;
        l->done_cv.notify_all();
      }).detach();
      p.by_name.emplace(std::move(key), l);  // after the thread: if it cannot start, nothing is left pending
      return l;
    }

    /// The lookups in flight, by "host:service". Never destroyed: a lookup may end after the
    /// program's static objects are gone.
    struct in_flight {
      std::mutex mutex;
      std::map<std::string, std::shared_ptr<lookup>> by_name;
    };
    static in_flight& pending() {
      static auto* p = new in_flight;
      return *p;
    }
  };

  boost::asio::io_context ioc_{1};
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  std::string failure_;
  int verify_error_ = X509_V_OK;
  bool host_mismatch_ = false;
};

}  // namespace tessera::transport::detail

#endif
