// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHANODE_P_H
#define QPSQLHANODE_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhaconnectoptions_p.h"

#include <QtCore/qatomic.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qmutex.h>

namespace QPsqlHa {

QPSQLHA_EXPORT const char *nodeStateName(NodeState state);

// One node's shared state. Read on every statement by every thread of the process, so the hot
// fields are atomics; only the last error text takes a lock, and only when it is written or
// shown. Every change of state goes through the methods here.
class QPSQLHA_EXPORT Node
{
    Q_DISABLE_COPY_MOVE(Node)
public:
    Node(const QString &cluster, const NodeSettings &settings);

    const NodeSettings &settings() const { return m_settings; }
    const QString &address() const { return m_address; }
    NodeRole role() const { return m_settings.role; }

    NodeState state() const { return NodeState(m_state.loadAcquire()); }
    bool isOnline() const { return state() == NodeState::Online; }
    // Bumped whenever the node comes back: connections made before that are re-created.
    quint32 epoch() const { return m_epoch.loadAcquire(); }

    // Online -> Failed. Returns false if it was not online (already failed, or offline by hand).
    bool markFailed(const QString &reason);
    // Failed -> Online, after a probe or a reconnect succeeded. Never overrides an operator.
    bool markRecovered(const QString &how);
    // Operator: OfflineByHand, or back to Online. Returns whether the state changed.
    bool setOfflineByHand(bool offline);

    void countQuery() { m_queries.fetchAndAddRelaxed(1); }
    void countError() { m_errors.fetchAndAddRelaxed(1); }
    void countRetry() { m_retries.fetchAndAddRelaxed(1); }
    quint64 queries() const { return m_queries.loadRelaxed(); }
    quint64 errors() const { return m_errors.loadRelaxed(); }
    quint64 retries() const { return m_retries.loadRelaxed(); }

    QString lastError() const;
    void setLastError(const QString &message);
    QDateTime lastStateChange() const;

private:
    bool transition(NodeState from, NodeState to, const QString &reason);

    const QString m_cluster;
    const NodeSettings m_settings;
    const QString m_address;
    QAtomicInteger<quint8> m_state {quint8(NodeState::Online)};
    QAtomicInteger<quint32> m_epoch {0};
    QAtomicInteger<quint64> m_queries {0};
    QAtomicInteger<quint64> m_errors {0};
    QAtomicInteger<quint64> m_retries {0};
    QAtomicInteger<qint64> m_lastChangeMs;
    mutable QMutex m_lastErrorMutex;
    QString m_lastError;
};

} // namespace QPsqlHa

#endif // QPSQLHANODE_P_H
