// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONOTONICREADS_P_H
#define QPSQLHAMONOTONICREADS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhacluster_p.h"

#include <array>

namespace QPsqlHa {

// QPSQLHA_CONSISTENCY=monotonic (and read_your_writes) for one connection: its reads never go
// back in time. A node may serve the next read only if it has replayed at least what every
// other node this connection read from had replayed when it served that read; the write node
// has everything and always may.
//
// What a read saw is bounded by any WAL position of that node measured after the read returned
// (positions only grow), and by the write node's: the health checker's probes that started
// after it, or the node asked directly (Session does after QPSQLHA_READER_BURST reads in a row
// on one node, one round trip, because a connection reading all the time never leaves a probe
// interval without a read).
// Until then, the node a connection last read from is the only reader that may serve it (it
// cannot go back on itself). The figure taken is the first one known after the read, kept until
// the next read on that node: never less than what was read, sometimes more (a stricter choice,
// never a wrong one). Other readers' positions are the probes': a reader serves the connection
// once a probe has found it at or past the figures of the others.
//
// Used from the connection's thread only; costs nothing until the first read is recorded.
class QPSQLHA_EXPORT MonotonicReads
{
public:
    // The nodes that may not serve this connection's next read.
    NodeMask unfit(const Cluster &cluster) noexcept;
    // A read on `node` returned (successfully): what it saw counts from now on.
    void recordRead(int node) noexcept;
    // Whether what the last read on `node` saw is still unknown.
    bool isPending(int node) const noexcept { return m_pending & (NodeMask(1) << node); }
    // The node of the latest read, and how many reads in a row it has served since its
    // position was last known (so how long this connection has been held there).
    int lastNode() const noexcept { return m_lastNode; }
    int readsSinceKnown() const noexcept { return m_readsSinceKnown; }
    // `node` said it has replayed (or, the primary, written) `walPosition`, asked after its last
    // read returned.
    void recordPosition(int node, quint64 walPosition) noexcept;

private:
    void settle(const Cluster &cluster) noexcept;
    void markKnown(int node, quint64 seen) noexcept;

    int m_lastNode = -1;
    int m_readsSinceKnown = 0;
    NodeMask m_pending = 0; // read from; what the read saw is not known yet
    NodeMask m_known = 0; // read from; m_seen holds at least what the last read there saw
    std::array<qint64, MaximumNodes> m_readAt {}; // watchdogClockMs() after the last read
    std::array<quint64, MaximumNodes> m_seen {};
};

} // namespace QPsqlHa

#endif // QPSQLHAMONOTONICREADS_P_H
