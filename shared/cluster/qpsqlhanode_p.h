// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHANODE_P_H
#define QPSQLHANODE_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhaconnectoptions_p.h"
#include "qpsqlhaserverhealth_p.h"
#include "qpsqlhastripedcounter_p.h"

#include <QtCore/qatomic.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qmutex.h>

#include <memory>

namespace QPsqlHa {

// One node's shared state: one server as one cluster lists it. Read on every statement by every
// thread of the process, so the hot fields are atomics; only the last error text takes a lock,
// and only when it is written or shown. Every change of state goes through the methods here.
//
// Whether the server is up is not the node's alone: a failure or a return goes through the
// server's ServerHealth, which moves every node of that server in the process (other clusters
// listing it too), and the epoch is the server's. Lagging, offline by hand and removed are the
// cluster's own view and stay here.
//
// What statements read (state, epoch, WAL position) shares no cache line with what they write
// (the counters, striped per connection: see StripedCounter), so that counting on one core does
// not make the next statement on another core wait for the line.
// What Patroni's last good answer said about a node's server (docs/patroni.md), for status
// display; `listed` false: Patroni is not followed, or has not listed it yet.
struct PatroniMemberView
{
    bool listed = false;
    QString member; // Patroni's member name
    QString role; // as Patroni says: "leader", "replica", "sync_standby", ...
    QString state; // "running", "streaming", "stopped", ...
    qint64 lagBytes = -1; // Patroni's lag figure; -1: not given
    bool noLoadBalance = false;
};

class QPSQLHA_EXPORT Node
{
    Q_DISABLE_COPY_MOVE(Node)
public:
    // `server`: the health record of the server the settings name (ServerHealthBook::of()).
    Node(const QString &cluster, const NodeSettings &settings,
         std::shared_ptr<ServerHealth> server);
    ~Node();

    const NodeSettings &settings() const { return m_settings; }
    const QString &address() const { return m_address; }
    // What the node is now, as its server last said (pg_is_in_recovery()); starts as configured.
    NodeRole role() const { return NodeRole(m_role.loadRelaxed()); }
    void setRole(NodeRole role) { m_role.storeRelaxed(quint8(role)); }
    int weight() const { return m_settings.weight; }

    NodeState state() const { return NodeState(m_state.loadAcquire()); }
    bool isOnline() const { return state() == NodeState::Online; }
    // Answers (online or merely lagging): fit for writes when it is the primary.
    bool isReachable() const
    {
        const NodeState current = state();
        return current == NodeState::Online || current == NodeState::Lagging;
    }
    // Taken out of the cluster at run time: kept (sessions may still hold its index), never used.
    bool isRemoved() const { return m_removed.loadAcquire() != 0; }
    void markRemoved() { m_removed.storeRelease(1); }
    // Bumped whenever the server comes back: connections made before that are re-created.
    quint32 epoch() const { return m_server->epoch(); }

    // The server failed: Online/Lagging -> Failed here and in every other cluster of the
    // process that lists the server. Returns false if this node was not (already failed, or by
    // hand).
    bool markFailed(const QString &reason) { return m_server->fail(this, reason); }
    // Failed in this cluster only, with nothing known against the server: a reader just added,
    // until its first probe.
    bool holdUntilProbed(const QString &reason);
    // Online <-> Lagging, from the health checker's replication figures.
    bool setLagging(bool lagging, const QString &reason);
    // The server answers again, after a probe or a reconnect succeeded: Failed -> Online here and
    // in every other cluster that lists it. Never overrides an operator.
    bool markRecovered(const QString &how) { return m_server->recover(this, how); }
    // Operator: OfflineByHand, or back in service (Online, or Failed while the process knows the
    // server is down). Returns whether the state changed.
    //
    // Two reasons keep a node out of service, each set and lifted on its own: by hand (this
    // process's operator: qpsqlha-ctl, the C++ API) and by the fleet (the fleet schema's admin
    // state). The state is OfflineByHand while either holds; the node serves again only when
    // both are lifted.
    bool setOfflineByHand(bool offline);
    bool isOfflineByHand() const { return (m_offlineReasons.loadAcquire() & ByHand) != 0; }

    // The fleet's admin state for this node, from the fleet schema (cluster/qpsqlhafleet_p.h).
    // Offline is the second reason above; Drained takes it out of the read pool only. Returns
    // whether the admin state changed. `by`/`at`: who changed it in the schema, and when.
    struct FleetMark
    {
        FleetAdmin admin = FleetAdmin::Online;
        QString reason;
        QString by;
        QDateTime at;
    };
    bool setFleetAdmin(const FleetMark &mark);
    FleetAdmin fleetAdmin() const { return FleetAdmin(m_fleetAdmin.loadAcquire()); }
    FleetMark fleetMark() const;
    // No new reads (read on every read's pick).
    bool isDrained() const { return m_fleetAdmin.loadRelaxed() == quint8(FleetAdmin::Drained); }

    // `stripe`: the counting connection's, from Cluster::attachSession().
    void countQuery(int stripe) { m_queries.add(stripe, 1); }
    void countError() { m_errors.fetchAndAddRelaxed(1); }
    void countRetry() { m_retries.fetchAndAddRelaxed(1); }
    quint64 queries() const { return m_queries.total(); }
    quint64 errors() const { return m_errors.loadRelaxed(); }
    quint64 retries() const { return m_retries.loadRelaxed(); }

    // Statements running on the node in this process (QPSQLHA_POLICY=least_busy).
    void statementStarted(int stripe) { m_inFlight.add(stripe, 1); }
    void statementFinished(int stripe) { m_inFlight.add(stripe, -1); }
    int inFlight() const { return int(m_inFlight.total()); }
    // Smoothed response time in microseconds (QPSQLHA_POLICY=fastest); 0 until measured.
    void recordResponseTime(qint64 microseconds);
    qint64 responseTimeUs() const { return m_responseUs.loadRelaxed(); }

    // Replication figures from the health checker. -1: not known (not measured, or primary).
    quint64 walPosition() const { return m_walPosition.loadAcquire(); } // replayed or written
    void setWalPosition(quint64 lsn) { m_walPosition.storeRelease(lsn); }
    // When walPosition() was measured: the start of the probe that measured it, on
    // watchdogClockMs(); 0 before the first. Set after the position, so that a caller that
    // reads this first gets a position at least that recent (monotonic reads rely on it).
    qint64 walMeasuredAtClock() const { return m_walMeasuredAtMs.loadAcquire(); }
    void setWalMeasuredAt(qint64 clockMs) { m_walMeasuredAtMs.storeRelease(clockMs); }
    quint32 timeline() const { return m_timeline.loadRelaxed(); }
    void setTimeline(quint32 timeline) { m_timeline.storeRelaxed(timeline); }
    qint64 lagBytes() const { return m_lagBytes.loadRelaxed(); }
    qint64 lagMs() const { return m_lagMs.loadRelaxed(); }
    void setLag(qint64 bytes, qint64 ms)
    {
        m_lagBytes.storeRelaxed(bytes);
        m_lagMs.storeRelaxed(ms);
    }

    // When the health checker last got an answer from it (the probe's start, on
    // watchdogClockMs()): the watchdog spares slow statements on a node that answers.
    const QAtomicInteger<qint64> *answeredAtClock() const { return &m_answeredAtMs; }
    void setAnsweredAt(qint64 clockMs) { m_answeredAtMs.storeRelaxed(clockMs); }

    // Patroni's `noloadbalance` tag: the node serves no reads (it may still take writes).
    // Read on the statement path: one atomic load.
    bool isExcludedFromReads() const { return m_noReads.loadRelaxed() != 0; }
    PatroniMemberView patroniView() const;
    void setPatroniView(const PatroniMemberView &view);

    QString lastError() const;
    void setLastError(const QString &message);
    QDateTime lastStateChange() const;

private:
    friend class ServerHealth;
    // What the server's record does to each of its nodes, under its mutex.
    void startFailed(const QString &reason);
    bool applyFailed(const QString &reason);
    bool applyRecovered(const QString &how);
    bool applyBackInService(bool serverFailed);

    bool transition(NodeState from, NodeState to, const QString &reason);
    // Sets or lifts one reason for OfflineByHand, under m_adminMutex.
    bool setOfflineReason(quint8 reason, bool offline, const QString &why);

    enum OfflineReason : quint8 { ByHand = 1, ByFleet = 2 };

    const QString m_cluster;
    const NodeSettings m_settings;
    const QString m_address;
    const std::shared_ptr<ServerHealth> m_server;

    // Read by every statement; written when the node changes and by the health checker.
    alignas(CacheLineSize) QAtomicInteger<quint8> m_state {quint8(NodeState::Online)};
    QAtomicInteger<quint8> m_role;
    QAtomicInteger<quint8> m_removed {0};
    QAtomicInteger<quint8> m_noReads {0};
    QAtomicInteger<quint32> m_timeline {0};
    QAtomicInteger<quint64> m_walPosition {0};
    QAtomicInteger<qint64> m_walMeasuredAtMs {0};
    QAtomicInteger<qint64> m_lagBytes {-1};
    QAtomicInteger<qint64> m_lagMs {-1};
    QAtomicInteger<qint64> m_answeredAtMs {0};
    QAtomicInteger<qint64> m_lastChangeMs;
    QAtomicInteger<quint8> m_offlineReasons {0};
    QAtomicInteger<quint8> m_fleetAdmin {quint8(FleetAdmin::Online)};

    // Written by every statement.
    StripedCounter<quint64> m_queries;
    StripedCounter<qint64> m_inFlight;

    // Written when a statement fails, and (QPSQLHA_POLICY=fastest) after every statement.
    alignas(CacheLineSize) QAtomicInteger<quint64> m_errors {0};
    QAtomicInteger<quint64> m_retries {0};
    QAtomicInteger<qint64> m_responseUs {0};
    mutable QMutex m_lastErrorMutex; // also guards m_patroni
    QString m_lastError;
    PatroniMemberView m_patroni;
    // Operators' changes (by hand, by the fleet): rare, so one lock orders them.
    mutable QMutex m_adminMutex;
    FleetMark m_fleetMark;
    QString m_liftedBy; // the reason of a return to service, under m_adminMutex
};

} // namespace QPsqlHa

#endif // QPSQLHANODE_P_H
