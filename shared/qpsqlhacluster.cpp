// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhacluster_p.h"

#include "qpsqlhahealthchecker_p.h"
#include "qpsqlhapolicy_p.h"

namespace QPsqlHa {

using namespace Qt::StringLiterals;

Cluster::Cluster(const ClusterSettings &settings)
    : m_settings(settings)
    , m_classifier(settings.writeFunctions)
{
    m_nodes.reserve(size_t(settings.nodes.size()));
    for (const NodeSettings &node : settings.nodes)
        m_nodes.push_back(std::make_unique<Node>(settings.name, node));
    if (settings.debug)
        enableDebug();
}

int Cluster::indexOf(const QString &address) const
{
    for (int i = 0; i < nodeCount(); ++i) {
        if (node(i).address().compare(address, Qt::CaseInsensitive) == 0)
            return i;
    }
    return -1;
}

int Cluster::pickReader(NodeMask excluded) const noexcept
{
    int candidates[MaximumNodes];
    int count = 0;
    for (int i = 1; i < nodeCount(); ++i) {
        if (!(excluded & (NodeMask(1) << i)) && node(i).isOnline())
            candidates[count++] = i;
    }
    if (count == 0)
        return -1;
    return candidates[choosePosition(m_settings.policy, count, m_turn)];
}

int Cluster::assignReader() const noexcept
{
    const int readers = nodeCount() - 1;
    if (readers <= 0)
        return -1;
    return 1 + int(m_assignTurn.fetchAndAddRelaxed(1) % quint32(readers));
}

namespace {

// Describes how two settings for one cluster name differ, or returns an empty string.
QString settingsConflict(const ClusterSettings &existing, const ClusterSettings &wanted)
{
    if (existing.addresses() != wanted.addresses()) {
        return u"nodes %1, not %2"_s.arg(existing.addresses().join(u", "_s),
                                         wanted.addresses().join(u", "_s));
    }
    if (existing.healthIntervalMs != wanted.healthIntervalMs) {
        return u"QPSQLHA_HEALTH_INTERVAL=%1, not %2"_s.arg(existing.healthIntervalMs)
            .arg(wanted.healthIntervalMs);
    }
    if (existing.queryTimeoutMs != wanted.queryTimeoutMs) {
        return u"QPSQLHA_QUERY_TIMEOUT=%1, not %2"_s.arg(existing.queryTimeoutMs)
            .arg(wanted.queryTimeoutMs);
    }
    if (existing.policy != wanted.policy)
        return u"another QPSQLHA_POLICY"_s;
    if (existing.affinity != wanted.affinity)
        return u"another QPSQLHA_READER_AFFINITY"_s;
    if (existing.writeFunctions != wanted.writeFunctions)
        return u"another QPSQLHA_WRITE_FUNCTIONS"_s;
    return QString();
}

} // namespace

ClusterRegistry &ClusterRegistry::instance()
{
    static ClusterRegistry registry;
    return registry;
}

QSharedPointer<Cluster> ClusterRegistry::acquire(const ClusterSettings &settings,
                                                 QString *errorMessage)
{
    QSharedPointer<Cluster> cluster;
    {
        QMutexLocker locker(&m_mutex);
        cluster = m_clusters.value(settings.name);
        if (cluster) {
            const QString conflict = settingsConflict(cluster->settings(), settings);
            if (!conflict.isEmpty()) {
                *errorMessage = u"QPSQLHA: cluster '%1' is already in use in this process with %2; "
                                "give this connection its own QPSQLHA_CLUSTER name"_s.arg(
                                    settings.name, conflict);
                return {};
            }
            if (settings.debug)
                cluster->enableDebug();
            return cluster;
        }
        cluster = QSharedPointer<Cluster>::create(settings);
        m_clusters.insert(settings.name, cluster);
        m_order.append(settings.name);
    }
    HealthChecker::instance().watch(cluster);
    return cluster;
}

QSharedPointer<Cluster> ClusterRegistry::find(const QString &name) const
{
    QMutexLocker locker(&m_mutex);
    return m_clusters.value(name);
}

QList<QSharedPointer<Cluster>> ClusterRegistry::clusters() const
{
    QMutexLocker locker(&m_mutex);
    QList<QSharedPointer<Cluster>> result;
    result.reserve(m_order.size());
    for (const QString &name : m_order)
        result.append(m_clusters.value(name));
    return result;
}

void ClusterRegistry::define(const ClusterSettings &settings)
{
    QMutexLocker locker(&m_mutex);
    m_definitions.insert(settings.name, settings);
}

bool ClusterRegistry::definition(const QString &name, ClusterSettings *settings) const
{
    QMutexLocker locker(&m_mutex);
    const auto it = m_definitions.constFind(name);
    if (it == m_definitions.constEnd())
        return false;
    *settings = *it;
    return true;
}

} // namespace QPsqlHa
