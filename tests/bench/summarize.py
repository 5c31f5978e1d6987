#!/usr/bin/env python3
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# Turns the runs of run-benchmarks.sh into medians, ratios and target checks:
#
#   summarize.py RAW.jsonl MACHINE.json RESULTS.json    print the table, write RESULTS.json
#                                                       (everything, raw runs included)
#   summarize.py --chart-data RESULTS.json CHART.dat    the columns plot.gp draws, from the JSON
#   summarize.py --markdown RESULTS.json                the tables of docs/benchmarks.md
#
# Standard library only.

import json
import statistics
import sys

TARGETS = ["direct", "ha", "pgpool", "split"]

# (case, metric, label, unit, higher is better)
ROWS = [
    ("read1", "rate", "1 thread prepared point reads", "reads/s", True),
    ("read1", "p50_us", "  latency p50", "us", False),
    ("read1", "p99_us", "  latency p99", "us", False),
    ("read1", "cs_per_stmt", "  context switches per statement", "cs", False),
    ("read8", "rate", "8 threads prepared point reads", "reads/s", True),
    ("read8", "p99_us", "  latency p99", "us", False),
    ("read8", "cs_per_stmt", "  context switches per statement", "cs", False),
    ("read8", "cpu_busy", "  CPU busy (both cores)", "share", False),
    ("read8_simple", "rate", "8 threads point reads, no prepare", "reads/s", True),
    ("mixed", "rate", "8 threads 90% reads 10% updates", "stmts/s", True),
    ("mixed", "p99_us", "  latency p99", "us", False),
    ("failover", "failed", "failover: failed reads (median)", "reads", False),
    ("failover", "failed_max", "  failed reads (worst round)", "reads", False),
    ("failover", "hung_clients_max", "  clients left hanging (worst round)", "clients", False),
    ("failover", "moved_ms", "  all clients served again after", "ms", False),
    ("failover", "normal_gap_ms", "  (longest gap before the kill)", "ms", False),
    ("failover", "spike_max_ms", "  max statement latency after kill", "ms", False),
    ("failover", "spike_p99_ms", "  p99 latency, 1 s after the kill", "ms", False),
    ("failover", "dip", "  worst 50 ms window / baseline", "x", True),
    ("failover", "rejoin_ms", "  reader1 serves again after restart", "ms", False),
    ("classify", "ns_per_statement", "classification of the mix", "ns/stmt", False),
    ("memory", "per_connection_kb", "RSS per open connection", "KiB", False),
    ("callgrind_prepared", "instructions", "client instructions, prepared read", "instr", False),
    ("callgrind_simple", "instructions", "client instructions, plain read", "instr", False),
]


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def medians(runs):
    """case -> target -> metric -> median over rounds (numbers only)."""
    values = {}
    for run in runs:
        per_target = values.setdefault(run["case"], {}).setdefault(run["target"], {})
        for key, value in run["figures"].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                per_target.setdefault(key, []).append(value)
    result = {}
    for case, targets in values.items():
        for target, metrics in targets.items():
            out = result.setdefault(case, {}).setdefault(target, {})
            for key, series in metrics.items():
                out[key] = statistics.median(series)
            if case == "failover" and "failed" in metrics:
                out["failed_max"] = max(metrics["failed"])
                out["failed_total"] = sum(metrics["failed"])
                out["hung_clients_max"] = max(metrics.get("hung_clients", [0]))
            # -1 means "not measured" (rejoin is only visible through QPSQLHA's counters).
            for key, series in metrics.items():
                if all(v == -1 for v in series):
                    out[key] = None
            out["rounds"] = len(next(iter(metrics.values())))
    return result


def ratio(a, b):
    if a is None or b is None or b <= 0 or a < 0:
        return None
    return a / b


def fmt(value):
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def main():
    if sys.argv[1] == "--chart-data":
        chart_data(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "--markdown":
        markdown(sys.argv[2])
        return
    raw_path, machine_path, results_path = sys.argv[1:4]
    runs = load(raw_path)
    with open(machine_path, encoding="utf-8") as f:
        machine = json.load(f)
    cases = medians(runs)

    def get(case, target, metric):
        return cases.get(case, {}).get(target, {}).get(metric)

    table = []
    for case, metric, label, unit, higher in ROWS:
        row = {"case": case, "metric": metric, "label": label.strip(), "unit": unit,
               "higher_is_better": higher}
        for target in TARGETS:
            row[target] = get(case, target, metric)
        row["ha/direct"] = ratio(row["ha"], row["direct"])
        row["ha/pgpool"] = ratio(row["ha"], row["pgpool"])
        row["ha/split"] = ratio(row["ha"], row["split"])
        table.append(row)

    # Memory: one QPSQLHA connection holds one QPSQL connection per node (3 here).
    nodes = 3
    direct_kb = get("memory", "direct", "per_connection_kb")
    ha_kb = get("memory", "ha", "per_connection_kb")
    memory_limit = None if direct_kb is None else 1.10 * nodes * direct_kb

    def check(name, value, limit, met):
        return {"target": name, "value": value, "limit": limit, "met": bool(met)}

    r1 = ratio(get("read1", "ha", "rate"), get("read1", "direct", "rate"))
    r8 = ratio(get("read8", "ha", "rate"), get("read8", "direct", "rate"))
    r8p = ratio(get("read8", "ha", "rate"), get("read8", "pgpool", "rate"))
    cls = get("classify", "ha", "ns_per_statement")
    failed = get("failover", "ha", "failed_max")
    targets = [
        check("1-thread read rate QPSQLHA/QPSQL >= 0.97", r1, 0.97, r1 is not None and r1 >= 0.97),
        check("8-thread read rate QPSQLHA/QPSQL >= 0.95", r8, 0.95, r8 is not None and r8 >= 0.95),
        check("8-thread read rate QPSQLHA/pgpool >= 2", r8p, 2.0, r8p is not None and r8p >= 2.0),
        check("classification < 300 ns per statement", cls, 300, cls is not None and cls < 300),
        check("failover: zero failed reads for QPSQLHA (every round)", failed, 0,
              failed is not None and failed == 0),
        check(f"memory per QPSQLHA connection <= 1.1 x {nodes} QPSQL connections", ha_kb,
              memory_limit, ha_kb is not None and memory_limit is not None
              and ha_kb <= memory_limit),
    ]

    # The same ratio per round: direct and ha run one after the other, so a round's ratio is
    # untouched by the machine getting slower or faster between rounds (this VM does, by up to
    # 10 % within minutes). Shown beside the ratio of medians, which the targets use.
    def paired(case):
        by_round = {}
        for run in runs:
            rate = run["figures"].get("rate")
            if run["case"] == case and rate is not None:
                by_round.setdefault(run["round"], {})[run["target"]] = rate
        ratios = [r["ha"] / r["direct"] for r in by_round.values()
                  if r.get("direct") and r.get("ha") is not None]
        if not ratios:
            return None
        return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
                "per_round": ratios}

    paired_ratios = {case: paired(case) for case in ("read1", "read8", "read8_simple", "mixed")}

    results = {
        "machine": machine,
        "method": (
            "One process per run, targets interleaved (direct, ha, pgpool, split, direct, ...), "
            "medians over rounds. direct = QPSQL to the primary; ha = QPSQLHA (primary + 2 "
            "readers); pgpool = QPSQL through pgpool-II (streaming replication, load balancing "
            "over the two standbys); split = control: QPSQL, one connection per reader, the "
            "client picks one at random per read."),
        "table": table,
        "targets": targets,
        "paired_ha_direct": paired_ratios,
        "medians": cases,
        "runs": runs,
    }
    with open(results_path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, sort_keys=False)
        f.write("\n")

    # The table.
    header = f"{'case':<40}{'unit':>9}" + "".join(f"{t:>11}" for t in TARGETS) + \
        f"{'ha/direct':>11}{'ha/pgpool':>11}{'ha/split':>10}"
    print(header)
    print("-" * len(header))
    for row in table:
        print(f"{next(r[2] for r in ROWS if r[0] == row['case'] and r[1] == row['metric']):<40}"
              f"{row['unit']:>9}" + "".join(f"{fmt(row[t]):>11}" for t in TARGETS)
              + f"{fmt(row['ha/direct']):>11}{fmt(row['ha/pgpool']):>11}{fmt(row['ha/split']):>10}")
    print()
    for t in targets:
        print(f"  [{'met' if t['met'] else 'NOT met'}] {t['target']}: {fmt(t['value'])}"
              + ("" if t["limit"] is None else f" (limit {fmt(t['limit'])})"))
    print()
    print("  ha/direct per round (each round's ha run against the direct run before it):")
    for case, p in paired_ratios.items():
        if p is not None:
            print(f"    {case:<13} median {p['median']:.2f}, range {p['min']:.2f}-{p['max']:.2f}: "
                  + " ".join(f"{r:.2f}" for r in p["per_round"]))


def markdown(results_path):
    """The results and target tables as Markdown, for docs/benchmarks.md."""
    with open(results_path, encoding="utf-8") as f:
        results = json.load(f)
    print("| Case | Unit | direct | **ha** | pgpool | *split* | **ha/direct** | **ha/pgpool** | ha/split |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for row in results["table"]:
        label = next(r[2] for r in ROWS if r[0] == row["case"] and r[1] == row["metric"])
        label = label.replace("  ", "&nbsp;&nbsp;&nbsp;", 1) if label.startswith("  ") else label
        cells = [fmt(row[t]) for t in TARGETS]
        ratios = [fmt(row[k]) for k in ("ha/direct", "ha/pgpool", "ha/split")]
        print(f"| {label} | {row['unit']} | {cells[0]} | **{cells[1]}** | {cells[2]} | {cells[3]} "
              f"| **{ratios[0]}** | **{ratios[1]}** | {ratios[2]} |")
    print()
    print("| Target | Measured | Limit | Met |")
    print("|---|--:|--:|---|")
    for t in results["targets"]:
        limit = "-" if t["limit"] is None else fmt(t["limit"])
        print(f"| {t['target']} | {fmt(t['value'])} | {limit} | {'yes' if t['met'] else '**no**'} |")


def chart_data(results_path, chart_path):
    """Throughput in thousands per second, one line per case, from the results JSON."""
    with open(results_path, encoding="utf-8") as f:
        medians_by_case = json.load(f)["medians"]
    with open(chart_path, "w", encoding="utf-8") as f:
        f.write("# case direct ha pgpool split (k statements/s)\n")
        for case, label in [("read1", "1 thread"), ("read8", "8 threads"),
                            ("read8_simple", "8 thr. no prepare"), ("mixed", "8 thr. 10% writes")]:
            values = [medians_by_case.get(case, {}).get(t, {}).get("rate") for t in TARGETS]
            f.write(f'"{label}" ' + " ".join("0" if v is None else f"{v / 1000:.3f}"
                                             for v in values) + "\n")


if __name__ == "__main__":
    main()
