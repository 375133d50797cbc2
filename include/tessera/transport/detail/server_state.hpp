// tessera — transport/detail/server_state.hpp: what a server's listeners and sessions share:
// configuration, counters and the registry graceful shutdown walks.
#ifndef TESSERA_TRANSPORT_DETAIL_SERVER_STATE_HPP
#define TESSERA_TRANSPORT_DETAIL_SERVER_STATE_HPP

#include <tessera/transport/access_log.hpp>
#include <tessera/transport/limits.hpp>
#include <tessera/transport/request_id.hpp>
#include <tessera/transport/router.hpp>

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tessera::transport::detail {

/// The address connections are counted under: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
/// what a dual-stack listener sees for an IPv4 peer) is its IPv4 address, so one host cannot
/// double its share by connecting to both listeners (docs/security.md row 38).
inline boost::asio::ip::address connection_key(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

/// Open connections per peer address (docs/security.md row 38). An entry lives while its count
/// is above zero, so the map never holds more entries than there are open connections. One
/// mutex: it is taken twice per connection (accept and close), never per request.
class address_counts {
 public:
  /// Holds one connection slot of an address until destroyed; empty when refused.
  class slot {
   public:
    slot() = default;
    slot(slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), address_(o.address_) {}
    slot& operator=(slot&& o) noexcept {
      if (this != &o) {
        release();
        owner_ = std::exchange(o.owner_, nullptr);
        address_ = o.address_;
      }
      return *this;
    }
    ~slot() { release(); }
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    friend class address_counts;
    slot(address_counts* o, const boost::asio::ip::address& a) : owner_(o), address_(a) {}
    void release() noexcept {
      if (owner_) std::exchange(owner_, nullptr)->release(address_);
    }
    address_counts* owner_ = nullptr;
    boost::asio::ip::address address_{};
  };

  /// A slot for `peer` when fewer than `cap` connections of its address are open; else empty.
  /// May throw std::bad_alloc (a new map entry).
  slot try_acquire(const boost::asio::ip::address& peer, std::size_t cap) {
    const auto key = connection_key(peer);
    std::lock_guard lk(mutex_);
    auto [it, inserted] = counts_.try_emplace(key, 0);
    if (it->second >= cap) {
      if (inserted) counts_.erase(it);  // cap 0: nothing is ever held
      return {};
    }
    ++it->second;
    return slot{this, key};
  }

  /// Distinct addresses with an open connection.
  std::size_t size() const {
    std::lock_guard lk(mutex_);
    return counts_.size();
  }

 private:
  void release(const boost::asio::ip::address& key) noexcept {
    std::lock_guard lk(mutex_);
    auto it = counts_.find(key);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }

  mutable std::mutex mutex_;
  std::unordered_map<boost::asio::ip::address, std::size_t> counts_;
};

/// The part of a session that shutdown talks to; both calls post to the session's executor.
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
  server_state(router r, server_limits l, access_log_sink s, access_log_format f = access_log_format::text,
               request_observer o = {})
      : routes(std::move(r)), limits(l), log(std::move(s)), log_format(f), observer(std::move(o)) {}

  const router routes;
  const server_limits limits;
  const access_log_sink log;
  const access_log_format log_format;
  const request_observer observer;
  request_id_generator request_ids;  // thread-safe

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> active{0};     // open connections, counted from accept
  std::atomic<std::size_t> rejected{0};   // connections closed by max_connections
  std::atomic<std::size_t> rejected_per_address{0};  // closed by max_connections_per_address
  address_counts per_address;             // open connections per peer address
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
