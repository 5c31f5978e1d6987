// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The fleet's part of node state without a server (docs/fleet.md): offline by hand and offline
// by the fleet are separate reasons, drained keeps a node out of the read pool only, the
// status carries both through the control protocol, and the fleet's connect options parse.
// The fleet schema and the agent are tested against a live cluster in tests/fleet.

#include <qpsqlhacluster_p.h>
#include <qpsqlhacontrolprotocol_p.h>
#include <qpsqlhastatechanges_p.h>

#include <QtCore/qjsondocument.h>
#include <QtTest/qtest.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

ClusterSettings settingsWith(const QString &options, QString *error = nullptr)
{
    ClusterSettings settings;
    ConnectionParameters parameters;
    parameters.host = u"10.0.0.1"_s;
    parameters.port = 5432;
    parameters.database = u"app"_s;
    parameters.user = u"app"_s;
    parameters.connectOptions
        = u"QPSQLHA_READERS=10.0.0.2,10.0.0.3;QPSQLHA_CLUSTER=fleet-state;"_s + options;
    QString problem;
    if (!parseConnectionParameters(parameters, &settings, &problem) && error)
        *error = problem;
    return settings;
}

Node::FleetMark mark(FleetAdmin admin, const QString &reason = QString())
{
    return {admin, reason, u"alice"_s, QDateTime(QDate(2026, 12, 3), QTime(20, 0), Qt::UTC)};
}

} // namespace

class tst_FleetState : public QObject
{
    Q_OBJECT

private slots:
    void handAndFleetAreSeparateReasons();
    void fleetOfflineWhileFailedReturnsFailed();
    void drainedGetsNoReads();
    void changesArePublishedWithTheirReason();
    void statusRoundTrip();
    void olderPeersDecode();
    void options();
    void fromReplicationConfig();
};

void tst_FleetState::handAndFleetAreSeparateReasons()
{
    Cluster cluster(settingsWith(QString()));
    Node &reader = cluster.node(1);
    QVERIFY(reader.setFleetAdmin(mark(FleetAdmin::Offline, u"disk"_s)));
    QCOMPARE(reader.state(), NodeState::OfflineByHand);
    QVERIFY(!reader.isOfflineByHand());
    QVERIFY(!reader.setFleetAdmin(mark(FleetAdmin::Offline, u"disk"_s))); // the same: no change
    QVERIFY(reader.setOfflineByHand(true));
    QVERIFY(reader.isOfflineByHand());
    // The fleet lifts its reason: the hand still holds it.
    QVERIFY(reader.setFleetAdmin(mark(FleetAdmin::Online)));
    QCOMPARE(reader.state(), NodeState::OfflineByHand);
    QVERIFY(reader.setOfflineByHand(false));
    QCOMPARE(reader.state(), NodeState::Online);

    // And the other way round.
    QVERIFY(reader.setOfflineByHand(true));
    QVERIFY(reader.setFleetAdmin(mark(FleetAdmin::Offline)));
    QVERIFY(reader.setOfflineByHand(false));
    QCOMPARE(reader.state(), NodeState::OfflineByHand);
    QCOMPARE(cluster.pickReader(1u << 2), -1); // reader 2 excluded, reader 1 out
    QVERIFY(reader.setFleetAdmin(mark(FleetAdmin::Online)));
    QCOMPARE(reader.state(), NodeState::Online);
    QCOMPARE(reader.fleetMark().by, u"alice"_s);
}

void tst_FleetState::fleetOfflineWhileFailedReturnsFailed()
{
    Cluster cluster(settingsWith(QString()));
    Node &reader = cluster.node(2);
    QVERIFY(reader.setFleetAdmin(mark(FleetAdmin::Offline)));
    // The server fails meanwhile (seen through another cluster listing it, or before).
    reader.markFailed(u"gone"_s);
    QCOMPARE(reader.state(), NodeState::OfflineByHand); // an operator's word wins
    QVERIFY(reader.setFleetAdmin(mark(FleetAdmin::Online)));
    QCOMPARE(reader.state(), NodeState::Failed); // the probe brings it back, as after by hand
}

void tst_FleetState::drainedGetsNoReads()
{
    Cluster cluster(settingsWith(QString()));
    QVERIFY(cluster.node(1).setFleetAdmin(mark(FleetAdmin::Drained, u"rebuild"_s)));
    // Not a state change: it answers, writes (were it the primary) still go to it.
    QCOMPARE(cluster.node(1).state(), NodeState::Online);
    QVERIFY(cluster.node(1).isDrained());
    QVERIFY(!cluster.isReadable(1));
    for (int i = 0; i < 200; ++i)
        QCOMPARE(cluster.pickReader(0), 2);
    QVERIFY(cluster.node(1).setFleetAdmin(mark(FleetAdmin::Online)));
    QVERIFY(cluster.isReadable(1));
}

void tst_FleetState::changesArePublishedWithTheirReason()
{
    Cluster cluster(settingsWith(QString()));
    QList<StateChange> changes;
    StateChangeHub::instance().addListener();
    const QMetaObject::Connection connection
        = QObject::connect(&StateChangeHub::instance(), &StateChangeHub::changed,
                           [&](const StateChange &change) { changes.append(change); });
    cluster.node(1).setFleetAdmin(mark(FleetAdmin::Offline, u"disk"_s));
    cluster.node(1).setFleetAdmin(mark(FleetAdmin::Online));
    cluster.node(1).setOfflineByHand(true);
    cluster.node(1).setOfflineByHand(false);
    QObject::disconnect(connection);
    StateChangeHub::instance().removeListener();
    QCOMPARE(changes.size(), 4);
    QCOMPARE(changes.at(0).reason, u"set by the fleet (alice): disk"_s);
    QCOMPARE(changes.at(1).reason, u"set online by the fleet"_s);
    QCOMPARE(changes.at(2).reason, u"set by hand"_s);
    QCOMPARE(changes.at(3).reason, u"set by hand"_s);
}

void tst_FleetState::statusRoundTrip()
{
    NodeStatus node;
    node.address = u"10.0.0.2:5432"_s;
    node.host = u"10.0.0.2"_s;
    node.port = 5432;
    node.state = NodeState::OfflineByHand;
    node.offlineByHand = true;
    node.fleetAdmin = u"offline"_s;
    node.fleetReason = u"disk \"swap\""_s;
    node.fleetChangedBy = u"alice"_s;
    node.fleetChangedAt = QDateTime(QDate(2026, 12, 3), QTime(20, 1, 2, 345), Qt::UTC);
    ProcessStatus process;
    process.pid = 7;
    process.fleet = u"fleet: ok"_s;
    ClusterStatus cluster;
    cluster.name = u"c"_s;
    cluster.nodes = {node};
    process.clusters = {cluster};

    const QByteArray wire = ControlProtocol::encode(ControlProtocol::processToJson(process));
    ProcessStatus decoded;
    QVERIFY(ControlProtocol::processFromJson(QJsonDocument::fromJson(wire).object(), &decoded));
    QCOMPARE(decoded.fleet, u"fleet: ok"_s);
    const NodeStatus &back = decoded.clusters.first().nodes.first();
    QVERIFY(back.offlineByHand);
    QCOMPARE(back.fleetAdmin, u"offline"_s);
    QCOMPARE(back.fleetReason, node.fleetReason);
    QCOMPARE(back.fleetChangedBy, u"alice"_s);
    QCOMPARE(back.fleetChangedAt, node.fleetChangedAt);

    // Without a fleet the fields stay out of the message.
    node.fleetAdmin.clear();
    QVERIFY(!ControlProtocol::nodeToJson(node).contains(u"fleet"_s));
    process.fleet.clear();
    QVERIFY(!ControlProtocol::processToJson(process).contains(u"fleet"_s));
}

void tst_FleetState::olderPeersDecode()
{
    // A process of an older library sends neither field: by hand is what its state says.
    QJsonObject object = ControlProtocol::nodeToJson(NodeStatus());
    object.remove(u"offlineByHand"_s);
    object.insert(u"state"_s, u"offline: by hand"_s);
    NodeStatus node;
    QVERIFY(ControlProtocol::nodeFromJson(object, &node));
    QVERIFY(node.offlineByHand);
    QVERIFY(node.fleetAdmin.isEmpty());
}

void tst_FleetState::options()
{
    QString error;
    ClusterSettings settings = settingsWith(QString(), &error);
    QVERIFY(!settings.fleet);
    QCOMPARE(settings.fleetSchema, u"qpsqlha"_s);
    QCOMPARE(settings.fleetHeartbeatMs, 5000);

    settings = settingsWith(
        u"QPSQLHA_FLEET=1;QPSQLHA_FLEET_SCHEMA=Ops;QPSQLHA_FLEET_HEARTBEAT=1500"_s, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(settings.fleet);
    QCOMPARE(settings.fleetSchema, u"ops"_s); // unquoted SQL names fold to lower case
    QCOMPARE(settings.fleetHeartbeatMs, 1500);

    for (const QString &bad :
         {u"QPSQLHA_FLEET=maybe"_s, u"QPSQLHA_FLEET_SCHEMA=a;b"_s, u"QPSQLHA_FLEET_SCHEMA=x-y"_s,
          u"QPSQLHA_FLEET_HEARTBEAT=10"_s, u"QPSQLHA_FLEET_HEARTBEAT=soon"_s}) {
        error.clear();
        settingsWith(bad, &error);
        QVERIFY2(!error.isEmpty(), qPrintable(bad));
    }
}

void tst_FleetState::fromReplicationConfig()
{
    // The C++ API takes the fleet's options through setConnectOptions(), as the driver does.
    ReplicationConfig config;
    NodeConfig primary;
    primary.host = u"10.0.0.1"_s;
    config.appendWriteNodeConfig(primary);
    ClusterSettings settings;
    QString error;
    QVERIFY2(clusterSettingsFromConfig(u"set"_s, config, false, &settings, &error),
             qPrintable(error));
    QVERIFY(!settings.fleet);
    config.setConnectOptions(
        u"QPSQLHA_FLEET=1;QPSQLHA_FLEET_SCHEMA=ops;QPSQLHA_FLEET_HEARTBEAT=2000"_s);
    QVERIFY2(clusterSettingsFromConfig(u"set"_s, config, false, &settings, &error),
             qPrintable(error));
    QVERIFY(settings.fleet);
    QCOMPARE(settings.fleetSchema, u"ops"_s);
    QCOMPARE(settings.fleetHeartbeatMs, 2000);
}

QTEST_GUILESS_MAIN(tst_FleetState)

#include "tst_fleetstate.moc"
