// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlmetrics.h"

#include <functional>
#include <optional>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

namespace {

enum class Type { Gauge, Counter };

// One node of one process: what every sample of it is labelled with.
struct NodeSample
{
    qint64 pid;
    const QPsqlHa::ClusterStatus *cluster;
    const QPsqlHa::NodeStatus *node;
};

// A label value in the exposition: backslash, double quote and newline escaped.
QString escapeLabel(const QString &value)
{
    QString escaped;
    escaped.reserve(value.size());
    for (const QChar c : value) {
        if (c == u'\\')
            escaped += u"\\\\"_s;
        else if (c == u'"')
            escaped += u"\\\""_s;
        else if (c == u'\n')
            escaped += u"\\n"_s;
        else
            escaped += c;
    }
    return escaped;
}

QString labels(const NodeSample &sample, const QString &extra = QString())
{
    QString text = u"{cluster=\"%1\",node=\"%2\",process=\"%3\""_s.arg(
        escapeLabel(sample.cluster->name), escapeLabel(sample.node->address),
        QString::number(sample.pid));
    if (!extra.isEmpty())
        text += u',' + extra;
    return text + u'}';
}

// Seconds with the precision the figure has (milliseconds or microseconds), no exponent.
QString seconds(qint64 amount, int perSecond)
{
    return QString::number(double(amount) / perSecond, 'f', perSecond == 1000 ? 3 : 6);
}

// "failed" rather than "offline: failed": label values that need no quoting in PromQL regexes.
QString stateLabel(QPsqlHa::NodeState state)
{
    switch (state) {
    case QPsqlHa::NodeState::Online:
        return u"online"_s;
    case QPsqlHa::NodeState::Failed:
        return u"failed"_s;
    case QPsqlHa::NodeState::OfflineByHand:
        return u"offline_by_hand"_s;
    case QPsqlHa::NodeState::Lagging:
        return u"lagging"_s;
    }
    return u"unknown"_s;
}

class Writer
{
public:
    Writer(const QList<NodeSample> &samples, MetricsFormat format)
        : m_samples(samples)
        , m_format(format)
    { }

    // One family: HELP, TYPE (and UNIT) lines, then value(sample) for every node that has one.
    void family(const QString &name, Type type, const QString &unit, const QString &help,
                const std::function<std::optional<QString>(const NodeSample &)> &value)
    {
        // OpenMetrics names a counter's family without the _total its samples carry; the
        // Prometheus text format names the family as its samples.
        const bool counter = type == Type::Counter;
        const QString familyName = counter && m_format == MetricsFormat::OpenMetrics
            ? name.chopped(int(qstrlen("_total")))
            : name;
        m_text += u"# TYPE %1 %2\n"_s.arg(familyName, counter ? u"counter"_s : u"gauge"_s);
        if (!unit.isEmpty() && m_format == MetricsFormat::OpenMetrics)
            m_text += u"# UNIT %1 %2\n"_s.arg(familyName, unit);
        m_text += u"# HELP %1 %2\n"_s.arg(familyName, help);
        for (const NodeSample &sample : m_samples) {
            if (const std::optional<QString> text = value(sample))
                m_text += name + labels(sample) + u' ' + *text + u'\n';
        }
    }

    // An enumeration: one sample per possible value, 1 for the node's own and 0 for the others
    // (so that a change shows as one series going to 0 and another to 1).
    void enumeration(const QString &name, const QString &label, const QStringList &values,
                     const QString &help, const std::function<QString(const NodeSample &)> &current)
    {
        m_text += u"# TYPE %1 gauge\n# HELP %1 %2\n"_s.arg(name, help);
        for (const NodeSample &sample : m_samples) {
            const QString now = current(sample);
            for (const QString &value : values) {
                m_text += name + labels(sample, u"%1=\"%2\""_s.arg(label, value)) + u' '
                    + (value == now ? u'1' : u'0') + u'\n';
            }
        }
    }

    QString finish()
    {
        if (m_format == MetricsFormat::OpenMetrics)
            m_text += u"# EOF\n"_s;
        return m_text;
    }

private:
    const QList<NodeSample> &m_samples;
    MetricsFormat m_format;
    QString m_text;
};

} // namespace

QString metricsExposition(const QList<QPsqlHa::ProcessStatus> &processes, MetricsFormat format)
{
    QList<NodeSample> samples;
    for (const QPsqlHa::ProcessStatus &process : processes) {
        for (const QPsqlHa::ClusterStatus &cluster : process.clusters) {
            for (const QPsqlHa::NodeStatus &node : cluster.nodes)
                samples.append({process.pid, &cluster, &node});
        }
    }

    using Value = std::optional<QString>;
    const auto number = [](qint64 value) {
        return Value(QString::number(value));
    };
    Writer out(samples, format);
    out.family(u"qpsqlha_node_up"_s, Type::Gauge, {},
               u"1 when the node is online (serves what its role gives it), else 0."_s,
               [&](const NodeSample &s) {
                   return number(s.node->state == QPsqlHa::NodeState::Online ? 1 : 0);
               });
    out.enumeration(u"qpsqlha_node_state"_s, u"state"_s,
                    {u"online"_s, u"failed"_s, u"offline_by_hand"_s, u"lagging"_s},
                    u"The node's state: 1 for the current one."_s,
                    [](const NodeSample &s) { return stateLabel(s.node->state); });
    out.enumeration(u"qpsqlha_node_role"_s, u"role"_s, {u"primary"_s, u"reader"_s},
                    u"The node's role: primary takes the writes."_s, [](const NodeSample &s) {
                        return s.node->role == QPsqlHa::NodeRole::Primary ? u"primary"_s
                                                                          : u"reader"_s;
                    });
    out.family(u"qpsqlha_node_serves_reads"_s, Type::Gauge, {},
               u"1 when the node is in the read pool."_s,
               [&](const NodeSample &s) { return number(s.node->servesReads ? 1 : 0); });
    out.family(u"qpsqlha_node_queries_total"_s, Type::Counter, {},
               u"Statements the node ran for this process."_s,
               [&](const NodeSample &s) { return number(qint64(s.node->queries)); });
    out.family(u"qpsqlha_node_errors_total"_s, Type::Counter, {},
               u"Statements that failed on the node."_s,
               [&](const NodeSample &s) { return number(qint64(s.node->errors)); });
    out.family(u"qpsqlha_node_retries_total"_s, Type::Counter, {},
               u"Statements moved to another node after this one failed."_s,
               [&](const NodeSample &s) { return number(qint64(s.node->retries)); });
    out.family(u"qpsqlha_node_in_flight"_s, Type::Gauge, {},
               u"Statements running on the node from this process now."_s,
               [&](const NodeSample &s) { return number(s.node->inFlight); });
    out.family(u"qpsqlha_node_weight"_s, Type::Gauge, {}, u"The node's QPSQLHA_WEIGHTS."_s,
               [&](const NodeSample &s) { return number(s.node->weight); });
    out.family(u"qpsqlha_node_replication_lag_bytes"_s, Type::Gauge, u"bytes"_s,
               u"WAL bytes the reader's replay is behind the primary (readers, when known)."_s,
               [&](const NodeSample &s) {
                   return s.node->lagBytes >= 0 ? number(s.node->lagBytes) : Value();
               });
    out.family(u"qpsqlha_node_replication_lag_seconds"_s, Type::Gauge, u"seconds"_s,
               u"How long the primary has been past the reader's replay (readers, when known)."_s,
               [&](const NodeSample &s) {
                   return s.node->lagMs >= 0 ? Value(seconds(s.node->lagMs, 1000)) : Value();
               });
    out.family(u"qpsqlha_node_response_time_seconds"_s, Type::Gauge, u"seconds"_s,
               u"Moving average of the node's statement response time in this process."_s,
               [&](const NodeSample &s) {
                   return s.node->responseTimeUs >= 0
                       ? Value(seconds(s.node->responseTimeUs, 1000000))
                       : Value();
               });
    return out.finish();
}

} // namespace QPsqlHaCtl
