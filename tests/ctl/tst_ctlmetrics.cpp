// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The exposition of `qpsqlha-ctl metrics` from fixed status, without processes: label escaping,
// what is left out when unknown, the counter naming of each format and the end marker.

#include "ctlmetrics.h"

#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using namespace QPsqlHa;
using namespace QPsqlHaCtl;

class tst_CtlMetrics : public QObject
{
    Q_OBJECT

private slots:
    void openMetrics();
    void prometheusFormat();
    void noProcesses();

private:
    static QList<ProcessStatus> sample();
};

QList<ProcessStatus> tst_CtlMetrics::sample()
{
    NodeStatus primary;
    primary.address = u"127.0.0.1:5432"_s;
    primary.role = NodeRole::Primary;
    primary.queries = 12;
    primary.errors = 1;
    primary.responseTimeUs = 1500;
    NodeStatus reader;
    reader.address = u"[::1]:5433"_s;
    reader.role = NodeRole::Reader;
    reader.state = NodeState::Lagging;
    reader.servesReads = true;
    reader.lagBytes = 4096;
    reader.lagMs = 250;
    ProcessStatus process;
    process.pid = 77;
    ClusterStatus cluster;
    cluster.name = u"say \"hi\"\\\nnow"_s;
    cluster.nodes = {primary, reader};
    process.clusters = {cluster};
    return {process};
}

void tst_CtlMetrics::openMetrics()
{
    const QString text = metricsExposition(sample(), MetricsFormat::OpenMetrics);
    const QString labels = uR"({cluster="say \"hi\"\\\nnow",node="127.0.0.1:5432",process="77"})"_s;
    QVERIFY2(text.contains(u"qpsqlha_node_queries_total"_s + labels + u" 12\n"_s),
             qPrintable(text));
    QVERIFY(text.contains(u"qpsqlha_node_errors_total"_s + labels + u" 1\n"_s));
    QVERIFY(text.contains(u"# TYPE qpsqlha_node_queries counter\n"_s));
    QVERIFY(text.contains(u"qpsqlha_node_response_time_seconds"_s + labels + u" 0.001500\n"_s));
    QVERIFY(text.contains(u"# UNIT qpsqlha_node_replication_lag_seconds seconds\n"_s));
    QVERIFY(text.contains(u"node=\"[::1]:5433\",process=\"77\",state=\"lagging\"} 1\n"_s));
    QVERIFY(text.contains(u"node=\"[::1]:5433\",process=\"77\",state=\"online\"} 0\n"_s));
    QVERIFY(text.contains(
        u"qpsqlha_node_up{cluster=\"say \\\"hi\\\"\\\\\\nnow\",node=\"[::1]:5433\",process=\"77\"} 0\n"_s));
    QVERIFY(text.contains(u"node=\"[::1]:5433\",process=\"77\"} 0.250\n"_s));
    // The primary's lag is unknown: no sample rather than a -1.
    QVERIFY(!text.contains(u"qpsqlha_node_replication_lag_bytes"_s + labels));
    QVERIFY(!text.contains(u"-1"_s));
    QVERIFY(text.endsWith(u"\n# EOF\n"_s));
}

void tst_CtlMetrics::prometheusFormat()
{
    const QString text = metricsExposition(sample(), MetricsFormat::Prometheus);
    QVERIFY(text.contains(u"# TYPE qpsqlha_node_queries_total counter\n"_s));
    QVERIFY(!text.contains(u"# UNIT"_s));
    QVERIFY(!text.contains(u"# EOF"_s));
}

void tst_CtlMetrics::noProcesses()
{
    const QString text = metricsExposition({}, MetricsFormat::OpenMetrics);
    QVERIFY(text.endsWith(u"# EOF\n"_s));
    QVERIFY(!text.contains(u"{"_s));
}

QTEST_GUILESS_MAIN(tst_CtlMetrics)
#include "tst_ctlmetrics.moc"
