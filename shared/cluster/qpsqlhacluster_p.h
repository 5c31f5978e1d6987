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
#include "qpsqlhaserverhealth_p.h"
#include <qpsqlhastatementclassifier.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qmutex.h>
#include <QtCore/qsharedpointer.h>

#include <memory>
#include <vector>

namespace QPsqlHa {

using NodeMask = quint64; // bit i: node i (MaximumNodes is 64)

struct PatroniTopology;

// Where a Patroni-followed cluster's members come from, for status (docs/patroni.md).
struct PatroniClusterView
{
    bool enabled = false; // QPSQLHA_PATRONI given
    QString scope; // from /patroni (3.0's /cluster has none); empty until known
    QString url; // the endpoint of the last good answer
    QStringList members; // member names of the last good answer
    QDateTime lastAnswer; // of the last good answer; null: none yet
    QString error; // why the last attempt failed; empty while Patroni answers
};

// The nodes of one cluster name and everything every connection of that name shares in this
// process: node state, counters, the reader policy's turn and the statement classifier.
class QPSQLHA_EXPORT Cluster
{
    Q_DISABLE_COPY_MOVE(Cluster)
public:
    // `servers`: where the health of the servers it lists is shared. The registry passes the
    // process's book; by default a cluster shares its servers' health with no other cluster.
    explicit Cluster(const ClusterSettings &settings,
                     std::shared_ptr<ServerHealthBook> servers
                     = std::make_shared<ServerHealthBook>());

    const QString &name() const { return m_settings.name; }
    const ClusterSettings &settings() const { return m_settings; }
    const StatementClassifier &classifier() const { return m_classifier; }

    // Nodes are only ever appended (readers added at run time); a removed node keeps its index,
    // marked removed, so that indexes held by sessions stay valid. Lock-free to read.
    int nodeCount() const { return m_nodeCount.loadAcquire(); }
    Node &node(int index) const { return *m_nodes[size_t(index)]; }
    // The configured primary's index: where writes go until the servers say otherwise.
    static constexpr int PrimaryIndex = 0;
    // The node writes go to now: the configured primary, or the reader that was promoted.
    int writeNode() const { return m_writeNode.loadAcquire(); }
    Node &primary() const { return node(writeNode()); }
    // The node of that address that has not been removed, or -1. The address may name the
    // server differently (NodeSettings::isSameServerAs()).
    int indexOf(const QString &address) const;

    // An online reader not in `excluded`, chosen by the policy; -1 if there is none.
    // With `minimumWal` > 0 only readers that have replayed at least that WAL position.
    // "Reader" includes the write node under QPSQLHA_PRIMARY_READS=1, here and below.
    int pickReader(NodeMask excluded, quint64 minimumWal = 0) const noexcept;
    // The nodes pickReader() chooses from, in index order, into `candidates` (room for
    // MaximumNodes); returns how many.
    int readCandidates(NodeMask excluded, quint64 minimumWal, int *candidates) const noexcept;
    // Whether `index` may serve a read now (online, a standby, not the write node unless
    // QPSQLHA_PRIMARY_READS=1).
    bool isReadable(int index) const noexcept;
    // Whether `index` has replayed `minimumWal` (0: no minimum) as far as the probes know. The
    // write node has everything.
    bool hasReplayed(int index, quint64 minimumWal) const noexcept
    {
        return minimumWal == 0 || index == writeNode() || node(index).walPosition() >= minimumWal;
    }

    // Nodes on the fly: a reader with the primary's credentials and database at `address`
    // (host:port), for every connection of the cluster. Returns its index, or -1 and *error.
    int addReader(const QString &address, QString *error);
    // Takes a reader out; statements running on it finish. The write node cannot be removed.
    bool removeNode(const QString &address, QString *error);

    // Patroni (QPSQLHA_PATRONI). One good answer of /cluster from `url`: members not yet nodes
    // are added as readers (addReader()), nodes it no longer lists are removed (removeNode();
    // the write node stays until our probes move the writes), each node's Patroni figures and
    // noloadbalance tag are noted. Returns the index of the node Patroni calls leader, or -1.
    // Which node takes writes is still for reconcile() alone to decide, from our own probes.
    int applyPatroniTopology(const PatroniTopology &topology, const QString &url);
    // No endpoint answered usably: the last topology stays, the error is shown in status.
    // Returns whether it is news (Patroni answered before, or the error changed).
    bool notePatroniFailure(const QString &error);
    void notePatroniScope(const QString &scope);
    PatroniClusterView patroniView() const;

    // The health checker's findings: decides which node takes writes and which readers lag.
    // Called after every probe, from the health checker's threads.
    void reconcile();
    // The reader a new connection keeps under ReaderAffinity::Connection: every reader in turn
    // (the write node too under QPSQLHA_PRIMARY_READS=1), whatever its state, so that
    // connections stay spread when a failed reader returns. -1 without readers.
    int assignReader() const noexcept;

    // Connections (sessions) using the cluster: the health checker probes only while there is
    // one, and holds no connection to the nodes without one (Session tells it when the count
    // leaves or reaches 0). Returns the counter stripe the new session writes to (see
    // StripedCounter): given in turn. *first: whether it is the only session now.
    int attachSession(bool *first = nullptr)
    {
        const int before = m_sessions.fetchAndAddOrdered(1);
        if (first)
            *first = before == 0;
        return m_nextStripe.fetchAndAddRelaxed(1);
    }
    // Returns whether it was the last session.
    bool detachSession() { return !m_sessions.deref(); }
    int sessionCount() const { return m_sessions.loadRelaxed(); }

    // The debug mode is on if any connection of the cluster asked for it.
    void enableDebug() { m_debug.storeRelaxed(1); }
    bool isDebugEnabled() const { return m_debug.loadRelaxed() != 0; }

private:
    int pickBy(Policy policy, const int *candidates, int count) const noexcept;
    int candidateOfTicket(const int *candidates, int count, quint32 ticket) const noexcept;

    const ClusterSettings m_settings;
    const StatementClassifier m_classifier;
    const std::shared_ptr<ServerHealthBook> m_servers; // before the nodes, which hold records
    // Written under m_topologyMutex before m_nodeCount publishes it; owned by m_ownedNodes.
    Node *m_nodes[MaximumNodes] = {};
    QAtomicInt m_nodeCount {0};
    QAtomicInt m_writeNode {PrimaryIndex};
    QMutex m_topologyMutex; // adding/removing nodes, reconcile()
    std::vector<std::unique_ptr<Node>> m_ownedNodes;
    // The write node's WAL position over the last probes, for readers' lag in milliseconds.
    struct WalSample
    {
        qint64 timeMs;
        quint64 lsn;
    };
    std::vector<WalSample> m_walHistory;
    mutable QAtomicInteger<quint32> m_turn {0};
    mutable QAtomicInteger<quint32> m_assignTurn {0};
    QAtomicInt m_sessions {0};
    QAtomicInt m_nextStripe {0};
    QAtomicInt m_debug {0};
    mutable QMutex m_patroniMutex; // guards m_patroni; never held with m_topologyMutex
    PatroniClusterView m_patroni;
};

// Process-wide: cluster name -> Cluster. Clusters live as long as the process, so that counters
// survive closing and reopening connections and the tools always see every cluster. Every
// cluster made here shares the health of the servers it lists with the others (one
// ServerHealthBook).
class QPSQLHA_EXPORT ClusterRegistry
{
public:
    static ClusterRegistry &instance();

    // The cluster of those settings, created on first use. A name the application gave
    // (settings.nameGiven) is one cluster: acquiring it with other nodes or options fails. A
    // default name (the primary's host:port/database) is shared by every definition of that
    // primary: the first is called by it, the next ones "name#2", "name#3"..., and each
    // connection gets the one whose nodes and options are its own.
    QSharedPointer<Cluster> acquire(const ClusterSettings &settings, QString *errorMessage);
    QSharedPointer<Cluster> find(const QString &name) const;
    QList<QSharedPointer<Cluster>> clusters() const;

    // The C++ API defines clusters up front (per-node credentials included); a connection
    // naming such a cluster in QPSQLHA_CLUSTER takes its nodes from here.
    void define(const ClusterSettings &settings);
    bool definition(const QString &name, ClusterSettings *settings) const;

private:
    struct PatroniSeed;
    ClusterRegistry();
    QSharedPointer<Cluster> acquire(const ClusterSettings &settings, const PatroniSeed *seed,
                                    QString *errorMessage);
    QSharedPointer<Cluster> create(ClusterSettings settings);

    mutable QMutex m_mutex;
    const std::shared_ptr<ServerHealthBook> m_servers;
    QHash<QString, QSharedPointer<Cluster>> m_clusters;
    QList<QString> m_order;
    QHash<QString, ClusterSettings> m_definitions;
};

} // namespace QPsqlHa

#endif // QPSQLHACLUSTER_P_H
