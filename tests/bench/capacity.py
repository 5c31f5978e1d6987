#!/usr/bin/env python3
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# Turns the runs of run-capacity.sh into capacities, ratios and target checks:
#
#   capacity.py RAW.jsonl MACHINE.json RESULTS.json   print the summary, write RESULTS.json
#                                                     (everything, raw runs included)
#   capacity.py --line RUN_JSON                       one capacity run in one line (progress)
#   capacity.py --chart-data RESULTS.json CHART.dat   the columns plot-capacity.gp draws
#   capacity.py --markdown RESULTS.json               the tables of docs/benchmarks.md
#
# capacity = statements / CPU seconds of the busiest node: the rate the cluster would reach if each
# node were a one-CPU machine of its own and the load were split as in the run. Standard library
# only.

import json
import statistics
import sys

NODES = ["primary", "reader1", "reader2"]

# (name, case, minimum ratio, theoretical limit or None, what it is)
CAPACITY_TARGETS = [
    ("QPSQLHA defaults >= 1.6x direct", "defaults", 1.6, None),
    ("QPSQLHA_READER_AFFINITY=connection >= 1.7x direct", "connection", 1.7, 2.0),
    ("QPSQLHA_PRIMARY_READS=1 >= 2.5x direct", "primary_reads", 2.5, 3.0),
]
BEST_VS_PGPOOL = 2.0
INSTRUCTIONS_LIMIT = 1.02
RATE1_LIMIT = 0.97


def capacity_of(run):
    """(capacity, busiest node, {node: CPU us per statement it served}) of one capacity run, or
    None. A node that served under 5 % of the statements has no per-statement figure (its CPU
    is the background: probes, health checks, replication)."""
    figures = run["figures"]
    cpu = figures.get("node_cpu_s")
    statements = figures.get("statements")
    if not cpu or not statements:
        return None
    busiest = max(cpu, key=lambda node: cpu[node])
    if cpu[busiest] <= 0:
        return None
    split = split_of(run) or {}
    per_statement = {node: cpu[node] / (statements * split[node]) * 1e6 for node in cpu
                     if split.get(node, 0) >= 0.05}
    return statements / cpu[busiest], busiest, per_statement


def commits_of(run):
    """{node: transactions committed during the run} from pg_stat_database, or None."""
    before, after = run.get("commits_before"), run.get("commits_after")
    if not before or not after:
        return None
    return {node: after[node] - before[node] for node in after}


def split_of(run):
    """{node: share of the statements it committed} from pg_stat_database, or None."""
    delta = commits_of(run)
    total = sum(delta.values()) if delta else 0
    if total <= 0:
        return None
    return {node: delta[node] / total for node in delta}


def describe(run):
    if "skipped" in run["figures"]:
        return f"{run['case']:<14} round {run['round']}: skipped"
    result = capacity_of(run)
    if result is None:
        return f"{run['case']:<14} round {run['round']}: no CPU figures"
    capacity, busiest, per_statement = result
    split = split_of(run) or {}
    cpu = run["figures"]["node_cpu_s"]
    nodes = " ".join(
        f"{node} {cpu[node]:.2f}s {100 * split.get(node, 0):.0f}%"
        + (f" {per_statement[node]:.0f}us" if node in per_statement else "")
        for node in NODES if node in cpu)
    return (f"{run['case']:<14} round {run['round']}: {run['figures']['rate']:>7,.0f} stmts/s, "
            f"capacity {capacity:>7,.0f}/CPU-s (busiest {busiest}); CPU, share, us/stmt served: "
            f"{nodes}; load {run.get('loadavg', 0):.1f}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(value, digits=2):
    if value is None:
        return "-"
    if abs(value) >= 1000 or (digits == 0 and abs(value) >= 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def summarize(runs):
    capacity_runs = [r for r in runs if r["kind"] == "capacity"]
    case_order = []
    for run in capacity_runs:
        if run["case"] not in case_order:
            case_order.append(run["case"])
    # round -> case -> capacity
    by_round = {}
    for run in capacity_runs:
        result = capacity_of(run)
        if result is not None:
            by_round.setdefault(run["round"], {})[run["case"]] = result[0]

    cases = {}
    for case in case_order:
        runs_of_case = [r for r in capacity_runs if r["case"] == case]
        skipped = [r["figures"]["skipped"] for r in runs_of_case if "skipped" in r["figures"]]
        entry = {"case": case, "target": runs_of_case[0]["target"],
                 "options": runs_of_case[0]["options"]}
        if skipped:
            entry["skipped"] = skipped[0]
            cases[case] = entry
            continue
        measured = [(r, capacity_of(r)) for r in runs_of_case]
        measured = [(r, c) for r, c in measured if c is not None]
        ratios = [by_round[r["round"]][case] / by_round[r["round"]]["direct"]
                  for r, _ in measured if by_round[r["round"]].get("direct")]
        splits = [split_of(r) for r, _ in measured]
        splits = [s for s in splits if s]
        entry.update({
            "rounds": len(measured),
            "capacity": statistics.median([c[0] for _, c in measured]),
            "capacity_per_round": [c[0] for _, c in measured],
            "ratio_to_direct": statistics.median(ratios) if ratios else None,
            "ratio_per_round": ratios,
            "rate": statistics.median([r["figures"]["rate"] for r, _ in measured]),
            "node_cpu_s": {node: statistics.median([r["figures"]["node_cpu_s"][node]
                                                    for r, _ in measured]) for node in NODES},
            "loadavg": [r.get("loadavg") for r, _ in measured],
            "busiest": [c[1] for _, c in measured],
            "cpu_us_per_statement": {
                node: statistics.median([c[2][node] for _, c in measured if node in c[2]])
                for node in NODES if all(node in c[2] for _, c in measured)},
            "split": {node: statistics.median([s.get(node, 0) for s in splits])
                      for node in NODES} if splits else None,
        })
        cases[case] = entry

    # Best QPSQLHA case against pgpool-II, per round.
    ha_cases = [c for c in cases.values()
                if c["target"] == "ha" and c.get("ratio_to_direct") is not None]
    best = max(ha_cases, key=lambda c: c["ratio_to_direct"]) if ha_cases else None
    best_vs_pgpool = None
    if best and cases.get("pgpool", {}).get("ratio_to_direct"):
        per_round = [by_round[r][best["case"]] / by_round[r]["pgpool"]
                     for r in by_round if by_round[r].get(best["case"]) and by_round[r].get("pgpool")]
        best_vs_pgpool = {"case": best["case"], "ratio": statistics.median(per_round),
                          "per_round": per_round}

    # 1-thread rate, each round's QPSQLHA run against the direct run just before it.
    rate_rounds = {}
    for run in runs:
        if run["kind"] == "rate1":
            rate_rounds.setdefault(run["round"], {})[run["target"]] = run["figures"]["rate"]
    rate1 = None
    pairs = [r for r in rate_rounds.values() if r.get("direct") and r.get("ha")]
    if pairs:
        direct = statistics.median([r["direct"] for r in pairs])
        ha = statistics.median([r["ha"] for r in pairs])
        rate1 = {"direct": direct, "ha": ha, "ratio": ha / direct,
                 "per_round": [r["ha"] / r["direct"] for r in pairs]}

    instructions = {r["target"]: r["figures"] for r in runs if r["kind"] == "instructions"}
    instr = None
    if instructions.get("direct") and instructions.get("ha"):
        d, h = instructions["direct"], instructions["ha"]
        # Other threads (QPSQLHA's health checker) work on a timer, not per statement: their
        # share of the 2N run, per statement, is shown apart; a difference of two runs would
        # only measure how their timers fell.
        def background(f):
            return (f["all_2n"] - f["main_2n"]) / (2 * f["n"])
        instr = {"direct": d["per_statement"], "ha": h["per_statement"],
                 "ratio": h["per_statement"] / d["per_statement"],
                 "direct_other_threads": background(d), "ha_other_threads": background(h),
                 "n": d["n"], "raw": instructions}

    rows = {r["target"]: r["figures"] for r in runs if r["kind"] == "row_instructions"}
    row_instr = None
    if rows.get("direct") and rows.get("ha"):
        row_instr = {"direct": rows["direct"]["per_row"], "ha": rows["ha"]["per_row"],
                     "ratio": rows["ha"]["per_row"] / rows["direct"]["per_row"],
                     "m": rows["direct"]["m"], "raw": rows}

    checks = []

    def check(name, value, limit, met, skipped=None, note=None):
        checks.append({"target": name, "value": value, "limit": limit,
                       "met": None if skipped else bool(met), "skipped": skipped, "note": note})

    for name, case, minimum, ceiling in CAPACITY_TARGETS:
        entry = cases.get(case)
        if entry is None or "skipped" in entry:
            check(name, None, minimum, False,
                  skipped="option not supported by this build" if entry else "not run")
            continue
        value = entry["ratio_to_direct"]
        note = None
        if ceiling is not None and value is not None and value > ceiling * 1.05:
            note = f"above the theoretical {ceiling}x: look at the runs"
        check(name, value, minimum, value is not None and value >= minimum, note=note)
    if best_vs_pgpool is None:
        check(f"best QPSQLHA case >= {BEST_VS_PGPOOL}x pgpool-II", None, BEST_VS_PGPOOL, False,
              skipped="not measured")
    else:
        check(f"best QPSQLHA case ({best_vs_pgpool['case']}) >= {BEST_VS_PGPOOL}x pgpool-II",
              best_vs_pgpool["ratio"], BEST_VS_PGPOOL, best_vs_pgpool["ratio"] >= BEST_VS_PGPOOL)
    if instr is None:
        check("client instructions per prepared read <= 1.02x QPSQL", None, INSTRUCTIONS_LIMIT,
              False, skipped="not measured")
    else:
        check("client instructions per prepared read <= 1.02x QPSQL", instr["ratio"],
              INSTRUCTIONS_LIMIT, instr["ratio"] <= INSTRUCTIONS_LIMIT)
    if row_instr is not None:
        check("client instructions per streamed row <= 1.02x QPSQL", row_instr["ratio"],
              INSTRUCTIONS_LIMIT, row_instr["ratio"] <= INSTRUCTIONS_LIMIT)
    if rate1 is None:
        check("1-thread loopback rate >= 0.97x QPSQL", None, RATE1_LIMIT, False,
              skipped="not measured")
    else:
        check("1-thread loopback rate >= 0.97x QPSQL", rate1["ratio"], RATE1_LIMIT,
              rate1["ratio"] >= RATE1_LIMIT)
    return {"cases": cases, "case_order": case_order, "best_vs_pgpool": best_vs_pgpool,
            "rate1": rate1, "instructions": instr, "row_instructions": row_instr,
            "targets": checks}


def print_summary(results):
    s = results["summary"]
    machine = results["machine"]
    print()
    if machine.get("capacity_skipped"):
        print(f"capacity: SKIPPED: {machine['capacity_skipped']}")
    else:
        print(f"capacity: {machine['threads']} threads of prepared point reads, "
              f"{machine['duration_s']} s per run, {machine['rounds']} rounds, "
              f"CPU from {machine['cgroup']} per node")
        print(f"{'case':<14}{'capacity/CPU-s':>15}{'x direct':>10}  {'per round':<22}"
              f"{'stmts/s':>9}  {'us/stmt served p/r1/r2':<23}{'split % p/r1/r2':<16}")
        for case in s["case_order"]:
            c = s["cases"][case]
            if "skipped" in c:
                print(f"{case:<14}  skipped: option not supported by this build")
                continue
            per_round = " ".join(f"{r:.2f}" for r in c["ratio_per_round"])
            cpu = "/".join(fmt(c["cpu_us_per_statement"].get(n), 0) for n in NODES)
            split = "/".join(f"{100 * c['split'][n]:.0f}" for n in NODES) if c["split"] else "-"
            print(f"{case:<14}{fmt(c['capacity']):>15}{fmt(c['ratio_to_direct']):>10}  "
                  f"{per_round:<22}{fmt(c['rate']):>9}  {cpu:<23}{split:<16}")
        if s["best_vs_pgpool"]:
            b = s["best_vs_pgpool"]
            print(f"best QPSQLHA case {b['case']} / pgpool-II: {b['ratio']:.2f} (per round "
                  + " ".join(f"{r:.2f}" for r in b["per_round"]) + ")")
    if s["rate1"]:
        r = s["rate1"]
        print(f"1-thread loopback: direct {r['direct']:,.0f}/s, QPSQLHA {r['ha']:,.0f}/s, "
              f"ratio {r['ratio']:.3f} (per round " + " ".join(f"{x:.2f}" for x in r["per_round"])
              + ")")
    if s["instructions"]:
        i = s["instructions"]
        print(f"client instructions per prepared read (2N-N, N={i['n']}, main thread): "
              f"QPSQL {i['direct']:,}, QPSQLHA {i['ha']:,}, ratio {i['ratio']:.3f}; other threads "
              f"(timers, under valgrind's slowdown) per statement of the 2N run: "
              f"{i['direct_other_threads']:,.0f} / {i['ha_other_threads']:,.0f}")
    if s.get("row_instructions"):
        i = s["row_instructions"]
        print(f"client instructions per streamed row (1000-row prepared forward-only reads, "
              f"2M-M, M={i['m']}, main thread): QPSQL {i['direct']:,}, QPSQLHA {i['ha']:,}, "
              f"ratio {i['ratio']:.3f}")
    print()
    for t in s["targets"]:
        if t["skipped"]:
            print(f"SKIP {t['target']}: {t['skipped']}")
        else:
            print(f"{'PASS' if t['met'] else 'FAIL'} {t['target']}: {fmt(t['value'], 3)}"
                  + (f" ({t['note']})" if t["note"] else ""))


def main():
    if sys.argv[1] == "--line":
        print("run-capacity:   " + describe(json.loads(sys.argv[2])))
        return
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
    results = {
        "machine": machine,
        "method": (
            "capacity = statements / CPU seconds of the busiest node, CPU per node from its "
            "cgroup (postmaster and every process it forks), sampled at the instants bounding "
            "the counted statements; 8 client threads of prepared point reads; ratio to QPSQL "
            "direct to the primary in the same round, median over rounds. Instructions: "
            "callgrind, client main thread, (I(2N) - I(N)) / N prepared reads on one "
            "connection."),
        "summary": summarize(runs),
        "runs": runs,
    }
    with open(results_path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print_summary(results)


def markdown(results_path):
    with open(results_path, encoding="utf-8") as f:
        results = json.load(f)
    s = results["summary"]
    print("| Case | Options | Capacity (stmts per CPU-s of the busiest node) | **× direct** "
          "| per round | 8-thread rate, loopback | CPU µs per statement served, primary / reader1 / reader2 "
          "| statements primary / reader1 / reader2 |")
    print("|---|---|--:|--:|---|--:|---|---|")
    for case in s["case_order"]:
        c = s["cases"][case]
        options = f"`{c['options']}`" if c["options"] else "-"
        if "skipped" in c:
            print(f"| {case} | {options} | skipped: option not supported by this build "
                  "| | | | | |")
            continue
        cpu = " / ".join(fmt(c["cpu_us_per_statement"].get(n), 0) for n in NODES)
        split = " / ".join(f"{100 * c['split'][n]:.0f} %" for n in NODES) if c["split"] else "-"
        print(f"| {case} | {options} | {fmt(c['capacity'])} | **{fmt(c['ratio_to_direct'])}** | "
              + " ".join(f"{r:.2f}" for r in c["ratio_per_round"])
              + f" | {fmt(c['rate'])} | {cpu} | {split} |")
    print()
    print("| Target | Measured | Limit | Met |")
    print("|---|--:|--:|---|")
    for t in s["targets"]:
        met = "skipped" if t["skipped"] else ("yes" if t["met"] else "**no**")
        print(f"| {t['target']} | {fmt(t['value'], 3)} | {fmt(t['limit'])} | {met} |")


def chart_data(results_path, chart_path):
    """Capacity relative to direct per case: median, lowest and highest round."""
    with open(results_path, encoding="utf-8") as f:
        s = json.load(f)["summary"]
    with open(chart_path, "w", encoding="utf-8") as f:
        f.write("# case median min max (capacity / direct)\n")
        for case in s["case_order"]:
            c = s["cases"][case]
            if "skipped" in c or not c.get("ratio_per_round"):
                continue
            f.write(f'"{case}" {c["ratio_to_direct"]:.3f} {min(c["ratio_per_round"]):.3f} '
                    f'{max(c["ratio_per_round"]):.3f}\n')


if __name__ == "__main__":
    main()
