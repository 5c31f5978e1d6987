// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACLUSTER_P_H
#define QPSQLHACLUSTER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhanode_p.h"
#include <qpsqlhastatementclassifier.h>

#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qmutex.h>
#include <QtCore/qsharedpointer.h>

#include <memory>
#include <vector>

namespace QPsqlHa {

using NodeMask = quint64; // bit i: node i (MaximumNodes is 64)

// The nodes of one cluster name and everything every connection of that name shares in this
// process: node state, counters, the reader policy's turn and the statement classifier.
class QPSQLHA_EXPORT Cluster
{
    Q_DISABLE_COPY_MOVE(Cluster)
public:
    explicit Cluster(const ClusterSettings &settings);

    const QString &name() const { return m_settings.name; }
    const ClusterSettings &settings() const { return m_settings; }
    const StatementClassifier &classifier() const { return m_classifier; }

    int nodeCount() const { return int(m_nodes.size()); }
    Node &node(int index) const { return *m_nodes[size_t(index)]; }
    static constexpr int PrimaryIndex = 0;
    Node &primary() const { return node(PrimaryIndex); }
    int indexOf(const QString &address) const;

    // An online reader not in `excluded`, chosen by the policy; -1 if there is none.
    int pickReader(NodeMask excluded) const noexcept;
    // The reader a new connection keeps under ReaderAffinity::Connection: every reader in turn,
    // whatever its state, so that connections stay spread when a failed reader returns.
    // -1 without readers.
    int assignReader() const noexcept;

    // Connections (sessions) using the cluster: the health checker idles without any.
    void attachSession() { m_sessions.ref(); }
    void detachSession() { m_sessions.deref(); }
    int sessionCount() const { return m_sessions.loadRelaxed(); }

    // The debug mode is on if any connection of the cluster asked for it.
    void enableDebug() { m_debug.storeRelaxed(1); }
    bool isDebugEnabled() const { return m_debug.loadRelaxed() != 0; }

private:
    const ClusterSettings m_settings;
    const StatementClassifier m_classifier;
    std::vector<std::unique_ptr<Node>> m_nodes;
    mutable QAtomicInteger<quint32> m_turn {0};
    mutable QAtomicInteger<quint32> m_assignTurn {0};
    QAtomicInt m_sessions {0};
    QAtomicInt m_debug {0};
};

// Process-wide: cluster name -> Cluster. Clusters live as long as the process, so that counters
// survive closing and reopening connections and the tools always see every cluster.
class QPSQLHA_EXPORT ClusterRegistry
{
public:
    static ClusterRegistry &instance();

    // The cluster with settings.name, created on first use. Fails if a cluster of that name
    // exists with other nodes or options.
    QSharedPointer<Cluster> acquire(const ClusterSettings &settings, QString *errorMessage);
    QSharedPointer<Cluster> find(const QString &name) const;
    QList<QSharedPointer<Cluster>> clusters() const;

    // The C++ API defines clusters up front (per-node credentials included); a connection
    // naming such a cluster in QPSQLHA_CLUSTER takes its nodes from here.
    void define(const ClusterSettings &settings);
    bool definition(const QString &name, ClusterSettings *settings) const;

private:
    mutable QMutex m_mutex;
    QHash<QString, QSharedPointer<Cluster>> m_clusters;
    QList<QString> m_order;
    QHash<QString, ClusterSettings> m_definitions;
};

} // namespace QPsqlHa

#endif // QPSQLHACLUSTER_P_H
