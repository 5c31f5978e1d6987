// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The C++ API in the original connector's shape: DatabaseConfig/ReplicationConfig/NodeConfig,
// initDatabases(), use() from any thread, node() and clusters().

#include <hahelpers.h>
#include <testcluster.h>

#include <qpsqlhaapi.h>

#include <QtCore/qmutex.h>
#include <QtCore/qthread.h>
#include <QtTest/qtest.h>

#include <memory>
#include <vector>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

class tst_Api : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void initDatabasesRegistersConnections();
    void useFromWorkerThreads();
    void nodeCountersAndManualState();
    void clustersListsEveryNode();
    void primaryReadsThroughTheApi();
    void invalidConfigurations();

private:
    QPsqlHa::NodeConfig nodeConfig(Node node) const;
    TestCluster &m_test = TestCluster::instance();
};

QPsqlHa::NodeConfig tst_Api::nodeConfig(Node node) const
{
    QPsqlHa::NodeConfig config;
    config.host = m_test.host();
    config.port = m_test.port(node);
    config.user = m_test.user();
    config.password = m_test.password();
    config.sslmode = u"disable"_s;
    config.database = m_test.database();
    return config;
}

void tst_Api::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());

    QPsqlHa::ReplicationConfig replica;
    replica.appendWriteNodeConfig(nodeConfig(Node::Primary));
    replica.appendReadNodeConfig(nodeConfig(Node::Reader1));
    replica.appendReadNodeConfig(nodeConfig(Node::Reader2));
    replica.setHealthInterval(200);
    replica.setReaderAffinity(QPsqlHa::ReaderAffinity::Statement);

    QPsqlHa::ReplicationConfig primaryOnly;
    primaryOnly.appendWriteNodeConfig(nodeConfig(Node::Primary));

    // The primary in the read pool, weighted 2 beside the readers' 1, in bursts of 4.
    QPsqlHa::ReplicationConfig primaryReads;
    primaryReads.appendWriteNodeConfig(nodeConfig(Node::Primary));
    primaryReads.appendReadNodeConfig(nodeConfig(Node::Reader1));
    primaryReads.appendReadNodeConfig(nodeConfig(Node::Reader2));
    primaryReads.setReaderAffinity(QPsqlHa::ReaderAffinity::Burst);
    primaryReads.setPrimaryReads(true);
    primaryReads.setConnectOptions(u"QPSQLHA_READER_BURST=4;QPSQLHA_WEIGHTS=%1:%2=2"_s.arg(
        m_test.host(), QString::number(m_test.port(Node::Primary))));

    QPsqlHa::DatabaseConfig config;
    config.appendReplicationConfig(u"first_db"_s, replica);
    config.appendReplicationConfig(u"second_db"_s, primaryOnly);
    config.appendReplicationConfig(u"reads_db"_s, primaryReads);
    QString error;
    QVERIFY2(QPsqlHa::initDatabases(config, false, &error), qPrintable(error));
}

void tst_Api::initDatabasesRegistersConnections()
{
    QVERIFY(QSqlDatabase::contains(u"first_db"_s));
    QVERIFY(QSqlDatabase::contains(u"second_db"_s));
    QSqlDatabase db = QPsqlHa::use(u"first_db"_s);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    QCOMPARE(db.driverName(), u"QPSQLHA"_s);
    QSqlQuery query(db);
    QSet<int> ports;
    for (int i = 0; i < 40; ++i)
        ports.insert(servedBy(query));
    QCOMPARE(ports, (QSet<int> {m_test.port(Node::Reader1), m_test.port(Node::Reader2)}));

    QSqlDatabase second = QPsqlHa::use(u"second_db"_s);
    QVERIFY(second.isOpen());
    QSqlQuery primaryOnly(second);
    QCOMPARE(servedBy(primaryOnly), m_test.port(Node::Primary));

    QVERIFY(!QPsqlHa::use(u"no_such_db"_s).isValid());
}

void tst_Api::useFromWorkerThreads()
{
    // Each worker thread just calls use(): it gets a connection of its own, and the clone goes
    // away with the thread.
    constexpr int threads = 4;
    QAtomicInt reads;
    QAtomicInt failures;
    QStringList namesSeen;
    QMutex mutex;
    std::vector<std::unique_ptr<QThread>> workers;
    for (int i = 0; i < threads; ++i) {
        workers.emplace_back(QThread::create([&] {
            QSqlDatabase db = QPsqlHa::use(u"first_db"_s);
            if (!db.isOpen()) {
                failures.ref();
                return;
            }
            {
                QMutexLocker locker(&mutex);
                namesSeen.append(db.connectionName());
            }
            QSqlQuery query(db);
            for (int n = 0; n < 25; ++n)
                (servedBy(query) > 0 ? reads : failures).ref();
            // A second use() in the same thread returns the same connection.
            if (QPsqlHa::use(u"first_db"_s).connectionName() != db.connectionName())
                failures.ref();
        }));
        workers.back()->start();
    }
    for (auto &worker : workers)
        QVERIFY(worker->wait(60000));
    QCOMPARE(failures.loadRelaxed(), 0);
    QCOMPARE(reads.loadRelaxed(), threads * 25);
    QCOMPARE(QSet<QString>(namesSeen.begin(), namesSeen.end()).size(), threads);
    workers.clear();
    for (const QString &name : std::as_const(namesSeen))
        QVERIFY2(!QSqlDatabase::contains(name), qPrintable(name + u" outlived its thread"_s));
}

void tst_Api::nodeCountersAndManualState()
{
    QPsqlHa::NodeHandle reader1
        = QPsqlHa::node(u"first_db"_s, m_test.host(), m_test.port(Node::Reader1));
    QVERIFY(reader1.isValid());
    QCOMPARE(reader1.role(), QPsqlHa::NodeRole::Reader);
    QCOMPARE(reader1.port(), m_test.port(Node::Reader1));
    QVERIFY(reader1.isOnline());
    QVERIFY(!QPsqlHa::node(u"first_db"_s, m_test.host(), 1).isValid());
    QVERIFY(!QPsqlHa::node(u"nope"_s, m_test.host(), m_test.port(Node::Reader1)).isValid());

    QSqlDatabase db = QPsqlHa::use(u"first_db"_s);
    QSqlQuery query(db);
    const quint64 queries = reader1.queries();
    const quint64 errors = reader1.errors();
    reader1.setOnline(false); // the original's node.online = false
    QVERIFY(!reader1.isOnline());
    QCOMPARE(reader1.state(), QPsqlHa::NodeState::OfflineByHand);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Reader2));
    QCOMPARE(reader1.queries(), queries);
    reader1.setOnline(true);
    QVERIFY(waitUntil([&] { return servedBy(query) == m_test.port(Node::Reader1); }, 5000, 0) >= 0);
    QVERIFY(reader1.queries() > queries);

    nodeHandle(u"first_db"_s, Node::Reader2).setOnline(false);
    QVERIFY(!query.exec(u"SELECT * FROM api_missing_table"_s));
    QCOMPARE(reader1.errors(), errors + 1);
    nodeHandle(u"first_db"_s, Node::Reader2).setOnline(true);
}

void tst_Api::clustersListsEveryNode()
{
    bool found = false;
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        if (cluster.name != u"first_db"_s)
            continue;
        found = true;
        QCOMPARE(cluster.nodes.size(), 3);
        QCOMPARE(cluster.nodes.at(0).role, QPsqlHa::NodeRole::Primary);
        QCOMPARE(cluster.nodes.at(0).port, m_test.port(Node::Primary));
        QCOMPARE(cluster.nodes.at(1).address,
                 u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Reader1)));
        for (const QPsqlHa::NodeStatus &node : cluster.nodes) {
            QCOMPARE(node.cluster, u"first_db"_s);
            QCOMPARE(node.state, QPsqlHa::NodeState::Online);
            QVERIFY(node.lastStateChange.isValid());
        }
        QVERIFY(cluster.nodes.at(1).queries + cluster.nodes.at(2).queries > 0);
    }
    QVERIFY(found);
}

void tst_Api::primaryReadsThroughTheApi()
{
    QSqlDatabase db = QPsqlHa::use(u"reads_db"_s);
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    QHash<int, int> perPort;
    for (int i = 0; i < 400; ++i)
        ++perPort[servedBy(query)];
    qInfo() << "setPrimaryReads(true), primary weight 2: reads per port" << perPort;
    // Cycles of 2 + 1 + 1 bursts of 4: the primary gets 200 of 400, give or take two bursts.
    const int onPrimary = perPort.value(m_test.port(Node::Primary));
    QVERIFY2(onPrimary >= 190 && onPrimary <= 210, qPrintable(QString::number(onPrimary)));
    QVERIFY(perPort.value(m_test.port(Node::Reader1)) >= 90);
    QVERIFY(perPort.value(m_test.port(Node::Reader2)) >= 90);
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        if (cluster.name != u"reads_db"_s)
            continue;
        QCOMPARE(cluster.nodes.size(), 3);
        QCOMPARE(cluster.nodes.at(0).role, QPsqlHa::NodeRole::Primary);
        QCOMPARE(cluster.nodes.at(0).weight, 2);
        for (const QPsqlHa::NodeStatus &node : cluster.nodes)
            QVERIFY(node.servesReads);
    }
}

void tst_Api::invalidConfigurations()
{
    QString error;
    QPsqlHa::ReplicationConfig noWriter;
    noWriter.appendReadNodeConfig(nodeConfig(Node::Reader1));
    QPsqlHa::DatabaseConfig config;
    config.appendReplicationConfig(u"broken_db"_s, noWriter);
    QVERIFY(!QPsqlHa::initDatabases(config, false, &error));
    QVERIFY2(error.contains(u"broken_db"_s), qPrintable(error));
    QVERIFY(!QSqlDatabase::contains(u"broken_db"_s));

    // Registering a name twice is refused, and nothing of the refused set is registered.
    QPsqlHa::ReplicationConfig ok;
    ok.appendWriteNodeConfig(nodeConfig(Node::Primary));
    QPsqlHa::DatabaseConfig twice;
    twice.appendReplicationConfig(u"third_db"_s, ok);
    twice.appendReplicationConfig(u"first_db"_s, ok);
    QVERIFY(!QPsqlHa::initDatabases(twice, false, &error));
    QVERIFY2(error.contains(u"first_db"_s), qPrintable(error));
    QVERIFY(!QSqlDatabase::contains(u"third_db"_s));
    QVERIFY(!error.contains(m_test.password()));
}

QTEST_GUILESS_MAIN(tst_Api)

#include "tst_api.moc"
