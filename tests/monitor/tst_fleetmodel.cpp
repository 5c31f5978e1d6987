// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The monitor's fleet view without a server: a listing as `qpsqlha-fleet list --json` prints it
// becomes the machine → process → cluster → node tree, with admin state, gone instances, the
// reach of a change and the event log's lines.

#include <fleetmodel.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;

namespace {

QJsonObject node(const QString &address, const QString &role, const QString &state,
                 const QString &admin = QString())
{
    QJsonObject object {{u"address"_s, address},
                        {u"host"_s, address.section(u':', 0, 0)},
                        {u"port"_s, address.section(u':', 1).toInt()},
                        {u"role"_s, role},
                        {u"state"_s, state},
                        {u"offlineByHand"_s, false}};
    if (!admin.isEmpty())
        object.insert(u"fleet"_s, QJsonObject {{u"admin"_s, admin}});
    return object;
}

QJsonObject instance(const QString &host, int pid, bool gone, const QJsonArray &nodes)
{
    return {
        {u"host"_s, host},
        {u"pid"_s, pid},
        {u"application"_s, u"orders"_s},
        {u"ageMs"_s, gone ? 20000 : 1500},
        {u"gone"_s, gone},
        {u"status"_s,
         QJsonObject {{u"fleet"_s, u"fleet: ok"_s},
                      {u"clusters"_s,
                       QJsonArray {QJsonObject {{u"name"_s, u"demo"_s}, {u"nodes"_s, nodes}}}}}}};
}

} // namespace

class tst_FleetModel : public QObject
{
    Q_OBJECT

private slots:
    void treeFromHeartbeats();
    void reachAndConfirmation();
    void eventLine();
};

static QJsonObject sampleList()
{
    const QJsonArray nodes {
        node(u"10.0.0.1:5432"_s, u"primary"_s, u"online"_s, u"online"_s),
        node(u"10.0.0.2:5432"_s, u"reader"_s, u"offline: by hand"_s, u"offline"_s)};
    return {
        {u"admin"_s,
         QJsonArray {QJsonObject {{u"cluster"_s, u"demo"_s},
                                  {u"node"_s, u"10.0.0.2:5432"_s},
                                  {u"state"_s, u"offline"_s}}}},
        {u"instances"_s,
         QJsonArray {instance(u"app1"_s, 11, false, nodes), instance(u"app1"_s, 12, true, nodes),
                     instance(u"app2"_s, 21, false, nodes)}}};
}

void tst_FleetModel::treeFromHeartbeats()
{
    FleetModel model;
    model.setList(sampleList());
    QCOMPARE(model.rowCount(), 2); // two machines
    const QModelIndex app1 = model.index(0, 0);
    QCOMPARE(app1.data().toString(), u"app1"_s);
    QCOMPARE(model.rowCount(app1), 2); // two processes on it
    const QModelIndex live = model.index(0, 0, app1);
    QCOMPARE(live.data().toString(), u"pid 11 (orders)"_s);
    QVERIFY(!live.data(FleetModel::GoneRole).toBool());
    const QModelIndex gone = model.index(1, 0, app1);
    QVERIFY(gone.data(FleetModel::GoneRole).toBool());
    QCOMPARE(model.index(1, FleetModel::StateColumn, app1).data().toString(), u"gone"_s);
    const QModelIndex cluster = model.index(0, 0, live);
    QCOMPARE(cluster.data().toString(), u"demo"_s);
    QCOMPARE(model.rowCount(cluster), 2);
    const QModelIndex reader = model.index(1, 0, cluster);
    QCOMPARE(reader.data(FleetModel::AddressRole).toString(), u"10.0.0.2:5432"_s);
    QCOMPARE(reader.data(FleetModel::ClusterRole).toString(), u"demo"_s);
    QCOMPARE(model.index(1, FleetModel::StateColumn, cluster).data().toString(),
             u"offline: fleet"_s);
    QCOMPARE(model.index(1, FleetModel::AdminColumn, cluster).data().toString(), u"offline"_s);
    QCOMPARE(model.index(0, FleetModel::AdminColumn, cluster).data().toString(), u"online"_s);

    // A new listing replaces the tree.
    model.setList(QJsonObject {{u"instances"_s, QJsonArray()}});
    QCOMPARE(model.rowCount(), 0);
}

void tst_FleetModel::reachAndConfirmation()
{
    FleetModel model;
    model.setList(sampleList());
    // Gone instances are not counted.
    QCOMPARE(model.instancesListing(u"demo"_s, u"10.0.0.2:5432"_s), 2);
    QCOMPARE(model.instancesListing(u"other"_s, u"10.0.0.2:5432"_s), 0);
    QCOMPARE(model.adminState(u"demo"_s, u"10.0.0.2:5432"_s), u"offline"_s);
    QCOMPARE(model.adminState(u"demo"_s, u"10.0.0.1:5432"_s), u"online"_s);
    const QString text = model.confirmationText(u"demo"_s, u"10.0.0.2:5432"_s, u"online"_s);
    QVERIFY2(text.contains(u"10.0.0.2:5432"_s) && text.contains(u"demo"_s)
                 && text.contains(u"2 running instance"_s),
             qPrintable(text));
}

void tst_FleetModel::eventLine()
{
    const QJsonObject event
        = QJsonDocument::fromJson(
              R"({"op":"update","cluster":"demo","node":"10.0.0.2:5432","state":"drained",)"
              R"("reason":"rebuild","by":"alice","at":"2026-12-03T20:00:00.000Z"})")
              .object();
    QCOMPARE(FleetModel::eventText(event), u"alice set demo 10.0.0.2:5432 drained: rebuild"_s);
}

QTEST_GUILESS_MAIN(tst_FleetModel)

#include "tst_fleetmodel.moc"
