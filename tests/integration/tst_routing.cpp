// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Where statements run: reads on the readers, everything else on the primary, on the live
// cluster. Which node ran a statement is seen two ways: `SELECT inet_server_port()` where a
// statement returns rows, and the per-node query counters for everything else.

#include <hahelpers.h>
#include <testcluster.h>

#include <QtSql/qsqldriver.h>
#include <QtTest/qtest.h>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

struct Counts
{
    quint64 primary = 0;
    quint64 reader1 = 0;
    quint64 reader2 = 0;
    quint64 retries = 0;
};

Counts counts(const QString &cluster)
{
    Counts c;
    c.primary = nodeHandle(cluster, Node::Primary).queries();
    c.reader1 = nodeHandle(cluster, Node::Reader1).queries();
    c.reader2 = nodeHandle(cluster, Node::Reader2).queries();
    c.retries = nodeHandle(cluster, Node::Primary).retries()
        + nodeHandle(cluster, Node::Reader1).retries()
        + nodeHandle(cluster, Node::Reader2).retries();
    return c;
}

} // namespace

class tst_Routing : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void reportsPostgreSQL();
    void readsSpreadRandomly();
    void oneConnectionSpreadsByDefault();
    void burstsStayOnOneReader();
    void primaryReadsTakeTheirShare();
    void readsRoundRobin();
    void connectionKeepsItsReader();
    void connectionsShareTheReaders();
    void readForms_data();
    void readForms();
    void primaryForms_data();
    void primaryForms();
    void sequenceFunctionsOnOneSession();
    void configuredWriteFunction();
    void readOnlySafetyNet();
    void standbyRefusalSafetyNet_data();
    void standbyRefusalSafetyNet();
    void apiTransactionPinsToPrimary();
    void rawTransactionPinsToPrimary_data();
    void rawTransactionPinsToPrimary();
    void failedTransactionStaysPinned();
    void preparedReadsSpreadAndBind();
    void preparedWriteWithNamedPlaceholders();
    void lastInsertIdComesFromPrimary();
    void callerErrorsAreReturnedUnchanged();

private:
    QSqlDatabase open(const QString &extraOptions = QString());

    QString m_cluster;
    TestCluster &m_test = TestCluster::instance();
};

void tst_Routing::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    for (const char *sql : {
             "DROP TABLE IF EXISTS routing_items",
             "CREATE TABLE routing_items (id serial PRIMARY KEY, name text NOT NULL)",
             "INSERT INTO routing_items (name) VALUES ('first')",
             "DROP SEQUENCE IF EXISTS routing_seq",
             "CREATE SEQUENCE routing_seq",
             // Writes, but nothing in its name says so: only QPSQLHA_WRITE_FUNCTIONS or the
             // 25006 safety net can route it.
             "CREATE OR REPLACE FUNCTION routing_bump() RETURNS int LANGUAGE sql AS "
             "$$ INSERT INTO routing_items (name) VALUES ('bumped') RETURNING id $$",
             "CREATE OR REPLACE PROCEDURE routing_noop() LANGUAGE sql AS $$ SELECT 1 $$",
             // Reads to the classifier that a standby refuses with 55000: only the safety net
             // can route them.
             "CREATE OR REPLACE FUNCTION routing_wal_position() RETURNS pg_lsn LANGUAGE sql AS "
             "$$ SELECT pg_current_wal_lsn() $$",
             "CREATE OR REPLACE FUNCTION routing_current_id() RETURNS bigint LANGUAGE sql AS "
             "$$ SELECT currval('routing_seq') $$",
         }) {
        QVERIFY2(m_test.execOn(Node::Primary, QString::fromUtf8(sql), &error), qPrintable(error));
    }
    QVERIFY(m_test.waitForReplication());
}

void tst_Routing::init()
{
    m_cluster = uniqueClusterName("routing");
}

void tst_Routing::cleanup()
{
    dropDatabase(u"routing"_s);
}

QSqlDatabase tst_Routing::open(const QString &extraOptions)
{
    QSqlDatabase db = haDatabase(u"routing"_s, m_cluster, extraOptions);
    if (!db.open())
        qWarning() << "open failed:" << db.lastError().text();
    return db;
}

void tst_Routing::reportsPostgreSQL()
{
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QCOMPARE(db.driver()->dbmsType(), QSqlDriver::PostgreSQL);
    QCOMPARE(db.driverName(), u"QPSQLHA"_s);
    QVERIFY(db.driver()->hasFeature(QSqlDriver::Transactions));
    QVERIFY(db.driver()->hasFeature(QSqlDriver::PreparedQueries));
    QVERIFY(!db.driver()->hasFeature(QSqlDriver::NamedPlaceholders));
}

void tst_Routing::readsSpreadRandomly()
{
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=statement"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    constexpr int reads = 600;
    QHash<int, int> perPort;
    for (int i = 0; i < reads; ++i)
        ++perPort[servedBy(query)];
    qInfo() << "reads per port:" << perPort;
    QCOMPARE(perPort.value(m_test.port(Node::Primary)), 0);
    QCOMPARE(perPort.value(-1), 0);
    // Each of two readers gets about half: far outside these bounds is not random any more.
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        const int share = perPort.value(m_test.port(reader));
        QVERIFY2(
            share > reads * 35 / 100 && share < reads * 65 / 100,
            qPrintable(u"reader %1 got %2 of %3"_s.arg(m_test.port(reader)).arg(share).arg(reads)));
    }
}

void tst_Routing::oneConnectionSpreadsByDefault()
{
    // One QSqlDatabase with the defaults spreads its own reads over the readers: bursts dealt
    // from a shuffled cycle give each reader its bursts of every cycle, so over 400 reads each
    // gets 200 give or take two bursts (16 reads each) whatever the draw — far inside 120..280.
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    constexpr int reads = 400;
    QHash<int, int> perPort;
    int switches = 0;
    int previous = 0;
    for (int i = 0; i < reads; ++i) {
        const int port = servedBy(query);
        ++perPort[port];
        switches += previous != 0 && port != previous ? 1 : 0;
        previous = port;
    }
    qInfo() << "default: reads per port:" << perPort << "reader changes:" << switches;
    QCOMPARE(perPort.value(m_test.port(Node::Primary)), 0);
    QCOMPARE(perPort.value(-1), 0);
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        const int share = perPort.value(m_test.port(reader));
        QVERIFY2(
            share >= 120 && share <= 280,
            qPrintable(u"reader %1 got %2 of %3"_s.arg(m_test.port(reader)).arg(share).arg(reads)));
    }
    // Bursts, not one statement here and one there: a backend serves a run of reads warm.
    QVERIFY2(switches <= reads / 16 + 1, qPrintable(QString::number(switches)));
}

void tst_Routing::burstsStayOnOneReader()
{
    // QPSQLHA_READER_BURST=10: a connection's reads come in runs of 10 on one reader (20 when
    // one cycle ends and the next begins on the same reader): every run but the last is a
    // multiple of 10.
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=burst;QPSQLHA_READER_BURST=10"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    QList<int> runs;
    int previous = servedBy(query);
    int run = 1;
    for (int i = 1; i < 200; ++i) {
        const int port = servedBy(query);
        QVERIFY(port == m_test.port(Node::Reader1) || port == m_test.port(Node::Reader2));
        if (port == previous) {
            ++run;
        } else {
            runs.append(run);
            run = 1;
            previous = port;
        }
    }
    qInfo() << "runs on one reader:" << runs << "then" << run;
    QVERIFY(runs.size() >= 200 / 20 - 1); // and the readers take turns
    for (int length : std::as_const(runs))
        QVERIFY2(length % 10 == 0, qPrintable(QString::number(length)));
}

void tst_Routing::primaryReadsTakeTheirShare()
{
    const int primary = m_test.port(Node::Primary);
    // Without QPSQLHA_PRIMARY_READS the primary serves no read while a reader is online: see
    // readsSpreadRandomly and oneConnectionSpreadsByDefault. With it, it is a reader like the
    // others: a third each, by the bursts' cycle (exact but for at most two bursts) ...
    for (const QString &affinity : {u"burst"_s, u"statement"_s}) {
        {
            QSqlDatabase db
                = open(u"QPSQLHA_PRIMARY_READS=1;QPSQLHA_READER_AFFINITY="_s + affinity);
            QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
            QSqlQuery query(db);
            QHash<int, int> perPort;
            for (int i = 0; i < 600; ++i)
                ++perPort[servedBy(query)];
            qInfo() << affinity << "with primary reads: reads per port:" << perPort;
            // statement: binomial(600, 1/3), sd 11.5; 120..280 is 7 of them.
            for (Node node : {Node::Primary, Node::Reader1, Node::Reader2}) {
                const int share = perPort.value(m_test.port(node));
                QVERIFY2(share >= 120 && share <= 280,
                         qPrintable(u"%1 got %2 of 600"_s.arg(m_test.port(node)).arg(share)));
            }
            const QPsqlHa::NodeStatus status = nodeHandle(m_cluster, Node::Primary).status();
            QVERIFY(status.servesReads);
            QCOMPARE(status.role, QPsqlHa::NodeRole::Primary);
        }
        dropDatabase(u"routing"_s);
        m_cluster = uniqueClusterName("routing");
    }
    // ... and weighted through QPSQLHA_WEIGHTS like them: 2:1:1, cycles of four bursts.
    QSqlDatabase db = open(
        u"QPSQLHA_PRIMARY_READS=1;QPSQLHA_WEIGHTS=%1:%2=2,%1:%3=1,%1:%4=1"_s.arg(m_test.host())
            .arg(primary)
            .arg(m_test.port(Node::Reader1))
            .arg(m_test.port(Node::Reader2)));
    QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    int onPrimary = 0;
    for (int i = 0; i < 640; ++i)
        onPrimary += servedBy(query) == primary ? 1 : 0;
    qInfo() << "weights 2:1:1 with primary reads: the primary served" << onPrimary << "of 640";
    QVERIFY2(onPrimary >= 260 && onPrimary <= 380, qPrintable(QString::number(onPrimary)));

    // Writes and transactions still go to the primary, and a plain connection of the same
    // servers does not show the primary serving reads.
    QVERIFY(query.exec(u"INSERT INTO routing_items (name) VALUES ('primary reads') "
                       "RETURNING inet_server_port()"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), primary);
    const QString plainCluster = uniqueClusterName("routing");
    {
        QSqlDatabase plain = haDatabase(u"routing-plain"_s, plainCluster);
        QVERIFY(plain.open());
        QSqlQuery plainQuery(plain);
        for (int i = 0; i < 100; ++i)
            QVERIFY(servedBy(plainQuery) != primary);
        QVERIFY(!nodeHandle(plainCluster, Node::Primary).status().servesReads);
        QVERIFY(nodeHandle(plainCluster, Node::Reader1).status().servesReads);
    }
    dropDatabase(u"routing-plain"_s);
}

void tst_Routing::readsRoundRobin()
{
    QSqlDatabase db = open(u"QPSQLHA_POLICY=round_robin;QPSQLHA_READER_AFFINITY=statement"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    int previous = servedBy(query);
    for (int i = 0; i < 50; ++i) {
        const int port = servedBy(query);
        QVERIFY(port == m_test.port(Node::Reader1) || port == m_test.port(Node::Reader2));
        QVERIFY2(port != previous, "round robin served the same reader twice in a row");
        previous = port;
    }
}

void tst_Routing::connectionKeepsItsReader()
{
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=connection"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    const int own = servedBy(query);
    QVERIFY(own == m_test.port(Node::Reader1) || own == m_test.port(Node::Reader2));
    for (int i = 0; i < 100; ++i)
        QCOMPARE(servedBy(query), own);

    // Away for maintenance: the other reader serves; back online: the connection returns.
    const Node ownNode = own == m_test.port(Node::Reader1) ? Node::Reader1 : Node::Reader2;
    const Node otherNode = ownNode == Node::Reader1 ? Node::Reader2 : Node::Reader1;
    QPsqlHa::NodeHandle handle = nodeHandle(m_cluster, ownNode);
    handle.setOnline(false);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(query), m_test.port(otherNode));
    handle.setOnline(true);
    QVERIFY(waitUntil([&] { return handle.isOnline(); }, 10000) >= 0);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(query), own);
}

void tst_Routing::connectionsShareTheReaders()
{
    // Connections are given the readers in turn: four connections, two per reader.
    QHash<int, int> perPort;
    QStringList names;
    for (int i = 0; i < 4; ++i) {
        const QString name = u"routing-share-%1"_s.arg(i);
        names.append(name);
        QSqlDatabase db = haDatabase(name, m_cluster, u"QPSQLHA_READER_AFFINITY=connection"_s);
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QSqlQuery query(db);
        ++perPort[servedBy(query)];
    }
    for (const QString &name : std::as_const(names))
        dropDatabase(name);
    QCOMPARE(perPort.value(m_test.port(Node::Reader1)), 2);
    QCOMPARE(perPort.value(m_test.port(Node::Reader2)), 2);
}

void tst_Routing::readForms_data()
{
    QTest::addColumn<QString>("sql");
    QTest::newRow("select") << u"SELECT 1"_s;
    QTest::newRow("lower case, leading space") << u"  \n\tselect 1"_s;
    QTest::newRow("values") << u"VALUES (1), (2)"_s;
    QTest::newRow("table") << u"TABLE routing_items"_s;
    QTest::newRow("show") << u"SHOW search_path"_s;
    QTest::newRow("explain") << u"EXPLAIN SELECT * FROM routing_items"_s;
    QTest::newRow("explain of a write plans only")
        << u"EXPLAIN INSERT INTO routing_items (name) VALUES ('never')"_s;
    QTest::newRow("with select") << u"WITH a AS (SELECT 1 AS x) SELECT x FROM a"_s;
    QTest::newRow("comments and parentheses")
        << u"-- leading\n/* block /* nested */ */ ((SELECT 1))"_s;
    QTest::newRow("keywords in literals")
        << u"SELECT 'insert; delete', $t$ FOR UPDATE $t$, \"update\" FROM (SELECT 1 AS \"update\") s"_s;
    QTest::newRow("trailing semicolon") << u"SELECT 1;"_s;
}

void tst_Routing::readForms()
{
    QFETCH(QString, sql);
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    const Counts before = counts(m_cluster);
    QVERIFY2(query.exec(sql), qPrintable(query.lastError().text()));
    const Counts after = counts(m_cluster);
    QCOMPARE(after.primary, before.primary);
    QCOMPARE(after.reader1 + after.reader2, before.reader1 + before.reader2 + 1);
}

void tst_Routing::primaryForms_data()
{
    QTest::addColumn<QString>("sql");
    QTest::newRow("insert") << u"INSERT INTO routing_items (name) VALUES ('p')"_s;
    QTest::newRow("insert returning")
        << u"INSERT INTO routing_items (name) VALUES ('r') RETURNING id"_s;
    QTest::newRow("for update") << u"SELECT id FROM routing_items LIMIT 1 FOR UPDATE"_s;
    QTest::newRow("for no key update")
        << u"SELECT id FROM routing_items LIMIT 1 FOR NO KEY UPDATE"_s;
    QTest::newRow("for share") << u"SELECT id FROM routing_items LIMIT 1 FOR SHARE"_s;
    QTest::newRow("for key share") << u"select id from routing_items limit 1 for key share"_s;
    QTest::newRow("select into") << u"SELECT 1 AS a INTO TEMP TABLE routing_into"_s;
    QTest::newRow("data-modifying with")
        << u"WITH w AS (INSERT INTO routing_items (name) VALUES ('w') RETURNING id) "
           "SELECT id FROM w"_s;
    QTest::newRow("nextval") << u"SELECT nextval('routing_seq')"_s;
    QTest::newRow("setval") << u"SELECT pg_catalog.setval('routing_seq', 100)"_s;
    QTest::newRow("advisory lock") << u"SELECT pg_try_advisory_lock(42)"_s;
    QTest::newRow("advisory unlock") << u"SELECT pg_advisory_unlock_all()"_s;
    QTest::newRow("pg_notify") << u"SELECT pg_notify('routing', 'x')"_s;
    QTest::newRow("set_config") << u"SELECT set_config('application_name', 'r', false)"_s;
    QTest::newRow("txid_current") << u"SELECT txid_current()"_s;
    QTest::newRow("pg_current_xact_id") << u"SELECT pg_current_xact_id()"_s;
    QTest::newRow("large object") << u"SELECT lo_unlink(lo_creat(-1))"_s;
    // A standby refuses these with 55000, "recovery is in progress".
    QTest::newRow("restore point") << u"SELECT pg_create_restore_point('routing')"_s;
    QTest::newRow("switch wal") << u"SELECT pg_switch_wal()"_s;
    QTest::newRow("wal lsn") << u"SELECT pg_current_wal_lsn()"_s;
    QTest::newRow("wal insert lsn") << u"SELECT pg_current_wal_insert_lsn()"_s;
    QTest::newRow("wal flush lsn") << u"SELECT pg_current_wal_flush_lsn()"_s;
    QTest::newRow("hint") << u"/*qpsqlha:primary*/ SELECT 1"_s;
    QTest::newRow("multi-statement") << u"SELECT 1; SELECT 2"_s;
    QTest::newRow("explain analyze of a write")
        << u"EXPLAIN ANALYZE INSERT INTO routing_items (name) VALUES ('e')"_s;
    QTest::newRow("listen") << u"LISTEN routing_channel"_s;
    QTest::newRow("notify") << u"NOTIFY routing_channel"_s;
    QTest::newRow("call") << u"CALL routing_noop()"_s;
    QTest::newRow("do") << u"DO $$ BEGIN PERFORM 1; END $$"_s;
    QTest::newRow("ddl") << u"CREATE TEMP TABLE routing_tmp (x int)"_s;
    QTest::newRow("set") << u"SET application_name = 'routing'"_s;
}

void tst_Routing::primaryForms()
{
    QFETCH(QString, sql);
    QSqlDatabase db = open();
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    const Counts before = counts(m_cluster);
    QVERIFY2(query.exec(sql), qPrintable(query.lastError().text()));
    const Counts after = counts(m_cluster);
    QCOMPARE(after.primary, before.primary + 1);
    QCOMPARE(after.reader1, before.reader1);
    QCOMPARE(after.reader2, before.reader2);
    QCOMPARE(after.retries, before.retries); // on the primary at once, not after a rejection
}

void tst_Routing::sequenceFunctionsOnOneSession()
{
    // currval/lastval only work in the session that called nextval: on a reader they fail.
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SELECT nextval('routing_seq')"_s) && query.next());
    const qlonglong value = query.value(0).toLongLong();
    QVERIFY2(query.exec(u"SELECT currval('routing_seq')"_s), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toLongLong(), value);
    QVERIFY2(query.exec(u"SELECT lastval()"_s), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toLongLong(), value);
}

void tst_Routing::configuredWriteFunction()
{
    QSqlDatabase db = open(u"QPSQLHA_WRITE_FUNCTIONS=routing_bump"_s);
    QSqlQuery query(db);
    const Counts before = counts(m_cluster);
    QVERIFY2(query.exec(u"SELECT routing_bump()"_s), qPrintable(query.lastError().text()));
    const Counts after = counts(m_cluster);
    QCOMPARE(after.primary, before.primary + 1);
    QCOMPARE(after.reader1 + after.reader2, before.reader1 + before.reader2);
    QCOMPARE(after.retries, before.retries);
}

void tst_Routing::readOnlySafetyNet()
{
    // Without QPSQLHA_WRITE_FUNCTIONS the call looks like a read: a reader refuses it with
    // 25006, and it runs once more on the primary. The caller sees one success, one new row.
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const QString countSql = u"SELECT count(*) FROM routing_items WHERE name = 'bumped'"_s;
    const int rowsBefore = m_test.queryValue(Node::Primary, countSql).toInt();
    const Counts before = counts(m_cluster);
    QVERIFY2(query.exec(u"SELECT routing_bump()"_s), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QVERIFY(query.value(0).toInt() > 0);
    const Counts after = counts(m_cluster);
    QCOMPARE(after.primary, before.primary + 1);
    QCOMPARE(after.retries, before.retries + 1);
    QCOMPARE(m_test.queryValue(Node::Primary, countSql).toInt(), rowsBefore + 1);
    // A rejected statement is not a dead node.
    QVERIFY(nodeHandle(m_cluster, Node::Reader1).isOnline());
    QVERIFY(nodeHandle(m_cluster, Node::Reader2).isOnline());
}

void tst_Routing::standbyRefusalSafetyNet_data()
{
    QTest::addColumn<QString>("setup"); // run first, if any; its value is the one expected
    QTest::addColumn<QString>("sql");
    // Only the primary has a WAL position: a standby says "recovery is in progress".
    QTest::newRow("wal position") << QString() << u"SELECT routing_wal_position()"_s;
    // The sequence advanced in this session on the primary: a reader's session has no currval.
    QTest::newRow("currval") << u"SELECT nextval('routing_seq')"_s
                             << u"SELECT routing_current_id()"_s;
}

void tst_Routing::standbyRefusalSafetyNet()
{
    // The classifier sees a read; the reader refuses it with 55000 and it runs once more on the
    // primary. The caller sees one success.
    QFETCH(QString, setup);
    QFETCH(QString, sql);
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVariant expected;
    if (!setup.isEmpty()) {
        QVERIFY2(query.exec(setup) && query.next(), qPrintable(query.lastError().text()));
        expected = query.value(0);
    }
    const Counts before = counts(m_cluster);
    QVERIFY2(query.exec(sql), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QVERIFY(!query.value(0).isNull());
    if (expected.isValid())
        QCOMPARE(query.value(0).toLongLong(), expected.toLongLong());
    const Counts after = counts(m_cluster);
    QCOMPARE(after.reader1 + after.reader2, before.reader1 + before.reader2 + 1);
    QCOMPARE(after.primary, before.primary + 1);
    QCOMPARE(after.retries, before.retries + 1);
    // A refused statement is not a dead node.
    QVERIFY(nodeHandle(m_cluster, Node::Reader1).isOnline());
    QVERIFY(nodeHandle(m_cluster, Node::Reader2).isOnline());
}

void tst_Routing::apiTransactionPinsToPrimary()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(db.transaction());
    for (int i = 0; i < 10; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    QVERIFY(query.exec(u"INSERT INTO routing_items (name) VALUES ('in transaction')"_s));
    QVERIFY(db.commit());
    QVERIFY(servedBy(query) != m_test.port(Node::Primary));

    QVERIFY(db.transaction());
    QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    QVERIFY(db.rollback());
    QVERIFY(servedBy(query) != m_test.port(Node::Primary));
}

void tst_Routing::rawTransactionPinsToPrimary_data()
{
    QTest::addColumn<QString>("begin");
    QTest::addColumn<QString>("end");
    QTest::newRow("BEGIN/COMMIT") << u"BEGIN"_s << u"COMMIT"_s;
    QTest::newRow("START TRANSACTION/END")
        << u"START TRANSACTION ISOLATION LEVEL REPEATABLE READ"_s << u"END"_s;
    QTest::newRow("begin/rollback") << u"begin"_s << u"rollback"_s;
    QTest::newRow("BEGIN WORK/ABORT") << u"BEGIN WORK"_s << u"ABORT"_s;
}

void tst_Routing::rawTransactionPinsToPrimary()
{
    QFETCH(QString, begin);
    QFETCH(QString, end);
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.exec(begin));
    for (int i = 0; i < 10; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    QVERIFY(query.exec(u"SAVEPOINT s1"_s));
    QVERIFY(query.exec(u"ROLLBACK TO SAVEPOINT s1"_s)); // still inside the transaction
    QCOMPARE(servedBy(query), m_test.port(Node::Primary));
    QVERIFY(query.exec(end));
    QVERIFY(servedBy(query) != m_test.port(Node::Primary));
}

void tst_Routing::failedTransactionStaysPinned()
{
    // After an error inside a transaction the session is in "aborted" state on the primary:
    // reads must keep going there (and fail as PostgreSQL says) until ROLLBACK.
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(db.transaction());
    QVERIFY(!query.exec(u"SELECT * FROM routing_missing_table"_s));
    QVERIFY(!query.exec(u"SELECT 1"_s));
    QCOMPARE(query.lastError().nativeErrorCode(), u"25P02"_s);
    QVERIFY(db.rollback());
    QVERIFY(servedBy(query) != m_test.port(Node::Primary));
}

void tst_Routing::preparedReadsSpreadAndBind()
{
    QSqlDatabase db = open(u"QPSQLHA_READER_AFFINITY=statement"_s);
    QSqlQuery query(db);
    QVERIFY(query.prepare(u"SELECT inet_server_port(), ?::int + 1, ?::text"_s));
    QSet<int> ports;
    for (int i = 0; i < 60; ++i) {
        query.addBindValue(i);
        query.addBindValue(u"it's \"quoted\" ; DELETE"_s);
        QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
        QVERIFY(query.next());
        ports.insert(query.value(0).toInt());
        QCOMPARE(query.value(1).toInt(), i + 1);
        QCOMPARE(query.value(2).toString(), u"it's \"quoted\" ; DELETE"_s);
    }
    QCOMPARE(ports, (QSet<int> {m_test.port(Node::Reader1), m_test.port(Node::Reader2)}));

    QVERIFY(query.prepare(u"SELECT :a::int * 2, :b::text, :a::int"_s));
    query.bindValue(u":a"_s, 21);
    query.bindValue(u":b"_s, QVariant(QMetaType::fromType<QString>()));
    QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 42);
    QVERIFY(query.isNull(1));
    QCOMPARE(query.value(2).toInt(), 21);
}

void tst_Routing::preparedWriteWithNamedPlaceholders()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const Counts before = counts(m_cluster);
    QVERIFY(query.prepare(u"INSERT INTO routing_items (name) VALUES (:name) RETURNING id"_s));
    query.bindValue(u":name"_s, u"prepared"_s);
    QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    const int id = query.value(0).toInt();
    QCOMPARE(counts(m_cluster).primary, before.primary + 1);
    QCOMPARE(
        m_test.queryValue(Node::Primary, u"SELECT name FROM routing_items WHERE id = %1"_s.arg(id)),
        u"prepared"_s);
}

void tst_Routing::lastInsertIdComesFromPrimary()
{
    QSqlDatabase db = open();
    QSqlQuery insert(db);
    QVERIFY(insert.exec(u"INSERT INTO routing_items (name) VALUES ('last') RETURNING id"_s));
    QVERIFY(insert.next());
    const qlonglong id = insert.value(0).toLongLong();
    QCOMPARE(insert.lastInsertId().toLongLong(), id);

    // A read in between runs on a reader; lastInsertId() still asks the primary's session.
    QSqlQuery read(db);
    QVERIFY(servedBy(read) != m_test.port(Node::Primary));
    QCOMPARE(read.lastInsertId().toLongLong(), id);
}

void tst_Routing::callerErrorsAreReturnedUnchanged()
{
    QSqlDatabase db = open();
    QSqlDatabase direct = m_test.openDirect(Node::Primary, u"routing-direct"_s);
    QVERIFY(direct.isOpen());
    {
        QSqlQuery ha(db);
        QSqlQuery plain(direct);
        const Counts before = counts(m_cluster);
        for (const QString &sql : {u"SELECT * FROM routing_missing"_s, u"SELEC 1"_s,
                                   u"SELECT 1/0"_s, u"SELECT 'x'::int"_s}) {
            QVERIFY(!ha.exec(sql));
            QVERIFY(!plain.exec(sql));
            QCOMPARE(ha.lastError().type(), plain.lastError().type());
            QCOMPARE(ha.lastError().nativeErrorCode(), plain.lastError().nativeErrorCode());
            QCOMPARE(ha.lastError().databaseText(), plain.lastError().databaseText());
            QCOMPARE(ha.lastError().driverText(), plain.lastError().driverText());
        }
        QVERIFY(!ha.exec(u"INSERT INTO routing_items (id, name) VALUES (1, 'duplicate')"_s));
        QCOMPARE(ha.lastError().nativeErrorCode(), u"23505"_s);
        const Counts after = counts(m_cluster);
        QCOMPARE(after.retries, before.retries);
        QVERIFY(nodeHandle(m_cluster, Node::Reader1).isOnline());
        QVERIFY(nodeHandle(m_cluster, Node::Reader2).isOnline());
        QVERIFY(nodeHandle(m_cluster, Node::Primary).isOnline());
    }
    direct = QSqlDatabase();
    dropDatabase(u"routing-direct"_s);
}

QTEST_GUILESS_MAIN(tst_Routing)

#include "tst_routing.moc"
