// tessera — ops/metrics.hpp: counters, gauges and histograms with fixed label names, and their
// Prometheus text exposition (format 0.0.4).
//
//     ops::registry metrics;
//     auto& issued = metrics.counters("tessera_tokens_issued_total", "Tokens issued.", {"grant_type"});
//     ops::counter& cc = issued.with({"client_credentials"});   // at setup: takes a lock
//     cc.inc();                                                 // per request: one relaxed atomic add
//     std::string page = metrics.expose();                      // GET /metrics
//
// Contract:
//  * Hot path lock-free: `counter::inc`, `gauge::set` and `histogram::observe` are relaxed atomic
//    operations on the series' own memory; nothing is allocated. `family::with` (find or create
//    a series) takes the family's lock: call it at setup and keep the reference, or cache it
//    (as ops/http_metrics.hpp does for status codes). References stay valid as long as the
//    registry lives.
//  * Bounded memory: a family holds at most `max_series` series; past that, new label sets all
//    share one series whose every label value is `other`. Label *values* must come from bounded
//    sets the program knows (route patterns, grant types, error causes), never from a request.
//  * Exposition (`expose`) may run while the hot path writes: each value is read atomically; a
//    histogram's `_count` is the sum of its buckets as read, so `_count` equals the `+Inf`
//    bucket in every scrape (its `_sum` may be a few observations ahead or behind).
//  * Escaping per the format: label values `\` `"` and newline, HELP text `\` and newline.
//    Metric and label names are the program's constants; a name that breaks the format's
//    grammar (`[a-zA-Z_:][a-zA-Z0-9_:]*`, labels without `:` and not starting `__`) is a
//    programmer error (asserted).
//  * Histogram buckets are upper bounds, inclusive (`le`): an observation equal to a bound is
//    counted in that bucket. Bounds are finite and strictly increasing; `+Inf` is implied.
#ifndef TESSERA_OPS_METRICS_HPP
#define TESSERA_OPS_METRICS_HPP

#include <tessera/config.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera::ops {

/// The `Content-Type` of the text exposition format.
inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets in seconds, from 100 µs (a token with an ES256 key and a memory store) to
/// 10 s (a stuck database): roughly 1-2.5-5 per decade.
inline constexpr double latency_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

/// A count that only goes up.
class counter {
 public:
  counter() = default;
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that is set.
class gauge {
 public:
  gauge() = default;
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Observations counted into buckets by upper bound, plus their sum.
class histogram {
 public:
  /// `bounds`: finite, strictly increasing upper bounds (`+Inf` is added).
  explicit histogram(std::span<const double> bounds)
      : bounds_(bounds.begin(), bounds.end()), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
    TESSERA_ASSERT(std::adjacent_find(bounds_.begin(), bounds_.end(), std::greater_equal<>()) == bounds_.end());
    TESSERA_ASSERT(std::all_of(bounds_.begin(), bounds_.end(), [](double b) { return std::isfinite(b); }));
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
  }

  /// Counts `v` in the first bucket whose bound is >= v (`+Inf` for larger values and NaN).
  void observe(double v) noexcept {
    counts_[bucket_of(v)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }

  /// The index of the bucket `v` falls in: 0..bounds().size() (the last is `+Inf`).
  std::size_t bucket_of(double v) const noexcept {
    // Linear from the bottom: latencies sit in the first few buckets.
    std::size_t i = 0;
    while (i < bounds_.size() && !(v <= bounds_[i])) ++i;
    return i;
  }

  std::span<const double> bounds() const noexcept { return bounds_; }

  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    std::uint64_t count = 0;
    double sum = 0;
  };
  /// The buckets as the exposition format shows them: cumulative.
  snapshot read() const {
    snapshot s;
    s.cumulative.reserve(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
      s.count += counts_[i].load(std::memory_order_relaxed);
      s.cumulative.push_back(s.count);
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

namespace detail {

constexpr bool is_metric_name(std::string_view n) noexcept {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

constexpr bool is_label_name(std::string_view n) noexcept {
  return is_metric_name(n) && n.find(':') == std::string_view::npos && !n.starts_with("__") && n != "le";
}

inline void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
}

inline void append_number(std::string& out, double v) {
  if (std::isnan(v))
    out += "NaN";
  else if (std::isinf(v))
    out += v > 0 ? "+Inf" : "-Inf";
  else {
    // Shortest round trip; plain decimals where they stay short (bucket bounds read `0.0001`,
    // not `1e-04`), exponents for the very small and very large.
    char buf[64];
    const double a = std::fabs(v);
    const auto format = (a == 0 || (a >= 1e-6 && a < 1e15)) ? std::chars_format::fixed : std::chars_format::general;
    auto r = std::to_chars(buf, buf + sizeof buf, v, format);
    out.append(buf, r.ptr);
  }
}

inline void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace detail

/// Label value escaping of the exposition format (`\` → `\\`, `"` → `\"`, newline → `\n`).
inline std::string escape_label_value(std::string_view v) {
  std::string out;
  detail::append_escaped(out, v, true);
  return out;
}

/// What every family shares: its name, help, type and label names, and how it is written.
class family {
 public:
  family(std::string name, std::string help, std::string_view type, std::vector<std::string> labels,
         std::size_t max_series)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        labels_(std::move(labels)),
        max_series_(std::max<std::size_t>(max_series, 1)) {
    TESSERA_ASSERT(detail::is_metric_name(name_));
    TESSERA_ASSERT(std::all_of(labels_.begin(), labels_.end(), [](const auto& l) { return detail::is_label_name(l); }));
  }
  virtual ~family() = default;
  family(const family&) = delete;
  family& operator=(const family&) = delete;

  const std::string& name() const noexcept { return name_; }
  std::string_view type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return labels_; }

  /// Appends `# HELP`, `# TYPE` and every series.
  void write(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    detail::append_escaped(out, help_, false);
    out += "\n# TYPE ";
    out += name_;
    out += ' ';
    out += type_;
    out += '\n';
    write_series(out);
  }

 protected:
  /// `{a="x",b="y"` — open: the caller adds `,le="..."` or closes it. Empty when no labels.
  void append_labels(std::string& out, const std::vector<std::string>& values) const {
    for (std::size_t i = 0; i < labels_.size(); ++i) {
      out += i == 0 ? '{' : ',';
      out += labels_[i];
      out += "=\"";
      detail::append_escaped(out, values[i], true);
      out += '"';
    }
  }
  virtual void write_series(std::string& out) const = 0;

  std::size_t max_series() const noexcept { return max_series_; }

 private:
  std::string name_, help_;
  std::string_view type_;
  std::vector<std::string> labels_;
  std::size_t max_series_;
};

/// A family of one metric type: `with(values)` finds or creates the series of those label
/// values (one per label name, in order).
template <class Metric>
class metric_family final : public family {
 public:
  /// `bounds`: a histogram's bucket bounds (ignored by other metric types).
  metric_family(std::string name, std::string help, std::string_view type, std::vector<std::string> labels,
                std::size_t max_series, std::span<const double> bounds = {})
      : family(std::move(name), std::move(help), type, std::move(labels), max_series),
        bounds_(bounds.begin(), bounds.end()) {}

  /// The series of `values`; created at first use. Takes the family's lock: keep the reference.
  Metric& with(std::initializer_list<std::string_view> values) {
    TESSERA_ASSERT(values.size() == label_names().size());
    std::lock_guard lk(mutex_);
    if (auto* s = find(values)) return *s;
    if (series_.size() >= max_series()) {
      const std::vector<std::string_view> other(label_names().size(), "other");
      if (auto* s = find(other)) return *s;
      return make(std::vector<std::string>(other.begin(), other.end()));
    }
    return make(std::vector<std::string>(values.begin(), values.end()));
  }

  /// Number of series.
  std::size_t size() const {
    std::lock_guard lk(mutex_);
    return series_.size();
  }

 private:
  struct series {
    template <class... A>
    explicit series(std::vector<std::string> v, const A&... a) : values(std::move(v)), metric(a...) {}
    std::vector<std::string> values;
    Metric metric;
  };

  Metric& make(std::vector<std::string> values) {
    if constexpr (std::is_same_v<Metric, histogram>)
      return series_.emplace_back(std::move(values), std::span<const double>(bounds_)).metric;
    else
      return series_.emplace_back(std::move(values)).metric;
  }

  template <class Values>
  Metric* find(const Values& values) {
    for (auto& s : series_)
      if (std::equal(s.values.begin(), s.values.end(), values.begin(), values.end())) return &s.metric;
    return nullptr;
  }

  void write_series(std::string& out) const override {
    std::lock_guard lk(mutex_);
    for (const auto& s : series_) write_one(out, s);
  }

  void write_one(std::string& out, const series& s) const {
    if constexpr (std::is_same_v<Metric, histogram>) {
      const auto snap = s.metric.read();
      const auto bounds = s.metric.bounds();
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        out += name();
        out += "_bucket";
        append_labels(out, s.values);
        out += s.values.empty() ? "{le=\"" : ",le=\"";
        if (i < bounds.size())
          detail::append_number(out, bounds[i]);
        else
          out += "+Inf";
        out += "\"} ";
        detail::append_number(out, snap.cumulative[i]);
        out += '\n';
      }
      sample(out, "_sum", s.values, [&] { detail::append_number(out, snap.sum); });
      sample(out, "_count", s.values, [&] { detail::append_number(out, snap.count); });
    } else {
      sample(out, "", s.values, [&] { detail::append_number(out, s.metric.value()); });
    }
  }

  template <class F>
  void sample(std::string& out, std::string_view suffix, const std::vector<std::string>& values, F value) const {
    out += name();
    out += suffix;
    append_labels(out, values);
    if (!values.empty()) out += '}';
    out += ' ';
    value();
    out += '\n';
  }

  mutable std::mutex mutex_;
  std::deque<series> series_;  // a deque: references to its elements survive growth
  std::vector<double> bounds_;
};

using counter_family = metric_family<counter>;
using gauge_family = metric_family<gauge>;
using histogram_family = metric_family<histogram>;

/// The families of a program, in the order they were added, and their exposition.
class registry {
 public:
  /// Series per family unless a family says otherwise.
  static constexpr std::size_t default_max_series = 1000;

  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Adds a family of counters (`name` should end in `_total`). A name may be added once.
  counter_family& counters(std::string name, std::string help, std::vector<std::string> labels = {},
                           std::size_t max_series = default_max_series) {
    return add<counter_family>(std::move(name), std::move(help), "counter", std::move(labels), max_series);
  }
  gauge_family& gauges(std::string name, std::string help, std::vector<std::string> labels = {},
                       std::size_t max_series = default_max_series) {
    return add<gauge_family>(std::move(name), std::move(help), "gauge", std::move(labels), max_series);
  }
  /// `bounds`: finite, strictly increasing upper bounds (default: `latency_buckets`, seconds).
  histogram_family& histograms(std::string name, std::string help, std::vector<std::string> labels = {},
                               std::span<const double> bounds = latency_buckets,
                               std::size_t max_series = default_max_series) {
    return add<histogram_family>(std::move(name), std::move(help), "histogram", std::move(labels), max_series, bounds);
  }

  /// Every family in the text exposition format 0.0.4.
  std::string expose() const {
    std::string out;
    std::lock_guard lk(mutex_);
    out.reserve(256 * families_.size());
    for (const auto& f : families_) f->write(out);
    return out;
  }

 private:
  template <class F, class... A>
  F& add(std::string name, A&&... args) {
    std::lock_guard lk(mutex_);
    TESSERA_ASSERT(std::none_of(families_.begin(), families_.end(), [&](const auto& f) { return f->name() == name; }));
    auto f = std::make_unique<F>(std::move(name), std::forward<A>(args)...);
    F& ref = *f;
    families_.push_back(std::move(f));
    return ref;
  }

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<family>> families_;
};

}  // namespace tessera::ops

#endif
