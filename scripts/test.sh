#!/usr/bin/env bash
# tessera's whole check, as CI runs it (.ci/run):
#   dependencies -> [npm packages] -> configure -> build -> single-header drift -> ctest
# Works from any directory. Exits non-zero if any phase fails; configure and build failures
# stop the run, the drift check and ctest both run and are both reported.
# Environment: TESSERA_BUILD_DIR (default build), TESSERA_BUILD_TYPE (default Release),
# TESSERA_CXX_FLAGS (the flags of that build type; default for Release "-O1 -DNDEBUG"),
# TESSERA_CTEST_ARGS (extra ctest arguments, e.g. "-L headers" or "-R jose").
#
# Why -O1 without -g: the check needs the code compiled and the tests run, not debug
# information or the last few percent of speed. Most of a tessera TU's time is the compiler's
# back end: a server test source takes 68 s at -O2 -g, 47 s at -O2, 34 s at -O1
# (benchmarks/RESULTS.md, "Compile time"). Benchmark figures come from benchmarks/run.sh and
# token_wrk.sh, which build -O2 in their own build directories; sanitizer builds are -O1 too.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${TESSERA_BUILD_DIR:-build}
build_type=${TESSERA_BUILD_TYPE:-Release}
declare -a type_flags=()
if [[ $build_type == Release || -n ${TESSERA_CXX_FLAGS:-} ]]; then
  type_flags=("-DCMAKE_CXX_FLAGS_${build_type^^}=${TESSERA_CXX_FLAGS:--O1 -DNDEBUG}")
fi
jobs=$(nproc)

total_start=$EPOCHREALTIME
declare -a summary=()
failed=0
phase() {  # phase <name> <command...>: runs, times and records one phase
  local name=$1
  shift
  echo
  echo "==> $name: $*"
  local start=$EPOCHREALTIME status=0
  "$@" || status=$?
  local took
  took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  if ((status == 0)); then
    summary+=("$(printf '  %-16s ok      %7ss' "$name" "$took")")
  else
    summary+=("$(printf '  %-16s FAILED  %7ss  (exit %d)' "$name" "$took" "$status")")
    failed=1
  fi
  echo "<== $name: $([[ $status == 0 ]] && echo ok || echo "FAILED ($status)") in ${took}s"
  return "$status"
}
report() {
  echo
  echo "scripts/test.sh summary:"
  printf '%s\n' "${summary[@]}"
  awk -v a="$total_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "  %-16s         %7.1fs\n", "total", b - a }'
  if ((failed)); then echo "FAILED"; else echo "all phases passed"; fi
}
stop_if_failed() { if ((failed)); then report; exit 1; fi; }

phase deps bash scripts/install-deps.sh
stop_if_failed

# --- npm packages for the interop tests (tests/interop) -------------------------------------
# Installed only when a lockfile is committed; `npm ci` installs exactly what it pins.
if [[ -f package-lock.json ]]; then
  phase npm npm ci --no-audit --no-fund
  stop_if_failed
fi

phase configure cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE="$build_type" "${type_flags[@]}" \
  -DTESSERA_BUILD_TESTS=ON -DTESSERA_BUILD_EXAMPLES=ON -DTESSERA_BUILD_BENCHMARKS=ON
stop_if_failed

# -k 0: keep building after a failure, so one run shows every broken target.
phase build cmake --build "$build" -j"$jobs" -- -k 0
stop_if_failed

phase amalgamate python3 scripts/amalgamate --check

# shellcheck disable=SC2086 # TESSERA_CTEST_ARGS is a list of arguments
phase ctest ctest --test-dir "$build" --output-on-failure -j2 ${TESSERA_CTEST_ARGS:-}

report
exit "$failed"
