// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Opening connections: option errors, unreachable nodes, IPv6 readers, shared clusters, and
// what the driver writes to logs and errors (never the password).

#include <hahelpers.h>
#include <testcluster.h>
#include <threadgroup.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qmutex.h>
#include <QtSql/qsqldriver.h>
#include <QtTest/qtest.h>

#include <atomic>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

// Every message any thread logs while it is alive.
class LogCapture
{
public:
    LogCapture()
    {
        QMutexLocker locker(&mutex());
        current() = this;
        m_previous = qInstallMessageHandler(&LogCapture::handle);
    }
    ~LogCapture()
    {
        QMutexLocker locker(&mutex());
        qInstallMessageHandler(m_previous);
        current() = nullptr;
    }
    QStringList messages() const
    {
        QMutexLocker locker(&mutex());
        return m_messages;
    }
    int count(const QString &needle) const
    {
        int n = 0;
        for (const QString &message : messages())
            n += message.contains(needle) ? 1 : 0;
        return n;
    }

private:
    static QMutex &mutex()
    {
        static QMutex m;
        return m;
    }
    static LogCapture *&current()
    {
        static LogCapture *c = nullptr;
        return c;
    }
    static void handle(QtMsgType, const QMessageLogContext &context, const QString &message)
    {
        QMutexLocker locker(&mutex());
        if (current())
            current()->m_messages.append(QString::fromLatin1(context.category) + u": "_s + message);
    }

    QtMessageHandler m_previous = nullptr;
    QStringList m_messages;
};

} // namespace

class tst_Open : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void badOptions_data();
    void badOptions();
    void unknownLibpqOption();
    void libpqOptionsReachEveryNode();
    void unreachableReaderAtOpen();
    void unreachablePrimaryAtOpen();
    void nothingReachable();
    void wrongPasswordIsNotEchoed();
    void ipv6Reader();
    void connectionsShareClusterState();
    void conflictingClusterSettings();
    void reopenAfterClose();
    void debugModeLogsStatus();
    void logQueriesNamesTheNode();
    void tlsVerifyFullOnEveryNode();
    void tlsWithTheWrongCaFails();
    void oneConnectionFromTwoThreadsFailsInsteadOfHanging();

private:
    QString m_cluster;
    TestCluster &m_test = TestCluster::instance();
};

void tst_Open::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
}

void tst_Open::init()
{
    m_cluster = uniqueClusterName("open");
}

void tst_Open::cleanup()
{
    dropDatabase(u"open"_s);
    dropDatabase(u"open-2"_s);
}

void tst_Open::badOptions_data()
{
    QTest::addColumn<QString>("options");
    QTest::addColumn<QStringList>("mentions");
    QTest::newRow("unknown QPSQLHA key")
        << u"QPSQLHA_READERZ=x:1"_s << QStringList {u"QPSQLHA_READERZ"_s};
    QTest::newRow("interval") << u"QPSQLHA_HEALTH_INTERVAL=10"_s
                              << QStringList {u"QPSQLHA_HEALTH_INTERVAL"_s, u"'10'"_s};
    QTest::newRow("policy") << u"QPSQLHA_POLICY=sticky"_s
                            << QStringList {u"QPSQLHA_POLICY"_s, u"sticky"_s};
    QTest::newRow("reader port") << u"QPSQLHA_READERS=127.0.0.1:0"_s
                                 << QStringList {u"QPSQLHA_READERS"_s, u"127.0.0.1:0"_s};
    QTest::newRow("malformed") << u"sslmode"_s << QStringList {u"sslmode"_s};
    QTest::newRow("injection") << u"QPSQLHA_READERS=a' host='evil"_s
                               << QStringList {u"QPSQLHA_READERS"_s};
    // Both would open (the last key winning, the port read as a number) before these checks.
    QTest::newRow("QPSQLHA key given twice")
        << u"QPSQLHA_POLICY=random;QPSQLHA_POLICY=round_robin"_s
        << QStringList {u"QPSQLHA_POLICY"_s, u"twice"_s};
    const QString signedPort = u"+%1"_s.arg(m_test.port(Node::Reader1));
    QTest::newRow("reader port with a sign") << u"QPSQLHA_READERS=127.0.0.1:%1"_s.arg(signedPort)
                                             << QStringList {u"QPSQLHA_READERS"_s, signedPort};
}

void tst_Open::badOptions()
{
    QFETCH(QString, options);
    QFETCH(QStringList, mentions);
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, u"open"_s);
    db.setHostName(m_test.host());
    db.setPort(m_test.port(Node::Primary));
    db.setDatabaseName(m_test.database());
    db.setUserName(m_test.user());
    db.setPassword(m_test.password());
    db.setConnectOptions(options);
    QVERIFY(!db.open());
    QVERIFY(!db.isOpen());
    const QSqlError error = db.lastError();
    QCOMPARE(error.type(), QSqlError::ConnectionError);
    for (const QString &mention : mentions)
        QVERIFY2(error.text().contains(mention), qPrintable(error.text()));
    QVERIFY(!error.text().contains(m_test.password()));
}

void tst_Open::unknownLibpqOption()
{
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, u"connect_timout=3"_s);
    QVERIFY(!db.open());
    QVERIFY2(db.lastError().text().contains(u"connect_timout"_s),
             qPrintable(db.lastError().text()));
}

void tst_Open::libpqOptionsReachEveryNode()
{
    QSqlDatabase db
        = haDatabase(u"open"_s, m_cluster,
                     u"application_name='qpsqlha tests';QPSQLHA_READER_AFFINITY=statement"_s);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    QSet<int> ports;
    for (int i = 0; i < 30; ++i) {
        QVERIFY(query.exec(u"SELECT current_setting('application_name'), inet_server_port()"_s));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), u"qpsqlha tests"_s);
        ports.insert(query.value(1).toInt());
    }
    QVERIFY(query.exec(u"/*qpsqlha:primary*/ SELECT current_setting('application_name')"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), u"qpsqlha tests"_s);
    QCOMPARE(ports.size(), 2);
}

void tst_Open::unreachableReaderAtOpen()
{
    const int dead = unusedPort();
    const QString readers
        = u"%1:%2,127.0.0.1:%3"_s.arg(m_test.host()).arg(m_test.port(Node::Reader1)).arg(dead);
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, QString(), readers);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    const QPsqlHa::NodeHandle deadNode = QPsqlHa::node(m_cluster, u"127.0.0.1"_s, dead);
    QVERIFY(deadNode.isValid());
    QCOMPARE(deadNode.state(), QPsqlHa::NodeState::Failed);
    QVERIFY(!deadNode.lastError().isEmpty());
    QSqlQuery query(db);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Reader1));
}

void tst_Open::unreachablePrimaryAtOpen()
{
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster);
    db.setPort(unusedPort());
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    QVERIFY(servedBy(query) > 0); // reads work
    QVERIFY(!query.exec(u"CREATE TEMP TABLE open_never (x int)"_s));
    QCOMPARE(query.lastError().type(), QSqlError::ConnectionError);
    QVERIFY2(query.lastError().text().contains(u"primary"_s), qPrintable(query.lastError().text()));
}

void tst_Open::nothingReachable()
{
    const int p1 = unusedPort();
    const int p2 = unusedPort();
    const int p3 = unusedPort();
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, QString(),
                                 u"127.0.0.1:%1,127.0.0.1:%2"_s.arg(p2).arg(p3));
    db.setPort(p1);
    QVERIFY(!db.open());
    const QString text = db.lastError().text();
    QCOMPARE(db.lastError().type(), QSqlError::ConnectionError);
    for (int port : {p1, p2, p3})
        QVERIFY2(text.contains(u"127.0.0.1:%1"_s.arg(port)), qPrintable(text));
    QVERIFY2(text.contains(u"refused"_s), qPrintable(text));
    QVERIFY(!text.contains(m_test.password()));
}

void tst_Open::wrongPasswordIsNotEchoed()
{
    const QString wrong = u"Wr0ng-Secret-%1"_s.arg(QDateTime::currentMSecsSinceEpoch());
    LogCapture log;
    QLoggingCategory::setFilterRules(u"qpsqlha.*=true"_s);
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, u"QPSQLHA_DEBUG=1;QPSQLHA_LOG_QUERIES=1"_s);
    db.setPassword(wrong);
    QVERIFY(!db.open());
    QVERIFY2(db.lastError().text().contains(u"password authentication failed"_s),
             qPrintable(db.lastError().text()));
    QVERIFY(!db.lastError().text().contains(wrong));
    QVERIFY(!db.lastError().driverText().contains(wrong));
    QTest::qWait(500); // the health checker's first probes log too
    QLoggingCategory::setFilterRules(QString());
    for (const QString &message : log.messages())
        QVERIFY2(!message.contains(wrong), qPrintable(message));
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        for (const QPsqlHa::NodeStatus &node : cluster.nodes)
            QVERIFY(!node.lastError.contains(wrong));
    }
}

void tst_Open::ipv6Reader()
{
    const QString readers = u"[::1]:%1"_s.arg(m_test.port(Node::Reader2));
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, QString(), readers);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SELECT inet_server_addr()::text, inet_server_port()"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), u"::1/128"_s);
    QCOMPARE(query.value(1).toInt(), m_test.port(Node::Reader2));
    QVERIFY(QPsqlHa::node(m_cluster, u"::1"_s, m_test.port(Node::Reader2)).isValid());
}

void tst_Open::connectionsShareClusterState()
{
    QSqlDatabase first = haDatabase(u"open"_s, m_cluster);
    QSqlDatabase second = haDatabase(u"open-2"_s, m_cluster);
    QVERIFY(first.open());
    QVERIFY(second.open());
    QSqlQuery a(first);
    QSqlQuery b(second);
    const quint64 before = nodeHandle(m_cluster, Node::Primary).queries();
    QVERIFY(a.exec(u"CREATE TEMP TABLE open_a (x int)"_s));
    QVERIFY(b.exec(u"CREATE TEMP TABLE open_b (x int)"_s));
    QCOMPARE(nodeHandle(m_cluster, Node::Primary).queries(), before + 2); // one set of counters

    // A node taken out through one connection's cluster is out for the other as well.
    nodeHandle(m_cluster, Node::Reader1).setOnline(false);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(b), m_test.port(Node::Reader2));
    nodeHandle(m_cluster, Node::Reader1).setOnline(true);

    // The default cluster name comes from the primary: host:port/database.
    const QString derived
        = u"%1:%2/%3"_s.arg(m_test.host()).arg(m_test.port(Node::Primary)).arg(m_test.database());
    QSqlDatabase third = QSqlDatabase::cloneDatabase(first, u"open-3"_s);
    third.setConnectOptions(u"QPSQLHA_READERS=%1"_s.arg(m_test.readersOption()));
    QVERIFY(third.open());
    QVERIFY(QPsqlHa::node(derived, m_test.host(), m_test.port(Node::Reader1)).isValid());
    third.close();
    third = QSqlDatabase();
    QSqlDatabase::removeDatabase(u"open-3"_s);
}

void tst_Open::conflictingClusterSettings()
{
    QSqlDatabase first = haDatabase(u"open"_s, m_cluster);
    QVERIFY(first.open());
    QSqlDatabase second = haDatabase(u"open-2"_s, m_cluster, QString(),
                                     u"127.0.0.1:%1"_s.arg(m_test.port(Node::Reader1)));
    QVERIFY(!second.open());
    QVERIFY2(second.lastError().text().contains(m_cluster), qPrintable(second.lastError().text()));
    QVERIFY(second.lastError().text().contains(u"QPSQLHA_CLUSTER"_s));
}

void tst_Open::reopenAfterClose()
{
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster);
    QVERIFY(db.open());
    {
        QSqlQuery query(db);
        QVERIFY(servedBy(query) > 0);
    }
    db.close();
    QVERIFY(!db.isOpen());
    QVERIFY(db.open());
    QSqlQuery query(db);
    QVERIFY(servedBy(query) > 0);
}

void tst_Open::debugModeLogsStatus()
{
    LogCapture log;
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, u"QPSQLHA_DEBUG=1"_s);
    QVERIFY(db.open());
    // Every node's status, every 4 s.
    const QString primary = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Primary));
    QTRY_VERIFY_WITH_TIMEOUT(log.count(m_cluster + u" node "_s + primary) >= 1, 6000);
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QVERIFY(log.count(u"%1 node %2:%3"_s.arg(m_cluster, m_test.host()).arg(m_test.port(reader)))
                >= 1);
    }
    for (const QString &message : log.messages())
        QVERIFY2(!message.contains(m_test.password()), qPrintable(message));
}

void tst_Open::logQueriesNamesTheNode()
{
    LogCapture log;
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, u"QPSQLHA_LOG_QUERIES=1"_s);
    QVERIFY(db.open());
    QSqlQuery query(db);
    const int port = servedBy(query, u"SELECT inet_server_port() AS logged_statement"_s);
    QVERIFY(port > 0);
    QCOMPARE(
        log.count(u"qpsqlha.queries: %1:%2 reader SELECT inet_server_port() AS logged_statement"_s
                      .arg(m_test.host())
                      .arg(port)),
        1);
}

void tst_Open::tlsVerifyFullOnEveryNode()
{
    // libpq options reach every node: each connection is encrypted and its certificate checked
    // against the CA, host name included.
    QSqlDatabase db
        = haDatabase(u"open"_s, m_cluster,
                     u"sslmode=verify-full;sslrootcert=%1;QPSQLHA_READER_AFFINITY=statement"_s.arg(
                         m_test.sslCa()));
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    const QString sql
        = u"SELECT ssl, inet_server_port() FROM pg_stat_ssl WHERE pid = pg_backend_pid()"_s;
    QSet<int> ports;
    for (int i = 0; i < 30; ++i) {
        QVERIFY2(query.exec(sql) && query.next(), qPrintable(query.lastError().text()));
        QVERIFY(query.value(0).toBool());
        ports.insert(query.value(1).toInt());
    }
    QVERIFY(query.exec(u"/*qpsqlha:primary*/ "_s + sql) && query.next());
    QVERIFY(query.value(0).toBool());
    ports.insert(query.value(1).toInt());
    QCOMPARE(ports.size(), 3);
}

void tst_Open::tlsWithTheWrongCaFails()
{
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster,
                                 u"sslmode=verify-full;sslrootcert=%1"_s.arg(m_test.sslOtherCa()));
    QVERIFY(!db.open());
    const QString text = db.lastError().text();
    QVERIFY2(text.contains(u"certificate verify failed"_s), qPrintable(text));
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2})
        QVERIFY(text.contains(u":%1"_s.arg(m_test.port(node))));
}

// Qt allows one thread at a time per QSqlDatabase. Two threads that share one anyway must not
// both drive a node's libpq connection: one waits forever in PQgetResult() for an answer the
// other took. The second caller gets an error instead (QPSQL fails with errors too), and the
// connection is fine once the threads are done. No query timeout, so a hang would be one.
void tst_Open::oneConnectionFromTwoThreadsFailsInsteadOfHanging()
{
    QSqlDatabase db = haDatabase(u"open"_s, m_cluster, u"QPSQLHA_QUERY_TIMEOUT=0"_s);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));

    const QString busy = u"used by another thread at the same time"_s;
    std::atomic<int> succeeded {0}, refused {0};
    QMutex mutex;
    QStringList otherErrors;
    // Reads on the readers, a statement on the primary, rows fetched one by one, a catalog
    // question: everything that talks to a node, from both threads on the same object.
    const auto hammer = [&](const QString &sql) {
        const QDeadlineTimer until(2500);
        while (!until.hasExpired()) {
            QSqlQuery query(db);
            bool ok = query.exec(sql);
            while (ok && query.next()) { }
            if (ok && query.lastError().type() != QSqlError::NoError)
                ok = false;
            if (ok) {
                ++succeeded;
                continue;
            }
            const QSqlError error = query.lastError();
            if (error.text().contains(busy) && error.type() == QSqlError::StatementError) {
                ++refused;
                QThread::usleep(200); // turned away at once: no need to spin on a shared machine
            } else {
                QMutexLocker locker(&mutex);
                otherErrors += u"%1 -> %2 (type %3)"_s.arg(sql, error.text()).arg(error.type());
            }
        }
    };
    ThreadGroup threads;
    threads.add([&] { hammer(u"SELECT pg_sleep(0.02), n FROM generate_series(1, 20) AS s(n)"_s); });
    threads.add([&] { hammer(u"SELECT n FROM generate_series(1, 5) AS s(n)"_s); });
    threads.add([&] { hammer(u"/*qpsqlha:primary*/ SELECT pg_sleep(0.005), 1"_s); });
    threads.start();
    // Bounded: before the guard, this never returned. A hung thread cannot be joined (nor the
    // test end with it running), so the process stops with a message instead of waiting for
    // ctest's timeout.
    if (!threads.waitFor(QDeadlineTimer(60000)))
        qFatal("two threads using one QSqlDatabase hang (no error after 60 s)");
    threads.join();

    qInfo("statements that ran: %d, turned away for concurrent use: %d", succeeded.load(),
          refused.load());
    QVERIFY2(otherErrors.isEmpty(), qPrintable(otherErrors.mid(0, 10).join(u"\n"_s)));
    QVERIFY(refused > 0);
    QVERIFY(succeeded > 0);

    // One thread again: reads, a write on the primary, a transaction.
    QSqlQuery query(db);
    QVERIFY2(query.exec(u"SELECT sum(n) FROM generate_series(1, 10) AS s(n)"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 55);
    QVERIFY2(db.transaction(), qPrintable(db.lastError().text()));
    QVERIFY2(query.exec(u"SELECT txid_current() > 0"_s), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QVERIFY(query.value(0).toBool());
    QVERIFY2(db.commit(), qPrintable(db.lastError().text()));
    QCOMPARE(db.driver()->escapeIdentifier(u"a b"_s, QSqlDriver::TableName), u"\"a b\""_s);
}

QTEST_GUILESS_MAIN(tst_Open)

#include "tst_open.moc"
