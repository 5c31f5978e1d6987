// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef CTLMETRICS_H
#define CTLMETRICS_H

#include <qpsqlhastatus.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

// `qpsqlha-ctl metrics`: every node of every process as a metrics exposition, for Prometheus
// (node_exporter's textfile collector, or a scrape of a file written by cron).
namespace QPsqlHaCtl {

enum class MetricsFormat {
    OpenMetrics, // application/openmetrics-text 1.0.0: counters' families without _total,
                 // UNIT lines, "# EOF" at the end
    Prometheus, // text format 0.0.4, as node_exporter's textfile collector parses it
};

// The whole exposition, ending in a newline. Families: qpsqlha_node_up, _state, _role,
// _queries_total, _errors_total, _retries_total, _in_flight, _weight,
// _replication_lag_bytes, _replication_lag_seconds, _response_time_seconds; labels cluster,
// node (host:port) and process (pid). Lag and response time only where known.
QString metricsExposition(const QList<QPsqlHa::ProcessStatus> &processes, MetricsFormat format);

} // namespace QPsqlHaCtl

#endif // CTLMETRICS_H
