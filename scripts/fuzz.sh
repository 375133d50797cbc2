#!/usr/bin/env bash
# Runs one libFuzzer target for a while, over a copy of its kept corpus.
#
#   scripts/fuzz.sh                 list the fuzz targets
#   scripts/fuzz.sh <target> [N]    fuzz <target> for N seconds (default 60)
#
# Builds in build-fuzz/ with clang and TESSERA_BUILD_FUZZERS=ON (ASan + UBSan, any report
# fatal). The committed corpus tests/fuzz/corpus/<target>/ is copied to
# build-fuzz/fuzz/corpus/<target>/, which the fuzzer grows; the committed one is never written.
# Crash inputs land in build-fuzz/fuzz/artifacts/<target>/. Extra arguments after N go to the
# fuzzer (e.g. -max_len=4096). Environment: TESSERA_FUZZ_BUILD_DIR, CC/CXX (default clang).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

targets_file=tests/fuzz/targets.cmake
list_targets() { sed -n 's/^[[:space:]]*tessera_add_fuzzer([[:space:]]*\([A-Za-z0-9_]*\).*/\1/p' "$targets_file"; }

if (($# == 0)); then
  echo "usage: scripts/fuzz.sh <target> [seconds] [libFuzzer args...]"
  echo "targets (from $targets_file):"
  list_targets | sed 's/^/  /'
  exit 0
fi

target=$1
seconds=${2:-60}
shift $(($# >= 2 ? 2 : 1))
if ! list_targets | grep -qx "$target"; then
  echo "fuzz.sh: no fuzz target '$target' in $targets_file" >&2
  exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "fuzz.sh: seconds must be a whole number, got '$seconds'" >&2
  exit 2
fi

build=${TESSERA_FUZZ_BUILD_DIR:-build-fuzz}
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" "${generator[@]}" \
    -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTESSERA_BUILD_FUZZERS=ON -DTESSERA_BUILD_TESTS=ON \
    -DTESSERA_BUILD_EXAMPLES=OFF -DTESSERA_BUILD_BENCHMARKS=OFF
fi
cmake --build "$build" --target "$target" -j2

seed=tests/fuzz/corpus/$target
work=$build/fuzz/corpus/$target
artifacts=$build/fuzz/artifacts/$target
mkdir -p "$work" "$artifacts"
if [[ -d "$seed" ]]; then cp -R "$seed"/. "$work"/; fi

binary=$(find "$build" -type f -name "$target" -perm -u+x | head -n 1)
echo "fuzz.sh: $target for ${seconds}s; corpus $work ($(find "$work" -type f | wc -l) inputs), crashes in $artifacts/"
status=0
"$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$work" || status=$?
if ((status != 0)); then
  echo "fuzz.sh: $target failed ($status); inputs in $artifacts/. Reproduce with: $binary <file>" >&2
  echo "fuzz.sh: after the fix, add the input to $seed/ so ctest replays it (fuzz.$target)" >&2
else
  echo "fuzz.sh: done. Fold new coverage into the kept corpus (minimised) with:"
  echo "  mkdir -p $seed && $binary -merge=1 $seed $work"
fi
exit $status
