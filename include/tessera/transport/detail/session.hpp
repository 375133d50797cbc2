// tessera — transport/detail/session.hpp: one server connection, from handshake to close.
//
// Phases: first byte (a new connection must send something within `first_byte_timeout`, or is
// closed silently; docs/security.md row 38) → handshake → idle (waiting for a request's first byte) → reading (header, then body)
// → handling (the router, synchronously, on this connection's executor: its thread's loop, or a strand) → writing → idle again
// or closing. Reads are bounded by `deadline_`, a timer that *cancels* the read (so the
// session can still answer 408); writes by the tcp_stream's own timeout, which closes the
// socket. Closing is lingering: shut down our side, then read and discard for a short while,
// so that unread request bytes do not turn into a TCP RST that destroys our last response.
#ifndef TESSERA_TRANSPORT_DETAIL_SESSION_HPP
#define TESSERA_TRANSPORT_DETAIL_SESSION_HPP

#include <tessera/transport/detail/server_state.hpp>
#include <tessera/transport/detail/server_stream.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace tessera::transport::detail {

// One class for every transport: the stream is erased (server_stream.hpp), so the HTTP
// machinery is compiled once per program — where a server is used in the header-only default,
// once in tessera/src.hpp with TESSERA_SEPARATE_COMPILATION (definitions:
// transport/impl/session.hpp). A template only so that a file which includes the transport but
// runs no server does not compile it; `Stream` is always `server_stream` (`session`).
template <class Stream>
class basic_session final : public session_base, public std::enable_shared_from_this<basic_session<Stream>> {
  using clock = std::chrono::steady_clock;
  using error_code = boost::system::error_code;
  enum class phase { handshake, idle, reading, handling, writing, closing };

 public:
  basic_session(server_state& state, std::unique_ptr<Stream> stream, address_counts::slot slot = {});
  ~basic_session() override;
  void start();
  void request_stop() override;
  void force_close() override;

 private:
  boost::beast::tcp_stream& tcp() noexcept;

  // --- read deadline --------------------------------------------------------------------
  // `deadline_at_` is the deadline while armed; the timer runs lazily behind it (arm_until).
  void arm(std::chrono::milliseconds d);
  void arm_until(clock::time_point t);
  void disarm();
  void wait_deadline(clock::time_point t);

  // --- phases -----------------------------------------------------------------------------
  // Bytes (or the peer's FIN) have arrived, or the first-byte deadline passed: a peer that
  // opened a connection and sent nothing is closed without an answer (docs/security.md row 38).
  void on_first_byte(error_code ec);
  void on_handshake(error_code ec);
  void wait_for_request(bool first);
  void read_header();
  void on_header(error_code ec);
  void read_body();
  void on_read_error(error_code ec);
  void handle();
  void send_error(http::status status);
  void write(bool may_keep_alive);
  void log();

  // --- closing ----------------------------------------------------------------------------
  void close_gracefully();

  // Our side is shut; read and discard what the peer still sends until it closes, a bound on
  // bytes, or the timer (set in close_gracefully) fires.
  void linger();
  void close_now();

  server_state& state_;
  address_counts::slot slot_;  // this connection's share of its address (row 38)
  std::unique_ptr<Stream> stream_;  // the transport's stream, erased
  boost::asio::steady_timer deadline_;
  std::uint64_t deadline_generation_ = 0;  // only the latest wait may act
  clock::time_point deadline_at_{};
  bool armed_ = false;
  bool timer_waiting_ = false;
  bool timed_out_ = false;
  bool stop_requested_ = false;
  phase phase_ = phase::handshake;
  request_context context_;  // per connection; request_id is set per request
  route_match matched_;       // the registered path of the request in progress
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  request request_;
  response response_;
  clock::time_point started_{};
  clock::time_point header_deadline_{};  // when the header being awaited must be complete
  std::size_t lingered_ = 0;
  std::array<char, 4096> discard_{};
};

using session = basic_session<server_stream>;

#ifdef TESSERA_SEPARATE_COMPILATION
extern template class basic_session<server_stream>;  // tessera/src.hpp
#endif

}  // namespace tessera::transport::detail

#ifndef TESSERA_SEPARATE_COMPILATION
#include <tessera/transport/impl/session.hpp>
#endif

#endif
