// tessera — transport/detail/server_stream.hpp: a server connection's byte stream, its type erased.
//
// The session (HTTP parsing and writing, deadlines, lingering close; detail/session.hpp) is
// written once against `server_stream` and compiled once for every transport; only
// `server_stream_of<Transport>` — four asynchronous operations of the transport's own stream
// (read_some, write_some, handshake, shutdown) — is compiled per transport. Before, Beast's
// HTTP read and write machinery was instantiated once for TCP and once more for TLS, which was
// most of the compile time of `basic_server<tls>` (benchmarks/RESULTS.md, "Compile time").
//
// The cost is one virtual call and one type-erased completion handler per read_some or
// write_some (asio::any_completion_handler, from Asio's recycling allocator), small beside a
// request's parsing, routing and syscalls (benchmarks/RESULTS.md, HTTP transport).
#ifndef TESSERA_TRANSPORT_DETAIL_SERVER_STREAM_HPP
#define TESSERA_TRANSPORT_DETAIL_SERVER_STREAM_HPP

#include <tessera/transport/message.hpp>
#include <tessera/transport/server_transport.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <array>
#include <cstddef>
#include <utility>

namespace tessera::transport::detail {

/// The buffers of one write_some, by value: at most 16, the rest left for the next call (a
/// write_some may always write less than it was given).
struct const_buffer_list {
  static constexpr std::size_t capacity = 16;
  std::array<boost::asio::const_buffer, capacity> items{};
  std::size_t count = 0;
  const boost::asio::const_buffer* begin() const noexcept { return items.data(); }
  const boost::asio::const_buffer* end() const noexcept { return items.data() + count; }
};

class server_stream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using io_handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
  using done_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

  server_stream() = default;
  server_stream(const server_stream&) = delete;
  server_stream& operator=(const server_stream&) = delete;
  virtual ~server_stream() = default;

  /// The TCP layer under any framing: timeouts, cancellation, shutdown, close.
  virtual boost::beast::tcp_stream& tcp() noexcept = 0;
  virtual bool is_tls() const noexcept = 0;
  /// The transport's last touch on a response before it is written (TLS: HSTS).
  virtual void decorate(response& res) const = 0;

  executor_type get_executor() noexcept { return tcp().get_executor(); }

  // --- AsyncReadStream / AsyncWriteStream, for Beast's HTTP algorithms ---------------------
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::mutable_buffer b) { read_some(b, erase<io_handler>(std::move(handler))); },
        token, first_buffer(buffers));
  }
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const const_buffer_list& list) { write_some(list, erase<io_handler>(std::move(handler))); },
        token, buffer_list(buffers));
  }

  /// The transport's handshake (TLS; `plain` completes at once), then its end of framing
  /// (TLS close_notify; `plain`: FIN). Neither closes the socket.
  template <class Token>
  auto async_handshake(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { handshake(erase<done_handler>(std::move(handler))); }, token);
  }
  template <class Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { shutdown(erase<done_handler>(std::move(handler))); }, token);
  }

 protected:
  // Operation state comes from Asio's per-thread recycling allocator, not the heap: the erased
  // handler itself and every intermediate operation below it (a TLS read is several). Beast's
  // operations name std::allocator, which through the erasure Asio could no longer recognize
  // as "recycle": one malloc per hop, measurably slower TLS.
  template <class Handler>
  static auto recycled(Handler&& h) {
    return boost::asio::bind_allocator(boost::asio::recycling_allocator<void>(), std::forward<Handler>(h));
  }

 private:
  template <class Erased, class Handler>
  static Erased erase(Handler&& h) {
    return Erased(recycled(std::forward<Handler>(h)));
  }

  virtual void read_some(boost::asio::mutable_buffer buffer, io_handler handler) = 0;
  virtual void write_some(const const_buffer_list& buffers, io_handler handler) = 0;
  virtual void handshake(done_handler handler) = 0;
  virtual void shutdown(done_handler handler) = 0;

  // A read_some fills one buffer: the first that is not empty (Beast reads into one).
  template <class MutableBufferSequence>
  static boost::asio::mutable_buffer first_buffer(const MutableBufferSequence& buffers) {
    const auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end; ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() != 0) return b;
    }
    return {};
  }
  template <class ConstBufferSequence>
  static const_buffer_list buffer_list(const ConstBufferSequence& buffers) {
    const_buffer_list list;
    const auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end && list.count < list.capacity; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() != 0) list.items[list.count++] = b;
    }
    return list;
  }
};

/// `server_stream` over a transport's own stream (`Transport::stream_type`).
template <server_transport Transport>
class server_stream_of final : public server_stream {
 public:
  server_stream_of(boost::asio::ip::tcp::socket&& socket, typename Transport::context_type& ctx)
      : context_(ctx), stream_(Transport::make_stream(std::move(socket), ctx)) {}

  boost::beast::tcp_stream& tcp() noexcept override { return Transport::tcp_layer(stream_); }
  bool is_tls() const noexcept override { return Transport::is_tls; }
  void decorate(response& res) const override { Transport::decorate_response(context_, res); }

 private:
  void read_some(boost::asio::mutable_buffer buffer, io_handler handler) override {
    stream_.async_read_some(buffer, bound(std::move(handler)));
  }
  void write_some(const const_buffer_list& buffers, io_handler handler) override {
    stream_.async_write_some(buffers, bound(std::move(handler)));
  }
  void handshake(done_handler handler) override { Transport::async_handshake(stream_, bound(std::move(handler))); }
  void shutdown(done_handler handler) override { Transport::async_shutdown(stream_, bound(std::move(handler))); }

  // The erased handler's own executor type (any_completion_executor) cannot be posted to in
  // Boost 1.81 (no blocking.never); every handler of a session runs on its stream's executor,
  // so that is the one it is bound to; the cancellation slot passes through.
  template <class Handler>
  auto bound(Handler&& h) {
    return boost::asio::bind_executor(stream_.get_executor(), recycled(std::forward<Handler>(h)));
  }

  const typename Transport::context_type& context_;  // outlives every session (basic_server)
  typename Transport::stream_type stream_;
};

}  // namespace tessera::transport::detail

#endif
