// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The fleet end to end (docs/fleet.md): the schema made and upgraded by `qpsqlha-ctl fleet init`,
// admin state set with the tool and applied by running applications (this process, and the demo
// application as a separate instance), heartbeats, roles. Against the live test cluster.

#include <hahelpers.h>
#include <testcluster.h>

#include <qpsqlhaapi.h>
#include <qpsqlhacontrolrequests_p.h>
#include <qpsqlhafleet_p.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

const QString Schema = u"fleettest"_s;
constexpr int CtlTimeoutMs = 30 * 1000;

struct CtlResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

QByteArray describe(const CtlResult &result)
{
    return u"exit %1\n--- stdout:\n%2--- stderr:\n%3"_s.arg(result.exitCode)
        .arg(result.out, result.err)
        .toLocal8Bit();
}

} // namespace

class tst_Fleet : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void schemaAbsentThenInit();
    void initUpgradesInPlace();
    void offlineReachesWithinOneSecond();
    void handAndFleetAreSeparateReasons();
    void drainedGetsNoNewReads();
    void laterInstanceStartsWithTheState();
    void separateInstanceHeartbeatsAndHonoursState();
    void applicationRoleCannotSteer();
    void primaryDownStateFromReader();

private:
    CtlResult runCtl(const QStringList &arguments, const QString &conninfo = QString(),
                     const QString &password = QString()) const;
    QString conninfo(const QString &user = QString()) const;
    QString address(Node node) const
    {
        return u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(node));
    }
    // A QPSQLHA connection with the fleet on, to its own cluster.
    QSqlDatabase openFleetDatabase(const QString &connection, const QString &cluster,
                                   const QString &extra = QString());
    // Which ports served `reads` plain reads.
    QList<int> readPorts(QSqlDatabase &db, int reads) const;
    bool setAdmin(const QString &state, const QString &cluster, Node node,
                  const QString &reason = QString()) const;

    TestCluster &m_test = TestCluster::instance();
    QStringList m_connections;
};

void tst_Fleet::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    QVERIFY2(
        m_test.execOn(Node::Primary, u"DROP SCHEMA IF EXISTS %1 CASCADE"_s.arg(Schema), &error),
        qPrintable(error));
    QVERIFY(m_test.waitForReplication());
    // The whole process takes part in the fleet, with this schema and a quick heartbeat.
    qputenv("QPSQLHA_FLEET_HOSTNAME", "fleet-test-host");
}

void tst_Fleet::cleanupTestCase()
{
    for (const QString &name : std::as_const(m_connections))
        dropDatabase(name);
    if (m_test.isValid())
        m_test.ensureAllRunning();
}

QString tst_Fleet::conninfo(const QString &user) const
{
    // No password: it comes from PGPASSWORD, as libpq reads it.
    return u"host=%1 port=%2 dbname=%3 user=%4"_s.arg(m_test.host())
        .arg(m_test.port(Node::Primary))
        .arg(m_test.database(), user.isEmpty() ? m_test.user() : user);
}

CtlResult tst_Fleet::runCtl(const QStringList &arguments, const QString &info,
                            const QString &password) const
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"PGPASSWORD"_s, password.isEmpty() ? m_test.password() : password);
    process.setProcessEnvironment(environment);
    QStringList all {u"fleet"_s};
    all += arguments;
    all += {u"--conninfo"_s, info.isEmpty() ? conninfo() : info, u"--schema"_s, Schema};
    process.start(QStringLiteral(QPSQLHA_CTL_PATH), all);
    CtlResult result;
    if (!process.waitForFinished(CtlTimeoutMs))
        return result;
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

QSqlDatabase tst_Fleet::openFleetDatabase(const QString &connection, const QString &cluster,
                                          const QString &extra)
{
    m_connections.append(connection);
    QSqlDatabase db = haDatabase(connection, cluster,
                                 u"QPSQLHA_FLEET=1;QPSQLHA_FLEET_SCHEMA=%1;"
                                 "QPSQLHA_FLEET_HEARTBEAT=300;QPSQLHA_READER_BURST=1"_s.arg(Schema)
                                     + (extra.isEmpty() ? QString() : u';' + extra));
    db.open();
    return db;
}

QList<int> tst_Fleet::readPorts(QSqlDatabase &db, int reads) const
{
    QList<int> ports;
    QSqlQuery query(db);
    for (int i = 0; i < reads; ++i)
        ports.append(servedBy(query));
    return ports;
}

bool tst_Fleet::setAdmin(const QString &state, const QString &cluster, Node node,
                         const QString &reason) const
{
    QStringList arguments {state, cluster, address(node)};
    if (!reason.isEmpty())
        arguments += {u"--reason"_s, reason};
    const CtlResult result = runCtl(arguments);
    if (result.exitCode != 0)
        qWarning().noquote() << describe(result);
    return result.exitCode == 0;
}

void tst_Fleet::schemaAbsentThenInit()
{
    const QString cluster = uniqueClusterName("fleet-absent");
    QSqlDatabase db = openFleetDatabase(u"absent"_s, cluster);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    QCOMPARE(QPsqlHa::currentProcessStatus().fleet, u"fleet: not initialised"_s);
    // Work goes on without the fleet.
    QVERIFY(!readPorts(db, 5).contains(-1));

    const CtlResult init = runCtl({u"init"_s});
    QVERIFY2(init.exitCode == 0, describe(init));
    QVERIFY2(init.out.contains(u"version 1 (created)"_s), describe(init));
    // The agent finds the schema at its next reading (health interval 2 s).
    QVERIFY(waitUntil([] { return QPsqlHa::currentProcessStatus().fleet == "fleet: ok"_L1; }, 10000)
            >= 0);
    // And then works: an admin change reaches it.
    QVERIFY(setAdmin(u"offline"_s, cluster, Node::Reader1));
    const QPsqlHa::NodeHandle reader1 = nodeHandle(cluster, Node::Reader1);
    QVERIFY(waitUntil([&] { return reader1.status().fleetAdmin == "offline"_L1; }, 3000) >= 0);
    QVERIFY(setAdmin(u"online"_s, cluster, Node::Reader1));
}

void tst_Fleet::initUpgradesInPlace()
{
    const CtlResult again = runCtl({u"init"_s});
    QVERIFY2(again.exitCode == 0, describe(again));
    QVERIFY2(again.out.contains(u"up to date"_s), describe(again));

    // An older schema, with an admin row that must survive the upgrade.
    QString error;
    QVERIFY2(m_test.execOn(
                 Node::Primary,
                 u"UPDATE %1.meta SET value = '0' WHERE key = 'version'; "
                 "INSERT INTO %1.admin_state (cluster, node, state, reason) VALUES "
                 "('upgrade-keep', 'h:1', 'drained', 'kept') ON CONFLICT DO NOTHING"_s.arg(Schema),
                 &error),
             qPrintable(error));
    const CtlResult upgrade = runCtl({u"init"_s, u"--json"_s});
    QVERIFY2(upgrade.exitCode == 0, describe(upgrade));
    const QJsonObject reply = QJsonDocument::fromJson(upgrade.out.toUtf8()).object();
    QCOMPARE(reply[u"previous"_s].toInt(), 0);
    QCOMPARE(reply[u"version"_s].toInt(), 1);
    QCOMPARE(m_test.queryValue(Node::Primary, u"SELECT value FROM %1.meta"_s.arg(Schema)), u"1"_s);
    QCOMPARE(m_test.queryValue(Node::Primary,
                               u"SELECT state || '/' || reason FROM %1.admin_state WHERE "
                               "cluster = 'upgrade-keep'"_s.arg(Schema)),
             u"drained/kept"_s);
    QVERIFY(m_test.execOn(
        Node::Primary, u"DELETE FROM %1.admin_state WHERE cluster = 'upgrade-keep'"_s.arg(Schema)));
}

void tst_Fleet::offlineReachesWithinOneSecond()
{
    const QString cluster = uniqueClusterName("fleet-notify");
    // A health interval far above a second: only the NOTIFY can be this quick.
    QSqlDatabase db = openFleetDatabase(u"notify"_s, cluster, u"QPSQLHA_HEALTH_INTERVAL=20000"_s);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    const int reader1Port = m_test.port(Node::Reader1);
    QVERIFY(waitUntil([&] { return readPorts(db, 1).contains(reader1Port); }, 5000) >= 0);

    const QPsqlHa::NodeHandle reader1 = nodeHandle(cluster, Node::Reader1);
    QElapsedTimer sinceStart;
    sinceStart.start();
    const CtlResult offline
        = runCtl({u"offline"_s, cluster, address(Node::Reader1), u"--reason"_s, u"disk swap"_s});
    const qint64 toolMs = sinceStart.elapsed();
    QVERIFY2(offline.exitCode == 0, describe(offline));
    // The tool returned once the change was committed: from here the NOTIFY is on its way (it
    // may well have arrived before the tool's process ended).
    const qint64 ms = waitUntil(
        [&] { return reader1.status().state == QPsqlHa::NodeState::OfflineByHand; }, 5000, 2);
    qInfo("fleet offline applied %lld ms after the tool returned (%lld ms after it started; "
          "the tool took %lld ms)",
          ms, sinceStart.elapsed(), toolMs);
    QVERIFY2(ms >= 0 && ms < 1000, qPrintable(QString::number(ms)));
    const QPsqlHa::NodeStatus status = reader1.status();
    QCOMPARE(status.fleetAdmin, u"offline"_s);
    QCOMPARE(status.fleetReason, u"disk swap"_s);
    QCOMPARE(status.fleetChangedBy, m_test.user());
    QVERIFY(!status.offlineByHand);
    QVERIFY(!readPorts(db, 40).contains(reader1Port));

    const CtlResult online = runCtl({u"online"_s, cluster, address(Node::Reader1)});
    QVERIFY2(online.exitCode == 0, describe(online));
    const qint64 back = waitUntil([&] { return reader1.isOnline(); }, 5000, 2);
    qInfo("fleet online applied %lld ms after the tool returned", back);
    QVERIFY(back >= 0 && back < 1000);
    QVERIFY(waitUntil([&] { return readPorts(db, 1).contains(reader1Port); }, 5000) >= 0);
}

void tst_Fleet::handAndFleetAreSeparateReasons()
{
    const QString cluster = uniqueClusterName("fleet-reasons");
    QSqlDatabase db = openFleetDatabase(u"reasons"_s, cluster);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    QPsqlHa::NodeHandle reader1 = nodeHandle(cluster, Node::Reader1);

    // Fleet first, then by hand; the fleet lifts first: still out.
    QVERIFY(setAdmin(u"offline"_s, cluster, Node::Reader1));
    QVERIFY(waitUntil([&] { return reader1.status().fleetAdmin == "offline"_L1; }, 3000) >= 0);
    reader1.setOnline(false);
    QVERIFY(reader1.status().offlineByHand);
    QVERIFY(setAdmin(u"online"_s, cluster, Node::Reader1));
    QVERIFY(waitUntil([&] { return reader1.status().fleetAdmin == "online"_L1; }, 3000) >= 0);
    QCOMPARE(reader1.status().state, QPsqlHa::NodeState::OfflineByHand);
    reader1.setOnline(true);
    QCOMPARE(reader1.status().state, QPsqlHa::NodeState::Online);

    // By hand first; lifting the hand while the fleet holds it: still out.
    reader1.setOnline(false);
    QVERIFY(setAdmin(u"offline"_s, cluster, Node::Reader1));
    QVERIFY(waitUntil([&] { return reader1.status().fleetAdmin == "offline"_L1; }, 3000) >= 0);
    reader1.setOnline(true);
    QVERIFY(!reader1.status().offlineByHand);
    QCOMPARE(reader1.status().state, QPsqlHa::NodeState::OfflineByHand);
    QVERIFY(setAdmin(u"online"_s, cluster, Node::Reader1));
    QVERIFY(waitUntil([&] { return reader1.isOnline(); }, 3000) >= 0);
}

void tst_Fleet::drainedGetsNoNewReads()
{
    const QString cluster = uniqueClusterName("fleet-drain");
    QSqlDatabase db = openFleetDatabase(u"drain"_s, cluster);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    const QPsqlHa::NodeHandle reader2 = nodeHandle(cluster, Node::Reader2);
    QVERIFY(setAdmin(u"drain"_s, cluster, Node::Reader2, u"rebuild"_s));
    QVERIFY(waitUntil([&] { return reader2.status().fleetAdmin == "drained"_L1; }, 3000) >= 0);
    // Drained is no state change: it answers, it just gets no new reads.
    QCOMPARE(reader2.status().state, QPsqlHa::NodeState::Online);
    QVERIFY(!readPorts(db, 40).contains(m_test.port(Node::Reader2)));
    QVERIFY(setAdmin(u"online"_s, cluster, Node::Reader2));
    QVERIFY(waitUntil([&] { return readPorts(db, 1).contains(m_test.port(Node::Reader2)); }, 5000)
            >= 0);
}

void tst_Fleet::laterInstanceStartsWithTheState()
{
    // The state is set before this cluster's first connection opens (a process started later):
    // not one read may reach the node.
    const QString cluster = uniqueClusterName("fleet-late");
    QVERIFY(setAdmin(u"offline"_s, cluster, Node::Reader1));
    QSqlDatabase db = openFleetDatabase(u"late"_s, cluster);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    QCOMPARE(nodeHandle(cluster, Node::Reader1).status().state, QPsqlHa::NodeState::OfflineByHand);
    QVERIFY(!readPorts(db, 40).contains(m_test.port(Node::Reader1)));
    QCOMPARE(nodeHandle(cluster, Node::Reader1).status().queries, quint64(0));
}

void tst_Fleet::separateInstanceHeartbeatsAndHonoursState()
{
    // The demo application, another process, started while its reader1 is fleet-offline.
    QVERIFY(setAdmin(u"offline"_s, u"demo"_s, Node::Reader1, u"separate"_s));
    QProcess demo;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QPSQLHA_FLEET"_s, u"1"_s);
    environment.insert(u"QPSQLHA_FLEET_SCHEMA"_s, Schema);
    environment.insert(u"QPSQLHA_FLEET_HOSTNAME"_s, u"fleet-demo-host"_s);
    environment.insert(u"QT_PLUGIN_PATH"_s, QStringLiteral(QPSQLHA_PLUGIN_PATH));
    environment.insert(u"PGPASSWORD"_s, m_test.password());
    demo.setProcessEnvironment(environment);
    demo.setStandardOutputFile(QProcess::nullDevice());
    demo.start(QStringLiteral(QPSQLHA_DEMO_PATH),
               {u"--host"_s, m_test.host(), u"--port"_s,
                QString::number(m_test.port(Node::Primary)), u"--readers"_s, m_test.readersOption(),
                u"--database"_s, m_test.database(), u"--user"_s, m_test.user(), u"--seconds"_s,
                u"0"_s, u"--threads"_s, u"2"_s});
    QVERIFY(demo.waitForStarted());
    const qint64 pid = demo.processId();
    auto finish = qScopeGuard([&] {
        demo.terminate();
        if (!demo.waitForFinished(10000))
            demo.kill();
        setAdmin(u"online"_s, u"demo"_s, Node::Reader1);
    });

    // Its heartbeat (default 5 s) lists it with its nodes; reader1 offline and never read from.
    QJsonObject instance;
    const qint64 listed = waitUntil(
        [&] {
            const CtlResult list = runCtl({u"list"_s, u"--json"_s});
            const QJsonObject fleet = QJsonDocument::fromJson(list.out.toUtf8()).object();
            for (const QJsonValue &value : fleet[u"instances"_s].toArray()) {
                if (qint64(value[u"pid"_s].toDouble()) == pid
                    && value[u"status"_s][u"clusters"_s].toArray().size() > 0) {
                    instance = value.toObject();
                    return true;
                }
            }
            return false;
        },
        20000, 200);
    QVERIFY2(listed >= 0, "the demo never appeared in `fleet list --json`");
    QCOMPARE(instance[u"host"_s].toString(), u"fleet-demo-host"_s);
    QVERIFY(!instance[u"gone"_s].toBool());
    QCOMPARE(instance[u"status"_s][u"fleet"_s].toString(), u"fleet: ok"_s);
    bool sawReader1 = false;
    for (const QJsonValue &cluster : instance[u"status"_s][u"clusters"_s].toArray()) {
        for (const QJsonValue &node : cluster[u"nodes"_s].toArray()) {
            if (node[u"address"_s].toString() != address(Node::Reader1))
                continue;
            sawReader1 = true;
            QCOMPARE(node[u"state"_s].toString(), u"offline: by hand"_s);
            QCOMPARE(node[u"fleet"_s][u"admin"_s].toString(), u"offline"_s);
            QCOMPARE(node[u"queries"_s].toDouble(), 0.0);
        }
    }
    QVERIFY(sawReader1);
    // One row per instance, however many heartbeats.
    QCOMPARE(m_test.queryValue(
                 Node::Primary,
                 u"SELECT count(*) FROM %1.instances WHERE pid = %2"_s.arg(Schema).arg(pid)),
             u"1"_s);
    // This process's own row too, with the host name it was told.
    QVERIFY(waitUntil(
                [&] {
                    return m_test.queryValue(Node::Primary,
                                             u"SELECT count(*) FROM %1.instances WHERE id = '%2' "
                                             "AND host = 'fleet-test-host'"_s.arg(
                                                 Schema, QPsqlHa::Fleet::instanceId()))
                        == "1"_L1;
                },
                5000)
            >= 0);
    // The text listing names both.
    const CtlResult text = runCtl({u"list"_s});
    QVERIFY2(text.exitCode == 0, describe(text));
    QVERIFY2(text.out.contains(u"fleet-demo-host pid %1"_s.arg(pid)), describe(text));
    QVERIFY2(text.out.contains(u"(fleet: offline)"_s), describe(text));
}

void tst_Fleet::applicationRoleCannotSteer()
{
    // A login role of the application's group, as an operator would make one.
    const QString password = u"fleet-app-secret-%1"_s.arg(QCoreApplication::applicationPid());
    QString error;
    QVERIFY2(m_test.execOn(Node::Primary,
                           u"DROP ROLE IF EXISTS fleet_test_app; CREATE ROLE fleet_test_app "
                           "LOGIN PASSWORD '%1' IN ROLE qpsqlha_app"_s.arg(password),
                           &error),
             qPrintable(error));
    auto dropRole = qScopeGuard(
        [&] { m_test.execOn(Node::Primary, u"DROP ROLE IF EXISTS fleet_test_app"_s); });

    const CtlResult refused = runCtl({u"offline"_s, u"any"_s, address(Node::Reader1)},
                                     conninfo(u"fleet_test_app"_s), password);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains(u"permission denied"_s), describe(refused));
    QVERIFY2(!refused.out.contains(password) && !refused.err.contains(password), describe(refused));
    // It may read the state and list nothing else.
    const CtlResult list = runCtl({u"list"_s}, conninfo(u"fleet_test_app"_s), password);
    QCOMPARE(list.exitCode, 1); // no SELECT on instances
    QVERIFY2(!list.out.contains(password) && !list.err.contains(password), describe(list));

    // Directly: no write on any table, only the heartbeat function.
    QSqlDatabase direct = QSqlDatabase::addDatabase(u"QPSQL"_s, u"fleet-app-direct"_s);
    m_connections.append(u"fleet-app-direct"_s);
    direct.setHostName(m_test.host());
    direct.setPort(m_test.port(Node::Primary));
    direct.setDatabaseName(m_test.database());
    direct.setUserName(u"fleet_test_app"_s);
    direct.setPassword(password);
    QVERIFY2(direct.open(), qPrintable(direct.lastError().text()));
    QSqlQuery query(direct);
    QVERIFY(query.exec(u"SELECT count(*) FROM %1.admin_state"_s.arg(Schema)));
    QVERIFY(!query.exec(u"UPDATE %1.admin_state SET state = 'online'"_s.arg(Schema)));
    QVERIFY2(query.lastError().text().contains(u"permission denied"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(!query.exec(u"INSERT INTO %1.admin_state (cluster, node, state) VALUES "
                        "('x', 'h:1', 'offline')"_s.arg(Schema)));
    QVERIFY(!query.exec(u"DELETE FROM %1.instances"_s.arg(Schema)));
    QVERIFY(!query.exec(
        u"INSERT INTO %1.instances (id, host, pid) VALUES ('x', 'h', 1)"_s.arg(Schema)));
    QVERIFY2(
        query.exec(u"SELECT %1.heartbeat('fleet-test-role', 'h', 1, 5000, '{}')"_s.arg(Schema)),
        qPrintable(query.lastError().text()));
    QVERIFY(query.exec(u"SELECT 1"_s)); // the session is fine after the refusals
    direct.close();
    QVERIFY(m_test.execOn(Node::Primary,
                          u"DELETE FROM %1.instances WHERE id = 'fleet-test-role'"_s.arg(Schema)));
}

void tst_Fleet::primaryDownStateFromReader()
{
    const QString cluster = uniqueClusterName("fleet-noprimary");
    QVERIFY(setAdmin(u"offline"_s, cluster, Node::Reader2, u"while the primary is down"_s));
    QVERIFY(m_test.waitForReplication());
    QVERIFY(m_test.stopNode(Node::Primary));
    auto restart = qScopeGuard([&] { QVERIFY(m_test.ensureAllRunning()); });

    QSqlDatabase db = openFleetDatabase(u"noprimary"_s, cluster);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    const QPsqlHa::NodeHandle reader2 = nodeHandle(cluster, Node::Reader2);
    QCOMPARE(reader2.status().state, QPsqlHa::NodeState::OfflineByHand);
    QCOMPARE(reader2.status().fleetReason, u"while the primary is down"_s);
    QVERIFY(!readPorts(db, 20).contains(m_test.port(Node::Reader2)));
}

QTEST_GUILESS_MAIN(tst_Fleet)

#include "tst_fleet.moc"
