// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhaserverhealth_p.h"

#include "qpsqlhanode_p.h"

#include <algorithm>

namespace QPsqlHa {

namespace {

// Moves every node of the server with `move`, but for those removed from their cluster: they are
// never used again, so there is no state change to announce. Returns whether seenBy moved.
template<typename Move> bool moveNodes(const std::vector<Node *> &nodes, Node *seenBy, Move move)
{
    bool changed = false;
    for (Node *node : nodes) {
        if (node != seenBy && node->isRemoved())
            continue;
        const bool moved = move(node);
        if (node == seenBy)
            changed = moved;
    }
    return changed;
}

} // namespace

void ServerHealth::attach(Node *node)
{
    QMutexLocker locker(&m_mutex);
    m_nodes.push_back(node);
    // A cluster that lists a server already known to be down starts with it down.
    if (isFailed())
        node->startFailed(m_reason);
}

void ServerHealth::detach(Node *node)
{
    QMutexLocker locker(&m_mutex);
    m_nodes.erase(std::remove(m_nodes.begin(), m_nodes.end(), node), m_nodes.end());
}

bool ServerHealth::fail(Node *seenBy, const QString &reason)
{
    QMutexLocker locker(&m_mutex);
    m_reason = reason;
    m_failed.storeRelease(1);
    return moveNodes(m_nodes, seenBy, [&reason](Node *node) { return node->applyFailed(reason); });
}

bool ServerHealth::recover(Node *seenBy, const QString &how)
{
    QMutexLocker locker(&m_mutex);
    // The epoch moves before any node is seen online, so that nobody who sees it online uses a
    // connection made before it failed. Only a return moves it: a second probe reporting the
    // same return, or a node that was only waiting for its first probe, does not make every
    // session reconnect again.
    if (isFailed()) {
        m_epoch.fetchAndAddOrdered(1);
        m_failed.storeRelease(0);
    }
    return moveNodes(m_nodes, seenBy, [&how](Node *node) { return node->applyRecovered(how); });
}

bool ServerHealth::backInService(Node *node)
{
    QMutexLocker locker(&m_mutex);
    m_epoch.fetchAndAddOrdered(1);
    return node->applyBackInService(isFailed());
}

std::shared_ptr<ServerHealth> ServerHealthBook::of(const NodeSettings &server)
{
    const QString key = server.serverKey();
    QMutexLocker locker(&m_mutex);
    std::weak_ptr<ServerHealth> &entry = m_servers[key];
    std::shared_ptr<ServerHealth> record = entry.lock();
    if (!record) {
        // A server no node lists any more starts afresh: nothing is known about it.
        record = std::make_shared<ServerHealth>();
        entry = record;
    }
    return record;
}

} // namespace QPsqlHa
