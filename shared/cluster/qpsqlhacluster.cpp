// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhacluster_p.h"

#include <qpsqlhamessages_p.h>

#include "qpsqlhahealthchecker_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhapatroniclient_p.h"
#include "qpsqlhapolicy_p.h"

#include <QtCore/qdatetime.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

Cluster::Cluster(const ClusterSettings &settings, std::shared_ptr<ServerHealthBook> servers)
    : m_settings(settings)
    , m_classifier(settings.writeFunctions)
    , m_servers(std::move(servers))
{
    m_ownedNodes.reserve(size_t(settings.nodes.size()));
    for (const NodeSettings &node : settings.nodes) {
        m_ownedNodes.push_back(std::make_unique<Node>(settings.name, node, m_servers->of(node)));
        m_nodes[m_ownedNodes.size() - 1] = m_ownedNodes.back().get();
    }
    m_nodeCount.storeRelease(int(m_ownedNodes.size()));
    if (settings.debug)
        enableDebug();
    m_patroni.enabled = settings.patroni.isEnabled();
}

int Cluster::indexOf(const QString &address) const
{
    for (int i = 0; i < nodeCount(); ++i) {
        if (!node(i).isRemoved() && node(i).address().compare(address, Qt::CaseInsensitive) == 0)
            return i;
    }
    // Not as it is spelt in the cluster: the same server under another name for the host
    // (localhost for 127.0.0.1, a port left out), as addReader() compares them.
    NodeSettings wanted;
    QString problem;
    if (!parseNodeAddress(address, node(PrimaryIndex).settings().port, &wanted.host, &wanted.port,
                          &problem)) {
        return -1;
    }
    for (int i = 0; i < nodeCount(); ++i) {
        if (!node(i).isRemoved() && node(i).settings().isSameServerAs(wanted))
            return i;
    }
    return -1;
}

bool Cluster::isReadable(int index) const noexcept
{
    const Node &candidate = node(index);
    // Drained by the fleet: no new reads; the statements running there finish.
    if (!candidate.isOnline() || candidate.isRemoved() || candidate.isExcludedFromReads()
        || candidate.isDrained())
        return false;
    if (index == writeNode())
        return m_settings.primaryReads;
    // A node that also claims to be a primary (not the one taking writes) serves nothing.
    return candidate.role() == NodeRole::Reader;
}

int Cluster::readCandidates(NodeMask excluded, quint64 minimumWal, int *candidates) const noexcept
{
    int count = 0;
    const int nodes = nodeCount();
    for (int i = 0; i < nodes; ++i) {
        if (!(excluded & (NodeMask(1) << i)) && isReadable(i) && hasReplayed(i, minimumWal))
            candidates[count++] = i;
    }
    return count;
}

int Cluster::pickReader(NodeMask excluded, quint64 minimumWal) const noexcept
{
    int candidates[MaximumNodes];
    const int count = readCandidates(excluded, minimumWal, candidates);
    if (count == 0)
        return -1;
    return pickBy(m_settings.policy, candidates, count);
}

int Cluster::pickBy(Policy policy, const int *candidates, int count) const noexcept
{
    if (count == 1)
        return candidates[0];
    switch (policy) {
    case Policy::LeastBusy:
    case Policy::Fastest: {
        // Ties (all idle, all unmeasured) are broken at random so that load still spreads.
        int best = -1;
        qint64 bestScore = 0;
        int ties = 0;
        for (int i = 0; i < count; ++i) {
            const Node &candidate = node(candidates[i]);
            const qint64 score
                = policy == Policy::LeastBusy ? candidate.inFlight() : candidate.responseTimeUs();
            if (best < 0 || score < bestScore) {
                best = candidates[i];
                bestScore = score;
                ties = 1;
            } else if (score == bestScore && threadLocalRandom(quint32(++ties)) == 0) {
                best = candidates[i];
            }
        }
        return best;
    }
    case Policy::Random:
    case Policy::RoundRobin:
        break;
    }
    quint32 totalWeight = 0;
    for (int i = 0; i < count; ++i)
        totalWeight += quint32(node(candidates[i]).weight());
    if (totalWeight == quint32(count) || totalWeight == 0) // all equal: the plain choice
        return candidates[choosePosition(policy, count, m_turn)];
    const quint32 ticket = policy == Policy::RoundRobin ? m_turn.fetchAndAddRelaxed(1) % totalWeight
                                                        : threadLocalRandom(totalWeight);
    return candidateOfTicket(candidates, count, ticket);
}

int Cluster::candidateOfTicket(const int *candidates, int count, quint32 ticket) const noexcept
{
    // Each candidate owns as many consecutive tickets as its weight.
    for (int i = 0; i < count; ++i) {
        const quint32 weight = quint32(node(candidates[i]).weight());
        if (ticket < weight)
            return candidates[i];
        ticket -= weight;
    }
    return candidates[count - 1];
}

int Cluster::assignReader() const noexcept
{
    // Every reader in turn (by weight), whatever its state, so that connections stay spread
    // when a failed reader returns.
    int candidates[MaximumNodes];
    int count = 0;
    const int nodes = nodeCount();
    const int writer = writeNode();
    for (int i = 0; i < nodes; ++i) {
        if ((i != writer || m_settings.primaryReads) && !node(i).isRemoved()
            && !node(i).isExcludedFromReads())
            candidates[count++] = i;
    }
    if (count == 0)
        return -1;
    quint32 totalWeight = 0;
    for (int i = 0; i < count; ++i)
        totalWeight += quint32(node(candidates[i]).weight());
    if (totalWeight == 0)
        return candidates[m_assignTurn.fetchAndAddRelaxed(1) % quint32(count)];
    return candidateOfTicket(candidates, count, m_assignTurn.fetchAndAddRelaxed(1) % totalWeight);
}

int Cluster::addReader(const QString &address, QString *error)
{
    // Under Patroni the nodes may all have come from it: its template has the credentials.
    const NodeSettings &primary = m_settings.patroni.isEnabled() || nodeCount() == 0
        ? m_settings.nodeTemplate
        : node(PrimaryIndex).settings();
    NodeSettings reader = primary;
    reader.role = NodeRole::Reader;
    reader.weight = 1;
    QString problem;
    if (!parseNodeAddress(address, primary.port, &reader.host, &reader.port, &problem)) {
        *error = Messages::tr("QPSQLHA: cannot add reader '%1' to cluster '%2': %3")
                     .arg(address, name(), problem);
        return -1;
    }
    QMutexLocker locker(&m_topologyMutex);
    const int count = nodeCount();
    for (int i = 0; i < count; ++i) {
        const Node &existing = node(i);
        if (!existing.isRemoved() && existing.settings().isSameServerAs(reader)) {
            *error = Messages::tr("QPSQLHA: %1 is already a node of cluster '%2'")
                         .arg(reader.address(), name());
            if (existing.address() != reader.address())
                *error += u" (as %1)"_s.arg(existing.address());
            return -1;
        }
    }
    if (count >= MaximumNodes) {
        *error = Messages::tr(
                     "QPSQLHA: cluster '%1' has %2 nodes (removed ones included), the most it can "
                     "hold")
                     .arg(name())
                     .arg(count);
        return -1;
    }
    m_ownedNodes.push_back(std::make_unique<Node>(name(), reader, m_servers->of(reader)));
    m_nodes[count] = m_ownedNodes.back().get();
    // Until its first probe says what it is, it gets no reads. Nothing is known against the
    // server, so other clusters listing it keep using it.
    m_nodes[count]->holdUntilProbed(Messages::tr("added; waiting for the first probe"));
    m_nodeCount.storeRelease(count + 1);
    qCInfo(lcHealth).noquote() << "cluster" << name() << ": reader" << reader.address() << "added";
    // Clusters made outside the registry (tests) have no health checker to wake.
    if (const QSharedPointer<Cluster> registered = ClusterRegistry::instance().find(name());
        registered.data() == this)
        HealthChecker::instance().probeSoon(registered);
    return count;
}

bool Cluster::removeNode(const QString &address, QString *error)
{
    QMutexLocker locker(&m_topologyMutex);
    const int index = indexOf(address);
    if (index < 0) {
        *error = Messages::tr("QPSQLHA: %1 is not a node of cluster '%2'").arg(address, name());
        return false;
    }
    if (index == writeNode()) {
        *error = Messages::tr("QPSQLHA: %1 takes the writes of cluster '%2' and cannot be removed")
                     .arg(address, name());
        return false;
    }
    node(index).markRemoved();
    qCInfo(lcHealth).noquote() << "cluster" << name() << ": node" << address << "removed";
    return true;
}

void Cluster::reconcile()
{
    QMutexLocker locker(&m_topologyMutex);
    const int count = nodeCount();

    // Writes go to the reachable node that says it is a primary; of two, the newer timeline.
    const int current = writeNode();
    int best = -1;
    for (int i = 0; i < count; ++i) {
        const Node &candidate = node(i);
        if (candidate.isRemoved() || !candidate.isReachable()
            || candidate.role() != NodeRole::Primary)
            continue;
        if (best < 0 || candidate.timeline() > node(best).timeline()
            || (candidate.timeline() == node(best).timeline() && i == current))
            best = i;
    }
    if (best >= 0 && best != current) {
        m_writeNode.storeRelease(best);
        qCWarning(lcRouting).noquote()
            << u"cluster %1: writes now go to %2 (timeline %3), not %4"_s.arg(
                   name(), node(best).address(), QString::number(node(best).timeline()),
                   node(current).address());
    }
    const int writer = writeNode();
    Node &primary = node(writer);
    for (int i = 0; i < count; ++i) {
        Node &other = node(i);
        if (i != writer && !other.isRemoved() && other.isReachable()
            && other.role() == NodeRole::Primary) {
            const QString message
                = Messages::tr("also claims to be a primary (timeline %1); writes go to %2 "
                               "(timeline %3)")
                      .arg(other.timeline())
                      .arg(primary.address())
                      .arg(primary.timeline());
            if (other.lastError() != message) {
                qCWarning(lcRouting).noquote()
                    << "cluster" << name() << ": node" << other.address() << message;
                other.setLastError(message);
            }
        }
    }
    if (primary.state() == NodeState::Lagging)
        primary.setLagging(false, Messages::tr("it is the primary"));

    // Replication lag of each standby against the primary's last known WAL position.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const quint64 primaryWal = primary.role() == NodeRole::Primary ? primary.walPosition() : 0;
    if (primaryWal != 0 && (m_walHistory.empty() || m_walHistory.back().lsn != primaryWal)) {
        if (!m_walHistory.empty() && m_walHistory.back().lsn > primaryWal)
            m_walHistory.clear(); // another primary, another history
        m_walHistory.push_back({now, primaryWal});
        if (m_walHistory.size() > 256)
            m_walHistory.erase(m_walHistory.begin());
    }
    for (int i = 0; i < count; ++i) {
        Node &reader = node(i);
        if (i == writer || reader.isRemoved() || reader.role() != NodeRole::Reader
            || primaryWal == 0) {
            reader.setLag(-1, -1);
            continue;
        }
        const quint64 replayed = reader.walPosition();
        // Never probed, or not answering (failed, or out by hand and not probed): its last
        // position says nothing about now, so no figure and no verdict.
        if (replayed == 0 || !reader.isReachable()) {
            reader.setLag(-1, -1);
            continue;
        }
        const qint64 bytes = primaryWal > replayed ? qint64(primaryWal - replayed) : 0;
        qint64 ms = 0;
        if (bytes > 0) {
            // Since when has the primary been past what this reader has replayed?
            ms = now - m_walHistory.front().timeMs;
            for (const WalSample &sample : m_walHistory) {
                if (sample.lsn > replayed) {
                    ms = now - sample.timeMs;
                    break;
                }
            }
        }
        reader.setLag(bytes, ms);
        if (m_settings.maxLagBytes == 0 && m_settings.maxLagMs == 0)
            continue;
        const bool over = (m_settings.maxLagBytes > 0 && bytes > m_settings.maxLagBytes)
            || (m_settings.maxLagMs > 0 && ms > m_settings.maxLagMs);
        const bool underHalf = (m_settings.maxLagBytes == 0 || bytes <= m_settings.maxLagBytes / 2)
            && (m_settings.maxLagMs == 0 || ms <= m_settings.maxLagMs / 2);
        const QString figures = u"replay lag %1 bytes, %2 ms"_s.arg(bytes).arg(ms);
        if (over && reader.state() == NodeState::Online)
            reader.setLagging(true, figures);
        else if (underHalf && reader.state() == NodeState::Lagging)
            reader.setLagging(false, figures);
    }
}

namespace {

// Describes how two settings for one cluster name differ, or returns an empty string.
QString settingsConflict(const ClusterSettings &existing, const ClusterSettings &wanted)
{
    if (!existing.patroni.sameEndpointsAs(wanted.patroni))
        return Messages::tr("other QPSQLHA_PATRONI endpoints or credentials");
    // Under Patroni the nodes given are only where to start; the members are Patroni's.
    if (!existing.patroni.isEnabled() && existing.addresses() != wanted.addresses()) {
        return Messages::tr("nodes %1, not %2")
            .arg(existing.addresses().join(u", "_s), wanted.addresses().join(u", "_s));
    }
    if (existing.healthIntervalMs != wanted.healthIntervalMs) {
        return Messages::tr("QPSQLHA_HEALTH_INTERVAL=%1, not %2")
            .arg(existing.healthIntervalMs)
            .arg(wanted.healthIntervalMs);
    }
    if (existing.queryTimeoutMs != wanted.queryTimeoutMs) {
        return Messages::tr("QPSQLHA_QUERY_TIMEOUT=%1, not %2")
            .arg(existing.queryTimeoutMs)
            .arg(wanted.queryTimeoutMs);
    }
    if (existing.policy != wanted.policy)
        return Messages::tr("another QPSQLHA_POLICY");
    if (existing.affinity != wanted.affinity)
        return Messages::tr("another QPSQLHA_READER_AFFINITY");
    if (existing.burstLength != wanted.burstLength)
        return Messages::tr("QPSQLHA_READER_BURST=%1, not %2")
            .arg(existing.burstLength)
            .arg(wanted.burstLength);
    if (existing.primaryReads != wanted.primaryReads)
        return Messages::tr("QPSQLHA_PRIMARY_READS=%1, not %2")
            .arg(int(existing.primaryReads))
            .arg(int(wanted.primaryReads));
    if (existing.consistency != wanted.consistency)
        return Messages::tr("another QPSQLHA_CONSISTENCY");
    if (existing.maxLagBytes != wanted.maxLagBytes || existing.maxLagMs != wanted.maxLagMs)
        return Messages::tr("other QPSQLHA_MAX_LAG_BYTES/QPSQLHA_MAX_LAG_MS");
    if (existing.weights() != wanted.weights())
        return Messages::tr("other QPSQLHA_WEIGHTS");
    if (existing.writeFunctions != wanted.writeFunctions)
        return Messages::tr("another QPSQLHA_WRITE_FUNCTIONS");
    return QString();
}

} // namespace

// Patroni's first answer, for a cluster created from it.
struct ClusterRegistry::PatroniSeed
{
    PatroniTopology topology;
    QString url;
};

ClusterRegistry &ClusterRegistry::instance()
{
    static ClusterRegistry registry;
    return registry;
}

ClusterRegistry::ClusterRegistry()
    : m_servers(std::make_shared<ServerHealthBook>())
{ }

QSharedPointer<Cluster> ClusterRegistry::acquire(const ClusterSettings &settings,
                                                 QString *errorMessage)
{
    if (!settings.patroni.isEnabled() || !settings.nodes.isEmpty())
        return acquire(settings, nullptr, errorMessage);
    // No node to start from: Patroni's first answer gives them, unless the cluster of these
    // endpoints exists already.
    {
        QMutexLocker locker(&m_mutex);
        const QSharedPointer<Cluster> existing = m_clusters.value(settings.name);
        if (existing && settingsConflict(existing->settings(), settings).isEmpty()) {
            if (settings.debug)
                existing->enableDebug();
            return existing;
        }
    }
    PatroniSeed seed;
    QString scope;
    if (!fetchPatroniTopology(settings, &seed.topology, &seed.url, &scope, errorMessage))
        return {};
    seed.topology.scope = scope;
    ClusterSettings seeded = settings;
    // The leader first: the primary to try; our probes decide all the same.
    QList<const PatroniMember *> members;
    if (const PatroniMember *leader = seed.topology.leader())
        members.append(leader);
    for (const PatroniMember &member : std::as_const(seed.topology.members)) {
        if (&member != seed.topology.leader())
            members.append(&member);
    }
    for (const PatroniMember *member : std::as_const(members)) {
        if (seeded.nodes.size() >= MaximumNodes)
            break;
        NodeSettings node = settings.nodeTemplate;
        node.host = member->host;
        node.port = member->port;
        node.role = seeded.nodes.isEmpty() ? NodeRole::Primary : NodeRole::Reader;
        seeded.nodes.append(node);
    }
    return acquire(seeded, &seed, errorMessage);
}

QSharedPointer<Cluster> ClusterRegistry::acquire(const ClusterSettings &settings,
                                                 const PatroniSeed *seed, QString *errorMessage)
{
    QSharedPointer<Cluster> cluster;
    bool created = false;
    {
        QMutexLocker locker(&m_mutex);
        if (settings.nameGiven) {
            cluster = m_clusters.value(settings.name);
            if (cluster) {
                const QString conflict = settingsConflict(cluster->settings(), settings);
                if (!conflict.isEmpty()) {
                    *errorMessage
                        = Messages::tr(
                              "QPSQLHA: cluster '%1' is already in use in this process with %2; "
                              "give this connection its own QPSQLHA_CLUSTER name")
                              .arg(settings.name, conflict);
                    return {};
                }
            } else {
                cluster = create(settings);
                created = true;
            }
        } else {
            // The default name stands for the primary; each definition of it (other readers,
            // other options) is a cluster of its own, numbered in the order they appeared.
            // Clones and connections with the same definition find theirs again.
            QString name = settings.name;
            for (int number = 2; (cluster = m_clusters.value(name)); ++number) {
                if (settingsConflict(cluster->settings(), settings).isEmpty())
                    break;
                name = settings.name + u'#' + QString::number(number);
            }
            if (!cluster) {
                ClusterSettings numbered = settings;
                numbered.name = name;
                cluster = create(numbered);
                created = true;
            }
        }
        if (settings.debug)
            cluster->enableDebug();
    }
    if (created && seed) {
        // Tags (noloadbalance) and names are known before the first statement.
        cluster->applyPatroniTopology(seed->topology, seed->url);
    }
    if (created)
        HealthChecker::instance().watch(cluster);
    return cluster;
}

QSharedPointer<Cluster> ClusterRegistry::create(ClusterSettings settings)
{
    // Under m_mutex.
    auto cluster = QSharedPointer<Cluster>::create(settings, m_servers);
    m_clusters.insert(settings.name, cluster);
    m_order.append(settings.name);
    return cluster;
}

QSharedPointer<Cluster> ClusterRegistry::find(const QString &name) const
{
    QMutexLocker locker(&m_mutex);
    return m_clusters.value(name);
}

QList<QSharedPointer<Cluster>> ClusterRegistry::clusters() const
{
    QMutexLocker locker(&m_mutex);
    QList<QSharedPointer<Cluster>> result;
    result.reserve(m_order.size());
    for (const QString &name : m_order)
        result.append(m_clusters.value(name));
    return result;
}

void ClusterRegistry::define(const ClusterSettings &settings)
{
    QMutexLocker locker(&m_mutex);
    m_definitions.insert(settings.name, settings);
}

bool ClusterRegistry::definition(const QString &name, ClusterSettings *settings) const
{
    QMutexLocker locker(&m_mutex);
    const auto it = m_definitions.constFind(name);
    if (it == m_definitions.constEnd())
        return false;
    *settings = *it;
    return true;
}

} // namespace QPsqlHa
