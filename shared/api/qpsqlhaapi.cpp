// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhaapi.h"

#include <qpsqlhamessages_p.h>

#include "qpsqlhacluster_p.h"
#include "qpsqlhafleet_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>
#include <QtCore/qthread.h>
#include <QtCore/qthreadstorage.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

namespace {

const QString driverName = u"QPSQLHA"_s;

// Which thread registered each connection name: that thread uses it directly, others clone.
struct Registrations
{
    QMutex mutex;
    QHash<QString, QThread *> owners;
};

Registrations &registrations()
{
    static Registrations instance;
    return instance;
}

// The clones made for one thread; QThreadStorage deletes this when the thread ends (for the
// main thread: when the application object is destroyed), which removes the clones.
struct ThreadClones
{
    QStringList names;
    ~ThreadClones()
    {
        for (const QString &name : std::as_const(names))
            QSqlDatabase::removeDatabase(name);
    }
};

QThreadStorage<ThreadClones *> threadClones;

NodeStatus statusOf(const Cluster &cluster, int index)
{
    const Node &node = cluster.node(index);
    NodeStatus status;
    status.cluster = cluster.name();
    status.host = node.settings().host;
    status.port = node.settings().port;
    status.address = node.address();
    // What operators need to know is where writes go: the node taking them is "primary".
    const bool writes = index == cluster.writeNode();
    status.role = writes ? NodeRole::Primary : NodeRole::Reader;
    // A node that also claims to be a primary but takes no writes serves nothing.
    status.servesReads
        = (writes ? cluster.settings().primaryReads : node.role() == NodeRole::Reader)
        && !node.isExcludedFromReads();
    status.state = node.state();
    status.queries = node.queries();
    status.errors = node.errors();
    status.retries = node.retries();
    status.lastError = node.lastError();
    status.lastStateChange = node.lastStateChange();
    status.lagBytes = node.lagBytes();
    status.lagMs = node.lagMs();
    status.inFlight = node.inFlight();
    const qint64 responseUs = node.responseTimeUs(); // 0 until the first statement
    status.responseTimeUs = responseUs > 0 ? responseUs : -1;
    status.weight = node.weight();
    const PatroniMemberView patroni = node.patroniView();
    if (patroni.listed) {
        status.patroniMember = patroni.member;
        status.patroniRole = patroni.role;
        status.patroniState = patroni.state;
        status.patroniLagBytes = patroni.lagBytes;
        status.patroniNoLoadBalance = patroni.noLoadBalance;
    }
    status.offlineByHand = node.isOfflineByHand();
    if (fleetEnabledFor(cluster.settings())) {
        const Node::FleetMark mark = node.fleetMark();
        status.fleetAdmin = QString::fromLatin1(fleetAdminName(mark.admin));
        status.fleetReason = mark.reason;
        status.fleetChangedBy = mark.by;
        status.fleetChangedAt = mark.at;
    }
    return status;
}

} // namespace

bool initDatabases(const DatabaseConfig &config, bool debug, QString *errorMessage)
{
    QString ignored;
    QString &message = errorMessage ? *errorMessage : ignored;
    if (!QSqlDatabase::isDriverAvailable(driverName)) {
        message
            = Messages::tr("QPSQLHA: the QPSQLHA driver plugin was not found; install it into Qt's "
                           "sqldrivers directory or point QT_PLUGIN_PATH at its parent");
        return false;
    }

    // Validate everything before registering anything.
    QList<ClusterSettings> sets;
    for (const QString &name : config.names()) {
        if (name.isEmpty() || config.names().count(name) > 1) {
            message
                = Messages::tr("QPSQLHA: replication set names must be unique and not empty ('%1')")
                      .arg(name);
            return false;
        }
        if (QSqlDatabase::contains(name)) {
            message = Messages::tr("QPSQLHA: a database connection named '%1' already exists")
                          .arg(name);
            return false;
        }
        ClusterSettings settings;
        if (!clusterSettingsFromConfig(name, config.replicationConfig(name), debug, &settings,
                                       &message))
            return false;
        sets.append(settings);
    }

    for (const ClusterSettings &settings : std::as_const(sets)) {
        ClusterRegistry::instance().define(settings);
        if (!ClusterRegistry::instance().acquire(settings, &message))
            return false;
        // Under Patroni the nodes may all be its members: the cluster knows them now.
        const QSharedPointer<Cluster> cluster = ClusterRegistry::instance().find(settings.name);
        const NodeSettings primary
            = cluster ? cluster->node(Cluster::PrimaryIndex).settings() : settings.nodes.first();
        QSqlDatabase db = QSqlDatabase::addDatabase(driverName, settings.name);
        db.setHostName(primary.host);
        db.setPort(primary.port);
        db.setDatabaseName(primary.database);
        db.setUserName(primary.user);
        db.setPassword(primary.password);
        // The driver finds the nodes, credentials included, in the registry by this name.
        db.setConnectOptions(u"QPSQLHA_CLUSTER="_s + settings.name
                             + (debug ? u";QPSQLHA_DEBUG=1"_s : QString()));
        QMutexLocker locker(&registrations().mutex);
        registrations().owners.insert(settings.name, QThread::currentThread());
    }
    return true;
}

QSqlDatabase use(const QString &name)
{
    QThread *owner = nullptr;
    {
        QMutexLocker locker(&registrations().mutex);
        owner = registrations().owners.value(name);
    }
    if (!owner)
        return QSqlDatabase();
    if (owner == QThread::currentThread())
        return QSqlDatabase::database(name, true);

    const QString cloneName
        = u"%1@thread-%2"_s.arg(name).arg(quintptr(QThread::currentThreadId()), 0, 16);
    if (QSqlDatabase::contains(cloneName))
        return QSqlDatabase::database(cloneName, true);
    QSqlDatabase clone = QSqlDatabase::cloneDatabase(name, cloneName);
    if (!threadClones.hasLocalData())
        threadClones.setLocalData(new ThreadClones);
    threadClones.localData()->names.append(cloneName);
    clone.open();
    return clone;
}

QList<ClusterStatus> clusters()
{
    QList<ClusterStatus> result;
    for (const QSharedPointer<Cluster> &cluster : ClusterRegistry::instance().clusters()) {
        ClusterStatus status;
        status.name = cluster->name();
        const PatroniClusterView patroni = cluster->patroniView();
        status.source.patroni = patroni.enabled;
        status.source.scope = patroni.scope;
        status.source.url = patroni.url;
        status.source.members = patroni.members;
        status.source.lastAnswer = patroni.lastAnswer;
        status.source.error = patroni.error;
        for (int i = 0; i < cluster->nodeCount(); ++i) {
            if (!cluster->node(i).isRemoved())
                status.nodes.append(statusOf(*cluster, i));
        }
        result.append(status);
    }
    return result;
}

NodeHandle::NodeHandle() = default;

bool NodeHandle::isValid() const
{
    return m_cluster && m_index >= 0;
}

QString NodeHandle::host() const
{
    return isValid() ? m_cluster->node(m_index).settings().host : QString();
}

int NodeHandle::port() const
{
    return isValid() ? m_cluster->node(m_index).settings().port : 0;
}

NodeRole NodeHandle::role() const
{
    return isValid() ? m_cluster->node(m_index).role() : NodeRole::Reader;
}

NodeState NodeHandle::state() const
{
    return isValid() ? m_cluster->node(m_index).state() : NodeState::Failed;
}

bool NodeHandle::isOnline() const
{
    return isValid() && m_cluster->node(m_index).isOnline();
}

quint64 NodeHandle::queries() const
{
    return isValid() ? m_cluster->node(m_index).queries() : 0;
}

quint64 NodeHandle::errors() const
{
    return isValid() ? m_cluster->node(m_index).errors() : 0;
}

quint64 NodeHandle::retries() const
{
    return isValid() ? m_cluster->node(m_index).retries() : 0;
}

QString NodeHandle::lastError() const
{
    return isValid() ? m_cluster->node(m_index).lastError() : QString();
}

NodeStatus NodeHandle::status() const
{
    return isValid() ? statusOf(*m_cluster, m_index) : NodeStatus();
}

void NodeHandle::setOnline(bool online)
{
    if (isValid())
        m_cluster->node(m_index).setOfflineByHand(!online);
}

namespace {

QSharedPointer<Cluster> findCluster(const QString &name, QString *errorMessage)
{
    QSharedPointer<Cluster> cluster = ClusterRegistry::instance().find(name);
    if (!cluster && errorMessage)
        *errorMessage = Messages::tr("QPSQLHA: no cluster '%1' in this process").arg(name);
    return cluster;
}

} // namespace

bool addReader(const QString &cluster, const QString &address, QString *errorMessage)
{
    QString ignored;
    QString &message = errorMessage ? *errorMessage : ignored;
    const QSharedPointer<Cluster> found = findCluster(cluster, &message);
    return found && found->addReader(address, &message) >= 0;
}

bool removeNode(const QString &cluster, const QString &address, QString *errorMessage)
{
    QString ignored;
    QString &message = errorMessage ? *errorMessage : ignored;
    const QSharedPointer<Cluster> found = findCluster(cluster, &message);
    if (!found)
        return false;
    // Accept what users type ("host:port", "[::1]:5432") and compare it the way nodes are named.
    NodeSettings wanted;
    QString problem;
    if (!parseNodeAddress(address, found->node(Cluster::PrimaryIndex).settings().port, &wanted.host,
                          &wanted.port, &problem)) {
        message = Messages::tr("QPSQLHA: '%1' is not host:port: %2").arg(address, problem);
        return false;
    }
    return found->removeNode(wanted.address(), &message);
}

NodeHandle node(const QString &cluster, const QString &host, int port)
{
    NodeHandle handle;
    const QSharedPointer<Cluster> found = ClusterRegistry::instance().find(cluster);
    if (!found)
        return handle;
    NodeSettings wanted;
    wanted.host = host;
    wanted.port = port;
    const int index = found->indexOf(wanted.address());
    if (index < 0)
        return handle;
    handle.m_cluster = found;
    handle.m_index = index;
    return handle;
}

} // namespace QPsqlHa
