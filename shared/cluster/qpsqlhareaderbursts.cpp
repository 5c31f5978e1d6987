// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhareaderbursts_p.h"

#include "qpsqlhapolicy_p.h"

namespace QPsqlHa {

int ReaderBursts::nextBurst(const Cluster &cluster, NodeMask excluded, quint64 minimumWal,
                            int burstLength) noexcept
{
    int candidates[MaximumNodes];
    const int count = cluster.readCandidates(excluded, minimumWal, candidates);
    if (count == 0) {
        m_readsLeft = 0;
        return -1;
    }
    m_reader = startBurst(cluster, candidates, count);
    m_readsLeft = burstLength - 1;
    return m_reader;
}

int ReaderBursts::startBurst(const Cluster &cluster, const int *candidates, int count) noexcept
{
    // Weight 0: reads only when no reader of positive weight can take them.
    quint32 left = 0;
    int weighted = 0;
    for (int i = 0; i < count; ++i) {
        if (cluster.node(candidates[i]).weight() > 0) {
            ++weighted;
            left += m_bursts[size_t(candidates[i])];
        }
    }
    if (weighted == 0)
        return candidates[threadLocalRandom(quint32(count))];
    if (left == 0) {
        // The available readers have had their bursts of this cycle: deal the next one, to
        // every node (one that is away gets its share when it returns within the cycle).
        const int nodes = cluster.nodeCount();
        for (int i = 0; i < nodes; ++i)
            m_bursts[size_t(i)] = quint16(qMax(0, cluster.node(i).weight()));
        for (int i = 0; i < count; ++i)
            left += m_bursts[size_t(candidates[i])];
    }
    // A burst drawn at random from those left: each candidate owns as many tickets as it has
    // bursts left.
    quint32 ticket = threadLocalRandom(left);
    for (int i = 0; i < count; ++i) {
        quint16 &bursts = m_bursts[size_t(candidates[i])];
        if (ticket < bursts) {
            --bursts;
            return candidates[i];
        }
        ticket -= bursts;
    }
    return candidates[count - 1]; // not reached: the tickets add up to `left`
}

} // namespace QPsqlHa
