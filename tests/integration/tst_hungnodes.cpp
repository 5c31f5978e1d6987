// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Hung nodes on the live cluster: a node frozen with SIGSTOP keeps its connections open and
// never answers. QPSQLHA_QUERY_TIMEOUT must keep every caller moving: reads go elsewhere without
// an error, writes on a frozen primary fail after the timeout, connecting is bounded, and a
// result that was streaming rows ends with an error that says so.

#include <hahelpers.h>
#include <readload.h>
#include <testcluster.h>

#include <QtCore/qelapsedtimer.h>
#include <QtSql/qsqlfield.h>
#include <QtSql/qsqlindex.h>

#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlrecord.h>
#include <QtTest/qtest.h>
#include <atomic>
#include <thread>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int QueryTimeoutMs = 1000;
constexpr int HealthIntervalMs = 200;
// What a caller may wait at worst: the timeout, the health checker's two intervals, and a
// generous margin for a 2-core machine shared with other work.
constexpr int WorstLatencyBoundMs = QueryTimeoutMs + 2 * HealthIntervalMs + 1000;

QString hungOptions()
{
    return u"QPSQLHA_QUERY_TIMEOUT=%1;QPSQLHA_HEALTH_INTERVAL=%2"_s.arg(QueryTimeoutMs)
        .arg(HealthIntervalMs);
}

// Whatever happens in a test (a failed QVERIFY returns early), no node stays frozen: the next
// tests and the fixture's `stop` need every node to answer.
void thawAll()
{
    TestCluster &cluster = TestCluster::instance();
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2}) {
        if (!cluster.thaw(node))
            qWarning() << "could not thaw" << TestCluster::nodeName(node);
    }
}

struct ThawOnExit
{
    ~ThawOnExit() { thawAll(); }
};

} // namespace

class tst_HungNodes : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void frozenReaderUnderConcurrentReads();
    void frozenPrimaryFailsWritesAfterTheTimeout();
    void frozenReaderWhileStreamingRows();
    void preparedReadOnAFrozenReader();
    void transactionAndCatalogOnAFrozenPrimary();
    void connectingToAFrozenNodeIsBounded();
    void slowStatementOnAHealthyNodeRunsOn();
    void everyEntryPointIsBoundedOnAFrozenNode_data();
    void everyEntryPointIsBoundedOnAFrozenNode();

private:
    QSqlDatabase open(const QString &extraOptions = QString());

    QString m_cluster;
    TestCluster &m_test = TestCluster::instance();
};

void tst_HungNodes::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    thawAll(); // in case an earlier run died with a node frozen
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    QVERIFY2(m_test.execOn(Node::Primary,
                           u"DROP TABLE IF EXISTS hung_writes; "
                           "CREATE TABLE hung_writes (id serial PRIMARY KEY, v int)"_s,
                           &error),
             qPrintable(error));
    QVERIFY(m_test.waitForReplication());
}

void tst_HungNodes::init()
{
    m_cluster = uniqueClusterName("hung");
}

void tst_HungNodes::cleanup()
{
    thawAll();
    dropDatabase(u"hung"_s);
    QVERIFY(m_test.ensureAllRunning());
}

void tst_HungNodes::cleanupTestCase()
{
    thawAll();
    QVERIFY(m_test.ensureAllRunning());
}

QSqlDatabase tst_HungNodes::open(const QString &extraOptions)
{
    QString options = hungOptions();
    if (!extraOptions.isEmpty())
        options += u';' + extraOptions;
    QSqlDatabase db = haDatabase(u"hung"_s, m_cluster, options);
    if (!db.open())
        qWarning() << "open failed:" << db.lastError().text();
    return db;
}

void tst_HungNodes::frozenReaderUnderConcurrentReads()
{
    const ThawOnExit thaw;
    ReadLoad load(m_cluster, 4, hungOptions() + u";QPSQLHA_READER_AFFINITY=statement"_s,
                  ReadLoad::Fetch::ForwardOnly);
    QTest::qWait(500);
    const int reader1 = m_test.port(Node::Reader1);
    const int reader2 = m_test.port(Node::Reader2);
    QVERIFY2(load.takeServedBy(reader1) > 0, "reader1 served nothing before the freeze");
    QCOMPARE(load.failed(), 0);

    QVERIFY(m_test.freeze(Node::Reader1));
    QElapsedTimer frozen;
    frozen.start();
    const qint64 markedMs = waitUntil(
        [&] { return !nodeHandle(m_cluster, Node::Reader1).isOnline(); }, 10 * QueryTimeoutMs);
    QVERIFY2(markedMs >= 0, "the frozen reader was never marked failed");
    qInfo("reader1 frozen: marked failed after %lld ms (%s)", frozen.elapsed(),
          qPrintable(nodeHandle(m_cluster, Node::Reader1).lastError()));
    QVERIFY2(nodeHandle(m_cluster, Node::Reader1).lastError().contains(u"no answer within"_s),
             qPrintable(nodeHandle(m_cluster, Node::Reader1).lastError()));
    // Reads keep flowing to reader2 while reader1 stays frozen (the health checker's probes of
    // it must not bring it back).
    QTest::qWait(3000);
    load.takeServedBy(reader1);
    QTest::qWait(500);
    QCOMPARE(load.takeServedBy(reader1), 0);
    QVERIFY(load.takeServedBy(reader2) > 0);
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).isOnline());

    QVERIFY(m_test.thaw(Node::Reader1));
    QElapsedTimer thawed;
    thawed.start();
    const qint64 backMs
        = waitUntil([&] { return nodeHandle(m_cluster, Node::Reader1).isOnline(); }, 20000);
    qInfo("reader1 thawed: back online after %lld ms", backMs);
    QVERIFY2(backMs >= 0, "reader1 did not come back after the thaw");
    QVERIFY(waitUntil([&] { return load.takeServedBy(reader1) > 0; }, 5000) >= 0);
    load.stop();

    qInfo("frozen reader under 4 threads: %d reads, %d failed, worst latency %lld ms "
          "(timeout %d ms, bound %d ms)",
          load.ok(), load.failed(), load.worstMs(), QueryTimeoutMs, WorstLatencyBoundMs);
    QVERIFY2(load.failed() == 0, qPrintable(load.firstError()));
    QVERIFY2(load.worstMs() < WorstLatencyBoundMs, qPrintable(QString::number(load.worstMs())));
    // Somebody was caught on reader1 when it froze, or the freeze went unnoticed.
    QVERIFY(load.worstMs() >= QueryTimeoutMs - 100);
}

void tst_HungNodes::frozenPrimaryFailsWritesAfterTheTimeout()
{
    const ThawOnExit thaw;
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    QVERIFY2(query.exec(u"INSERT INTO hung_writes (v) VALUES (1)"_s),
             qPrintable(query.lastError().text()));

    QVERIFY(m_test.freeze(Node::Primary));
    QElapsedTimer timer;
    timer.start();
    const bool written = query.exec(u"INSERT INTO hung_writes (v) VALUES (2)"_s);
    const qint64 elapsed = timer.elapsed();
    const QSqlError error = query.lastError();
    qInfo("write on the frozen primary failed after %lld ms (timeout %d ms): %s", elapsed,
          QueryTimeoutMs, qPrintable(error.text()));
    QVERIFY(!written);
    QCOMPARE(error.type(), QSqlError::ConnectionError);
    const QString primary = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Primary));
    QVERIFY2(error.text().contains(primary), qPrintable(error.text()));
    QVERIFY2(error.text().contains(u"%1 ms"_s.arg(QueryTimeoutMs)), qPrintable(error.text()));
    QVERIFY(elapsed >= QueryTimeoutMs - 50);
    QVERIFY2(elapsed < QueryTimeoutMs + 1500, qPrintable(QString::number(elapsed)));
    QVERIFY(!nodeHandle(m_cluster, Node::Primary).isOnline());

    // Reads do not need the primary.
    timer.start();
    const int port = servedBy(query);
    qInfo("read while the primary is frozen: %lld ms", timer.elapsed());
    QVERIFY2(port == m_test.port(Node::Reader1) || port == m_test.port(Node::Reader2),
             qPrintable(query.lastError().text()));

    QVERIFY(m_test.thaw(Node::Primary));
    timer.start();
    QVERIFY2(query.exec(u"INSERT INTO hung_writes (v) VALUES (3)"_s),
             qPrintable(query.lastError().text()));
    qInfo("first write after the thaw succeeded in %lld ms", timer.elapsed());
    QVERIFY(nodeHandle(m_cluster, Node::Primary).isOnline());
    QVERIFY(query.exec(u"/*qpsqlha:primary*/ SELECT count(*) FILTER (WHERE v = 2), "
                       "count(*) FILTER (WHERE v = 3) FROM hung_writes"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(1).toInt(), 1);
    // The cut-off write had reached the server's socket before it froze: once thawed, the
    // server may still run it. The caller was told it is unknown; this says what happened.
    qInfo("the write cut off by the timeout %s applied after the thaw",
          query.value(0).toInt() ? "was" : "was not");
}

void tst_HungNodes::frozenReaderWhileStreamingRows()
{
    const ThawOnExit thaw;
    // Each connection keeps its reader: the rows come from one known node.
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=connection"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    query.setForwardOnly(true);
    // Rows wider than the server's 8 kB send buffer, one every 50 ms: QPSQL streams them (single
    // row mode) and the caller reads them while the node still produces more.
    QVERIFY2(query.exec(u"SELECT inet_server_port(), g, "
                        "repeat('x', 20000 + length(pg_sleep(0.05)::text)) "
                        "FROM generate_series(1, 200) g"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    const int port = query.value(0).toInt();
    const Node serving = port == m_test.port(Node::Reader1) ? Node::Reader1 : Node::Reader2;
    QVERIFY2(port == m_test.port(serving), qPrintable(QString::number(port)));
    QVERIFY(query.next());
    QVERIFY(query.next());

    QVERIFY(m_test.freeze(serving));
    QElapsedTimer timer;
    timer.start();
    int rows = 3;
    while (query.next())
        ++rows;
    const qint64 elapsed = timer.elapsed();
    const QSqlError error = query.lastError();
    qInfo("rows streaming from a frozen reader: %d rows, then next() gave up after %lld ms: %s",
          rows, elapsed, qPrintable(error.text()));
    // A cut-off result never looks complete.
    QVERIFY(rows < 200);
    QCOMPARE(error.type(), QSqlError::ConnectionError);
    QVERIFY2(error.text().contains(u"did not answer within %1 ms"_s.arg(QueryTimeoutMs)),
             qPrintable(error.text()));
    QVERIFY2(elapsed < QueryTimeoutMs + 1500, qPrintable(QString::number(elapsed)));
    QVERIFY(!nodeHandle(m_cluster, serving).isOnline());

    // The connection goes on reading from the other reader.
    timer.start();
    const int next = servedBy(query);
    qInfo("next read: %lld ms on port %d", timer.elapsed(), next);
    QVERIFY2(next > 0 && next != port, qPrintable(query.lastError().text()));
}

void tst_HungNodes::preparedReadOnAFrozenReader()
{
    const ThawOnExit thaw;
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=connection"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    QVERIFY(query.prepare(u"SELECT inet_server_port() + ?"_s));
    query.addBindValue(0);
    QVERIFY2(query.exec() && query.next(), qPrintable(query.lastError().text()));
    const int port = query.value(0).toInt();
    const Node serving = port == m_test.port(Node::Reader1) ? Node::Reader1 : Node::Reader2;
    QCOMPARE(port, m_test.port(serving));

    QVERIFY(m_test.freeze(serving));
    QElapsedTimer timer;
    timer.start();
    query.addBindValue(0);
    const bool ok = query.exec() && query.next();
    const qint64 elapsed = timer.elapsed();
    qInfo("prepared read on a frozen reader: moved on after %lld ms", elapsed);
    QVERIFY2(ok, qPrintable(query.lastError().text()));
    QVERIFY(query.value(0).toInt() != port);
    QVERIFY2(elapsed < WorstLatencyBoundMs, qPrintable(QString::number(elapsed)));
    QVERIFY(!nodeHandle(m_cluster, serving).isOnline());
}

void tst_HungNodes::transactionAndCatalogOnAFrozenPrimary()
{
    const ThawOnExit thaw;
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QVERIFY(!db.record(u"hung_writes"_s).isEmpty());
    QVERIFY(db.transaction());
    QSqlQuery query(db);
    QVERIFY2(query.exec(u"INSERT INTO hung_writes (v) VALUES (10)"_s),
             qPrintable(query.lastError().text()));

    QVERIFY(m_test.freeze(Node::Primary));
    QElapsedTimer timer;
    timer.start();
    const bool committed = db.commit();
    const qint64 commitMs = timer.elapsed();
    const QSqlError error = db.lastError();
    qInfo("COMMIT on the frozen primary failed after %lld ms: %s", commitMs,
          qPrintable(error.text()));
    QVERIFY(!committed);
    QCOMPARE(error.type(), QSqlError::ConnectionError);
    QVERIFY2(error.text().contains(u"did not answer within %1 ms"_s.arg(QueryTimeoutMs)),
             qPrintable(error.text()));
    QVERIFY2(commitMs < QueryTimeoutMs + 1500, qPrintable(QString::number(commitMs)));
    QVERIFY(!nodeHandle(m_cluster, Node::Primary).isOnline());

    QVERIFY(m_test.thaw(Node::Primary));
    // The application ends the lost transaction; the connection is usable afterwards.
    db.rollback();
    QVERIFY2(query.exec(u"INSERT INTO hung_writes (v) VALUES (11)"_s),
             qPrintable(query.lastError().text()));

    // Catalog questions wait for the server like statements do.
    QVERIFY(m_test.freeze(Node::Primary));
    timer.start();
    const QSqlRecord record = db.record(u"hung_writes"_s);
    const qint64 recordMs = timer.elapsed();
    qInfo("record() on the frozen primary returned after %lld ms (%lld fields)", recordMs,
          qlonglong(record.count()));
    QVERIFY2(recordMs < QueryTimeoutMs + 1500, qPrintable(QString::number(recordMs)));
    // The next statement learns that the primary did not answer; a write then tries one
    // reconnection, bounded by connect_timeout.
    timer.start();
    QVERIFY(!query.exec(u"INSERT INTO hung_writes (v) VALUES (12)"_s));
    qInfo("the next write failed after %lld ms (reconnection attempt, connect_timeout=3)",
          timer.elapsed());
    QCOMPARE(query.lastError().type(), QSqlError::ConnectionError);
    QVERIFY(!nodeHandle(m_cluster, Node::Primary).isOnline());
}

void tst_HungNodes::connectingToAFrozenNodeIsBounded()
{
    const ThawOnExit thaw;
    QVERIFY(m_test.freeze(Node::Reader1));
    // No connect_timeout given: the one derived from the query timeout (2 s, libpq's least)
    // bounds the attempt on the frozen reader, which accepts TCP but never answers.
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, u"hung"_s);
    db.setHostName(m_test.host());
    db.setPort(m_test.port(Node::Primary));
    db.setDatabaseName(m_test.database());
    db.setUserName(m_test.user());
    db.setPassword(m_test.password());
    db.setConnectOptions(u"QPSQLHA_READERS=%1;QPSQLHA_CLUSTER=%2;%3"_s.arg(
        m_test.readersOption(), m_cluster, hungOptions()));
    QElapsedTimer timer;
    timer.start();
    const bool opened = db.open();
    const qint64 elapsed = timer.elapsed();
    qInfo("open() with reader1 frozen: %lld ms", elapsed);
    QVERIFY2(opened, qPrintable(db.lastError().text()));
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).isOnline());
    QVERIFY2(elapsed < 2000 + 2000, qPrintable(QString::number(elapsed)));

    QSqlQuery query(db);
    QCOMPARE(servedBy(query), m_test.port(Node::Reader2));
}

void tst_HungNodes::slowStatementOnAHealthyNodeRunsOn()
{
    // Longer than the timeout, but the node answers the health checker all along: not hung.
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    QElapsedTimer timer;
    timer.start();
    QVERIFY2(query.exec(u"SELECT inet_server_port(), pg_sleep(2.5)"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    const int port = query.value(0).toInt();
    qInfo() << "2.5 s read with a 1 s timeout took" << timer.elapsed() << "ms on" << port;
    QVERIFY(timer.elapsed() >= 2500);
    const Node node = port == m_test.port(Node::Reader1) ? Node::Reader1 : Node::Reader2;
    QVERIFY(port == m_test.port(node));
    QCOMPARE(nodeHandle(m_cluster, node).state(), QPsqlHa::NodeState::Online);
    QCOMPARE(nodeHandle(m_cluster, node).retries(), quint64(0));
    // The same on the primary.
    QVERIFY2(query.exec(u"/*qpsqlha:primary*/ SELECT pg_sleep(2.5)"_s),
             qPrintable(query.lastError().text()));
    QCOMPARE(nodeHandle(m_cluster, Node::Primary).state(), QPsqlHa::NodeState::Online);
}

void tst_HungNodes::everyEntryPointIsBoundedOnAFrozenNode_data()
{
    // Each public entry point that may reach a node's connection, with the node it reaches
    // frozen after the set-up: no call may wait for it past the query timeout. A call that is
    // not watched waits until the node is thawed (after ThawAfterMs), which the bound catches.
    QTest::addColumn<int>("entry");
    QTest::newRow("record() of a scrollable read") << 0;
    QTest::newRow("lastInsertId()") << 1;
    QTest::newRow("tables()") << 2;
    QTest::newRow("primaryIndex()") << 3;
    QTest::newRow("record(table)") << 4;
    QTest::newRow("formatValue()") << 5;
    QTest::newRow("escapeIdentifier()") << 6;
    QTest::newRow("next() of a forward-only read") << 7;
    QTest::newRow("exec() of a prepared read") << 8;
    QTest::newRow("transaction()") << 9;
    QTest::newRow("finish()") << 10;
}

void tst_HungNodes::everyEntryPointIsBoundedOnAFrozenNode()
{
    QFETCH(int, entry);
    constexpr int ThawAfterMs = 8000;
    constexpr int BoundMs = WorstLatencyBoundMs + 2000; // + a reconnection's connect_timeout
    const ThawOnExit thaw;
    // One reader: the read's node is known.
    QSqlDatabase db = haDatabase(u"hung"_s, m_cluster, hungOptions(),
                                 m_test.readersOption().section(u',', 0, 0));
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    Node frozen = Node::Primary;
    switch (entry) {
    case 0:
        QVERIFY(query.exec(u"SELECT id, v, inet_server_port() FROM hung_writes"_s));
        frozen = Node::Reader1;
        break;
    case 1:
        QVERIFY(query.exec(u"INSERT INTO hung_writes (v) VALUES (20)"_s));
        break;
    case 7:
        query.setForwardOnly(true);
        QVERIFY(query.exec(u"SELECT g FROM generate_series(1, 100000) AS g"_s));
        QVERIFY(query.next());
        frozen = Node::Reader1;
        break;
    case 8:
        QVERIFY(query.prepare(u"SELECT v FROM hung_writes WHERE id = ?"_s));
        query.addBindValue(1);
        QVERIFY(query.exec());
        frozen = Node::Reader1;
        break;
    case 10:
        QVERIFY(query.exec(u"SELECT id FROM hung_writes"_s));
        frozen = Node::Reader1;
        break;
    default:
        break;
    }
    QVERIFY(m_test.freeze(frozen));
    std::atomic<bool> done = false;
    std::thread thawer([&] {
        for (int waited = 0; waited < ThawAfterMs && !done; waited += 50)
            QThread::msleep(50);
        m_test.thaw(frozen);
    });
    QElapsedTimer timer;
    timer.start();
    switch (entry) {
    case 0:
        query.record();
        break;
    case 1:
        query.lastInsertId();
        break;
    case 2:
        db.tables();
        break;
    case 3:
        db.primaryIndex(u"hung_writes"_s);
        break;
    case 4:
        db.record(u"hung_writes"_s);
        break;
    case 5: {
        QSqlField field(u"v"_s, QMetaType(QMetaType::QString));
        field.setValue(u"it's"_s);
        db.driver()->formatValue(field);
        break;
    }
    case 6:
        db.driver()->escapeIdentifier(u"hung_writes"_s, QSqlDriver::TableName);
        break;
    case 7:
        while (query.next()) { }
        break;
    case 8:
        query.addBindValue(1);
        query.exec();
        break;
    case 9:
        if (db.transaction())
            db.rollback();
        break;
    case 10:
        query.finish();
        break;
    }
    const qint64 elapsed = timer.elapsed();
    done = true;
    thawer.join();
    qInfo("%s with %s frozen returned after %lld ms", QTest::currentDataTag(),
          qPrintable(TestCluster::nodeName(frozen)), elapsed);
    QVERIFY2(elapsed < BoundMs, qPrintable(QString::number(elapsed)));
}

QTEST_GUILESS_MAIN(tst_HungNodes)

#include "tst_hungnodes.moc"
