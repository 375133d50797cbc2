#!/usr/bin/env bash
# Runs tessera's JOSE benchmark (tessera vs direct OpenSSL vs libjwt vs cpp-jwt, one
# executable, one run), writes build-bench/jose.json and prints the ratio tables.
#
#   benchmarks/run.sh                      # the full suite, as recorded in RESULTS.md
#   benchmarks/run.sh --benchmark_filter=HS256   # extra flags go to the benchmark
#
# Builds in build-bench (Release, -O2, NDEBUG) if needed; -j2, the machine is shared.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TESSERA_BENCH_BUILD_DIR:-$root/build-bench}

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DTESSERA_BUILD_BENCHMARKS=ON -DTESSERA_BUILD_EXAMPLES=OFF
fi
cmake --build "$build" --target tessera_bench_jose -j2

# Five repetitions, interleaved at random across benchmarks so a burst of load from other
# work on the machine lands on random rows instead of all repetitions of one; the median is
# what RESULTS.md reports.
"$build/benchmarks/tessera_bench_jose" \
  --benchmark_repetitions=5 \
  --benchmark_min_time=0.2 \
  --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$build/jose.json" --benchmark_out_format=json \
  "$@"

python3 "$root/benchmarks/ratios.py" "$build/jose.json"
