// tessera — transport/loopback_listener.hpp: the one-shot HTTP listener a native app's login
// returns to (RFC 8252 §7.3): the browser is redirected to `http://localhost:53593/callback?...`
// and this answers it.
//
//     std::error_code ec;
//     transport::loopback_listener l("http://127.0.0.1:0/callback", ec);   // any free port
//     // ... send the person to the authorization URL with redirect_uri = l.redirect_uri() ...
//     l.serve(std::chrono::minutes(2), [](const request& req, response& res) {
//       res = make_response(req, status::ok, "<p>You may close this window.</p>", "text/html");
//       return true;                                                    // done
//     }, ec);                                                           // ec = timeout: nobody came
//
// Contract:
//  * Only loopback: the host must be `127.0.0.1`, `[::1]` or `localhost` (then both 127.0.0.1
//    and ::1 are bound where available, as a browser may try either). Anything else is
//    `url_invalid`; a port already taken is the bind error (`address_in_use`).
//  * Port 0 binds any free port (for the IP literals only: a `localhost` redirect must be
//    registered with its port); `redirect_uri()` then names the real one.
//  * `serve` runs on the calling thread. Requests for the redirect's path go to `handle`, which
//    fills the response and says whether the wait is over; other paths are answered 404 and do
//    not end it. Connections are served one request each (`Connection: close`); a connection
//    that sends no complete request within 10 s, or a request over 16 KiB, is dropped, at most
//    64 are open at once, and accept errors (out of descriptors) do not stop the listening — a
//    browser's idle speculative connections or a local flood cannot hold the listener up.
//    Its sockets are close-on-exec: a browser started meanwhile does not inherit the port.
//  * `serve` returns when `handle` says done (after the answer is written), or with
//    `error::timeout` when `timeout` passes first.
#ifndef TESSERA_TRANSPORT_LOOPBACK_LISTENER_HPP
#define TESSERA_TRANSPORT_LOOPBACK_LISTENER_HPP

#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/transport/message.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>

namespace tessera::transport {

class loopback_listener {
 public:
  using handler = std::function<bool(const request&, response&)>;

  loopback_listener(std::string_view redirect_uri, std::error_code& ec) {
    ec = {};
    auto u = boost::urls::parse_absolute_uri(redirect_uri);
    if (!u || u->scheme() != "http" || u->has_userinfo() || u->has_fragment()) {
      ec = error::url_invalid;
      return;
    }
    namespace ip = boost::asio::ip;
    std::vector<ip::address> addresses;
    const bool named = u->host_type() == boost::urls::host_type::name &&
                       tessera::detail::iequals_ascii(u->encoded_host(), "localhost");
    if (named) {
      addresses = {ip::make_address("127.0.0.1"), ip::make_address("::1")};
    } else if (u->host_type() == boost::urls::host_type::ipv4 && u->host_ipv4_address().is_loopback()) {
      addresses = {ip::make_address_v4(u->host_ipv4_address().to_bytes())};
    } else if (u->host_type() == boost::urls::host_type::ipv6 && u->host_ipv6_address().is_loopback()) {
      addresses = {ip::make_address_v6(u->host_ipv6_address().to_bytes())};
    } else {
      ec = error::url_invalid;
      return;
    }
    unsigned port = 0;
    if (u->has_port()) {
      if (u->port_number() == 0 && u->port() != "0") {
        ec = error::url_invalid;
        return;
      }
      port = u->port_number();
    } else {
      port = 80;
    }
    if (port == 0 && named) {  // a name's redirect is registered with its port
      ec = error::url_invalid;
      return;
    }
    path_ = u->encoded_path().empty() ? std::string("/") : std::string(u->encoded_path());
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      auto a = std::make_unique<ip::tcp::acceptor>(ioc_);
      boost::system::error_code bec;
      ip::tcp::endpoint ep(addresses[i], static_cast<unsigned short>(port));
      a->open(ep.protocol(), bec);
      if (!bec && ep.address().is_v6()) a->set_option(ip::v6_only(true), bec);
      if (!bec) a->set_option(ip::tcp::acceptor::reuse_address(true), bec);
      if (!bec) a->bind(ep, bec);
      if (!bec) a->listen(16, bec);
      if (bec) {
        // ::1 may be missing (IPv6 off, no such address); the first address must work, and a
        // port another program holds on ::1 is an error: that program would get the redirect.
        if (i == 0 || (bec != boost::asio::error::address_family_not_supported &&
                       bec != boost::system::errc::address_not_available)) {
          ec = bec;
          return;
        }
        continue;
      }
      close_on_exec(a->native_handle());  // a browser started from here must not inherit it
      if (port == 0) port = a->local_endpoint().port();
      acceptors_.push_back(std::move(a));
    }
    boost::urls::url out(*u);
    out.set_port_number(static_cast<std::uint16_t>(port));
    redirect_uri_ = std::string(out.buffer());
  }

  loopback_listener(const loopback_listener&) = delete;
  loopback_listener& operator=(const loopback_listener&) = delete;

  /// The redirect URI, with the port actually bound.
  const std::string& redirect_uri() const noexcept { return redirect_uri_; }
  /// The path requests must have to reach `handle`.
  const std::string& path() const noexcept { return path_; }

  void serve(std::chrono::milliseconds timeout, const handler& handle, std::error_code& ec) {
    ec = {};
    done_ = false;
    handler_ = handle;
    for (auto& a : acceptors_) accept(*a);
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done_) {
      ec = error::timeout;
      // Drop whatever is still open; the next serve starts clean.
      for (auto& a : acceptors_) {
        boost::system::error_code ignored;
        a->cancel(ignored);
      }
      ioc_.restart();
      ioc_.poll();
    }
  }

 private:
  struct connection {
    connection(boost::asio::ip::tcp::socket s, std::size_t& count) : stream(std::move(s)), open(count) {}
    ~connection() { --open; }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    boost::beast::tcp_stream stream;
    std::size_t& open;
    boost::beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    response res;
  };

  static void close_on_exec(int fd) noexcept {
    if (const int flags = ::fcntl(fd, F_GETFD); flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }

  void accept(boost::asio::ip::tcp::acceptor& a) {
    a.async_accept([this, &a](boost::system::error_code bec, boost::asio::ip::tcp::socket s) {
      if (done_ || bec == boost::asio::error::operation_aborted) return;
      if (bec) {
        // Out of descriptors (a local flood) or a connection reset before accept: keep listening,
        // after a pause so a persistent error does not spin.
        auto t = std::make_shared<boost::asio::steady_timer>(ioc_, std::chrono::milliseconds(50));
        t->async_wait([this, &a, t](boost::system::error_code) {
          if (!done_) accept(a);
        });
        return;
      }
      close_on_exec(s.native_handle());
      if (open_ >= max_connections) {  // each lives at most 10 s; beyond the cap, new ones are dropped
        boost::system::error_code ignored;
        s.close(ignored);
        accept(a);
        return;
      }
      ++open_;
      auto c = std::make_shared<connection>(std::move(s), open_);
      c->parser.header_limit(16 * 1024);
      c->parser.body_limit(16 * 1024);
      c->stream.expires_after(std::chrono::seconds(10));
      http::async_read(c->stream, c->buffer, c->parser, [this, c](boost::system::error_code rec, std::size_t) {
        if (rec || done_) return;
        const request& req = c->parser.get();
        bool finished = false;
        if (target_path(req.target()) == path_) {
          finished = handler_(req, c->res);
        } else {
          c->res = make_response(req, http::status::not_found, "not found\n", "text/plain");
        }
        c->res.keep_alive(false);
        c->res.prepare_payload();
        c->stream.expires_after(std::chrono::seconds(10));
        http::async_write(c->stream, c->res, [this, c, finished](boost::system::error_code, std::size_t) {
          boost::system::error_code ignored;
          c->stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
          if (finished) {
            done_ = true;
            ioc_.stop();
          }
        });
      });
      accept(a);
    });
  }

  std::size_t open_ = 0;  // before ioc_: the connections its destructor drops still count down
  boost::asio::io_context ioc_{1};
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::string path_;
  std::string redirect_uri_;
  handler handler_;
  bool done_ = false;
  static constexpr std::size_t max_connections = 64;
};

}  // namespace tessera::transport

#endif
