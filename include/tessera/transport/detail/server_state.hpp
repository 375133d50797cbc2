// tessera — transport/detail/server_state.hpp: what a server's listeners and sessions share:
// configuration, counters and the registry graceful shutdown walks.
#ifndef TESSERA_TRANSPORT_DETAIL_SERVER_STATE_HPP
#define TESSERA_TRANSPORT_DETAIL_SERVER_STATE_HPP

#include <tessera/transport/access_log.hpp>
#include <tessera/transport/limits.hpp>
#include <tessera/transport/router.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tessera::transport::detail {

/// The part of a session that shutdown talks to; both calls post to the session's strand.
class session_base {
 public:
  virtual ~session_base() = default;
  /// Finish the request in progress (answering with `Connection: close`); close at once if
  /// idle between requests.
  virtual void request_stop() = 0;
  /// Close the socket now, whatever is in progress.
  virtual void force_close() = 0;
};

struct server_state {
  server_state(router r, server_limits l, access_log_sink s)
      : routes(std::move(r)), limits(l), log(std::move(s)) {}

  const router routes;
  const server_limits limits;
  const access_log_sink log;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> active{0};     // open connections, counted from accept
  std::atomic<std::size_t> rejected{0};   // connections closed by max_connections
  std::atomic<std::size_t> accepted{0};   // connections accepted, ever

  void add(session_base* s, std::weak_ptr<session_base> w) {
    std::lock_guard lk(mutex_);
    sessions_.emplace(s, std::move(w));
  }

  /// Called by a session's destructor: the connection is gone.
  void remove(session_base* s) {
    {
      std::lock_guard lk(mutex_);
      sessions_.erase(s);
      active.fetch_sub(1, std::memory_order_acq_rel);
    }
    drained_.notify_all();
  }

  /// A connection that was accepted but never became a session.
  void release_unstarted() {
    {
      std::lock_guard lk(mutex_);
      active.fetch_sub(1, std::memory_order_acq_rel);
    }
    drained_.notify_all();
  }

  std::vector<std::shared_ptr<session_base>> live_sessions() {
    std::vector<std::shared_ptr<session_base>> out;
    std::lock_guard lk(mutex_);
    out.reserve(sessions_.size());
    for (auto& [p, w] : sessions_)
      if (auto s = w.lock()) out.push_back(std::move(s));
    return out;
  }

  /// Waits until no connection is open or `timeout` passes; true when drained.
  template <class Duration>
  bool wait_drained(Duration timeout) {
    std::unique_lock lk(mutex_);
    return drained_.wait_for(lk, timeout, [&] { return active.load() == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable drained_;
  std::unordered_map<session_base*, std::weak_ptr<session_base>> sessions_;
};

}  // namespace tessera::transport::detail

#endif
