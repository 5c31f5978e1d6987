#!/usr/bin/python3
# Strict check of `qpsqlha-ctl metrics` output, read from stdin.
# Usage: check_metrics.py openmetrics|prometheus PID NODES
#   openmetrics: prometheus_client's OpenMetrics parser (it rejects anything the format does not
#                allow: a missing "# EOF", a counter sample without _total, a bad label, ...);
#   prometheus:  the text format 0.0.4 parser, as node_exporter's textfile collector reads it.
# Then: every family is there with its type, every sample has the labels cluster, node and
# process=PID, there are NODES nodes, each in exactly one state and one role, and the counters
# show that statements ran.
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families as parse_prom

fmt, pid, nodes = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = sys.stdin.read()
families = {f.name: f for f in (parse_om(text) if fmt == "openmetrics" else parse_prom(text))}

def fail(message):
    sys.exit("check_metrics: " + message + "\n--- output:\n" + text)

# The family names as each parser reports them (the Prometheus parser strips _total as well).
expected = {
    "qpsqlha_node_up": "gauge",
    "qpsqlha_node_state": "gauge",
    "qpsqlha_node_role": "gauge",
    "qpsqlha_node_serves_reads": "gauge",
    "qpsqlha_node_queries": "counter",
    "qpsqlha_node_errors": "counter",
    "qpsqlha_node_retries": "counter",
    "qpsqlha_node_in_flight": "gauge",
    "qpsqlha_node_weight": "gauge",
    "qpsqlha_node_replication_lag_bytes": "gauge",
    "qpsqlha_node_replication_lag_seconds": "gauge",
    "qpsqlha_node_response_time_seconds": "gauge",
}
for name, kind in expected.items():
    if name not in families:
        fail(f"family {name} missing (got {sorted(families)})")
    if families[name].type != kind:
        fail(f"{name} is a {families[name].type}, expected {kind}")
    if not families[name].documentation:
        fail(f"{name} has no HELP")
unexpected = set(families) - set(expected)
if unexpected:
    fail(f"unexpected families {sorted(unexpected)}")
if fmt == "openmetrics":
    for name in ("qpsqlha_node_replication_lag_seconds", "qpsqlha_node_response_time_seconds"):
        if families[name].unit != "seconds":
            fail(f"{name} has unit {families[name].unit!r}")

seen_nodes = set()
for family in families.values():
    for sample in family.samples:
        labels = sample.labels
        for label in ("cluster", "node", "process"):
            if not labels.get(label):
                fail(f"{sample.name} has no {label} label: {labels}")
        if labels["process"] != pid:
            fail(f"{sample.name} is of process {labels['process']}, expected {pid}")
        if sample.value < 0:
            fail(f"{sample.name}{labels} is negative")
        seen_nodes.add((labels["cluster"], labels["node"]))
        if family.type == "counter" and not sample.name.endswith("_total"):
            fail(f"counter sample {sample.name} does not end in _total")
if len(seen_nodes) != nodes:
    fail(f"expected {nodes} nodes, got {sorted(seen_nodes)}")

def per_node(name):
    values = {}
    for sample in families[name].samples:
        key = (sample.labels["cluster"], sample.labels["node"])
        values[key] = values.get(key, 0) + sample.value
    return values

for name in ("qpsqlha_node_state", "qpsqlha_node_role"):
    for node, total in per_node(name).items():
        if total != 1:
            fail(f"{name}: node {node} is in {total} values at once")
if sum(per_node("qpsqlha_node_queries").values()) <= 0:
    fail("no statements counted")
roles = [s.labels["role"] for s in families["qpsqlha_node_role"].samples if s.value == 1]
if roles.count("primary") != 1:
    fail(f"expected one primary, roles {roles}")
print(f"check_metrics: {fmt}: {len(families)} families, {len(seen_nodes)} nodes: ok")
