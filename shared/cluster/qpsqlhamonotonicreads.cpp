// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhamonotonicreads_p.h"

#include "qpsqlhawatchdog_p.h"

namespace QPsqlHa {

namespace {

constexpr NodeMask bit(int node)
{
    return NodeMask(1) << node;
}

} // namespace

void MonotonicReads::recordRead(int node) noexcept
{
    m_readsSinceKnown = node == m_lastNode ? m_readsSinceKnown + 1 : 1;
    m_lastNode = node;
    m_pending |= bit(node);
    m_known &= ~bit(node);
    // The coarse clock: a probe counts only if it started on a later tick, so certainly after.
    m_readAt[size_t(node)] = watchdogClockMs();
}

void MonotonicReads::recordPosition(int node, quint64 walPosition) noexcept
{
    if (isPending(node))
        markKnown(node, walPosition);
}

// What the last read on a pending `node` saw is now known to be at most `seen`.
void MonotonicReads::markKnown(int node, quint64 seen) noexcept
{
    m_seen[size_t(node)] = seen;
    m_known |= bit(node);
    m_pending &= ~bit(node);
    if (node == m_lastNode)
        m_readsSinceKnown = 0;
}

void MonotonicReads::settle(const Cluster &cluster) noexcept
{
    const int writer = cluster.writeNode();
    const Node &primary = cluster.node(writer);
    const bool primaryKnown = primary.role() == NodeRole::Primary;
    for (NodeMask pending = m_pending; pending; pending &= pending - 1) {
        const int node = qCountTrailingZeroBits(pending);
        const qint64 readAt = m_readAt[size_t(node)];
        const Node &served = cluster.node(node);
        // The time first, then the position: the position is at least that recent.
        bool known = false;
        quint64 seen = ~quint64(0);
        if (served.walMeasuredAtClock() > readAt) {
            seen = served.walPosition();
            known = true;
        }
        // A standby never replays past its primary: the primary's later position bounds it
        // too, so a reader that failed since does not hold this connection on the primary.
        if (primaryKnown && primary.walMeasuredAtClock() > readAt) {
            seen = qMin(seen, primary.walPosition());
            known = true;
        }
        if (known)
            markKnown(node, seen);
    }
}

NodeMask MonotonicReads::unfit(const Cluster &cluster) noexcept
{
    if (!(m_pending | m_known))
        return 0;
    if (m_pending)
        settle(cluster);
    // What each node must have replayed: the most any other node's read saw. The two largest
    // figures answer that for every node.
    int highestNode = -1;
    quint64 highest = 0;
    quint64 second = 0;
    for (NodeMask known = m_known; known; known &= known - 1) {
        const int node = qCountTrailingZeroBits(known);
        const quint64 seen = m_seen[size_t(node)];
        if (highestNode < 0 || seen > highest) {
            second = highest;
            highest = seen;
            highestNode = node;
        } else if (seen > second) {
            second = seen;
        }
    }
    NodeMask unfit = 0;
    const int writer = cluster.writeNode();
    const int nodes = cluster.nodeCount();
    for (int i = 0; i < nodes; ++i) {
        if (i == writer)
            continue;
        if (m_pending & ~bit(i)) { // another node's read, not bounded yet
            unfit |= bit(i);
            continue;
        }
        const quint64 needed = i == highestNode ? second : highest;
        if (needed > 0 && cluster.node(i).walPosition() < needed)
            unfit |= bit(i);
    }
    return unfit;
}

} // namespace QPsqlHa
