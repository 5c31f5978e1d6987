// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASERVERHEALTH_P_H
#define QPSQLHASERVERHEALTH_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhaconnectoptions_p.h"

#include <QtCore/qatomic.h>
#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>

#include <memory>
#include <vector>

namespace QPsqlHa {

class Node;

// Whether one server is up, as this process knows it. Health belongs to the server, not to the
// cluster that lists it: several connections of a process may list one server in different
// clusters (another reader list, other options), and a server that failed under one of them has
// failed for all of them, as has its return. Every Node of that server shares this record:
// a failure or a return seen by any of them moves all of them, and the epoch that makes sessions
// re-create their connections is one counter for the server.
//
// The statement path reads only epoch(), an atomic. Changes (a failure, a return) take the
// record's mutex and move each node's own state under it, so that no node misses one.
class QPSQLHA_EXPORT ServerHealth
{
    Q_DISABLE_COPY_MOVE(ServerHealth)
public:
    ServerHealth() = default;

    // Bumped whenever the server comes back or is put back in service: connections made before
    // that are re-created.
    quint32 epoch() const { return m_epoch.loadAcquire(); }
    bool isFailed() const { return m_failed.loadAcquire() != 0; }

    // Called by Node only (its constructor, destructor and state changes).
    void attach(Node *node);
    void detach(Node *node);
    // The server failed: every node of it that was online or lagging goes to Failed. Returns
    // whether `seenBy` changed.
    bool fail(Node *seenBy, const QString &reason);
    // The server answers again (a probe, a reconnect): every node of it that was failed goes
    // online, after the epoch moved. Returns whether `seenBy` changed.
    bool recover(Node *seenBy, const QString &how);
    // An operator put `node` back in service: a new epoch (the server may have been restarted
    // meanwhile), and the node goes to what the server is known to be: online, or failed until
    // a probe says otherwise.
    bool backInService(Node *node);

private:
    QAtomicInteger<quint32> m_epoch {0};
    QAtomicInteger<quint8> m_failed {0};
    QMutex m_mutex; // m_nodes, m_reason; every change of m_failed
    std::vector<Node *> m_nodes;
    QString m_reason; // why it failed, for nodes that join while it is down
};

// The health records of the servers some clusters list, by server (NodeSettings::serverKey():
// "localhost" and "127.0.0.1" are one server). The cluster registry holds the process's book;
// a cluster made on its own (tests) gets a book of its own and shares nothing.
class QPSQLHA_EXPORT ServerHealthBook
{
    Q_DISABLE_COPY_MOVE(ServerHealthBook)
public:
    ServerHealthBook() = default;

    // The record of that server, made on first use; it lives as long as a node holds it.
    std::shared_ptr<ServerHealth> of(const NodeSettings &server);

private:
    QMutex m_mutex;
    QHash<QString, std::weak_ptr<ServerHealth>> m_servers;
};

} // namespace QPsqlHa

#endif // QPSQLHASERVERHEALTH_P_H
