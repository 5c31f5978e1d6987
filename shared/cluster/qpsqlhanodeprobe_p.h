// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHANODEPROBE_P_H
#define QPSQLHANODEPROBE_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhaconnectoptions_p.h"

#include <atomic>

typedef struct pg_conn PGconn;

namespace QPsqlHa {

// Starts a non-blocking libpq connection to one node (PQconnectStartParams: the caller polls it)
// with the cluster's libpq options, under `applicationName`. Keyword/value arrays, so nothing is
// parsed from a string. Null only when libpq is out of memory.
PGconn *startNodeConnection(const NodeSettings &node, const ClusterSettings &cluster,
                            const QString &applicationName);

// What one probe learnt about a node.
struct ProbeResult
{
    bool ok = false;
    QString error; // why not, when !ok
    bool inRecovery = false; // a standby
    quint64 walPosition = 0; // written (primary) or replayed (standby)
    quint32 timeline = 0; // the primary's current timeline; 0 for a standby
};

// The health checker's own connection to one node, kept between probes. A probe never waits
// longer than its timeout, whatever the node does: libpq is driven without blocking (connect
// and query), so a frozen server or a black-holed address costs one timeout, not a hang.
// One probe at a time per object. `cancelled`, when set by another thread, ends a probe within
// a tenth of a second (the process is shutting down).
class QPSQLHA_EXPORT NodeProbe
{
    Q_DISABLE_COPY_MOVE(NodeProbe)
public:
    NodeProbe() = default;
    ~NodeProbe();

    ProbeResult run(const NodeSettings &node, const ClusterSettings &cluster, int timeoutMs,
                    const std::atomic<bool> *cancelled = nullptr);

private:
    bool connect(const NodeSettings &node, const ClusterSettings &cluster, qint64 deadline,
                 QString *error);
    bool waitFor(short events, qint64 deadlineMs) const;
    void close();

    PGconn *m_connection = nullptr;
    const std::atomic<bool> *m_cancelled = nullptr;
};

} // namespace QPsqlHa

#endif // QPSQLHANODEPROBE_P_H
