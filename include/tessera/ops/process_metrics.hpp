// tessera — ops/process_metrics.hpp: what a dashboard needs to tell one process from another.
//
//   process_start_time_seconds            gauge: when the process started (Unix time; the
//                                         name Prometheus' own clients use, so restarts show
//                                         up in the usual queries)
//   tessera_build_info{version}           gauge, always 1: the library version the program
//                                         was built with
//
// Call once, at start-up: the start time is the time of the call.
#ifndef TESSERA_OPS_PROCESS_METRICS_HPP
#define TESSERA_OPS_PROCESS_METRICS_HPP

#include <tessera/config.hpp>
#include <tessera/ops/metrics.hpp>

#include <chrono>

namespace tessera::ops {

inline void add_process_metrics(registry& r) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  r.gauges("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.")
      .with({})
      .set(std::chrono::duration<double>(now).count());
  r.gauges("tessera_build_info", "The tessera version this program was built with; always 1.", {"version"})
      .with({TESSERA_VERSION_STRING})
      .set(1);
}

}  // namespace tessera::ops

#endif
