#!/usr/bin/env python3
"""Prints the JOSE benchmark's tables from Google Benchmark JSON output (run.sh writes it).

Throughput is 1 / CPU time per operation (CPU time, not wall time: the machine is shared,
and CPU time does not count the time another process held the core), from the fastest
repetition ("min": the one least disturbed by the VM's neighbours) and, for context, the
median. Ratios are tessera's throughput over the other library's, from the same run, on the
fastest repetitions; the median ratio is shown beside the tessera/openssl one.

    python3 benchmarks/ratios.py build-bench/jose.json
"""
import json
import sys

LIBS = ["tessera", "openssl", "libjwt", "cppjwt"]
OPS = ["sign", "verify"]
ALGS = ["HS256", "RS256", "ES256", "EdDSA"]
# tessera / openssl targets from the issue.
TARGET = {"HS256": 0.8, "RS256": 0.9, "ES256": 0.9, "EdDSA": 0.9}


def load(path):
    with open(path) as f:
        data = json.load(f)
    median, cv, best = {}, {}, {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "aggregate":
            continue
        parts = b["run_name"].split("/")
        if len(parts) != 3 or not parts[0].startswith("BM_"):
            continue
        key = (parts[0][3:], parts[1], parts[2])  # (op, lib, alg)
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        if b["aggregate_name"] == "median":
            median[key] = 1.0 / (b["cpu_time"] * scale)
        elif b["aggregate_name"] == "min":
            best[key] = 1.0 / (b["cpu_time"] * scale)
        elif b["aggregate_name"] == "cv":
            cv[key] = b["cpu_time"]  # a fraction
    return data.get("context", {}), best or median, median, cv


def fmt_ops(v):
    return f"{v:,.0f}"


def main(path):
    context, ops, median, cv = load(path)
    print(f"host: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
          f"date {context.get('date', '?')}, load {context.get('load_avg', '?')}")
    print()
    print("Operations per second (fastest repetition, CPU time; ± coefficient of variation of all):")
    print()
    print("| op | alg | " + " | ".join(LIBS) + " |")
    print("|---|---|" + "---:|" * len(LIBS))
    for op in OPS:
        for alg in ALGS:
            cells = []
            for lib in LIBS:
                k = (op, lib, alg)
                if k in ops:
                    cells.append(f"{fmt_ops(ops[k])} (±{cv.get(k, 0) * 100:.0f}%)")
                else:
                    cells.append("—")
            print(f"| {op} | {alg} | " + " | ".join(cells) + " |")
    print()
    print("Ratios, tessera throughput / other library's (same run):")
    print()
    print("| op | alg | tessera/openssl | (medians) | target | met | tessera/libjwt | tessera/cppjwt |")
    print("|---|---|---:|---:|---:|---|---:|---:|")
    missed = 0
    for op in OPS:
        for alg in ALGS:
            t = ops.get((op, "tessera", alg))
            row = []
            for lib in ["openssl", "libjwt", "cppjwt"]:
                o = ops.get((op, lib, alg))
                row.append(t / o if t and o else None)
            tm, om = median.get((op, "tessera", alg)), median.get((op, "openssl", alg))
            med = tm / om if tm and om else None
            target = TARGET[alg]
            met = row[0] is not None and row[0] >= target
            missed += 0 if met else 1
            cell = lambda r: "—" if r is None else f"{r:.2f}×"
            print(f"| {op} | {alg} | {cell(row[0])} | {cell(med)} | ≥ {target:.1f}× | {'yes' if met else 'NO'} | "
                  f"{cell(row[1])} | {cell(row[2])} |")
    print()
    print("all targets met" if missed == 0 else f"{missed} target(s) missed")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build-bench/jose.json")
