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
// What a read saw is known from the health checker's probes: a node's WAL position measured by
// a probe that started after the read returned is at least what the read saw (positions only
// grow), and so is the write node's. Until such a probe, the node a connection last read from
// is the only reader that may serve it (it cannot go back on itself); so after switching readers
// a connection stays on the new one for up to one health interval. The figure taken is the
// first one seen after such a probe, kept until the next read on that node: never less than
// what was read, sometimes more (a stricter choice, never a wrong one).
//
// Used from the connection's thread only; costs nothing until the first read is recorded.
class QPSQLHA_EXPORT MonotonicReads
{
public:
    // The nodes that may not serve this connection's next read.
    NodeMask unfit(const Cluster &cluster) noexcept;
    // A read on `node` returned (successfully): what it saw counts from now on.
    void recordRead(int node) noexcept;

private:
    void settle(const Cluster &cluster) noexcept;

    NodeMask m_pending = 0; // read from; what the read saw is not known yet
    NodeMask m_known = 0; // read from; m_seen holds at least what the last read there saw
    std::array<qint64, MaximumNodes> m_readAt {}; // watchdogClockMs() after the last read
    std::array<quint64, MaximumNodes> m_seen {};
};

} // namespace QPsqlHa

#endif // QPSQLHAMONOTONICREADS_P_H
