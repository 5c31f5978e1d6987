// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASTATUS_H
#define QPSQLHASTATUS_H

// What a process reports about its nodes: the values the C++ API returns, the control channel
// carries and the operators' tools show. Plain data, so that the Control library and the tools
// need neither libpq nor Qt SQL.

#include <qpsqlhaconfig.h>
#include <qpsqlhaglobal.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

namespace QPsqlHa {

// A snapshot of one node, for listings.
struct NodeStatus
{
    QString cluster;
    QString host;
    int port = 0;
    QString address; // host:port, [v6]:port
    NodeRole role = NodeRole::Reader;
    NodeState state = NodeState::Online;
    quint64 queries = 0;
    quint64 errors = 0;
    quint64 retries = 0;
    QString lastError;
    QDateTime lastStateChange;
    // Replication: how far this reader's replay is behind the primary; -1 when not known or
    // not a reader. Measured by the health checker every interval.
    qint64 lagBytes = -1;
    qint64 lagMs = -1;
    int inFlight = 0; // statements running on it in this process now
    // Moving average of this process's statement response times on the node; -1 unmeasured.
    qint64 responseTimeUs = -1;
    int weight = 1; // QPSQLHA_WEIGHTS
    // In the read pool: a reader, or the primary under QPSQLHA_PRIMARY_READS=1.
    bool servesReads = false;
    // Out of service by this process's operator (qpsqlha-ctl offline, the C++ API). The state is
    // "offline: by hand" while this or the fleet's Offline holds.
    bool offlineByHand = false;
    // The fleet's admin state (docs/fleet.md): "online", "offline" or "drained"; empty when the
    // process has no fleet (QPSQLHA_FLEET). Who changed it, when and why, from the fleet schema.
    QString fleetAdmin;
    QString fleetReason;
    QString fleetChangedBy;
    QDateTime fleetChangedAt;
    // What Patroni's last good answer said about this node (QPSQLHA_PATRONI); patroniMember
    // empty: Patroni is not followed or does not list it.
    QString patroniMember;
    QString patroniRole; // "leader", "replica", "sync_standby", ...
    QString patroniState; // "running", "streaming", "stopped", ...
    qint64 patroniLagBytes = -1; // Patroni's own lag figure; -1: not given
    bool patroniNoLoadBalance = false; // tag noloadbalance: no reads
};

// Where a cluster's members come from.
struct TopologySource
{
    bool patroni = false; // false: the nodes of the options, and qpsqlha-ctl add/remove
    QString scope; // Patroni's scope; empty until known
    QString url; // the endpoint that answered last
    QStringList members; // member names of the last good answer
    QDateTime lastAnswer; // of the last good answer; null: none yet
    QString error; // why Patroni is not answering now; empty while it does
};

struct ClusterStatus
{
    QString name;
    QList<NodeStatus> nodes; // in the order they were configured or added
    TopologySource source;
};

// What one application process serves on its control socket (docs/control-protocol.md).
struct ProcessStatus
{
    qint64 pid = 0;
    QString application;
    int protocol = 0;
    QString library; // QPSQLHA version of that process
    // "fleet: ok", "fleet: not initialised", "fleet: unreachable"; empty without QPSQLHA_FLEET.
    QString fleet;
    QList<ClusterStatus> clusters;
};

// A node changed state in a process.
struct StateEvent
{
    qint64 pid = 0;
    QString cluster;
    NodeStatus node; // after the change
    NodeState oldState = NodeState::Online;
    NodeState newState = NodeState::Online;
    QString reason;
    QDateTime time;
};

// "online", "offline: failed", "offline: by hand"; "primary", "reader".
QPSQLHA_CONTROL_EXPORT QString nodeStateText(NodeState state);
QPSQLHA_CONTROL_EXPORT QString nodeRoleText(NodeRole role);

} // namespace QPsqlHa

#endif // QPSQLHASTATUS_H
