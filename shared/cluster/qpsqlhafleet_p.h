// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAFLEET_P_H
#define QPSQLHAFLEET_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhaconnectoptions_p.h"

#include <QtCore/qmutex.h>
#include <QtCore/qsharedpointer.h>

#include <memory>
#include <vector>

namespace QPsqlHa {

class Cluster;
class FleetAgent;

// Whether a cluster takes part in the fleet: its QPSQLHA_FLEET, or QPSQLHA_FLEET=1 in the
// environment for every cluster of the process.
QPSQLHA_EXPORT bool fleetEnabledFor(const ClusterSettings &settings);
// The fleet schema a cluster uses: QPSQLHA_FLEET_SCHEMA, else the environment's, else "qpsqlha".
QPSQLHA_EXPORT QString fleetSchemaFor(const ClusterSettings &settings);

// The application's side of the fleet (docs/fleet.md): per cluster, one agent with a libpq
// connection of its own (never a caller's) to the cluster's primary, or to a reader while the
// primary is down. It LISTENs on the schema's channel and applies the admin state to the nodes as
// soon as a NOTIFY says it changed, reads it again every health interval, and upserts this
// process's heartbeat every QPSQLHA_FLEET_HEARTBEAT ms through the schema's SECURITY DEFINER
// function. Each agent runs on a thread of its own, like the health checker's probers, so a
// server that does not answer delays nobody's statements. With nobody connected to its cluster
// for a while, an agent closes its connection.
class QPSQLHA_EXPORT Fleet
{
    Q_DISABLE_COPY_MOVE(Fleet)
public:
    static Fleet &instance();

    // A connection of the cluster opens: its agent starts if it does not run, and the first time
    // (or after it went idle) the caller waits, at most a few seconds, for the admin state to be
    // read, so that a process started later starts with the current state.
    void attach(const QSharedPointer<Cluster> &cluster);

    // What the heartbeat carries: this process's status as `qpsqlha-ctl list --json` shows it
    // (a JSON object). Set by the layer that knows it (the driver); called on agents' threads.
    using StatusProvider = QByteArray (*)();
    void setStatusProvider(StatusProvider provider);
    StatusProvider statusProvider() const;

    // "fleet: ok", "fleet: not initialised", "fleet: unreachable" (the worst of the agents);
    // empty without fleet.
    QString statusText() const;

    // Who this process is in the fleet: its instance id (host, pid and a random part, unique
    // among restarts), and the host name it reports (QPSQLHA_FLEET_HOSTNAME overrides it).
    static QString instanceId();
    static QString hostName();

private:
    Fleet();
    ~Fleet();

    mutable QMutex m_mutex;
    std::vector<std::unique_ptr<FleetAgent>> m_agents;
    StatusProvider m_provider = nullptr;
};

} // namespace QPsqlHa

#endif // QPSQLHAFLEET_P_H
