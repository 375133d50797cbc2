#!/usr/bin/env python3
"""Prints the resource-validation benchmark's table from Google Benchmark JSON output.

    tessera_bench_resource --benchmark_repetitions=9 --benchmark_enable_random_interleaving=true \\
        --benchmark_out=resource.json --benchmark_out_format=json
    python3 benchmarks/resource_ratios.py resource.json

Throughput is 1 / CPU time per operation per thread, from the fastest repetition (the one
least disturbed by the VM's neighbours) and from the median; ratios are against
BM_raw_verify_jws of the same algorithm in the same run.
"""
import json
import statistics
import sys

ALGS = {"0": "ES256", "1": "RS256"}
ROWS = ["BM_raw_verify_jws", "BM_jwt_validator", "BM_uncached", "BM_cached", "BM_cached_10k"]


def main(path):
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        runs.setdefault(name, []).append(b["cpu_time"] if b["time_unit"] == "ns" else None)
    def find(row, alg, threads=None):
        for name, times in runs.items():
            parts = name.split("/")
            if parts[0] != row or parts[1] != alg:
                continue
            if threads is None and not any(p.startswith("threads:") for p in parts[2:]):
                return times
            if threads is not None and f"threads:{threads}" in parts[2:]:
                return times
            if threads is None and "threads:1" in parts[2:]:
                return times
        return None
    print("| row | alg | ops/s (fastest) | ops/s (median) | ÷ raw verify (fastest) | ÷ raw verify (median) |")
    print("|---|---|---:|---:|---:|---:|")
    for alg, alg_name in ALGS.items():
        raw = find("BM_raw_verify_jws", alg)
        for row in ROWS:
            for threads in ([None, 2] if row == "BM_cached" else [None]):
                t = find(row, alg, threads)
                if not t:
                    continue
                label = row + (f" (2 threads, per thread)" if threads == 2 else "")
                best, med = 1e9 / min(t), 1e9 / statistics.median(t)
                rb, rm = min(raw) / min(t), statistics.median(raw) / statistics.median(t)
                print(f"| {label} | {alg_name} | {best:,.0f} | {med:,.0f} | {rb:.2f}× | {rm:.2f}× |")


if __name__ == "__main__":
    main(sys.argv[1])
