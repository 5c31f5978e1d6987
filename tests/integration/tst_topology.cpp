// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Issue #5 on the live cluster: the primary moves (promotion, two primaries, a standby
// configured as the primary), readers that lag behind, read-your-writes with replay paused,
// policies and weights, readers added and removed while threads read.

#include "hahelpers.h"
#include "testcluster.h"

#include <qpsqlhaapi.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qscopeguard.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int IntervalMs = 200;

// INSERT ... RETURNING the port of the node that ran it; -1 with *error on failure.
int writeOn(QSqlDatabase db, const QString &table, int id, QSqlError *error = nullptr)
{
    QSqlQuery query(db);
    if (!query.exec(
            u"INSERT INTO %1 (id) VALUES (%2) RETURNING inet_server_port()"_s.arg(table).arg(id))
        || !query.next()) {
        if (error)
            *error = query.lastError();
        return -1;
    }
    return query.value(0).toInt();
}

} // namespace

class tst_Topology : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void configuredPrimaryIsAStandby();
    void laggingReaderGetsNoReads();
    void allReadersLaggingReadsGoToPrimary();
    void readYourWritesWithReplayPaused();
    void monotonicReadsNeverGoBack();
    void leastBusyAvoidsABusyReader();
    void weightsOnTheLiveCluster();
    void readersAddedAndRemovedUnderLoad();
    void invalidOptionsAreRefused();
    // Last: it runs on a cluster of its own, which it promotes.
    void primaryFailoverAndTwoPrimaries();

private:
    QSqlDatabase open(const QString &extraOptions = QString(), const QString &name = u"topology"_s);
    bool setReplayPaused(Node node, bool paused);

    QString m_cluster;
    TestCluster &m_test = TestCluster::instance();
};

void tst_Topology::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    QVERIFY2(m_test.execOn(Node::Primary,
                           u"DROP TABLE IF EXISTS topology_rows; "
                           "CREATE TABLE topology_rows (id int PRIMARY KEY, pad text)"_s,
                           &error),
             qPrintable(error));
    QVERIFY(m_test.waitForReplication());
}

void tst_Topology::init()
{
    m_cluster = uniqueClusterName("topology");
}

void tst_Topology::cleanup()
{
    // Whatever a failed case left behind: replay running again everywhere.
    setReplayPaused(Node::Reader1, false);
    setReplayPaused(Node::Reader2, false);
    m_test.waitForReplication();
    for (const QString &name : QSqlDatabase::connectionNames())
        dropDatabase(name);
}

QSqlDatabase tst_Topology::open(const QString &extraOptions, const QString &name)
{
    QSqlDatabase db = haDatabase(
        name, m_cluster,
        u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_READER_AFFINITY=statement;"_s.arg(IntervalMs)
            + extraOptions);
    if (!db.open())
        qWarning() << "open failed:" << db.lastError().text();
    return db;
}

bool tst_Topology::setReplayPaused(Node node, bool paused)
{
    return m_test.execOn(
        node, paused ? u"SELECT pg_wal_replay_pause()"_s : u"SELECT pg_wal_replay_resume()"_s);
}

void tst_Topology::configuredPrimaryIsAStandby()
{
    // Set up the wrong way round: a standby as the primary, the real primary among the readers.
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, u"topology"_s);
    db.setHostName(m_test.host());
    db.setPort(m_test.port(Node::Reader1));
    db.setDatabaseName(m_test.database());
    db.setUserName(m_test.user());
    db.setPassword(m_test.password());
    db.setConnectOptions(
        u"QPSQLHA_READERS=%1:%2,%1:%3;QPSQLHA_CLUSTER=%4;"
        "QPSQLHA_HEALTH_INTERVAL=%5;QPSQLHA_READER_AFFINITY=statement"_s.arg(m_test.host())
            .arg(m_test.port(Node::Primary))
            .arg(m_test.port(Node::Reader2))
            .arg(m_cluster)
            .arg(IntervalMs));
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    // Roles are checked on connect: the very first write already finds the real primary.
    QSqlError error;
    QCOMPARE(writeOn(db, u"topology_rows"_s, 1001, &error), m_test.port(Node::Primary));
    QSet<int> readPorts;
    QSqlQuery query(db);
    for (int i = 0; i < 60; ++i)
        readPorts.insert(servedBy(query));
    // The configured "primary" is a standby: it serves reads like the other standby.
    QCOMPARE(readPorts, (QSet<int> {m_test.port(Node::Reader1), m_test.port(Node::Reader2)}));
    const QPsqlHa::NodeStatus status = nodeHandle(m_cluster, Node::Primary).status();
    QCOMPARE(status.role, QPsqlHa::NodeRole::Primary);
    QCOMPARE(nodeHandle(m_cluster, Node::Reader1).status().role, QPsqlHa::NodeRole::Reader);
    QVERIFY(m_test.execOn(Node::Primary, u"DELETE FROM topology_rows WHERE id = 1001"_s));
}

void tst_Topology::laggingReaderGetsNoReads()
{
    QSqlDatabase db = open(u"QPSQLHA_MAX_LAG_BYTES=1000000"_s);
    QVERIFY(db.isOpen());
    QPsqlHa::NodeHandle reader1 = nodeHandle(m_cluster, Node::Reader1);
    QVERIFY(waitUntil([&] { return reader1.status().lagBytes == 0; }, 5000) >= 0);

    QVERIFY(setReplayPaused(Node::Reader1, true));
    // A few megabytes of WAL that reader1 does not replay.
    QVERIFY(m_test.execOn(Node::Primary,
                          u"INSERT INTO topology_rows SELECT g, repeat('x', 1000) "
                          "FROM generate_series(10000, 13999) g"_s));
    // reader2 may lag for a moment too while it replays the burst: wait until it is back.
    QPsqlHa::NodeHandle reader2 = nodeHandle(m_cluster, Node::Reader2);
    QVERIFY2(
        waitUntil(
            [&] {
                return reader1.state() == QPsqlHa::NodeState::Lagging
                    && reader2.state() == QPsqlHa::NodeState::Online;
            },
            10000)
            >= 0,
        qPrintable(
            u"state %1, lag %2 bytes"_s.arg(int(reader1.state())).arg(reader1.status().lagBytes)));
    const QPsqlHa::NodeStatus lagging = reader1.status();
    qInfo() << "reader1 lagging:" << lagging.lagBytes << "bytes," << lagging.lagMs << "ms";
    QVERIFY(lagging.lagBytes > 1000000);
    const quint64 before = reader1.queries();
    QSqlQuery query(db);
    for (int i = 0; i < 60; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Reader2));
    QCOMPARE(reader1.queries(), before);

    QVERIFY(setReplayPaused(Node::Reader1, false));
    const qint64 back
        = waitUntil([&] { return reader1.state() == QPsqlHa::NodeState::Online; }, 10000);
    QVERIFY(back >= 0);
    qInfo() << "reader1 serves again" << back << "ms after replay resumed";
    QSet<int> ports;
    for (int i = 0; i < 60; ++i)
        ports.insert(servedBy(query));
    QVERIFY(ports.contains(m_test.port(Node::Reader1)));
    QVERIFY(m_test.execOn(Node::Primary, u"DELETE FROM topology_rows WHERE id >= 10000"_s));
}

void tst_Topology::allReadersLaggingReadsGoToPrimary()
{
    QSqlDatabase db = open(u"QPSQLHA_MAX_LAG_BYTES=500000"_s);
    QVERIFY(db.isOpen());
    QVERIFY(setReplayPaused(Node::Reader1, true));
    QVERIFY(setReplayPaused(Node::Reader2, true));
    QVERIFY(m_test.execOn(Node::Primary,
                          u"INSERT INTO topology_rows SELECT g, repeat('y', 1000) "
                          "FROM generate_series(20000, 21999) g"_s));
    QPsqlHa::NodeHandle reader1 = nodeHandle(m_cluster, Node::Reader1);
    QPsqlHa::NodeHandle reader2 = nodeHandle(m_cluster, Node::Reader2);
    QVERIFY(waitUntil(
                [&] {
                    return reader1.state() == QPsqlHa::NodeState::Lagging
                        && reader2.state() == QPsqlHa::NodeState::Lagging;
                },
                10000)
            >= 0);
    QSqlQuery query(db);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    QVERIFY(setReplayPaused(Node::Reader1, false));
    QVERIFY(setReplayPaused(Node::Reader2, false));
    QVERIFY(m_test.execOn(Node::Primary, u"DELETE FROM topology_rows WHERE id >= 20000"_s));
}

void tst_Topology::readYourWritesWithReplayPaused()
{
    QSqlDatabase db = open(u"QPSQLHA_CONSISTENCY=read_your_writes"_s);
    QVERIFY(db.isOpen());
    // Wait until the probes know both readers' positions, so that reads before any write
    // go to readers.
    QSqlQuery query(db);
    QVERIFY(waitUntil([&] { return servedBy(query) != m_test.port(Node::Primary); }, 5000) >= 0);

    QVERIFY(setReplayPaused(Node::Reader1, true));
    QVERIFY(setReplayPaused(Node::Reader2, true));
    int seen = 0;
    for (int id = 30000; id < 30040; ++id) {
        QSqlError error;
        QVERIFY2(writeOn(db, u"topology_rows"_s, id, &error) == m_test.port(Node::Primary),
                 qPrintable(error.text()));
        QVERIFY(query.exec(u"SELECT count(*), inet_server_port() FROM topology_rows "
                           "WHERE id = %1"_s.arg(id)));
        QVERIFY(query.next());
        QCOMPARE(query.value(1).toInt(), m_test.port(Node::Primary));
        seen += query.value(0).toInt();
    }
    QCOMPARE(seen, 40); // every own row seen

    // The same with eventual consistency reads from the paused readers and misses rows.
    const QString eventualCluster = m_cluster + u"-eventual"_s;
    QSqlDatabase eventual = haDatabase(
        u"topology-eventual"_s, eventualCluster,
        u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_READER_AFFINITY=statement"_s.arg(IntervalMs));
    QVERIFY(eventual.open());
    QSqlQuery eventualQuery(eventual);
    QVERIFY(eventualQuery.exec(u"SELECT count(*) FROM topology_rows WHERE id >= 30000"_s));
    QVERIFY(eventualQuery.next());
    qInfo() << "eventual consistency saw" << eventualQuery.value(0).toInt() << "of 40 rows";
    QCOMPARE(eventualQuery.value(0).toInt(), 0);

    // Replay resumes: once the readers have caught up, reads go back to them.
    QVERIFY(setReplayPaused(Node::Reader1, false));
    QVERIFY(setReplayPaused(Node::Reader2, false));
    const qint64 back
        = waitUntil([&] { return servedBy(query) != m_test.port(Node::Primary); }, 10000, 50);
    QVERIFY(back >= 0);
    qInfo() << "reads back on readers" << back << "ms after replay resumed";
    QVERIFY(query.exec(u"SELECT count(*) FROM topology_rows WHERE id >= 30000"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 40);
    QVERIFY(m_test.execOn(Node::Primary, u"DELETE FROM topology_rows WHERE id >= 30000"_s));
}

namespace {

struct ReadRun
{
    int backwards = 0; // reads that saw fewer rows than an earlier read of the connection
    QHash<int, int> perPort;
};

// `reads` times the rows counted by `countSql` on one connection, in the readers' bursts.
ReadRun readRun(QSqlDatabase db, const QString &countSql, int reads)
{
    ReadRun run;
    QSqlQuery query(db);
    qint64 highest = -1;
    for (int i = 0; i < reads; ++i) {
        if (!query.exec(countSql) || !query.next()) {
            ++run.perPort[-1];
            continue;
        }
        const qint64 rows = query.value(0).toLongLong();
        ++run.perPort[query.value(1).toInt()];
        if (rows < highest)
            ++run.backwards;
        highest = qMax(highest, rows);
    }
    return run;
}

} // namespace

void tst_Topology::monotonicReadsNeverGoBack()
{
    // Reader1 stops replaying; 40 rows reach the primary and reader2 only.
    QVERIFY(setReplayPaused(Node::Reader1, true));
    for (int id = 40000; id < 40040; ++id)
        QVERIFY(
            m_test.execOn(Node::Primary, u"INSERT INTO topology_rows (id) VALUES (%1)"_s.arg(id)));
    const QString countOnReader2 = u"SELECT count(*) FROM topology_rows WHERE id >= 40000"_s;
    QVERIFY(waitUntil([&] { return m_test.queryValue(Node::Reader2, countOnReader2) == "40"_L1; },
                      10000)
            >= 0);
    const QString countSql
        = u"SELECT count(*), inet_server_port() FROM topology_rows WHERE id >= 40000"_s;
    const QString options = u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_CONSISTENCY="_s.arg(IntervalMs);

    // Eventual consistency, default bursts: every cycle of bursts visits both readers in some
    // order, so across two cycles or more some burst on reader1 follows one on reader2 and its
    // reads see 0 rows after 40: going back in time is certain here, not only likely.
    QSqlDatabase eventual
        = haDatabase(u"topology-eventual"_s, m_cluster + u"-eventual"_s, options + u"eventual"_s);
    QVERIFY(eventual.open());
    const ReadRun eventualRun = readRun(eventual, countSql, 400);
    qInfo() << "eventual, reader1 paused:" << eventualRun.backwards
            << "of 400 reads went back in time; reads per port:" << eventualRun.perPort;
    QCOMPARE(eventualRun.perPort.value(-1), 0);
    QVERIFY(eventualRun.backwards > 0);

    // Monotonic: once the connection has read reader2's rows, reader1 serves it no more.
    QSqlDatabase monotonic = haDatabase(u"topology-monotonic"_s, m_cluster + u"-monotonic"_s,
                                        options + u"monotonic"_s);
    QVERIFY(monotonic.open());
    const ReadRun monotonicRun = readRun(monotonic, countSql, 400);
    qInfo() << "monotonic, reader1 paused:" << monotonicRun.backwards
            << "of 400 reads went back in time; reads per port:" << monotonicRun.perPort;
    QCOMPARE(monotonicRun.perPort.value(-1), 0);
    QCOMPARE(monotonicRun.backwards, 0);
    QVERIFY(monotonicRun.perPort.value(m_test.port(Node::Reader2)) > 0);

    // Both replaying, rows arriving all the time: a reader a few rows ahead of the other must
    // not serve a read the other one then contradicts.
    QVERIFY(setReplayPaused(Node::Reader1, false));
    QVERIFY(m_test.waitForReplication());
    std::atomic<bool> stop {false};
    std::thread writer([&] {
        for (int id = 50000; !stop && id < 60000; ++id)
            m_test.execOn(Node::Primary, u"INSERT INTO topology_rows (id) VALUES (%1)"_s.arg(id));
    });
    const auto stopWriter = [&] {
        stop = true;
        if (writer.joinable())
            writer.join();
    };
    const auto writerStopped = qScopeGuard(stopWriter);
    const QString movingCount
        = u"SELECT count(*), inet_server_port() FROM topology_rows WHERE id >= 50000"_s;
    const ReadRun moving = readRun(monotonic, movingCount, 400);
    const ReadRun movingEventual = readRun(eventual, movingCount, 400);
    qInfo() << "rows arriving: monotonic" << moving.backwards << "back in time, per port"
            << moving.perPort << "; eventual" << movingEventual.backwards
            << "back in time, per port" << movingEventual.perPort;
    QCOMPARE(moving.perPort.value(-1), 0);
    QCOMPARE(moving.backwards, 0);
    stopWriter();
    QVERIFY(m_test.execOn(Node::Primary, u"DELETE FROM topology_rows WHERE id >= 40000"_s));
}

void tst_Topology::leastBusyAvoidsABusyReader()
{
    const QString options
        = u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_POLICY=least_busy"_s.arg(IntervalMs);
    QSqlDatabase db = haDatabase(u"topology"_s, m_cluster, options);
    QVERIFY(db.open());
    // One connection sleeps on a reader (in another thread)...
    std::atomic<int> busyPort {0};
    std::thread sleeper([&] {
        {
            QSqlDatabase own = haDatabase(u"topology-sleeper"_s, m_cluster, options);
            own.open();
            QSqlQuery query(own);
            if (query.exec(u"SELECT inet_server_port(), pg_sleep(1.5)"_s) && query.next())
                busyPort = query.value(0).toInt();
        }
        QSqlDatabase::removeDatabase(u"topology-sleeper"_s);
    });
    QPsqlHa::NodeHandle reader1 = nodeHandle(m_cluster, Node::Reader1);
    QPsqlHa::NodeHandle reader2 = nodeHandle(m_cluster, Node::Reader2);
    const bool started
        = waitUntil([&] { return reader1.status().inFlight + reader2.status().inFlight == 1; },
                    3000)
        >= 0;
    const int sleepingOn
        = reader1.status().inFlight == 1 ? m_test.port(Node::Reader1) : m_test.port(Node::Reader2);
    // ...so every read of the other connection goes to the other reader meanwhile.
    QSqlQuery query(db);
    int elsewhere = 0;
    for (int i = 0; i < 30; ++i)
        elsewhere += servedBy(query) != sleepingOn ? 1 : 0;
    sleeper.join();
    QVERIFY(started);
    QCOMPARE(elsewhere, 30);
    QCOMPARE(busyPort.load(), sleepingOn);
}

void tst_Topology::weightsOnTheLiveCluster()
{
    QSqlDatabase db = open(u"QPSQLHA_WEIGHTS=%1:%2=3,%1:%3=1"_s.arg(m_test.host())
                               .arg(m_test.port(Node::Reader1))
                               .arg(m_test.port(Node::Reader2)));
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    int reader1 = 0;
    constexpr int reads = 400;
    for (int i = 0; i < reads; ++i)
        reader1 += servedBy(query) == m_test.port(Node::Reader1) ? 1 : 0;
    qInfo() << "weights 3:1 -> reader1 served" << reader1 << "of" << reads;
    QVERIFY(reader1 > reads * 62 / 100 && reader1 < reads * 88 / 100);
}

void tst_Topology::readersAddedAndRemovedUnderLoad()
{
    const QString reader1Address = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Reader1));
    const QString reader2Address = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Reader2));
    // Start with reader1 only.
    const QString options
        = u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_READER_AFFINITY=statement"_s.arg(IntervalMs);
    QSqlDatabase first = haDatabase(u"topology"_s, m_cluster, options, reader1Address);
    QVERIFY(first.open());

    std::atomic<bool> stop {false};
    std::atomic<int> failures {0};
    std::atomic<int> reads {0};
    std::vector<std::thread> threads;
    // A QVERIFY that fails returns early: the readers are stopped and joined then too (a
    // std::thread destroyed while it runs ends the process).
    auto stopReaders = [&] {
        stop = true;
        for (std::thread &thread : threads)
            thread.join();
        threads.clear();
    };
    const auto readersStopped = qScopeGuard(stopReaders);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const QString name = u"topology-load-%1"_s.arg(t);
            {
                QSqlDatabase db = haDatabase(name, m_cluster, options, reader1Address);
                if (!db.open()) {
                    ++failures;
                    return;
                }
                QSqlQuery query(db);
                while (!stop) {
                    if (query.exec(u"SELECT inet_server_port(), pg_sleep(0.005)"_s) && query.next())
                        ++reads;
                    else
                        ++failures;
                }
            }
            QSqlDatabase::removeDatabase(name);
        });
    }
    QTest::qWait(500);
    QString error;
    QVERIFY2(QPsqlHa::addReader(m_cluster, reader2Address, &error), qPrintable(error));
    QVERIFY(!QPsqlHa::addReader(m_cluster, reader2Address, &error));
    QVERIFY2(error.contains(u"already"_s), qPrintable(error));
    QVERIFY(!QPsqlHa::addReader(u"no-such-cluster"_s, reader2Address, &error));
    QVERIFY(!QPsqlHa::addReader(m_cluster, u"bad host:1"_s, &error));
    QPsqlHa::NodeHandle reader2 = nodeHandle(m_cluster, Node::Reader2);
    QVERIFY(reader2.isValid());
    const qint64 serving = waitUntil([&] { return reader2.queries() > 20; }, 10000);
    QVERIFY(serving >= 0);
    qInfo() << "added reader serving after" << serving << "ms";

    // Remove reader1 under load: running reads finish, later ones go to reader2.
    QPsqlHa::NodeHandle reader1 = nodeHandle(m_cluster, Node::Reader1);
    QVERIFY(!QPsqlHa::removeNode(
        m_cluster, u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Primary)), &error));
    QVERIFY2(error.contains(u"writes"_s), qPrintable(error));
    QVERIFY2(QPsqlHa::removeNode(m_cluster, reader1Address, &error), qPrintable(error));
    QVERIFY(!nodeHandle(m_cluster, Node::Reader1).isValid());
    QTest::qWait(300);
    const quint64 reader1After = reader1.queries();
    QTest::qWait(700);
    stopReaders();
    QCOMPARE(failures.load(), 0);
    // Nothing new reached the removed reader once its running reads had finished.
    QCOMPARE(reader1.queries(), reader1After);
    qInfo() << "reads during add/remove:" << reads.load();
    // The removed node is not listed any more.
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        if (cluster.name != m_cluster)
            continue;
        for (const QPsqlHa::NodeStatus &node : cluster.nodes)
            QVERIFY(node.address != reader1Address);
        QCOMPARE(cluster.nodes.size(), 2);
    }
}

void tst_Topology::invalidOptionsAreRefused()
{
    for (const QString &option : {u"QPSQLHA_MAX_LAG_BYTES=-1"_s, u"QPSQLHA_MAX_LAG_MS=soon"_s,
                                  u"QPSQLHA_CONSISTENCY=strong"_s, u"QPSQLHA_WEIGHTS=nowhere:1=2"_s,
                                  u"QPSQLHA_WEIGHTS=%1=2"_s.arg(m_test.host())}) {
        QSqlDatabase db = open(option);
        QVERIFY2(!db.isOpen(), qPrintable(option));
        QCOMPARE(db.lastError().type(), QSqlError::ConnectionError);
        QVERIFY2(db.lastError().text().contains(option.section(u'=', 0, 0)),
                 qPrintable(db.lastError().text()));
        dropDatabase(u"topology"_s);
    }
}

void tst_Topology::primaryFailoverAndTwoPrimaries()
{
    std::unique_ptr<TestCluster> own = TestCluster::startPrivate();
    QVERIFY2(own->isValid(), qPrintable(own->errorString()));
    QVERIFY(own->execOn(Node::Primary, u"CREATE TABLE moved (id int PRIMARY KEY)"_s));
    QVERIFY(own->waitForReplication());
    QSqlDatabase db = haDatabaseOn(*own, u"topology"_s, m_cluster,
                                   u"QPSQLHA_HEALTH_INTERVAL=%1"_s.arg(IntervalMs));
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QCOMPARE(writeOn(db, u"moved"_s, 1), own->port(Node::Primary));

    // The primary dies: writes fail at once, with a ConnectionError, and are not replayed.
    QVERIFY(own->stopNode(Node::Primary));
    QElapsedTimer failing;
    failing.start();
    QSqlError error;
    QCOMPARE(writeOn(db, u"moved"_s, 2, &error), -1);
    QCOMPARE(error.type(), QSqlError::ConnectionError);
    qInfo() << "write with the primary down failed after" << failing.elapsed()
            << "ms:" << error.text();
    QVERIFY(failing.elapsed() < 5000);

    // A reader is promoted: writes follow on the same open connection.
    QVERIFY(own->promote(Node::Reader1));
    QElapsedTimer switching;
    switching.start();
    int id = 3;
    int port = -1;
    while (port < 0 && switching.elapsed() < 20000) {
        port = writeOn(db, u"moved"_s, id++, &error);
        if (port < 0) {
            QCOMPARE(error.type(), QSqlError::ConnectionError);
            QTest::qWait(20);
        }
    }
    qInfo() << "first successful write" << switching.elapsed() << "ms after the promotion";
    QCOMPARE(port, own->port(Node::Reader1));
    QVERIFY(switching.elapsed() < 2 * IntervalMs + 5000);
    QCOMPARE(nodeHandleOn(*own, m_cluster, Node::Reader1).status().role,
             QPsqlHa::NodeRole::Primary);
    QCOMPARE(own->queryValue(Node::Reader1, u"SELECT count(*) FROM moved WHERE id = 2"_s),
             u"0"_s); // the failed write was not replayed

    // The old primary comes back as a primary too: the newer timeline keeps the writes, and
    // the old one is reported.
    QVERIFY(own->startNode(Node::Primary));
    QPsqlHa::NodeHandle old = nodeHandleOn(*own, m_cluster, Node::Primary);
    QVERIFY(waitUntil([&] { return old.lastError().contains(u"also claims"_s); }, 10000) >= 0);
    qInfo() << "old primary reported:" << old.lastError();
    for (int i = 0; i < 10; ++i)
        QCOMPARE(writeOn(db, u"moved"_s, 100 + i), own->port(Node::Reader1));
    // Neither does it serve reads.
    QSqlQuery query(db);
    for (int i = 0; i < 30; ++i)
        QVERIFY(servedBy(query) != own->port(Node::Primary));
    dropDatabase(u"topology"_s);
}

QTEST_MAIN(tst_Topology)

#include "tst_topology.moc"
