// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAREADERBURSTS_P_H
#define QPSQLHAREADERBURSTS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhacluster_p.h"

#include <array>

namespace QPsqlHa {

// QPSQLHA_READER_AFFINITY=burst for one connection: its reads go to one reader for a burst of
// QPSQLHA_READER_BURST reads, then to the next reader of a cycle in which every reader has as
// many bursts as its weight, in an order drawn at random (without replacement) anew for each
// cycle. So a connection's reads spread over the readers in proportion to their weights, off by
// at most a cycle's bursts whatever the length of the run, in random order, while a backend
// serves a burst warm instead of being woken cold for every other statement.
//
// Readers that cannot serve now (failed, lagging, excluded by the caller) are skipped; their
// bursts of the cycle are left for when they return, until the cycle is dealt again.
// Used from the connection's thread only: no atomics, no allocation.
class QPSQLHA_EXPORT ReaderBursts
{
public:
    // The node for the next read, not in `excluded` and having replayed `minimumWal`; -1 if
    // there is none.
    int next(const Cluster &cluster, NodeMask excluded, quint64 minimumWal,
             int burstLength) noexcept
    {
        // Inline: all but one read of a burst end here.
        if (m_readsLeft > 0 && !(excluded & (NodeMask(1) << m_reader))
            && cluster.isReadable(m_reader) && cluster.hasReplayed(m_reader, minimumWal)) {
            --m_readsLeft;
            return m_reader;
        }
        return nextBurst(cluster, excluded, minimumWal, burstLength);
    }

private:
    int nextBurst(const Cluster &cluster, NodeMask excluded, quint64 minimumWal,
                  int burstLength) noexcept;
    int startBurst(const Cluster &cluster, const int *candidates, int count) noexcept;

    int m_reader = -1;
    int m_readsLeft = 0; // in the current burst, on m_reader
    // Bursts each node still has in this cycle (its weight when the cycle is dealt).
    std::array<quint16, MaximumNodes> m_bursts {};
};

} // namespace QPsqlHa

#endif // QPSQLHAREADERBURSTS_P_H
