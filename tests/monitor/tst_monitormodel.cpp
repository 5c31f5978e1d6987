// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The monitor's models fed with synthetic snapshots and events: no server, no cluster. Every
// test runs under QAbstractItemModelTester, which aborts on the first broken model invariant.

#include <eventlogmodel.h>
#include <lagtext.h>
#include <monitormodel.h>
#include <nodestatecolors.h>
#include <qpshistory.h>

#include <QtGui/qpolygon.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;
using namespace QPsqlHaMonitor;
using QPsqlHa::NodeRole;
using QPsqlHa::NodeState;

namespace {

constexpr qint64 T0 = 1'800'000'000'000; // any fixed point in time, in ms since the epoch

QPsqlHa::NodeStatus node(const QString &cluster, int port, NodeRole role, quint64 queries = 0,
                         NodeState state = NodeState::Online)
{
    QPsqlHa::NodeStatus status;
    status.cluster = cluster;
    status.host = u"127.0.0.1"_s;
    status.port = port;
    status.address = u"127.0.0.1:%1"_s.arg(port);
    status.role = role;
    status.state = state;
    status.queries = queries;
    status.lastStateChange = QDateTime::fromMSecsSinceEpoch(T0, Qt::UTC);
    return status;
}

// One process with cluster "demo": a primary on 5432 and readers on 5433 and 5434.
QPsqlHa::ProcessStatus process(qint64 pid, quint64 primaryQueries = 0, quint64 reader1Queries = 0,
                               quint64 reader2Queries = 0)
{
    QPsqlHa::ProcessStatus status;
    status.pid = pid;
    status.application = u"app"_s;
    status.protocol = 1;
    status.library = u"0.1.0"_s;
    QPsqlHa::ClusterStatus cluster;
    cluster.name = u"demo"_s;
    cluster.nodes = {node(u"demo"_s, 5432, NodeRole::Primary, primaryQueries),
                     node(u"demo"_s, 5433, NodeRole::Reader, reader1Queries),
                     node(u"demo"_s, 5434, NodeRole::Reader, reader2Queries)};
    status.clusters = {cluster};
    return status;
}

QPsqlHa::StateEvent stateEvent(qint64 pid, int port, NodeRole role, NodeState from, NodeState to,
                               const QString &reason)
{
    QPsqlHa::StateEvent event;
    event.pid = pid;
    event.cluster = u"demo"_s;
    event.node = node(u"demo"_s, port, role, 0, to);
    event.node.lastError = to == NodeState::Failed ? reason : QString();
    event.oldState = from;
    event.newState = to;
    event.reason = reason;
    event.time = QDateTime::fromMSecsSinceEpoch(T0 + 5000, Qt::UTC);
    return event;
}

QString address(int port)
{
    return u"127.0.0.1:%1"_s.arg(port);
}

} // namespace

class tst_MonitorModel : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void emptyModel();
    void processesAddedUpdatedRemoved();
    void clustersAndNodesFollowSnapshots();
    void nodesAddedAndRemovedAtRunTime();
    void laggingReader();
    void primaryTakingReads();
    void lagColumn();
    void queriesPerSecondFromTwoSnapshots();
    void closeSnapshotsAreMerged();
    void staleCountersFallToZero();
    void counterResetIsNotNegative();
    void stateEventUpdatesNode();
    void toggleRequestsChange();
    void offlineWarning();
    void sinceChangeFollowsTheClock();
    void historyKeepsTheLastMinute();
    void historyRing();
    void texts();
    void stateColorsReadableOnBothPalettes();
    void eventLogAppendsAndCaps();

private:
    std::unique_ptr<MonitorModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void tst_MonitorModel::init()
{
    m_model = std::make_unique<MonitorModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_model.get(), QAbstractItemModelTester::FailureReportingMode::Fatal);
}

void tst_MonitorModel::cleanup()
{
    m_tester.reset();
    m_model.reset();
}

void tst_MonitorModel::emptyModel()
{
    QCOMPARE(m_model->rowCount(), 0);
    QCOMPARE(m_model->columnCount(), int(MonitorModel::ColumnCount));
    QVERIFY(m_model->pids().isEmpty());
    QVERIFY(!m_model->processIndex(1).isValid());
    QVERIFY(!m_model->applyStateEvent(
        stateEvent(1, 5433, NodeRole::Reader, NodeState::Online, NodeState::Failed, u"x"_s), T0));
    QCOMPARE(m_model->headerData(MonitorModel::QpsColumn, Qt::Horizontal).toString(),
             u"Queries/s"_s);
}

void tst_MonitorModel::processesAddedUpdatedRemoved()
{
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    m_model->updateProcess(process(100), T0);
    m_model->updateProcess(process(200), T0);
    QCOMPARE(inserted.size(), 2); // one insertion per process, with its whole subtree
    QCOMPARE(m_model->rowCount(), 2);
    QCOMPARE(m_model->pids(), (QList<qint64> {100, 200}));

    const QModelIndex p = m_model->processIndex(200);
    QCOMPARE(p.row(), 1);
    QCOMPARE(p.data().toString(), u"app (pid 200)"_s);
    QCOMPARE(p.data(MonitorModel::ItemKindRole).toInt(), int(MonitorModel::ItemKind::Process));
    QCOMPARE(m_model->rowCount(p), 1);
    const QModelIndex c = m_model->index(0, 0, p);
    QCOMPARE(c.data().toString(), u"demo"_s);
    QCOMPARE(c.data(MonitorModel::PidRole).toLongLong(), 200);
    QCOMPARE(m_model->rowCount(c), 3);
    QCOMPARE(m_model->clusterIndex(200, u"demo"_s), c);

    const QModelIndex primary = m_model->index(0, 0, c);
    QCOMPARE(primary.data().toString(), address(5432));
    QCOMPARE(primary.siblingAtColumn(MonitorModel::RoleColumn).data().toString(), u"primary"_s);
    QCOMPARE(primary.siblingAtColumn(MonitorModel::StateColumn).data().toString(), u"online"_s);
    QCOMPARE(primary.data(MonitorModel::AddressRole).toString(), address(5432));
    QCOMPARE(primary.data(MonitorModel::ClusterRole).toString(), u"demo"_s);
    QCOMPARE(primary.data(MonitorModel::PidRole).toLongLong(), 200);
    QCOMPARE(primary.data(MonitorModel::NodeRoleRole).toInt(), int(NodeRole::Primary));
    QCOMPARE(m_model->nodeIndex(200, u"demo"_s, address(5434)).row(), 2);
    QCOMPARE(m_model->nodeIndexes().size(), 6);
    QCOMPARE(m_model->parent(primary), c);
    QCOMPARE(m_model->parent(c), p);
    QVERIFY(!m_model->parent(p).isValid());

    m_model->removeProcess(100);
    QCOMPARE(m_model->pids(), QList<qint64> {200});
    QCOMPARE(m_model->processIndex(200).row(), 0);
    m_model->removeProcess(100); // gone already: nothing happens
    m_model->removeProcess(200);
    QCOMPARE(m_model->rowCount(), 0);
}

void tst_MonitorModel::clustersAndNodesFollowSnapshots()
{
    m_model->updateProcess(process(100), T0);

    // A second cluster opened, reader 5434 gone from the first.
    QPsqlHa::ProcessStatus status = process(100, 10, 20, 30);
    status.clusters[0].nodes.removeLast();
    QPsqlHa::ClusterStatus other;
    other.name = u"orders"_s;
    other.nodes = {node(u"orders"_s, 6432, NodeRole::Primary, 7)};
    status.clusters.append(other);
    m_model->updateProcess(status, T0 + 1000);

    const QModelIndex p = m_model->processIndex(100);
    QCOMPARE(m_model->rowCount(p), 2);
    QCOMPARE(m_model->rowCount(m_model->clusterIndex(100, u"demo"_s)), 2);
    QVERIFY(!m_model->nodeIndex(100, u"demo"_s, address(5434)).isValid());
    QCOMPARE(m_model->nodeIndex(100, u"orders"_s, address(6432))
                 .siblingAtColumn(MonitorModel::QueriesColumn)
                 .data()
                 .toULongLong(),
             7u);
    // Sums over the process's nodes.
    QCOMPARE(p.siblingAtColumn(MonitorModel::QueriesColumn).data().toULongLong(), 37u);
    QCOMPARE(p.siblingAtColumn(MonitorModel::StateColumn).data().toString(), u"3 of 3 online"_s);

    status.clusters.removeFirst();
    m_model->updateProcess(status, T0 + 2000);
    QCOMPARE(m_model->rowCount(p), 1);
    QCOMPARE(m_model->index(0, 0, p).data().toString(), u"orders"_s);
}

void tst_MonitorModel::nodesAddedAndRemovedAtRunTime()
{
    m_model->updateProcess(process(100, 10, 20, 30), T0);
    m_model->updateProcess(process(200), T0);
    const QModelIndex cluster = m_model->clusterIndex(100, u"demo"_s);
    const QPersistentModelIndex reader2 = m_model->nodeIndex(100, u"demo"_s, address(5434));
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);

    // `qpsqlha-ctl add-reader demo 127.0.0.1:5435`: the next counters list a fourth node, which
    // waits for its first probe. One row is inserted at the end of its cluster; nothing else moves.
    QPsqlHa::ProcessStatus status = process(100, 11, 21, 31);
    status.clusters[0].nodes.append(node(u"demo"_s, 5435, NodeRole::Reader, 0, NodeState::Failed));
    m_model->updateProcess(status, T0 + 1000);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(inserted.at(0).at(0).value<QModelIndex>(), cluster);
    QCOMPARE(inserted.at(0).at(1).toInt(), 3);
    QCOMPARE(inserted.at(0).at(2).toInt(), 3);
    QCOMPARE(removed.size(), 0);
    QCOMPARE(m_model->rowCount(cluster), 4);
    const QModelIndex added = m_model->nodeIndex(100, u"demo"_s, address(5435));
    QCOMPARE(added.row(), 3);
    QCOMPARE(added.parent(), cluster);
    QCOMPARE(added.siblingAtColumn(MonitorModel::RoleColumn).data().toString(), u"reader"_s);
    QCOMPARE(added.siblingAtColumn(MonitorModel::StateColumn).data().toString(),
             u"offline: failed"_s);
    QCOMPARE(m_model->clusterIndex(100, u"demo"_s, MonitorModel::StateColumn).data().toString(),
             u"3 of 4 online"_s);
    QCOMPARE(reader2.row(), 2);
    QCOMPARE(m_model->rowCount(m_model->clusterIndex(200, u"demo"_s)), 3); // another process
    // The nodes that were there keep their rates.
    QCOMPARE(m_model->nodeIndex(100, u"demo"_s, address(5433))
                 .data(MonitorModel::QueriesPerSecondRole)
                 .toDouble(),
             1.0);

    // The first probe answered: the state event updates the row in place.
    QVERIFY(m_model->applyStateEvent(stateEvent(100, 5435, NodeRole::Reader, NodeState::Failed,
                                                NodeState::Online, u"probe succeeded"_s),
                                     T0 + 1200));
    QCOMPARE(added.siblingAtColumn(MonitorModel::StateColumn).data().toString(), u"online"_s);

    // `remove-node demo 127.0.0.1:5434`: the process lists it no more; its row is removed and
    // the rows after it move up.
    status.clusters[0].nodes.removeAt(2);
    m_model->updateProcess(status, T0 + 2000);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.at(0).at(0).value<QModelIndex>(), cluster);
    QCOMPARE(removed.at(0).at(1).toInt(), 2);
    QCOMPARE(removed.at(0).at(2).toInt(), 2);
    QCOMPARE(inserted.size(), 1);
    QVERIFY(!reader2.isValid());
    QVERIFY(!m_model->nodeIndex(100, u"demo"_s, address(5434)).isValid());
    QCOMPARE(m_model->rowCount(cluster), 3);
    QCOMPARE(m_model->nodeIndex(100, u"demo"_s, address(5435)).row(), 2);
    QCOMPARE(m_model->nodeIndexes().size(), 6);
    // Its state events, late, are for an unknown node now.
    QVERIFY(!m_model->applyStateEvent(
        stateEvent(100, 5434, NodeRole::Reader, NodeState::Online, NodeState::Failed, u"x"_s),
        T0 + 2100));

    // Removed and added again (the same address): a new row, with no rate history.
    status.clusters[0].nodes.append(node(u"demo"_s, 5434, NodeRole::Reader, 0));
    m_model->updateProcess(status, T0 + 3000);
    QCOMPARE(inserted.size(), 2);
    const QModelIndex again = m_model->nodeIndex(100, u"demo"_s, address(5434));
    QCOMPARE(again.row(), 3);
    QVERIFY(!again.data(MonitorModel::QueriesPerSecondRole).isValid());
    QCOMPARE(reset.size(), 0);
}

void tst_MonitorModel::primaryTakingReads()
{
    QPsqlHa::ProcessStatus status = process(100);
    m_model->updateProcess(status, T0);
    const QModelIndex role
        = m_model->nodeIndex(100, u"demo"_s, address(5432), MonitorModel::RoleColumn);
    QCOMPARE(role.data().toString(), u"primary"_s);
    QVERIFY(role.data(Qt::ToolTipRole).toString().contains(u"only when no reader"_s));
    // QPSQLHA_PRIMARY_READS=1: the process says the primary is in the read pool.
    status.clusters[0].nodes[0].servesReads = true;
    m_model->updateProcess(status, T0 + 1000);
    QCOMPARE(role.data().toString(), u"primary+reads"_s);
    QVERIFY(role.data(Qt::ToolTipRole).toString().contains(u"QPSQLHA_PRIMARY_READS=1"_s));
    QCOMPARE(role.data(MonitorModel::NodeRoleRole).toInt(), int(NodeRole::Primary));
    const QModelIndex reader
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::RoleColumn);
    QCOMPARE(reader.data().toString(), u"reader"_s);
}

void tst_MonitorModel::laggingReader()
{
    m_model->updateProcess(process(100), T0);
    const QModelIndex state
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::StateColumn);
    const QModelIndex clusterState
        = m_model->clusterIndex(100, u"demo"_s, MonitorModel::StateColumn);
    QPsqlHa::StateEvent event = stateEvent(100, 5433, NodeRole::Reader, NodeState::Online,
                                           NodeState::Lagging, u"replay lag 9000 bytes, 1200 ms"_s);
    event.node.lagBytes = 9000;
    event.node.lagMs = 1200;
    QVERIFY(m_model->applyStateEvent(event, T0 + 1000));

    QCOMPARE(state.data().toString(), u"lagging"_s);
    QCOMPARE(state.data(MonitorModel::NodeStateRole).toInt(), int(NodeState::Lagging));
    QCOMPARE(state.data(Qt::ForegroundRole).value<QColor>(), nodeStateColor(NodeState::Lagging));
    QCOMPARE(state.data(Qt::DecorationRole).value<QColor>(), nodeStateColor(NodeState::Lagging));
    QVERIFY(state.data(Qt::ToolTipRole).toString().contains(u"QPSQLHA_MAX_LAG"_s));
    // It answers and nobody took it out: it is in service, the toggle is checked.
    QCOMPARE(state.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
    QCOMPARE(state.data(MonitorModel::InServiceRole).toBool(), true);
    QCOMPARE(state.siblingAtColumn(MonitorModel::LagColumn).data().toString(),
             u"8.8 kB / 1200 ms"_s);

    // The sums: not online, not failed; said apart, in its own colour.
    QCOMPARE(clusterState.data().toString(), u"2 of 3 online, 1 lagging"_s);
    QCOMPARE(clusterState.data(Qt::ForegroundRole).value<QColor>(),
             nodeStateColor(NodeState::Lagging));
    QCOMPARE(m_model->processIndex(100, MonitorModel::StateColumn).data().toString(),
             u"2 of 3 online, 1 lagging"_s);

    // The other reader is the last one serving reads: taking it out asks first; taking the
    // lagging one out removes no read capacity.
    QVERIFY(m_model->offlineWarning(m_model->nodeIndex(100, u"demo"_s, address(5434)))
                .contains(u"last online reader"_s));
    QCOMPARE(m_model->offlineWarning(state), QString());

    // An operator's choice is less news than a lagging reader, a failure more.
    QVERIFY(m_model->applyStateEvent(stateEvent(100, 5434, NodeRole::Reader, NodeState::Online,
                                                NodeState::OfflineByHand, u"set by hand"_s),
                                     T0 + 1100));
    QCOMPARE(clusterState.data().toString(), u"1 of 3 online, 1 lagging"_s);
    QCOMPARE(clusterState.data(Qt::ForegroundRole).value<QColor>(),
             nodeStateColor(NodeState::Lagging));
    QVERIFY(m_model->applyStateEvent(
        stateEvent(100, 5432, NodeRole::Primary, NodeState::Online, NodeState::Failed, u"gone"_s),
        T0 + 1200));
    QCOMPARE(clusterState.data(Qt::ForegroundRole).value<QColor>(),
             nodeStateColor(NodeState::Failed));

    // Back under half the limit.
    event = stateEvent(100, 5433, NodeRole::Reader, NodeState::Lagging, NodeState::Online,
                       u"replay lag 0 bytes, 0 ms"_s);
    event.node.lagBytes = 0;
    event.node.lagMs = 0;
    QVERIFY(m_model->applyStateEvent(event, T0 + 2000));
    QCOMPARE(state.data().toString(), u"online"_s);
    QCOMPARE(clusterState.data().toString(), u"1 of 3 online"_s);

    // The event log shows it like any other change, in the same colour.
    EventLogModel log;
    log.appendEvent(stateEvent(100, 5433, NodeRole::Reader, NodeState::Online, NodeState::Lagging,
                               u"replay lag"_s),
                    u"app (pid 100)"_s);
    QCOMPARE(log.index(0, EventLogModel::NewStateColumn).data().toString(), u"lagging"_s);
    QCOMPARE(log.index(0, EventLogModel::NewStateColumn).data(Qt::ForegroundRole).value<QColor>(),
             nodeStateColor(NodeState::Lagging));
}

void tst_MonitorModel::lagColumn()
{
    QPsqlHa::ProcessStatus status = process(100);
    status.clusters[0].nodes[1].lagBytes = 12 * 1024 + 100;
    status.clusters[0].nodes[1].lagMs = 340;
    status.clusters[0].nodes[2].lagBytes = 0;
    status.clusters[0].nodes[2].lagMs = 0;
    m_model->updateProcess(status, T0);
    const auto lagAt = [this](int port) {
        return m_model->nodeIndex(100, u"demo"_s, address(port), MonitorModel::LagColumn);
    };
    QCOMPARE(m_model->headerData(MonitorModel::LagColumn, Qt::Horizontal).toString(), u"Lag"_s);
    QCOMPARE(lagAt(5432).data().toString(), u"-"_s); // the primary: none
    QVERIFY(lagAt(5432).data(Qt::ToolTipRole).toString().contains(u"primary"_s));
    QCOMPARE(lagAt(5433).data().toString(), u"12 kB / 340 ms"_s);
    QCOMPARE(lagAt(5433).data(MonitorModel::LagBytesRole).toLongLong(), 12 * 1024 + 100);
    QCOMPARE(lagAt(5433).data(MonitorModel::LagMsRole).toLongLong(), 340);
    QVERIFY(lagAt(5433).data(Qt::ToolTipRole).toString().contains(u"12388 bytes"_s));
    QCOMPARE(lagAt(5434).data().toString(), u"0 B / 0 ms"_s);
    QCOMPARE(lagAt(5433).data(Qt::TextAlignmentRole).toInt(),
             int(Qt::AlignRight | Qt::AlignVCenter));
    // Cluster and process: the worst reader.
    const QModelIndex cluster = m_model->clusterIndex(100, u"demo"_s, MonitorModel::LagColumn);
    QCOMPARE(cluster.data().toString(), u"12 kB / 340 ms"_s);
    QCOMPARE(m_model->processIndex(100, MonitorModel::LagColumn).data().toString(),
             u"12 kB / 340 ms"_s);

    // A node that is not probed (by hand, failed) keeps stale figures: not in the sums.
    QPsqlHa::ProcessStatus withStale = status;
    QPsqlHa::NodeStatus stale
        = node(u"demo"_s, 5435, NodeRole::Reader, 0, NodeState::OfflineByHand);
    stale.lagBytes = 100 * 1024 * 1024;
    stale.lagMs = 60'000;
    withStale.clusters[0].nodes.append(stale);
    m_model->updateProcess(withStale, T0 + 500);
    QCOMPARE(lagAt(5435).data().toString(), u"-"_s);
    QCOMPARE(lagAt(5435).data(MonitorModel::LagBytesRole).toLongLong(), 100 * 1024 * 1024);
    QVERIFY(lagAt(5435).data(Qt::ToolTipRole).toString().contains(u"offline"_s));
    QCOMPARE(cluster.data().toString(), u"12 kB / 340 ms"_s);

    // The counters carry new figures every interval.
    status.clusters[0].nodes[1].lagBytes = 3 * 1024 * 1024;
    status.clusters[0].nodes[1].lagMs = 42'000;
    m_model->updateProcess(status, T0 + 1000);
    QCOMPARE(lagAt(5433).data().toString(), u"3.0 MB / 42 s"_s);
    QCOMPARE(cluster.data().toString(), u"3.0 MB / 42 s"_s);

    // Nothing measured yet anywhere: the sums show nothing.
    m_model->updateProcess(process(200), T0);
    QCOMPARE(m_model->clusterIndex(200, u"demo"_s, MonitorModel::LagColumn).data().toString(),
             QString());
    QCOMPARE(m_model->nodeIndex(200, u"demo"_s, address(5433), MonitorModel::LagColumn)
                 .data()
                 .toString(),
             u"-"_s);

    // The texts the two tools share.
    QCOMPARE(QPsqlHaTools::lagText(-1, -1), u"-"_s);
    QCOMPARE(QPsqlHaTools::lagText(0, 0), u"0 B / 0 ms"_s);
    QCOMPARE(QPsqlHaTools::lagText(1023, 9999), u"1023 B / 9999 ms"_s);
    QCOMPARE(QPsqlHaTools::lagText(1536, 10'000), u"1.5 kB / 10 s"_s);
    QCOMPARE(QPsqlHaTools::lagText(5 * 1024 * 1024 * 1024LL, 700'000), u"5.0 GB / 11 min"_s);
    QCOMPARE(QPsqlHaTools::lagText(100, -1), u"100 B / ?"_s);
}

void tst_MonitorModel::queriesPerSecondFromTwoSnapshots()
{
    m_model->updateProcess(process(100, 10, 100, 1000), T0);
    const QModelIndex reader1
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::QpsColumn);
    QVERIFY(!reader1.data(MonitorModel::QueriesPerSecondRole).isValid());
    QCOMPARE(reader1.data().toString(), QString());

    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->updateProcess(process(100, 15, 350, 1000), T0 + 1000);
    QVERIFY(!changed.isEmpty());
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 250.0);
    QCOMPARE(reader1.data().toString(), u"250"_s);
    QCOMPARE(reader1.siblingAtColumn(MonitorModel::QueriesColumn).data().toULongLong(), 350u);
    const QModelIndex reader2
        = m_model->nodeIndex(100, u"demo"_s, address(5434), MonitorModel::QpsColumn);
    QCOMPARE(reader2.data(MonitorModel::QueriesPerSecondRole).toDouble(), 0.0);
    QCOMPARE(reader2.data().toString(), u"0"_s);
    const QModelIndex primary
        = m_model->nodeIndex(100, u"demo"_s, address(5432), MonitorModel::QpsColumn);
    QCOMPARE(primary.data().toString(), u"5"_s);
    // The cluster and the process show the sum.
    const QModelIndex cluster = m_model->clusterIndex(100, u"demo"_s, MonitorModel::QpsColumn);
    QCOMPARE(cluster.data(MonitorModel::QueriesPerSecondRole).toDouble(), 255.0);
    QCOMPARE(m_model->processIndex(100, MonitorModel::QpsColumn).data().toString(), u"255"_s);

    // Over 2 s: half the difference per second; a fraction keeps one decimal below 10.
    m_model->updateProcess(process(100, 18, 350, 1000), T0 + 3000);
    QCOMPARE(primary.data(MonitorModel::QueriesPerSecondRole).toDouble(), 1.5);
    QCOMPARE(primary.data().toString(), u"1.5"_s);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 0.0);
}

void tst_MonitorModel::closeSnapshotsAreMerged()
{
    // The subscribe reply and the first counters can be milliseconds apart: the rate is taken
    // over the next interval of a sensible length instead.
    m_model->updateProcess(process(100, 0, 0, 0), T0);
    m_model->updateProcess(process(100, 0, 30, 0), T0 + 100);
    const QModelIndex reader1
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::QpsColumn);
    QVERIFY(!reader1.data(MonitorModel::QueriesPerSecondRole).isValid());
    QCOMPARE(reader1.siblingAtColumn(MonitorModel::QueriesColumn).data().toULongLong(), 30u);
    m_model->updateProcess(process(100, 0, 200, 0), T0 + 1000);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 200.0);
}

void tst_MonitorModel::staleCountersFallToZero()
{
    m_model->updateProcess(process(100, 0, 0, 0), T0);
    m_model->updateProcess(process(100, 0, 500, 0), T0 + 1000);
    const QModelIndex reader1
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::QpsColumn);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 500.0);

    // Counters only come when something changed: none for a while means nothing ran.
    m_model->tick(T0 + 2000);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 500.0);
    m_model->tick(T0 + 1000 + MonitorModel::StaleCountersMs);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 0.0);
    QCOMPARE(reader1.data().toString(), u"0"_s);
}

void tst_MonitorModel::counterResetIsNotNegative()
{
    m_model->updateProcess(process(100, 0, 500, 0), T0);
    m_model->updateProcess(process(100, 0, 20, 0), T0 + 1000);
    const QModelIndex reader1
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::QpsColumn);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 0.0);
    m_model->updateProcess(process(100, 0, 120, 0), T0 + 2000);
    QCOMPARE(reader1.data(MonitorModel::QueriesPerSecondRole).toDouble(), 100.0);
}

void tst_MonitorModel::stateEventUpdatesNode()
{
    m_model->updateProcess(process(100, 0, 100, 0), T0);
    m_model->updateProcess(process(100, 0, 200, 0), T0 + 1000);
    const QModelIndex state
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::StateColumn);
    QCOMPARE(state.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));

    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    QVERIFY(m_model->applyStateEvent(stateEvent(100, 5433, NodeRole::Reader, NodeState::Online,
                                                NodeState::OfflineByHand, u"set by hand"_s),
                                     T0 + 1200));
    // The node row and its cluster and process rows (their sums) changed.
    QCOMPARE(changed.size(), 3);
    QCOMPARE(state.data().toString(), u"offline: by hand"_s);
    QCOMPARE(state.data(MonitorModel::NodeStateRole).toInt(), int(NodeState::OfflineByHand));
    QCOMPARE(state.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    QCOMPARE(state.data(MonitorModel::InServiceRole).toBool(), false);
    QCOMPARE(state.data(Qt::ForegroundRole).value<QColor>(),
             nodeStateColor(NodeState::OfflineByHand));
    QCOMPARE(state.data(Qt::DecorationRole).value<QColor>(),
             nodeStateColor(NodeState::OfflineByHand));
    QCOMPARE(m_model->clusterIndex(100, u"demo"_s, MonitorModel::StateColumn).data().toString(),
             u"2 of 3 online"_s);
    QCOMPARE(m_model->clusterIndex(100, u"demo"_s, MonitorModel::StateColumn)
                 .data(Qt::ForegroundRole)
                 .value<QColor>(),
             nodeStateColor(NodeState::OfflineByHand));
    // The rate is not sampled by an event (its counters are not a time series).
    QCOMPARE(state.siblingAtColumn(MonitorModel::QpsColumn)
                 .data(MonitorModel::QueriesPerSecondRole)
                 .toDouble(),
             100.0);

    const QModelIndex reader2
        = m_model->nodeIndex(100, u"demo"_s, address(5434), MonitorModel::StateColumn);
    QVERIFY(m_model->applyStateEvent(stateEvent(100, 5434, NodeRole::Reader, NodeState::Online,
                                                NodeState::Failed, u"connection refused"_s),
                                     T0 + 1300));
    QCOMPARE(reader2.data().toString(), u"offline: failed"_s);
    QCOMPARE(reader2.data(Qt::CheckStateRole).toInt(), int(Qt::Checked)); // still in service
    QCOMPARE(reader2.siblingAtColumn(MonitorModel::LastErrorColumn).data().toString(),
             u"connection refused"_s);
    QCOMPARE(m_model->processIndex(100, MonitorModel::StateColumn)
                 .data(Qt::ForegroundRole)
                 .value<QColor>(),
             nodeStateColor(NodeState::Failed));

    QVERIFY(!m_model->applyStateEvent(
        stateEvent(999, 5434, NodeRole::Reader, NodeState::Online, NodeState::Failed, u"x"_s),
        T0 + 1400));
    QVERIFY(!m_model->applyStateEvent(
        stateEvent(100, 7777, NodeRole::Reader, NodeState::Online, NodeState::Failed, u"x"_s),
        T0 + 1400));
}

void tst_MonitorModel::toggleRequestsChange()
{
    m_model->updateProcess(process(100), T0);
    const QModelIndex reader1
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::ToggleColumn);
    QVERIFY(reader1.flags() & Qt::ItemIsUserCheckable);
    QVERIFY(!(reader1.siblingAtColumn(MonitorModel::NameColumn).flags() & Qt::ItemIsUserCheckable));
    QVERIFY(!(m_model->clusterIndex(100, u"demo"_s, MonitorModel::ToggleColumn).flags()
              & Qt::ItemIsUserCheckable));

    QSignalSpy requested(m_model.get(), &MonitorModel::onlineChangeRequested);
    QVERIFY(m_model->setData(reader1, Qt::Unchecked, Qt::CheckStateRole));
    QCOMPARE(requested.size(), 1);
    QCOMPARE(requested.at(0).at(0).toLongLong(), 100);
    QCOMPARE(requested.at(0).at(1).toString(), u"demo"_s);
    QCOMPARE(requested.at(0).at(2).toString(), address(5433));
    QCOMPARE(requested.at(0).at(3).toBool(), false);
    // The process decides: until it reports the change the node shows as it is.
    QCOMPARE(reader1.data().toString(), u"online"_s);

    // Asking for the state it already has requests nothing; other roles/columns are refused.
    QVERIFY(m_model->setData(reader1, Qt::Checked, Qt::CheckStateRole));
    QCOMPARE(requested.size(), 1);
    QVERIFY(!m_model->setData(reader1, u"x"_s, Qt::EditRole));
    QVERIFY(!m_model->setData(reader1.siblingAtColumn(MonitorModel::NameColumn), Qt::Unchecked,
                              Qt::CheckStateRole));
    QCOMPARE(requested.size(), 1);
}

void tst_MonitorModel::offlineWarning()
{
    m_model->updateProcess(process(100), T0);
    const auto nodeAt = [this](int port) {
        return m_model->nodeIndex(100, u"demo"_s, address(port));
    };
    QVERIFY(m_model->offlineWarning(nodeAt(5432)).contains(u"primary"_s));
    QCOMPARE(m_model->offlineWarning(nodeAt(5433)), QString());
    QVERIFY(m_model->offlineWarning(m_model->clusterIndex(100, u"demo"_s)).isEmpty());

    m_model->applyStateEvent(
        stateEvent(100, 5434, NodeRole::Reader, NodeState::Online, NodeState::Failed, u"gone"_s),
        T0);
    QVERIFY(m_model->offlineWarning(nodeAt(5433)).contains(u"last online reader"_s));
    // Taking a node that is not online out of service removes no capacity.
    QCOMPARE(m_model->offlineWarning(nodeAt(5434)), QString());
}

void tst_MonitorModel::sinceChangeFollowsTheClock()
{
    m_model->updateProcess(process(100), T0 + 5000);
    const QModelIndex since
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::SinceChangeColumn);
    QCOMPARE(since.data().toString(), u"5 s"_s);
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->tick(T0 + 65'000);
    QVERIFY(!changed.isEmpty());
    QCOMPARE(since.data().toString(), u"1 min 5 s"_s);
    QCOMPARE(m_model->currentTime(), T0 + 65'000);
    // The clock never goes back.
    m_model->tick(T0);
    QCOMPARE(m_model->currentTime(), T0 + 65'000);
}

void tst_MonitorModel::historyKeepsTheLastMinute()
{
    for (int second = 0; second <= 100; ++second)
        m_model->updateProcess(process(100, 0, quint64(second) * 10, 0), T0 + second * 1000);
    const QModelIndex reader1
        = m_model->nodeIndex(100, u"demo"_s, address(5433), MonitorModel::HistoryColumn);
    QPolygonF history = reader1.data(MonitorModel::QpsHistoryRole).value<QPolygonF>();
    QCOMPARE(history.size(), 60);
    QCOMPARE(history.first(), QPointF(-59'000, 10));
    QCOMPARE(history.last(), QPointF(0, 10));

    // Time passing without counters: zero rates come in, old samples leave.
    m_model->tick(T0 + 130'000);
    history = reader1.data(MonitorModel::QpsHistoryRole).value<QPolygonF>();
    QCOMPARE(history.size(), 31); // 71 s to 100 s, then a 0 at 130 s
    QCOMPARE(history.first(), QPointF(-59'000, 10));
    QCOMPARE(history.last(), QPointF(0, 0));
    m_model->tick(T0 + 200'000);
    history = reader1.data(MonitorModel::QpsHistoryRole).value<QPolygonF>();
    QCOMPARE(history.size(), 1);
    QCOMPARE(history.last(), QPointF(0, 0));
}

void tst_MonitorModel::historyRing()
{
    QpsHistory history(10'000, 4);
    QVERIFY(history.isEmpty());
    history.append(1000, 1);
    history.append(2000, 2);
    history.append(500, 9); // out of order: ignored
    QCOMPARE(history.size(), 2);
    history.append(3000, 3);
    history.append(4000, 4);
    history.append(5000, 5); // over capacity: the oldest goes
    QCOMPARE(history.size(), 4);
    QCOMPARE(history.at(0).timeMs, 2000);
    QCOMPARE(history.last().qps, 5.0);
    QCOMPARE(history.maximum(), 5.0);
    history.append(13'500, 6); // the window ends at 13.5 s: samples up to 3.5 s leave
    QCOMPARE(history.size(), 3);
    QCOMPARE(history.at(0).timeMs, 4000);
    history.expire(30'000);
    QVERIFY(history.isEmpty());
    QCOMPARE(history.maximum(), 0.0);
}

void tst_MonitorModel::texts()
{
    QCOMPARE(MonitorModel::durationText(-5), u"0 s"_s);
    QCOMPARE(MonitorModel::durationText(59'999), u"59 s"_s);
    QCOMPARE(MonitorModel::durationText(3'599'000), u"59 min 59 s"_s);
    QCOMPARE(MonitorModel::durationText(3'660'000), u"1 h 1 min"_s);
    QCOMPARE(MonitorModel::durationText(90'000'000), u"1 d 1 h"_s);
    QCOMPARE(MonitorModel::rateText(0), u"0"_s);
    QCOMPARE(MonitorModel::rateText(0.5), u"0.5"_s);
    QCOMPARE(MonitorModel::rateText(7), u"7"_s);
    QCOMPARE(MonitorModel::rateText(123.6), u"124"_s);
    QCOMPARE(MonitorModel::rateText(-1), u"0"_s);
}

void tst_MonitorModel::stateColorsReadableOnBothPalettes()
{
    // WCAG contrast ratio of each state colour against the palette's base colour.
    const auto luminance = [](const QColor &color) {
        const auto channel = [](double c) {
            return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
        };
        return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF());
    };
    const auto contrast = [&](const QColor &a, const QColor &b) {
        const double la = luminance(a), lb = luminance(b);
        return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
    };
    QPalette light(Qt::black, Qt::white);
    QPalette dark(Qt::white, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    QVERIFY(!isDarkPalette(light));
    QVERIFY(isDarkPalette(dark));
    const QList<NodeState> states
        = {NodeState::Online, NodeState::Failed, NodeState::OfflineByHand, NodeState::Lagging};
    for (NodeState state : states) {
        QVERIFY2(contrast(nodeStateColor(state, light), Qt::white) >= 4.5,
                 qPrintable(QPsqlHa::nodeStateText(state)));
        QVERIFY2(contrast(nodeStateColor(state, dark), QColor(0x1e, 0x1e, 0x1e)) >= 4.5,
                 qPrintable(QPsqlHa::nodeStateText(state)));
        // Every state has a colour of its own (none falls back to the text colour).
        for (NodeState other : states) {
            if (other != state) {
                QVERIFY(nodeStateColor(state, light) != nodeStateColor(other, light));
                QVERIFY(nodeStateColor(state, dark) != nodeStateColor(other, dark));
            }
        }
        QVERIFY(nodeStateColor(state, light) != light.color(QPalette::Text));
    }
}

void tst_MonitorModel::eventLogAppendsAndCaps()
{
    EventLogModel log;
    QAbstractItemModelTester tester(&log, QAbstractItemModelTester::FailureReportingMode::Fatal);
    log.setMaximumRows(3);
    QCOMPARE(log.columnCount(), int(EventLogModel::ColumnCount));

    for (int i = 0; i < 5; ++i) {
        QPsqlHa::StateEvent event = stateEvent(100, 5433, NodeRole::Reader, NodeState::Online,
                                               NodeState::Failed, u"reason %1"_s.arg(i));
        event.time = QDateTime::fromMSecsSinceEpoch(T0 + i * 1000, Qt::UTC);
        log.appendEvent(event, u"app (pid 100)"_s);
        QCOMPARE(log.rowCount(), std::min(i + 1, 3));
    }
    // The oldest went first.
    QCOMPARE(log.index(0, EventLogModel::ReasonColumn).data().toString(), u"reason 2"_s);
    QCOMPARE(log.index(2, EventLogModel::ReasonColumn).data().toString(), u"reason 4"_s);
    QCOMPARE(log.index(2, EventLogModel::ProcessColumn).data().toString(), u"app (pid 100)"_s);
    QCOMPARE(log.index(2, EventLogModel::ClusterColumn).data().toString(), u"demo"_s);
    QCOMPARE(log.index(2, EventLogModel::NodeColumn).data().toString(), address(5433));
    QCOMPARE(log.index(2, EventLogModel::OldStateColumn).data().toString(), u"online"_s);
    QCOMPARE(log.index(2, EventLogModel::NewStateColumn).data().toString(), u"offline: failed"_s);
    QCOMPARE(log.index(2, EventLogModel::NewStateColumn).data(Qt::ForegroundRole).value<QColor>(),
             nodeStateColor(NodeState::Failed));
    QCOMPARE(log.index(2, EventLogModel::TimeColumn).data().toString(),
             QDateTime::fromMSecsSinceEpoch(T0 + 4000).toString(u"HH:mm:ss.zzz"_s));
    QCOMPARE(log.entry(2).time, QDateTime::fromMSecsSinceEpoch(T0 + 4000, Qt::UTC));
    QCOMPARE(log.headerData(EventLogModel::ReasonColumn, Qt::Horizontal).toString(), u"Reason"_s);

    // An event without a time gets the time it arrived.
    QPsqlHa::StateEvent untimed = stateEvent(100, 5434, NodeRole::Reader, NodeState::Failed,
                                             NodeState::Online, u"probe succeeded"_s);
    untimed.time = QDateTime();
    const QDateTime before = QDateTime::currentDateTimeUtc();
    log.appendEvent(untimed, u"app (pid 100)"_s);
    QVERIFY(log.entry(2).time >= before);

    log.setMaximumRows(1);
    QCOMPARE(log.rowCount(), 1);
    QCOMPARE(log.entry(0).reason, u"probe succeeded"_s);
    log.clear();
    QCOMPARE(log.rowCount(), 0);
}

QTEST_GUILESS_MAIN(tst_MonitorModel)
#include "tst_monitormodel.moc"
