// tessera — transport/impl/session.hpp: definitions for detail/session.hpp. Included by that
// header in the header-only default; with TESSERA_SEPARATE_COMPILATION instantiated once, by
// tessera/src.hpp. Include detail/session.hpp, not this file.
#ifndef TESSERA_TRANSPORT_IMPL_SESSION_HPP
#define TESSERA_TRANSPORT_IMPL_SESSION_HPP

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

namespace tessera::transport::detail {

template <class Stream>
basic_session<Stream>::basic_session(server_state& state, std::unique_ptr<Stream> stream, address_counts::slot slot)
    : state_(state), slot_(std::move(slot)), stream_(std::move(stream)), deadline_(stream_->get_executor()) {
  error_code ec;
  auto peer = tcp().socket().remote_endpoint(ec);
  if (!ec) {
    context_.peer_address = peer.address().to_string();
    context_.peer_port = peer.port();
  }
  context_.tls = stream_->is_tls();
}

template <class Stream>
basic_session<Stream>::~basic_session() {
  slot_ = {};  // before remove(): once the count drains, the server may go away
  state_.remove(this);
}

template <class Stream>
void basic_session<Stream>::start() {
  state_.add(this, this->weak_from_this());
  boost::asio::dispatch(stream_->get_executor(), [self = this->shared_from_this()] {
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

template <class Stream>
void basic_session<Stream>::request_stop() {
  boost::asio::post(stream_->get_executor(), [self = this->shared_from_this()] {
    self->stop_requested_ = true;
    if (self->phase_ == phase::idle || self->phase_ == phase::handshake) self->tcp().socket().cancel();
  });
}

template <class Stream>
void basic_session<Stream>::force_close() {
  boost::asio::post(stream_->get_executor(), [self = this->shared_from_this()] { self->close_now(); });
}

template <class Stream>
boost::beast::tcp_stream& basic_session<Stream>::tcp() noexcept { return stream_->tcp(); }

template <class Stream>
void basic_session<Stream>::arm(std::chrono::milliseconds d) { arm_until(clock::now() + d); }

template <class Stream>
void basic_session<Stream>::arm_until(clock::time_point t) {
  timed_out_ = false;
  armed_ = true;
  deadline_at_ = t;
  // The timer may wake before the deadline (it then waits for the rest), never after it: it
  // is moved only when it is idle or the new deadline comes before its expiry. On a busy
  // keep-alive connection its expiry is an earlier request's deadline, before every new one,
  // so it wakes about once per header_timeout instead of being cancelled and set again three
  // times per request (a timer-queue update, a cancelled wait's handler, a strand hop each).
  if (timer_waiting_ && deadline_.expiry() <= t) return;
  wait_deadline(t);
}

template <class Stream>
void basic_session<Stream>::wait_deadline(clock::time_point t) {
  timer_waiting_ = true;
  auto gen = ++deadline_generation_;
  deadline_.expires_at(t);
  deadline_.async_wait([w = this->weak_from_this(), gen](error_code ec) {
    auto self = w.lock();
    if (!self || ec || gen != self->deadline_generation_) return;
    self->timer_waiting_ = false;
    if (!self->armed_) return;
    if (clock::now() < self->deadline_at_) return self->wait_deadline(self->deadline_at_);
    self->timed_out_ = true;
    error_code ignored;
    self->tcp().socket().cancel(ignored);
  });
}

template <class Stream>
void basic_session<Stream>::disarm() { armed_ = false; }

template <class Stream>
void basic_session<Stream>::on_first_byte(error_code ec) {
  disarm();
  if (ec || timed_out_ || stop_requested_ || state_.stopping) return close_now();
  arm_until(header_deadline_);
  stream_->async_handshake([self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
}

template <class Stream>
void basic_session<Stream>::on_handshake(error_code ec) {
  disarm();
  if (ec) return close_now();
  wait_for_request(true);
}

template <class Stream>
void basic_session<Stream>::wait_for_request(bool first) {
  phase_ = phase::idle;
  if (stop_requested_ || state_.stopping) return close_gracefully();
  if (buffer_.size() > 0) {  // a pipelined request is already here: its header clock starts now
    header_deadline_ = clock::now() + state_.limits.header_timeout;
    return read_header();
  }
  if (first) arm_until(header_deadline_);
  else arm(state_.limits.idle_timeout);
  stream_->async_read_some(buffer_.prepare(4096), [self = this->shared_from_this(), first](error_code ec, std::size_t n) {
    self->disarm();
    if (ec) return self->close_now();  // idle timeout, peer closed, or stop: close quietly
    self->buffer_.commit(n);
    // A later request's header clock starts at its first byte.
    if (!first) self->header_deadline_ = clock::now() + self->state_.limits.header_timeout;
    self->read_header();
  });
}

template <class Stream>
void basic_session<Stream>::read_header() {
  phase_ = phase::reading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(state_.limits.header_limit, UINT32_MAX)));
  parser_->body_limit(state_.limits.body_limit);
  arm_until(header_deadline_);
  http::async_read_header(*stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code ec, std::size_t) {
    self->disarm();
    self->on_header(ec);
  });
}

template <class Stream>
void basic_session<Stream>::on_header(error_code ec) {
  started_ = clock::now();
  if (ec) return on_read_error(ec);
  const auto& req = parser_->get();
  if (auto len = parser_->content_length(); len && *len > state_.limits.body_limit)
    return send_error(http::status::payload_too_large);
  if (parser_->is_done()) return handle();
  if (req[http::field::expect] == "100-continue") {
    continue_.emplace(http::status::continue_, req.version());
    tcp().expires_after(state_.limits.read_timeout);
    http::async_write(*stream_, *continue_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->tcp().expires_never();
      if (ec) return self->close_now();
      self->read_body();
    });
    return;
  }
  read_body();
}

template <class Stream>
void basic_session<Stream>::read_body() {
  arm(state_.limits.read_timeout);
  http::async_read(*stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code ec, std::size_t) {
    self->disarm();
    if (ec) return self->on_read_error(ec);
    self->handle();
  });
}

template <class Stream>
void basic_session<Stream>::on_read_error(error_code ec) {
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

template <class Stream>
void basic_session<Stream>::handle() {
  phase_ = phase::handling;
  request_ = parser_->release();
  parser_.reset();
  assign_request_id(context_.request_id, request_[request_id_header], state_.request_ids);
  matched_ = {};
  response_ = state_.routes.route(request_, context_, &matched_);
  response_.version(request_.version() == 10 ? 10 : 11);
  // A handler may close (Connection: close); it can never keep open what the client or a
  // stopping server closes.
  response_.keep_alive(response_.keep_alive() && request_.keep_alive() && !stop_requested_ && !state_.stopping);
  write(true);
}

template <class Stream>
void basic_session<Stream>::send_error(http::status status) {
  phase_ = phase::handling;
  if (parser_ && parser_->is_header_done()) {
    request_ = parser_->release();
  } else {
    request_ = {};
    request_.method_string("-");
    request_.target("-");
  }
  parser_.reset();
  assign_request_id(context_.request_id, request_[request_id_header], state_.request_ids);
  matched_ = state_.routes.match(request_.target());
  // The same JSON error shape as the router's 404/405 (docs/security.md row 40).
  response_ = make_error_response(request_, status);
  response_.version(11);
  response_.keep_alive(false);
  write(false);
}

template <class Stream>
void basic_session<Stream>::write(bool may_keep_alive) {
  phase_ = phase::writing;
  // The one place every response passes: TLS adds Strict-Transport-Security here
  // (docs/security.md row 39), to handlers' answers and the transport's errors alike.
  stream_->decorate(response_);
  response_.set(request_id_header, context_.request_id);
  tcp().expires_after(state_.limits.read_timeout);
  http::async_write(*stream_, response_,
                    [self = this->shared_from_this(), may_keep_alive](error_code ec, std::size_t) {
                      self->tcp().expires_never();
                      self->log();
                      if (ec) return self->close_now();
                      if (may_keep_alive && self->response_.keep_alive()) return self->wait_for_request(false);
                      self->close_gracefully();
                    });
}

template <class Stream>
void basic_session<Stream>::log() {
  if (!state_.log && !state_.observer) return;
  access_log_entry e;
  e.peer_address = context_.peer_address;
  e.peer_port = context_.peer_port;
  e.method = request_.method_string();
  e.target = request_.target();
  e.status = response_.result_int();
  e.bytes = response_.body().size();
  e.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started_);
  e.tls = stream_->is_tls();
  e.request_id = context_.request_id;
  e.route = matched_.path;
  e.route_index = matched_.index;
  try {
    if (state_.observer) state_.observer(e);
  } catch (...) {
    // Neither a failing observer ...
  }
  try {
    if (state_.log) state_.log(format_access_log(e, state_.log_format));
  } catch (...) {
    // ... nor a failing log sink may take the connection down.
  }
}

template <class Stream>
void basic_session<Stream>::close_gracefully() {
  phase_ = phase::closing;
  tcp().expires_after(std::min<std::chrono::milliseconds>(state_.limits.read_timeout, std::chrono::seconds{1}));
  stream_->async_shutdown([self = this->shared_from_this()](error_code) { self->linger(); });
}

template <class Stream>
void basic_session<Stream>::linger() {
  error_code ec;
  tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  if (ec || lingered_ > 256 * 1024) return close_now();
  tcp().async_read_some(boost::asio::buffer(discard_), [self = this->shared_from_this()](error_code ec, std::size_t n) {
    if (ec) return self->close_now();
    self->lingered_ += n;
    self->linger();
  });
}

template <class Stream>
void basic_session<Stream>::close_now() {
  phase_ = phase::closing;
  disarm();
  ++deadline_generation_;  // the timer's last wait, if any, ends now and does nothing
  timer_waiting_ = false;
  deadline_.cancel();
  error_code ec;
  tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  tcp().close();
}

}  // namespace tessera::transport::detail

#endif
