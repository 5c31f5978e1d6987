// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Failures on the live cluster: readers killed under concurrent reads, every reader down, a
// reader coming back, the primary down and back, nodes taken offline by hand.

#include <hahelpers.h>
#include <readload.h>
#include <testcluster.h>

#include <QtCore/qthread.h>
#include <QtSql/qsqldriver.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int HealthIntervalMs = 200;

} // namespace

class tst_Failover : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void readerKilledUnderConcurrentReads();
    void allReadersDownReadsGoToPrimary();
    void readerRejoinsWithinTwoIntervals();
    void preparedReadSurvivesItsNode();
    void primaryDownAndBack();
    void transactionLostWithThePrimary();
    void transactionLostAtCommitOrRollback_data();
    void transactionLostAtCommitOrRollback();
    void manualOffline();
    void manualOfflineLetsRunningStatementFinish();
    void callerErrorsNeverMarkNodes();
    void nodeLostWhileStreamingRowsIsAnError();

private:
    QSqlDatabase open(const QString &extraOptions = QString());

    QString m_cluster;
    TestCluster &m_test = TestCluster::instance();
};

void tst_Failover::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    QVERIFY2(m_test.execOn(Node::Primary,
                           u"DROP TABLE IF EXISTS failover_writes; "
                           "CREATE TABLE failover_writes (id serial PRIMARY KEY, v int)"_s,
                           &error),
             qPrintable(error));
    QVERIFY(m_test.waitForReplication());
}

void tst_Failover::init()
{
    m_cluster = uniqueClusterName("failover");
}

void tst_Failover::cleanup()
{
    dropDatabase(u"failover"_s);
    // Whatever a case did to the cluster, the next one starts with every node up.
    QVERIFY(m_test.ensureAllRunning());
}

void tst_Failover::cleanupTestCase()
{
    QVERIFY(m_test.ensureAllRunning());
}

QSqlDatabase tst_Failover::open(const QString &extraOptions)
{
    QString options = u"QPSQLHA_HEALTH_INTERVAL=%1"_s.arg(HealthIntervalMs);
    if (!extraOptions.isEmpty())
        options += u';' + extraOptions;
    QSqlDatabase db = haDatabase(u"failover"_s, m_cluster, options);
    if (!db.open())
        qWarning() << "open failed:" << db.lastError().text();
    return db;
}

void tst_Failover::readerKilledUnderConcurrentReads()
{
    ReadLoad load(m_cluster, 4, u"QPSQLHA_HEALTH_INTERVAL=%1"_s.arg(HealthIntervalMs));
    QTest::qWait(500);
    const int reader1 = m_test.port(Node::Reader1);
    QVERIFY2(load.takeServedBy(reader1) > 0, "reader1 served nothing before the kill");

    QVERIFY(m_test.stopNode(Node::Reader1, true));
    QVERIFY(waitUntil([&] { return !nodeHandle(m_cluster, Node::Reader1).isOnline(); }, 5000) >= 0);
    QTest::qWait(1000);
    load.takeServedBy(reader1);
    QTest::qWait(500);
    QCOMPARE(load.takeServedBy(reader1), 0);
    QVERIFY(load.takeServedBy(m_test.port(Node::Reader2)) > 0);

    QVERIFY(m_test.startNode(Node::Reader1));
    const qint64 back = waitUntil([&] { return load.takeServedBy(reader1) > 0; }, 10000);
    load.stop();
    qInfo() << "reads:" << load.ok() << "failed:" << load.failed() << "reader1 served reads again"
            << back << "ms after it was restarted";
    QCOMPARE(load.failed(), 0);
    QVERIFY2(load.firstError().isEmpty(), qPrintable(load.firstError()));
    QVERIFY(back >= 0);
    QVERIFY(nodeHandle(m_cluster, Node::Reader1).retries() > 0);
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).lastError().isEmpty());
}

void tst_Failover::allReadersDownReadsGoToPrimary()
{
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    QVERIFY(servedBy(query) != m_test.port(Node::Primary));

    QVERIFY(m_test.stopNode(Node::Reader1));
    QVERIFY(m_test.stopNode(Node::Reader2));
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).isOnline());
    QVERIFY(!nodeHandle(m_cluster, Node::Reader2).isOnline());

    QVERIFY(m_test.startNode(Node::Reader1));
    QVERIFY(m_test.startNode(Node::Reader2));
    QVERIFY(waitUntil([&] { return servedBy(query) != m_test.port(Node::Primary); }, 10000) >= 0);
}

void tst_Failover::readerRejoinsWithinTwoIntervals()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(m_test.stopNode(Node::Reader1));
    // Reads find it gone and move on.
    for (int i = 0; i < 20; ++i)
        QVERIFY(servedBy(query) > 0);
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).isOnline());
    QTest::qWait(3 * HealthIntervalMs); // probes keep failing meanwhile
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).isOnline());

    QVERIFY(m_test.startNode(Node::Reader1));
    const qint64 online
        = waitUntil([&] { return nodeHandle(m_cluster, Node::Reader1).isOnline(); }, 10000, 5);
    qInfo() << "reader1 online" << online << "ms after restart; health interval" << HealthIntervalMs
            << "ms";
    QVERIFY(online >= 0);
    // The promise is two intervals; the slack covers a slow machine scheduling the probe thread.
    QVERIFY2(online <= 2 * HealthIntervalMs + 1000, qPrintable(QString::number(online)));
    // Connections to it are re-created: reads reach it again.
    const int reader1 = m_test.port(Node::Reader1);
    QVERIFY(waitUntil([&] { return servedBy(query) == reader1; }, 5000, 0) >= 0);
}

void tst_Failover::preparedReadSurvivesItsNode()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.prepare(u"SELECT inet_server_port(), ?::int"_s));
    query.addBindValue(1);
    QVERIFY(query.exec() && query.next());

    QVERIFY(m_test.stopNode(Node::Reader1));
    QVERIFY(m_test.stopNode(Node::Reader2));
    for (int i = 0; i < 10; ++i) {
        query.addBindValue(i);
        QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), m_test.port(Node::Primary)); // re-prepared there
        QCOMPARE(query.value(1).toInt(), i);
    }
    QVERIFY(m_test.startNode(Node::Reader2));
    const int reader2 = m_test.port(Node::Reader2);
    QVERIFY(waitUntil(
                [&] {
                    query.addBindValue(7);
                    return query.exec() && query.next() && query.value(0).toInt() == reader2
                        && query.value(1).toInt() == 7;
                },
                10000)
            >= 0);
}

void tst_Failover::primaryDownAndBack()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.exec(u"INSERT INTO failover_writes (v) VALUES (1)"_s));
    QVERIFY(m_test.waitForReplication());

    QVERIFY(m_test.stopNode(Node::Primary));
    const QString primary = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Primary));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!query.exec(u"INSERT INTO failover_writes (v) VALUES (2)"_s));
    const qint64 failedAfter = timer.elapsed();
    qInfo() << "write with the primary down failed after" << failedAfter
            << "ms:" << query.lastError().text();
    QCOMPARE(query.lastError().type(), QSqlError::ConnectionError);
    QVERIFY2(query.lastError().text().contains(primary), qPrintable(query.lastError().text()));
    QVERIFY(!query.lastError().text().contains(m_test.password()));
    QVERIFY(!nodeHandle(m_cluster, Node::Primary).isOnline());

    // Reads go on from the readers.
    for (int i = 0; i < 10; ++i) {
        QVERIFY2(query.exec(u"SELECT count(*) FROM failover_writes WHERE v = 1"_s),
                 qPrintable(query.lastError().text()));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), 1);
    }
    QVERIFY(db.isOpen());

    QVERIFY(m_test.startNode(Node::Primary));
    // The next write succeeds on the same QSqlDatabase, without reopening it.
    QVERIFY2(query.exec(u"INSERT INTO failover_writes (v) VALUES (3)"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(nodeHandle(m_cluster, Node::Primary).isOnline());
    // The failed write was not replayed behind the caller's back.
    QCOMPARE(
        m_test.queryValue(Node::Primary, u"SELECT count(*) FROM failover_writes WHERE v = 2"_s),
        u"0"_s);
}

void tst_Failover::transactionLostWithThePrimary()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"INSERT INTO failover_writes (v) VALUES (10)"_s));
    QVERIFY(m_test.stopNode(Node::Primary));
    QVERIFY(m_test.startNode(Node::Primary));
    // The transaction died with its connection: nothing may pretend otherwise.
    QVERIFY(!query.exec(u"INSERT INTO failover_writes (v) VALUES (11)"_s));
    QCOMPARE(query.lastError().type(), QSqlError::ConnectionError);
    QVERIFY(!query.exec(u"SELECT 1"_s)); // still inside the lost transaction
    QVERIFY(!db.commit());
    QCOMPARE(db.lastError().type(), QSqlError::ConnectionError);
    // Afterwards the connection is usable again.
    QVERIFY2(query.exec(u"INSERT INTO failover_writes (v) VALUES (12)"_s),
             qPrintable(query.lastError().text()));
    QCOMPARE(m_test.queryValue(Node::Primary,
                               u"SELECT count(*) FROM failover_writes WHERE v IN (10, 11)"_s),
             u"0"_s);
}

void tst_Failover::transactionLostAtCommitOrRollback_data()
{
    QTest::addColumn<bool>("commit");
    QTest::newRow("commit") << true;
    QTest::newRow("rollback") << false;
}

// The primary goes away while the transaction is idle and another connection of the cluster
// notices first: commit() or rollback() of this one is told the transaction is lost. That error
// ends the matter; the next statements must not fail as "lost" too (the soak run found reads
// failing after a commit() had already said so).
void tst_Failover::transactionLostAtCommitOrRollback()
{
    QFETCH(bool, commit);
    QVERIFY(m_test.execOn(Node::Primary, u"DELETE FROM failover_writes WHERE v IN (20, 21, 22)"_s));
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"INSERT INTO failover_writes (v) VALUES (20)"_s));
    QVERIFY(m_test.stopNode(Node::Primary));
    {
        QSqlDatabase other = haDatabase(u"failover-other"_s, m_cluster,
                                        u"QPSQLHA_HEALTH_INTERVAL=%1"_s.arg(HealthIntervalMs));
        QVERIFY(other.open());
        QSqlQuery write(other);
        QVERIFY(!write.exec(u"INSERT INTO failover_writes (v) VALUES (22)"_s));
    }
    dropDatabase(u"failover-other"_s);
    QVERIFY(!nodeHandle(m_cluster, Node::Primary).isOnline());

    QVERIFY(!(commit ? db.commit() : db.rollback()));
    QCOMPARE(db.lastError().type(), QSqlError::ConnectionError);
    QVERIFY2(query.exec(u"SELECT 1"_s), qPrintable(query.lastError().text()));
    QVERIFY(m_test.startNode(Node::Primary));
    QVERIFY2(query.exec(u"INSERT INTO failover_writes (v) VALUES (21)"_s),
             qPrintable(query.lastError().text()));
    QCOMPARE(m_test.queryValue(Node::Primary,
                               u"SELECT count(*) FROM failover_writes WHERE v IN (20, 21, 22)"_s),
             u"1"_s);
}

void tst_Failover::manualOffline()
{
    // One connection reaching both readers shows they are both back in service.
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=statement"_s);
    QSqlQuery query(db);
    QPsqlHa::NodeHandle reader1 = nodeHandle(m_cluster, Node::Reader1);
    QVERIFY(reader1.isValid());
    reader1.setOnline(false);
    QCOMPARE(reader1.state(), QPsqlHa::NodeState::OfflineByHand);
    const quint64 before = reader1.queries();
    for (int i = 0; i < 50; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Reader2));
    QCOMPARE(reader1.queries(), before);

    // The health checker never brings it back by itself.
    QTest::qWait(4 * HealthIntervalMs);
    QCOMPARE(reader1.state(), QPsqlHa::NodeState::OfflineByHand);

    // Both readers by hand: reads go to the primary.
    nodeHandle(m_cluster, Node::Reader2).setOnline(false);
    QCOMPARE(servedBy(query), m_test.port(Node::Primary));

    reader1.setOnline(true);
    nodeHandle(m_cluster, Node::Reader2).setOnline(true);
    QSet<int> ports;
    for (int i = 0; i < 50; ++i)
        ports.insert(servedBy(query));
    QCOMPARE(ports, (QSet<int> {m_test.port(Node::Reader1), m_test.port(Node::Reader2)}));
}

void tst_Failover::manualOfflineLetsRunningStatementFinish()
{
    // reader2 out, so the slow read lands on reader1; reader1 is taken out while it runs.
    nodeHandle(m_cluster, Node::Reader2); // cluster does not exist yet: created by open()
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    nodeHandle(m_cluster, Node::Reader2).setOnline(false);
    QAtomicInt port;
    QAtomicInt done;
    std::unique_ptr<QThread> slow(QThread::create([&] {
        {
            QSqlDatabase other = haDatabase(u"failover-slow"_s, m_cluster,
                                            u"QPSQLHA_HEALTH_INTERVAL=%1"_s.arg(HealthIntervalMs));
            if (other.open()) {
                QSqlQuery query(other);
                port.storeRelaxed(servedBy(query, u"SELECT inet_server_port() FROM pg_sleep(1)"_s));
            }
        }
        QSqlDatabase::removeDatabase(u"failover-slow"_s);
        done.storeRelaxed(1);
    }));
    slow->start();
    QTest::qWait(300);
    nodeHandle(m_cluster, Node::Reader1).setOnline(false);
    slow->wait();
    QCOMPARE(port.loadRelaxed(), m_test.port(Node::Reader1));
    // New statements avoid it.
    QSqlQuery query(db);
    QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    nodeHandle(m_cluster, Node::Reader1).setOnline(true);
    nodeHandle(m_cluster, Node::Reader2).setOnline(true);
}

void tst_Failover::callerErrorsNeverMarkNodes()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    for (int i = 0; i < 30; ++i)
        QVERIFY(!query.exec(u"SELECT * FROM failover_missing_table"_s));
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2}) {
        QPsqlHa::NodeHandle handle = nodeHandle(m_cluster, node);
        QVERIFY(handle.isOnline());
        QCOMPARE(handle.retries(), quint64(0));
    }
    QVERIFY(query.exec(u"SELECT 1"_s));
}

void tst_Failover::nodeLostWhileStreamingRowsIsAnError()
{
    // Rows already handed to the caller cannot be taken back: a read that loses its node half
    // way must end with an error, never look like a shorter result.
    QSqlDatabase db = open();
    nodeHandle(m_cluster, Node::Reader2).setOnline(false);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    QVERIFY(query.exec(u"SELECT g, inet_server_port() FROM generate_series(1, 20000000) g"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(1).toInt(), m_test.port(Node::Reader1));
    QVERIFY(m_test.stopNode(Node::Reader1));
    int rows = 1;
    while (query.next())
        ++rows;
    QVERIFY2(rows < 20000000, "the whole result arrived although its node was stopped");
    QVERIFY(query.lastError().isValid());
    QCOMPARE(nodeHandle(m_cluster, Node::Reader1).state(), QPsqlHa::NodeState::Failed);
    nodeHandle(m_cluster, Node::Reader2).setOnline(true);
    QVERIFY(servedBy(query) == m_test.port(Node::Reader2));
}

QTEST_GUILESS_MAIN(tst_Failover)

#include "tst_failover.moc"
