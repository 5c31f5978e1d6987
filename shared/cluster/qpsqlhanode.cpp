// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhanode_p.h"

#include "qpsqlhalogging_p.h"
#include "qpsqlhastatechanges_p.h"

namespace QPsqlHa {

Node::Node(const QString &cluster, const NodeSettings &settings,
           std::shared_ptr<ServerHealth> server)
    : m_cluster(cluster)
    , m_settings(settings)
    , m_address(settings.address())
    , m_server(std::move(server))
    , m_role(quint8(settings.role))
    , m_lastChangeMs(QDateTime::currentMSecsSinceEpoch())
{
    m_server->attach(this);
}

Node::~Node()
{
    m_server->detach(this);
}

bool Node::transition(NodeState from, NodeState to, const QString &reason)
{
    if (!m_state.testAndSetOrdered(quint8(from), quint8(to)))
        return false;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_lastChangeMs.storeRelease(now);
    StateChangeHub::instance().publish(
        {m_cluster, m_address, from, to, reason, QDateTime::fromMSecsSinceEpoch(now, Qt::UTC)});
    return true;
}

void Node::startFailed(const QString &reason)
{
    // Not published yet: nobody else sees the node, so no event either.
    setLastError(reason);
    m_state.storeRelease(quint8(NodeState::Failed));
}

bool Node::applyFailed(const QString &reason)
{
    setLastError(reason);
    if (!transition(NodeState::Online, NodeState::Failed, reason)
        && !transition(NodeState::Lagging, NodeState::Failed, reason))
        return false;
    qCWarning(lcRouting).noquote() << "node" << m_address << "marked offline:" << reason;
    return true;
}

bool Node::holdUntilProbed(const QString &reason)
{
    return applyFailed(reason);
}

bool Node::applyRecovered(const QString &how)
{
    if (!transition(NodeState::Failed, NodeState::Online, how))
        return false;
    qCInfo(lcHealth).noquote() << "node" << m_address << "is back online";
    return true;
}

bool Node::setLagging(bool lagging, const QString &reason)
{
    if (lagging) {
        if (!transition(NodeState::Online, NodeState::Lagging, reason))
            return false;
        qCWarning(lcHealth).noquote() << "reader" << m_address << "gets no reads:" << reason;
        return true;
    }
    if (!transition(NodeState::Lagging, NodeState::Online, reason))
        return false;
    qCInfo(lcHealth).noquote() << "reader" << m_address << "caught up:" << reason;
    return true;
}

void Node::recordResponseTime(qint64 microseconds)
{
    // An exponential moving average over about the last eight statements; races between
    // threads lose an update now and then, which a moving average does not mind.
    const qint64 previous = m_responseUs.loadRelaxed();
    m_responseUs.storeRelaxed(previous == 0 ? microseconds
                                            : previous + (microseconds - previous) / 8);
}

bool Node::setOfflineByHand(bool offline)
{
    return setOfflineReason(ByHand, offline, QStringLiteral("set by hand"));
}

bool Node::setOfflineReason(quint8 reason, bool offline, const QString &why)
{
    QMutexLocker locker(&m_adminMutex);
    const quint8 before = m_offlineReasons.loadAcquire();
    const quint8 after = offline ? quint8(before | reason) : quint8(before & ~reason);
    if (before == after)
        return false;
    m_offlineReasons.storeRelease(after);
    if (offline) {
        if (before != 0)
            return true; // already out of service for the other reason
        for (;;) {
            const NodeState current = state();
            if (current == NodeState::OfflineByHand)
                return true;
            if (transition(current, NodeState::OfflineByHand, why))
                return true;
        }
    }
    if (after != 0)
        return true; // the other reason still holds it
    if (state() != NodeState::OfflineByHand)
        return true;
    m_liftedBy = offline ? QString() : (reason == ByHand ? QStringLiteral("set by hand") : why);
    m_server->backInService(this);
    return true;
}

bool Node::setFleetAdmin(const FleetMark &mark)
{
    {
        QMutexLocker locker(&m_adminMutex);
        if (m_fleetMark.admin == mark.admin && m_fleetMark.reason == mark.reason
            && m_fleetMark.by == mark.by && m_fleetMark.at == mark.at)
            return false;
        m_fleetMark = mark;
    }
    const FleetAdmin before = FleetAdmin(m_fleetAdmin.fetchAndStoreOrdered(quint8(mark.admin)));
    const QString why = mark.reason.isEmpty()
        ? QStringLiteral("set by the fleet (%1)").arg(mark.by)
        : QStringLiteral("set by the fleet (%1): %2").arg(mark.by, mark.reason);
    setOfflineReason(ByFleet, mark.admin == FleetAdmin::Offline,
                     mark.admin == FleetAdmin::Offline ? why
                                                       : QStringLiteral("set online by the fleet"));
    if (before != mark.admin) {
        qCInfo(lcHealth).noquote()
            << "node" << m_address << "fleet admin state:" << fleetAdminName(mark.admin) << "-"
            << why;
    }
    return before != mark.admin;
}

Node::FleetMark Node::fleetMark() const
{
    QMutexLocker locker(&m_adminMutex);
    return m_fleetMark;
}

bool Node::applyBackInService(bool serverFailed)
{
    // It may have been restarted while out of service: the server's record gave it a new epoch,
    // so connections are made afresh. If the process knows the server is down (another cluster
    // saw it fail meanwhile), it waits for the probe, which runs for it again from now on.
    return transition(NodeState::OfflineByHand,
                      serverFailed ? NodeState::Failed : NodeState::Online,
                      m_liftedBy); // under m_adminMutex, from setOfflineReason()
}

PatroniMemberView Node::patroniView() const
{
    QMutexLocker locker(&m_lastErrorMutex);
    return m_patroni;
}

void Node::setPatroniView(const PatroniMemberView &view)
{
    m_noReads.storeRelaxed(view.listed && view.noLoadBalance ? 1 : 0);
    QMutexLocker locker(&m_lastErrorMutex);
    m_patroni = view;
}

QString Node::lastError() const
{
    QMutexLocker locker(&m_lastErrorMutex);
    return m_lastError;
}

void Node::setLastError(const QString &message)
{
    QMutexLocker locker(&m_lastErrorMutex);
    m_lastError = message;
}

QDateTime Node::lastStateChange() const
{
    return QDateTime::fromMSecsSinceEpoch(m_lastChangeMs.loadAcquire());
}

} // namespace QPsqlHa
