// tessera — ops.hpp: operating a tessera program: Prometheus metrics (registry, HTTP, tokens,
// store, process) and structured log lines (include list only).
#ifndef TESSERA_OPS_HPP
#define TESSERA_OPS_HPP

#include <tessera/ops/http_metrics.hpp>
#include <tessera/ops/json_line.hpp>
#include <tessera/ops/logger.hpp>
#include <tessera/ops/metrics.hpp>
#include <tessera/ops/process_metrics.hpp>
#include <tessera/ops/store_metrics.hpp>
#include <tessera/ops/token_metrics.hpp>

#endif
