// tessera — transport/detail/session.hpp: one server connection, from handshake to close.
//
// Phases: first byte (a new connection must send something within `first_byte_timeout`, or is
// closed silently; docs/security.md row 38) → handshake → idle (waiting for a request's first byte) → reading (header, then body)
// → handling (the router, synchronously, on this connection's strand) → writing → idle again
// or closing. Reads are bounded by `deadline_`, a timer that *cancels* the read (so the
// session can still answer 408); writes by the tcp_stream's own timeout, which closes the
// socket. Closing is lingering: shut down our side, then read and discard for a short while,
// so that unread request bytes do not turn into a TCP RST that destroys our last response.
#ifndef TESSERA_TRANSPORT_DETAIL_SESSION_HPP
#define TESSERA_TRANSPORT_DETAIL_SESSION_HPP

#include <tessera/transport/detail/server_state.hpp>
#include <tessera/transport/server_transport.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>

namespace tessera::transport::detail {

template <server_transport Transport>
class session final : public session_base, public std::enable_shared_from_this<session<Transport>> {
  using stream_type = typename Transport::stream_type;
  using clock = std::chrono::steady_clock;
  using error_code = boost::system::error_code;
  enum class phase { handshake, idle, reading, handling, writing, closing };

 public:
  session(server_state& state, boost::asio::ip::tcp::socket&& socket, typename Transport::context_type& ctx,
          address_counts::slot slot = {})
      : state_(state),
        transport_context_(ctx),
        slot_(std::move(slot)),
        stream_(Transport::make_stream(std::move(socket), ctx)),
        deadline_(stream_.get_executor()) {
    error_code ec;
    auto peer = tcp().socket().remote_endpoint(ec);
    if (!ec) {
      context_.peer_address = peer.address().to_string();
      context_.peer_port = peer.port();
    }
    context_.tls = Transport::is_tls;
  }

  ~session() override {
    slot_ = {};  // before remove(): once the count drains, the server may go away
    state_.remove(this);
  }

  void start() {
    state_.add(this, this->weak_from_this());
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->state_.stopping) return self->close_now();
      // The first request's header deadline runs from accept, across the TLS handshake and the
      // wait for the first byte: one budget, not one per phase.
      const auto now = clock::now();
      self->header_deadline_ = now + self->state_.limits.header_timeout;
      self->arm_until(std::min(self->header_deadline_, now + self->state_.limits.first_byte_timeout));
      self->tcp().socket().async_wait(boost::asio::socket_base::wait_read,
                                      [self](error_code ec) { self->on_first_byte(ec); });
    });
  }

  void request_stop() override {
    boost::asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stop_requested_ = true;
      if (self->phase_ == phase::idle || self->phase_ == phase::handshake) self->tcp().socket().cancel();
    });
  }

  void force_close() override {
    boost::asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close_now(); });
  }

 private:
  boost::beast::tcp_stream& tcp() noexcept { return Transport::tcp_layer(stream_); }

  // --- read deadline --------------------------------------------------------------------
  void arm(std::chrono::milliseconds d) { arm_until(clock::now() + d); }
  void arm_until(clock::time_point t) {
    timed_out_ = false;
    auto gen = ++deadline_generation_;
    deadline_.expires_at(t);
    deadline_.async_wait([w = this->weak_from_this(), gen](error_code ec) {
      auto self = w.lock();
      if (!self || ec || gen != self->deadline_generation_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->tcp().socket().cancel(ignored);
    });
  }
  void disarm() {
    ++deadline_generation_;
    deadline_.cancel();
  }

  // --- phases -----------------------------------------------------------------------------
  // Bytes (or the peer's FIN) have arrived, or the first-byte deadline passed: a peer that
  // opened a connection and sent nothing is closed without an answer (docs/security.md row 38).
  void on_first_byte(error_code ec) {
    disarm();
    if (ec || timed_out_ || stop_requested_ || state_.stopping) return close_now();
    arm_until(header_deadline_);
    Transport::async_handshake(stream_, [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(error_code ec) {
    disarm();
    if (ec) return close_now();
    wait_for_request(true);
  }

  void wait_for_request(bool first) {
    phase_ = phase::idle;
    if (stop_requested_ || state_.stopping) return close_gracefully();
    if (buffer_.size() > 0) {  // a pipelined request is already here: its header clock starts now
      header_deadline_ = clock::now() + state_.limits.header_timeout;
      return read_header();
    }
    if (first) arm_until(header_deadline_);
    else arm(state_.limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this(), first](error_code ec, std::size_t n) {
      self->disarm();
      if (ec) return self->close_now();  // idle timeout, peer closed, or stop: close quietly
      self->buffer_.commit(n);
      // A later request's header clock starts at its first byte.
      if (!first) self->header_deadline_ = clock::now() + self->state_.limits.header_timeout;
      self->read_header();
    });
  }

  void read_header() {
    phase_ = phase::reading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(state_.limits.header_limit, UINT32_MAX)));
    parser_->body_limit(state_.limits.body_limit);
    arm_until(header_deadline_);
    http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->disarm();
      self->on_header(ec);
    });
  }

  void on_header(error_code ec) {
    started_ = clock::now();
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    if (auto len = parser_->content_length(); len && *len > state_.limits.body_limit)
      return send_error(http::status::payload_too_large);
    if (parser_->is_done()) return handle();
    if (req[http::field::expect] == "100-continue") {
      continue_.emplace(http::status::continue_, req.version());
      tcp().expires_after(state_.limits.read_timeout);
      http::async_write(stream_, *continue_, [self = this->shared_from_this()](error_code ec, std::size_t) {
        self->tcp().expires_never();
        if (ec) return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    arm(state_.limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->disarm();
      if (ec) return self->on_read_error(ec);
      self->handle();
    });
  }

  void on_read_error(error_code ec) {
    if (timed_out_) {
      // Something arrived but not a whole request in time: the slowloris case.
      return send_error(http::status::request_timeout);
    }
    if (ec == http::error::header_limit) return send_error(http::status::request_header_fields_too_large);
    if (ec == http::error::body_limit) return send_error(http::status::payload_too_large);
    if (ec.category() == make_error_code(http::error::end_of_stream).category() && ec != http::error::end_of_stream &&
        ec != http::error::partial_message && !stop_requested_)
      return send_error(http::status::bad_request);  // malformed HTTP
    close_now();  // peer went away, or stop forced us
  }

  void handle() {
    phase_ = phase::handling;
    request_ = parser_->release();
    parser_.reset();
    response_ = state_.routes.route(request_, context_);
    response_.version(request_.version() == 10 ? 10 : 11);
    // A handler may close (Connection: close); it can never keep open what the client or a
    // stopping server closes.
    response_.keep_alive(response_.keep_alive() && request_.keep_alive() && !stop_requested_ && !state_.stopping);
    write(true);
  }

  void send_error(http::status status) {
    phase_ = phase::handling;
    if (parser_ && parser_->is_header_done()) {
      request_ = parser_->release();
    } else {
      request_ = {};
      request_.method_string("-");
      request_.target("-");
    }
    parser_.reset();
    // The same JSON error shape as the router's 404/405 (docs/security.md row 40).
    response_ = make_error_response(request_, status);
    response_.version(11);
    response_.keep_alive(false);
    write(false);
  }

  void write(bool may_keep_alive) {
    phase_ = phase::writing;
    // The one place every response passes: TLS adds Strict-Transport-Security here
    // (docs/security.md row 39), to handlers' answers and the transport's errors alike.
    Transport::decorate_response(transport_context_, response_);
    tcp().expires_after(state_.limits.read_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this(), may_keep_alive](error_code ec, std::size_t) {
                        self->tcp().expires_never();
                        self->log();
                        if (ec) return self->close_now();
                        if (may_keep_alive && self->response_.keep_alive()) return self->wait_for_request(false);
                        self->close_gracefully();
                      });
  }

  void log() {
    if (!state_.log) return;
    access_log_entry e;
    e.peer_address = context_.peer_address;
    e.peer_port = context_.peer_port;
    e.method = request_.method_string();
    e.target = request_.target();
    e.status = response_.result_int();
    e.bytes = response_.body().size();
    e.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started_);
    e.tls = Transport::is_tls;
    try {
      state_.log(format_access_log(e));
    } catch (...) {
      // A failing log sink must not take the connection down.
    }
  }

  // --- closing ----------------------------------------------------------------------------
  void close_gracefully() {
    phase_ = phase::closing;
    tcp().expires_after(std::min<std::chrono::milliseconds>(state_.limits.read_timeout, std::chrono::seconds{1}));
    Transport::async_shutdown(stream_, [self = this->shared_from_this()](error_code) { self->linger(); });
  }

  // Our side is shut; read and discard what the peer still sends until it closes, a bound on
  // bytes, or the timer (set in close_gracefully) fires.
  void linger() {
    error_code ec;
    tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    if (ec || lingered_ > 256 * 1024) return close_now();
    tcp().async_read_some(boost::asio::buffer(discard_), [self = this->shared_from_this()](error_code ec, std::size_t n) {
      if (ec) return self->close_now();
      self->lingered_ += n;
      self->linger();
    });
  }

  void close_now() {
    phase_ = phase::closing;
    disarm();
    error_code ec;
    tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    tcp().close();
  }

  server_state& state_;
  const typename Transport::context_type& transport_context_;  // outlives every session (basic_server)
  address_counts::slot slot_;  // this connection's share of its address (row 38)
  stream_type stream_;
  boost::asio::steady_timer deadline_;
  std::uint64_t deadline_generation_ = 0;
  bool timed_out_ = false;
  bool stop_requested_ = false;
  phase phase_ = phase::handshake;
  request_context context_;
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

}  // namespace tessera::transport::detail

#endif
