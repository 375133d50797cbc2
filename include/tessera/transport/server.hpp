// tessera — transport/server.hpp: an asynchronous HTTP/1.1 server (Boost.Beast) that serves a
// `router` over a `server_transport` (`plain` TCP or `tls`).
//
//     tessera::transport::router routes;
//     routes.get("/healthz", [](const tessera::transport::request& req) {
//       return tessera::transport::make_response(req, boost::beast::http::status::ok, "ok\n");
//     });
//     tessera::transport::tls_server server{routes, {}, {.certificate_chain_file = "cert.pem",
//                                                         .private_key_file = "key.pem"}};
//     server.listen("0.0.0.0", 8443);
//     server.on_signal(SIGHUP, [&] { reload(); });   // optional: runs on the waiting thread
//     server.run_until_signal();            // SIGINT/SIGTERM: graceful stop
//
// Contract:
//  * Keep-alive and pipelining per RFC 9112 §9; responses go out in request order.
//  * Every bound in `server_limits` holds; crossing one answers 413/431/408 or closes the
//    connection (see limits.hpp) — never a crash, never unbounded memory. One peer address
//    holds at most `max_connections_per_address` connections (docs/security.md row 38).
//  * The transport's own answers (400, 404, 405, 408, 413, 431, 500) are JSON errors
//    (docs/security.md row 40); over TLS every response carries Strict-Transport-Security
//    (`tls::options::hsts`, docs/security.md row 39).
//  * Handlers run on the I/O threads (`server_options::threads`, default: hardware threads),
//    one request at a time per connection. By default each thread has its own connections
//    (`thread_scheduling::per_thread`): a slow handler delays the connections of its thread;
//    with `thread_scheduling::shared` it holds one thread while the others serve every other
//    connection. Handlers must be thread-safe and must not call `stop()`.
//  * One access-log line per answered request (access_log.hpp), text or JSON, and the same
//    entry to `server_options::observer` (metrics; ops/http_metrics.hpp).
//  * Every request gets an id (request_id.hpp): the client's safe `X-Request-Id`, else a new
//    one; handlers see it in `request_context::request_id`, every response echoes it in
//    `X-Request-Id`, the access log writes it.
//  * `stop()` closes the listening sockets, answers in-flight requests with
//    `Connection: close`, closes idle keep-alive connections at once, waits up to
//    `drain_timeout` for the rest, then closes them by force and joins the threads. A handler
//    still running is waited for: handlers must return.
//  * A server runs once: after `stop()` it cannot be restarted.
#ifndef TESSERA_TRANSPORT_SERVER_HPP
#define TESSERA_TRANSPORT_SERVER_HPP

#include <tessera/error.hpp>
#include <tessera/transport/access_log.hpp>
#include <tessera/transport/detail/server_state.hpp>
#include <tessera/transport/limits.hpp>
#include <tessera/transport/plain.hpp>
#include <tessera/transport/router.hpp>
#include <tessera/transport/server_transport.hpp>
#include <tessera/transport/tls.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace tessera::transport {

/// How the I/O threads share the connections (`server_options::scheduling`).
enum class thread_scheduling {
  /// Each I/O thread runs its own event loop; a connection is given to one of them when it is
  /// accepted (in turn) and stays there. The request path takes no lock shared with another
  /// thread and wakes no other thread. A handler that blocks delays the other connections of
  /// its thread (not those of the others). One more thread accepts connections and waits for
  /// signals, so a blocked handler never holds up accepting or stopping.
  per_thread,
  /// All threads run one event loop; a connection's steps run in order but on any thread, so a
  /// blocking handler holds one thread while the others serve every other connection. Costs a
  /// strand per connection and cross-thread wake-ups on the request path.
  shared,
};

struct server_options {
  /// I/O threads; 0 means `std::thread::hardware_concurrency()` (at least 1).
  unsigned threads = 0;
  /// See `thread_scheduling`.
  thread_scheduling scheduling = thread_scheduling::per_thread;
  server_limits limits{};
  /// Where access-log lines go; empty turns logging off.
  access_log_sink access_log = stderr_sink;
  /// Text lines or JSON objects.
  access_log_format log_format = access_log_format::text;
  /// Told of every answered request, on the I/O thread that answered it; must be thread-safe
  /// and cheap, and should not throw (what it throws is dropped). Empty: nobody.
  request_observer observer;
  /// How long `stop()` lets in-flight requests finish before closing them by force.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds{10}};
};

template <server_transport Transport>
class basic_server {
 public:
  using transport_type = Transport;
  using transport_options = typename Transport::options;
  using endpoint = boost::asio::ip::tcp::endpoint;

  /// Builds the server (threads are not started yet). The router is copied; TLS material is
  /// read here. Throws `tessera::system_error` when the transport cannot be configured.
  explicit basic_server(router routes, server_options options = {}, const transport_options& topts = {});
  /// As above; on failure `ec` is set and the server must not be used except to destroy it.
  basic_server(router routes, server_options options, const transport_options& topts, std::error_code& ec);

  /// Stops (as `stop()`) if still running. Must not run on one of the server's I/O threads.
  ~basic_server();

  basic_server(const basic_server&) = delete;
  basic_server& operator=(const basic_server&) = delete;

  /// Binds and listens on `ep` (port 0: an ephemeral port) and returns the bound endpoint.
  /// Accepting starts with `start()` (at once if already started). May be called several times.
  endpoint listen(const endpoint& ep, std::error_code& ec);
  endpoint listen(const endpoint& ep);
  /// `address` is an IPv4 or IPv6 literal; anything else is `error::url_invalid`.
  endpoint listen(std::string_view address, std::uint16_t port, std::error_code& ec);
  endpoint listen(std::string_view address, std::uint16_t port);

  /// Starts the I/O threads and accepting. Returns at once. Idempotent.
  void start();

  /// Graceful stop (see the header comment). Idempotent; safe from any thread but an I/O thread.
  void stop();

  /// Blocks until the server has stopped. If a signal registered with `stop_on_signals`
  /// arrives meanwhile, this thread runs the graceful `stop()`.
  void wait();

  /// Arms a handler for `signals` (SIGINT and SIGTERM by default); on return it is armed. The
  /// signal asks the thread in `wait()` to stop the server.
  void stop_on_signals(std::initializer_list<int> signals = {SIGINT, SIGTERM});

  /// Runs `f` each time `signal` arrives (SIGHUP, for a reload), on the thread in `wait()` —
  /// never on an I/O thread, so requests keep being served while it runs. Signals that arrive
  /// while `f` runs are folded into one more call. `f` must not throw. Call before `wait()`;
  /// once per signal number (a second call for the same signal replaces `f`).
  void on_signal(int signal, std::function<void()> f);

  /// `start()`, `stop_on_signals()`, `wait()`: the body of a server's `main`.
  void run_until_signal();

  /// Open connections now.
  std::size_t active_connections() const noexcept { return state_.active.load(); }
  /// Connections accepted since construction (including rejected ones).
  std::size_t accepted_connections() const noexcept { return state_.accepted.load(); }
  /// Connections closed at once because `max_connections` were open.
  std::size_t rejected_connections() const noexcept { return state_.rejected.load(); }
  /// Connections closed at once because `max_connections_per_address` were open from their
  /// address (docs/security.md row 38).
  std::size_t rejected_per_address_connections() const noexcept { return state_.rejected_per_address.load(); }
  /// Distinct peer addresses with an open connection (the size of the per-address table).
  std::size_t connected_addresses() const { return state_.per_address.size(); }
  /// True between `start()` and the moment `stop()` has closed the listening sockets.
  bool accepting() const noexcept { return accepting_.load(); }
  /// Number of I/O threads that serve connections (`per_thread` runs one more, which accepts).
  unsigned threads() const noexcept { return thread_count_; }

 private:
  struct listener;
  void accept(const std::shared_ptr<listener>& l);
  void start_session(boost::asio::ip::tcp::socket s);
  void close_listeners();

  server_options options_;
  detail::server_state state_;
  typename Transport::context_type transport_context_;
  unsigned thread_count_;
  // per_thread: iocs_[0] runs the listeners and the signal sets, iocs_[1..threads] serve
  // connections, one thread each. shared: iocs_[0] alone, run by every thread.
  std::vector<std::unique_ptr<boost::asio::io_context>> iocs_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::atomic<unsigned> next_ioc_{0};  // per_thread: the loop the next connection goes to
  boost::asio::io_context& main_ioc() noexcept { return *iocs_.front(); }
  boost::asio::any_io_executor next_connection_executor();
  void make_loops();
  std::vector<std::shared_ptr<listener>> listeners_;
  std::optional<boost::asio::signal_set> signals_;
  struct signal_action {
    int signal;
    std::function<void()> action;
    std::unique_ptr<boost::asio::signal_set> set;
    bool pending = false;  // guarded by mutex_
  };
  std::vector<signal_action> actions_;  // guarded by mutex_
  void arm(signal_action& a);
  std::vector<std::thread> threads_;

  std::mutex mutex_;                 // guards the flags below
  std::condition_variable changed_;  // signalled on stop and on a signal
  bool started_ = false;
  bool stopped_ = false;
  bool signal_received_ = false;
  std::mutex stop_mutex_;            // serialises stop()
  std::atomic<bool> accepting_{false};
};

/// HTTP over TCP.
using plain_server = basic_server<plain>;
/// HTTPS: HTTP over TLS 1.2+.
using tls_server = basic_server<tls>;

}  // namespace tessera::transport

// With TESSERA_SEPARATE_COMPILATION the two servers tessera ships are compiled once, by
// tessera/src.hpp; a server over a transport of your own needs the definitions in the file
// that uses it: include <tessera/transport/impl/server.hpp> there.
#ifndef TESSERA_SEPARATE_COMPILATION
#include <tessera/transport/impl/server.hpp>
#else
namespace tessera::transport {
extern template class basic_server<plain>;
extern template class basic_server<tls>;
}  // namespace tessera::transport
#endif

#endif
