// tessera — transport/impl/server.hpp: definitions for server.hpp.
#ifndef TESSERA_TRANSPORT_IMPL_SERVER_HPP
#define TESSERA_TRANSPORT_IMPL_SERVER_HPP

#include <tessera/transport/detail/session.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <future>

namespace tessera::transport {

template <server_transport Transport>
struct basic_server<Transport>::listener {
  explicit listener(boost::asio::io_context& ioc)
      : acceptor(boost::asio::make_strand(ioc)), retry(acceptor.get_executor()) {}
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer retry;  // backs off when accept fails (e.g. out of descriptors)
};

namespace detail {
inline unsigned resolve_thread_count(unsigned requested) {
  if (requested) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}
}  // namespace detail

template <server_transport Transport>
basic_server<Transport>::basic_server(router routes, server_options options, const transport_options& topts,
                                      std::error_code& ec)
    : options_(std::move(options)),
      state_(std::move(routes), options_.limits, options_.access_log, options_.log_format, options_.observer),
      transport_context_(Transport::make_context(topts, ec)),
      thread_count_(detail::resolve_thread_count(options_.threads)) {
  make_loops();
}

template <server_transport Transport>
basic_server<Transport>::basic_server(router routes, server_options options, const transport_options& topts)
    : options_(std::move(options)),
      state_(std::move(routes), options_.limits, options_.access_log, options_.log_format, options_.observer),
      transport_context_([&] {
        std::error_code ec;
        auto c = Transport::make_context(topts, ec);
        tessera::detail::throw_if(ec);
        return c;
      }()),
      thread_count_(detail::resolve_thread_count(options_.threads)) {
  make_loops();
}

template <server_transport Transport>
void basic_server<Transport>::make_loops() {
  // The concurrency hint 1 tells Asio one thread runs the loop: it then skips waking others.
  if (options_.scheduling == thread_scheduling::per_thread) {
    // The first loop accepts and waits for signals, on a thread of its own: a handler that
    // blocks a connection loop never holds up accepting, stop() or a signal.
    for (unsigned i = 0; i <= thread_count_; ++i) iocs_.push_back(std::make_unique<boost::asio::io_context>(1));
  } else {
    iocs_.push_back(std::make_unique<boost::asio::io_context>(static_cast<int>(thread_count_)));
  }
}

template <server_transport Transport>
boost::asio::any_io_executor basic_server<Transport>::next_connection_executor() {
  if (iocs_.size() > 1)
    return iocs_[1 + next_ioc_.fetch_add(1, std::memory_order_relaxed) % (iocs_.size() - 1)]->get_executor();
  // One loop: a strand keeps a connection's steps in order when several threads run it.
  if (thread_count_ > 1) return boost::asio::make_strand(main_ioc());
  return main_ioc().get_executor();
}

template <server_transport Transport>
basic_server<Transport>::~basic_server() {
  stop();
  // Objects of the loops go first, then the loops, the first one first: an accept still queued
  // there may hold a socket made for another loop, which must outlive it.
  actions_.clear();
  signals_.reset();
  listeners_.clear();
  for (auto& ioc : iocs_) ioc.reset();
}

template <server_transport Transport>
auto basic_server<Transport>::listen(const endpoint& ep, std::error_code& ec) -> endpoint {
  namespace net = boost::asio;
  ec.clear();
  {
    std::lock_guard lk(mutex_);
    if (stopped_) {
      ec = std::make_error_code(std::errc::operation_not_permitted);
      return {};
    }
  }
  auto l = std::make_shared<listener>(main_ioc());
  boost::system::error_code bec;
  l->acceptor.open(ep.protocol(), bec);
  if (!bec) l->acceptor.set_option(net::socket_base::reuse_address(true), bec);
  if (!bec) l->acceptor.bind(ep, bec);
  if (!bec) l->acceptor.listen(net::socket_base::max_listen_connections, bec);
  endpoint bound;
  if (!bec) bound = l->acceptor.local_endpoint(bec);
  if (bec) {
    ec = bec;
    return {};
  }
  bool run_now;
  {
    std::lock_guard lk(mutex_);
    listeners_.push_back(l);
    run_now = started_;
  }
  if (run_now) net::dispatch(l->acceptor.get_executor(), [this, l] { accept(l); });
  return bound;
}

template <server_transport Transport>
auto basic_server<Transport>::listen(const endpoint& ep) -> endpoint {
  std::error_code ec;
  auto r = listen(ep, ec);
  tessera::detail::throw_if(ec);
  return r;
}

template <server_transport Transport>
auto basic_server<Transport>::listen(std::string_view address, std::uint16_t port, std::error_code& ec)
    -> endpoint {
  boost::system::error_code bec;
  auto a = boost::asio::ip::make_address(std::string(address), bec);
  if (bec) {
    ec = tessera::error::url_invalid;
    return {};
  }
  return listen(endpoint{a, port}, ec);
}

template <server_transport Transport>
auto basic_server<Transport>::listen(std::string_view address, std::uint16_t port) -> endpoint {
  std::error_code ec;
  auto r = listen(address, port, ec);
  tessera::detail::throw_if(ec);
  return r;
}

template <server_transport Transport>
void basic_server<Transport>::accept(const std::shared_ptr<listener>& l) {
  namespace net = boost::asio;
  if (!l->acceptor.is_open() || state_.stopping) return;
  l->acceptor.async_accept(next_connection_executor(), [this, l](boost::system::error_code ec, net::ip::tcp::socket s) {
    if (!l->acceptor.is_open() || state_.stopping) return;
    if (ec) {
      // EMFILE, ENOBUFS, ECONNABORTED...: wait a little instead of spinning.
      l->retry.expires_after(std::chrono::milliseconds{50});
      l->retry.async_wait([this, l](boost::system::error_code e) {
        if (!e) accept(l);
      });
      return;
    }
    state_.accepted.fetch_add(1);
    if (state_.active.fetch_add(1) >= state_.limits.max_connections) {
      state_.rejected.fetch_add(1);
      boost::system::error_code ignored;
      s.close(ignored);
      state_.release_unstarted();
    } else {
      start_session(std::move(s));
    }
    accept(l);
  });
}

template <server_transport Transport>
void basic_server<Transport>::start_session(boost::asio::ip::tcp::socket s) {
  namespace net = boost::asio;
  boost::system::error_code ec;
  const auto peer = s.remote_endpoint(ec);
  if (ec) {  // the peer is already gone
    s.close(ec);
    return state_.release_unstarted();
  }
  try {
    // One address may hold only its share of the slots (docs/security.md row 38); over it, the
    // connection is closed before anything is read, as for max_connections.
    auto slot = state_.per_address.try_acquire(peer.address(), state_.limits.max_connections_per_address);
    if (!slot) {
      state_.rejected_per_address.fetch_add(1);
      s.close(ec);
      return state_.release_unstarted();
    }
    // Responses are written as soon as they are ready, one write each: without TCP_NODELAY,
    // Nagle holds the second response of a pipelined batch until the client ACKs the first,
    // and a delayed ACK makes that 40 ms a round.
    s.set_option(net::ip::tcp::no_delay(true), ec);
    auto stream = std::make_unique<detail::server_stream_of<Transport>>(std::move(s), transport_context_);
    std::make_shared<detail::session>(state_, std::move(stream), std::move(slot))->start();
  } catch (...) {
    state_.release_unstarted();  // out of memory: drop this connection (and its slot), keep serving
  }
}

template <server_transport Transport>
void basic_server<Transport>::start() {
  std::lock_guard lk(mutex_);
  if (started_ || stopped_) return;
  started_ = true;
  accepting_ = true;
  for (auto& ioc : iocs_) work_.push_back(boost::asio::make_work_guard(*ioc));
  for (auto& l : listeners_) boost::asio::dispatch(l->acceptor.get_executor(), [this, l] { accept(l); });
  // per_thread: one thread per loop (the accepting one and one per connection loop); shared:
  // thread_count_ threads on the one loop.
  const std::size_t n = iocs_.size() > 1 ? iocs_.size() : thread_count_;
  threads_.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    threads_.emplace_back([this, &ioc = *iocs_[i % iocs_.size()]] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (...) {
          // A throwing completion handler is a bug in tessera or a handler; the connection it
          // served is gone with its handler, the server goes on.
        }
      }
    });
}

template <server_transport Transport>
void basic_server<Transport>::close_listeners() {
  std::vector<std::shared_ptr<listener>> ls;
  {
    std::lock_guard lk(mutex_);
    ls = listeners_;
  }
  for (auto& l : ls) {
    std::promise<void> closed;
    auto done = closed.get_future();
    boost::asio::dispatch(l->acceptor.get_executor(), [l, &closed] {
      boost::system::error_code ignored;
      l->acceptor.close(ignored);
      l->retry.cancel();
      closed.set_value();
    });
    done.wait();
  }
}

template <server_transport Transport>
void basic_server<Transport>::stop() {
  std::lock_guard serial(stop_mutex_);
  {
    std::lock_guard lk(mutex_);
    if (stopped_) return;
    if (!started_) {
      stopped_ = true;
      state_.stopping = true;
      changed_.notify_all();
      return;
    }
  }
  // 1. No new connections. Acceptors are closed on their strands, so no accept races this.
  state_.stopping = true;
  close_listeners();
  accepting_ = false;
  if (signals_) {
    boost::asio::dispatch(main_ioc(), [this] {
      boost::system::error_code ignored;
      signals_->cancel(ignored);
    });
  }
  {
    std::lock_guard lk(mutex_);
    for (auto& a : actions_)
      boost::asio::dispatch(a.set->get_executor(), [set = a.set.get()] {
        boost::system::error_code ignored;
        set->cancel(ignored);
      });
  }

  // 2. Idle connections close now, busy ones after their response.
  for (auto& s : state_.live_sessions()) s->request_stop();

  // 3. Drain, then force.
  if (!state_.wait_drained(options_.drain_timeout)) {
    for (auto& s : state_.live_sessions()) s->force_close();
    state_.wait_drained(std::chrono::seconds{5});
  }

  // 4. Let the threads run out of work (a handler still running is waited for), then join.
  work_.clear();
  for (auto& ioc : iocs_) ioc->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  {
    std::lock_guard lk(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
}

template <server_transport Transport>
void basic_server<Transport>::wait() {
  std::unique_lock lk(mutex_);
  for (;;) {
    changed_.wait(lk, [&] {
      return stopped_ || signal_received_ ||
             std::any_of(actions_.begin(), actions_.end(), [](const signal_action& a) { return a.pending; });
    });
    if (stopped_) return;
    if (signal_received_) break;
    for (std::size_t i = 0; i < actions_.size(); ++i) {
      if (!actions_[i].pending) continue;
      actions_[i].pending = false;
      auto action = actions_[i].action;  // a copy: on_signal may replace it meanwhile
      lk.unlock();
      action();
      lk.lock();
      if (stopped_ || signal_received_) break;
    }
    if (stopped_) return;
    if (signal_received_) break;
  }
  lk.unlock();
  stop();
}

template <server_transport Transport>
void basic_server<Transport>::on_signal(int signal, std::function<void()> f) {
  std::lock_guard lk(mutex_);
  if (stopped_) return;
  for (auto& a : actions_)
    if (a.signal == signal) {
      a.action = std::move(f);
      return;
    }
  auto& a = actions_.emplace_back(signal_action{signal, std::move(f), std::make_unique<boost::asio::signal_set>(boost::asio::make_strand(main_ioc()), signal)});
  arm(a);
}

// Called with mutex_ held. The handler finds its entry by signal number (the vector may grow).
template <server_transport Transport>
void basic_server<Transport>::arm(signal_action& a) {
  a.set->async_wait([this, signal = a.signal](boost::system::error_code ec, int) {
    if (ec) return;
    {
      std::lock_guard lk(mutex_);
      if (stopped_) return;
      for (auto& x : actions_)
        if (x.signal == signal) {
          x.pending = true;
          arm(x);
        }
    }
    changed_.notify_all();
  });
}

template <server_transport Transport>
void basic_server<Transport>::stop_on_signals(std::initializer_list<int> signals) {
  std::lock_guard lk(mutex_);
  if (signals_ || stopped_) return;
  signals_.emplace(main_ioc());
  for (int s : signals) signals_->add(s);
  signals_->async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    {
      std::lock_guard lk(mutex_);
      signal_received_ = true;
    }
    changed_.notify_all();
  });
}

template <server_transport Transport>
void basic_server<Transport>::run_until_signal() {
  start();
  stop_on_signals();
  wait();
}

}  // namespace tessera::transport

#endif
