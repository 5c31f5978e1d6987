// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhanode_p.h"

#include "qpsqlhalogging_p.h"

namespace QPsqlHa {

const char *nodeStateName(NodeState state)
{
    switch (state) {
    case NodeState::Online:
        return "online";
    case NodeState::Failed:
        return "offline: failed";
    case NodeState::OfflineByHand:
        return "offline: by hand";
    }
    return "unknown";
}

Node::Node(const NodeSettings &settings)
    : m_settings(settings)
    , m_address(settings.address())
    , m_lastChangeMs(QDateTime::currentMSecsSinceEpoch())
{ }

bool Node::transition(NodeState from, NodeState to)
{
    if (!m_state.testAndSetOrdered(quint8(from), quint8(to)))
        return false;
    m_lastChangeMs.storeRelease(QDateTime::currentMSecsSinceEpoch());
    return true;
}

bool Node::markFailed(const QString &reason)
{
    setLastError(reason);
    if (!transition(NodeState::Online, NodeState::Failed))
        return false;
    qCWarning(lcRouting).noquote() << "node" << m_address << "marked offline:" << reason;
    return true;
}

bool Node::markRecovered()
{
    // The epoch moves first so that nobody who sees the node online uses a connection made
    // before it failed.
    m_epoch.fetchAndAddOrdered(1);
    if (!transition(NodeState::Failed, NodeState::Online))
        return false;
    qCInfo(lcHealth).noquote() << "node" << m_address << "is back online";
    return true;
}

bool Node::setOfflineByHand(bool offline)
{
    if (offline) {
        for (;;) {
            const NodeState current = state();
            if (current == NodeState::OfflineByHand)
                return false;
            if (transition(current, NodeState::OfflineByHand))
                return true;
        }
    }
    // It may have failed while out of service; the next statement or probe will tell.
    m_epoch.fetchAndAddOrdered(1);
    return transition(NodeState::OfflineByHand, NodeState::Online);
}

QString Node::lastError() const
{
    QMutexLocker locker(&m_lastErrorMutex);
    return m_lastError;
}

void Node::setLastError(const QString &message)
{
    QMutexLocker locker(&m_lastErrorMutex);
    m_lastError = message;
}

QDateTime Node::lastStateChange() const
{
    return QDateTime::fromMSecsSinceEpoch(m_lastChangeMs.loadAcquire());
}

} // namespace QPsqlHa
