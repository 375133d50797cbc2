#!/usr/bin/env bash
# Instructions per operation (callgrind, deterministic) for tessera and the OpenSSL ceiling,
# every JOSE row: the noise-free complement to run.sh's timings.
#
#   benchmarks/profile.sh [iterations]        # default 2000 (RS256 sign: 200)
# Environment: TESSERA_BENCH_BUILD_DIR (default build-bench; any -O2 NDEBUG build will do).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TESSERA_BENCH_BUILD_DIR:-$root/build-bench}
n=${1:-2000}
cmake --build "$build" --target tessera_profile_jose -j2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| op | alg | tessera Ir/op | openssl Ir/op | openssl/tessera |\n|---|---|---:|---:|---:|\n'
for op in sign verify; do
  for alg in HS256 RS256 ES256 EdDSA; do
    iters=$n
    [[ $op == sign && $alg == RS256 ]] && iters=$(( n / 10 > 0 ? n / 10 : 1 ))
    declare -A ir=()
    for lib in tessera openssl; do
      valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*timed_loop*' \
        --callgrind-out-file="$out/$lib" "$build/benchmarks/tessera_profile_jose" "$op" "$lib" "$alg" "$iters" \
        >/dev/null 2>&1
      total=$(grep -E '^(summary|totals):' "$out/$lib" | head -1 | awk '{print $2}')
      ir[$lib]=$(( total / iters ))
    done
    awk -v op="$op" -v alg="$alg" -v t="${ir[tessera]}" -v o="${ir[openssl]}" \
      'BEGIN { printf "| %s | %s | %\047d | %\047d | %.2f× |\n", op, alg, t, o, o / t }'
  done
done
