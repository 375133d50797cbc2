// tessera — ops/http_metrics.hpp: requests and their latency per endpoint, from the transport's
// access-log entries, and the `/metrics` endpoint that serves a registry.
//
//     ops::registry metrics;
//     routes.get("/metrics", ops::metrics_endpoint(metrics));   // register every route first...
//     ops::http_metrics http(metrics, routes);                  // ...then label them
//     server_options so;
//     so.observer = http.observer();
//
// Series:
//   tessera_http_requests_total{route, status}          counter
//   tessera_http_request_duration_seconds{route}        histogram (ops::latency_buckets), from a
//                                                       complete request header to the written answer
// `route` is the router's registered path that answered (`/oauth2/token`), never the request's
// own path: one label per registered path, plus `other` for requests no path matched (404s,
// malformed requests) — the label set is fixed when `http_metrics` is made. `status` takes the
// codes the server actually answers; each route keeps up to 16 distinct codes in a lock-free
// table, further codes go through the family's lock (and its cap).
//
// `observe` (the observer) allocates nothing after a route's first answer with a given status;
// it is a table lookup, a compare per status already seen, and three relaxed atomic adds.
// `http_metrics` must outlive the server it observes, and the router it was made from must be
// the one (or a copy of the one) the server serves.
#ifndef TESSERA_OPS_HTTP_METRICS_HPP
#define TESSERA_OPS_HTTP_METRICS_HPP

#include <tessera/ops/metrics.hpp>
#include <tessera/transport/access_log.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::ops {

/// A handler answering GET with `r`'s exposition. `r` must outlive the router.
inline auto metrics_endpoint(const registry& r) {
  return [&r](const transport::request& req) {
    auto res = transport::make_response(req, transport::http::status::ok, r.expose(), exposition_content_type);
    res.set(transport::http::field::cache_control, "no-store");
    return res;
  };
}

class http_metrics {
 public:
  /// The label of requests that matched no registered path.
  static constexpr std::string_view other_route = "other";

  http_metrics(registry& r, const transport::router& routes)
      : requests_(r.counters("tessera_http_requests_total", "HTTP requests answered, by route and status code.",
                             {"route", "status"})),
        latency_(r.histograms("tessera_http_request_duration_seconds",
                              "Time from a complete request header to the written response, by route.", {"route"})) {
    const auto paths = routes.paths();
    routes_.reserve(paths.size() + 1);
    for (auto p : paths) routes_.push_back(std::make_unique<route_slot>(std::string(p), latency_));
    routes_.push_back(std::make_unique<route_slot>(std::string(other_route), latency_));
  }

  http_metrics(const http_metrics&) = delete;
  http_metrics& operator=(const http_metrics&) = delete;

  /// Counts one answered request.
  void observe(const transport::access_log_entry& e) noexcept {
    route_slot& r = *routes_[e.route_index < routes_.size() - 1 ? e.route_index : routes_.size() - 1];
    r.latency.observe(std::chrono::duration<double>(e.duration).count());
    if (counter* c = status_counter(r, e.status)) c->inc();
  }

  /// `observe` as a `server_options::observer`; refers to this object.
  transport::request_observer observer() {
    return [this](const transport::access_log_entry& e) { observe(e); };
  }

 private:
  struct status_slot {
    std::atomic<unsigned> code{0};  // 0: free
    std::atomic<counter*> count{nullptr};
  };
  struct route_slot {
    route_slot(std::string l, histogram_family& f) : label(std::move(l)), latency(f.with({label})) {}
    std::string label;
    histogram& latency;
    std::array<status_slot, 16> statuses{};
  };

  counter* status_counter(route_slot& r, unsigned status) noexcept {
    try {
      if (status == 0) return &requests_.with({r.label, "0"});  // 0 marks a free slot
      for (auto& s : r.statuses) {
        unsigned code = s.code.load(std::memory_order_acquire);
        if (code == 0) {
          // Claim the slot; if another thread claimed it first, see whose code it holds.
          if (!s.code.compare_exchange_strong(code, status, std::memory_order_acq_rel)) {
            if (code != status) continue;
          }
          code = status;
        }
        if (code != status) continue;
        if (counter* c = s.count.load(std::memory_order_acquire)) return c;
        counter* c = &requests_.with({r.label, std::to_string(status)});  // find-or-create: idempotent
        s.count.store(c, std::memory_order_release);
        return c;
      }
      return &requests_.with({r.label, std::to_string(status)});  // a 17th code on one route
    } catch (...) {
      return nullptr;  // out of memory: this one request goes uncounted
    }
  }

  counter_family& requests_;
  histogram_family& latency_;
  std::vector<std::unique_ptr<route_slot>> routes_;  // by route index, then `other`
};

}  // namespace tessera::ops

#endif
