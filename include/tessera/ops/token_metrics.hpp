// tessera — ops/token_metrics.hpp: what the token endpoint issued and refused, as counters.
//
//     ops::token_metrics tokens(metrics, tessera::embedded_server::grant_types());
//     settings.token_events = tokens.observer();   // before the server is made from `settings`
//
// Series:
//   tessera_tokens_issued_total{grant_type}         one per grant type the server serves, from 0
//   tessera_token_errors_total{error, cause}        failed token requests: `error` is the wire
//                                                   code the client got (RFC 6749 §5.2, RFC 8628
//                                                   §3.5: invalid_client, invalid_grant, ...),
//                                                   `cause` the `tessera::error` it was made from
//                                                   (its fixed description, error.hpp), or for a
//                                                   store's own error code its category's name
// Every label value comes from a fixed set — the grant types given here, the `tessera::error`
// table, the error categories linked into the program — never from the request. A failure
// series appears at its first occurrence. `observe` is lock-free after a cause's first
// occurrence: an array index and one relaxed atomic add. `token_metrics` must outlive the
// server that reports to it.
#ifndef TESSERA_OPS_TOKEN_METRICS_HPP
#define TESSERA_OPS_TOKEN_METRICS_HPP

#include <tessera/error.hpp>
#include <tessera/ops/metrics.hpp>
#include <tessera/server/token_observer.hpp>

#include <array>
#include <atomic>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::ops {

class token_metrics {
 public:
  /// `grant_types`: the grant types the server serves (`authorization_server::grant_types()`).
  token_metrics(registry& r, const std::vector<std::string_view>& grant_types)
      : issued_(r.counters("tessera_tokens_issued_total", "Token requests answered with tokens, by grant type.",
                           {"grant_type"})),
        errors_(r.counters("tessera_token_errors_total",
                           "Token requests refused, by the wire error code and the cause it was made from.",
                           {"error", "cause"})) {
    for (auto g : grant_types) grants_.push_back({std::string(g), &issued_.with({g})});
    for (auto& c : by_cause_) c.store(nullptr, std::memory_order_relaxed);
  }

  token_metrics(const token_metrics&) = delete;
  token_metrics& operator=(const token_metrics&) = delete;

  void observe(const server::token_outcome& o) noexcept {
    if (!o.error) {
      for (auto& g : grants_)
        if (g.grant_type == o.grant_type) return g.issued->inc();
      return;  // a grant type not given at construction: not a label this family may take
    }
    if (counter* c = error_counter(o.error)) c->inc();
  }

  /// `observe` as `server_settings::token_events`; refers to this object.
  server::token_observer observer() {
    return [this](const server::token_outcome& o) { observe(o); };
  }

 private:
  static constexpr std::size_t cause_count = std::size(tessera::detail::error_table);
  static constexpr std::size_t max_categories = 8;

  counter* error_counter(const std::error_code& ec) noexcept {
    try {
      if (ec.category() == tessera::error_category()) {
        const auto i = static_cast<std::size_t>(ec.value());
        if (i >= cause_count) return &errors_.with({"server_error", "unknown"});
        if (counter* c = by_cause_[i].load(std::memory_order_acquire)) return c;
        const auto e = static_cast<tessera::error>(i);
        counter* c = &errors_.with({wire_name(to_condition(e)), description(e)});  // idempotent
        by_cause_[i].store(c, std::memory_order_release);
        return c;
      }
      // Another category (a store's driver, the OS): its name, never its message, which may
      // carry text from outside. The wire code is server_error (error.hpp, condition_of).
      for (auto& slot : categories_) {
        const std::error_category* cat = slot.category.load(std::memory_order_acquire);
        if (cat == nullptr) {
          if (!slot.category.compare_exchange_strong(cat, &ec.category(), std::memory_order_acq_rel) &&
              cat != &ec.category())
            continue;
          cat = &ec.category();
        }
        if (cat != &ec.category()) continue;
        if (counter* c = slot.count.load(std::memory_order_acquire)) return c;
        counter* c = &errors_.with({wire_name(condition_of(ec)), ec.category().name()});
        slot.count.store(c, std::memory_order_release);
        return c;
      }
      return &errors_.with({wire_name(condition_of(ec)), "other"});
    } catch (...) {
      return nullptr;  // out of memory: this failure goes uncounted
    }
  }

  struct grant_slot {
    std::string grant_type;
    counter* issued;
  };
  struct category_slot {
    std::atomic<const std::error_category*> category{nullptr};
    std::atomic<counter*> count{nullptr};
  };

  counter_family& issued_;
  counter_family& errors_;
  std::vector<grant_slot> grants_;
  std::array<std::atomic<counter*>, cause_count> by_cause_;
  std::array<category_slot, max_categories> categories_{};
};

}  // namespace tessera::ops

#endif
