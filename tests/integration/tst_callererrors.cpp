// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// What the server says over a working connection is the caller's business: a remote server's
// 08001 through dblink, a session made read-only by its own settings, keep QPSQL's error, type
// and code, and no node changes state. Temporary objects made under any name are read on the
// primary, and the classifier reads string literals as the session's
// standard_conforming_strings makes the server read them.

#include <hahelpers.h>
#include <testcluster.h>

#include <QtCore/qregularexpression.h>
#include <QtSql/qsqldriver.h>
#include <QtTest/qtest.h>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

const QString Table = u"qpsqlha_ce_rows"_s;

struct Outcome
{
    bool ok = false;
    QSqlError::ErrorType type = QSqlError::NoError;
    QString code;
    QString text;
};

Outcome run(QSqlQuery &query, const QString &sql)
{
    Outcome outcome;
    outcome.ok = query.exec(sql);
    const QSqlError error = query.lastError();
    outcome.type = error.type();
    outcome.code = error.nativeErrorCode();
    outcome.text = error.databaseText().trimmed();
    return outcome;
}

QString describe(const Outcome &outcome)
{
    return u"ok=%1 type=%2 code=%3 text=%4"_s.arg(outcome.ok)
        .arg(int(outcome.type))
        .arg(outcome.code, outcome.text);
}

} // namespace

class tst_CallerErrors : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void remoteServerErrorInTransactionKeepsTheTransaction();
    void remoteServerErrorOnReadMarksNoNode();
    void readOnlySessionIsNotAFailover();
    void temporaryObjectsByAnyName();
    void sessionWithoutTemporaryObjectsReadsFromReaders();
    void backslashQuotesFollowTheSession();
    void readerNeverKeepsATransaction();
    void readerThatReadsTheTextOtherwiseIsRolledBack();

private:
    QSqlDatabase open(const QString &name = u"callererrors"_s);
    bool allNodesOnline() const;
    quint64 queriesOnAllNodes() const;
    int count() const;

    QString m_cluster;
    QString m_dblinkTarget;
    TestCluster &m_test = TestCluster::instance();
};

void tst_CallerErrors::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    QVERIFY2(m_test.execOn(Node::Primary,
                           u"CREATE EXTENSION IF NOT EXISTS dblink; DROP TABLE IF EXISTS %1; "
                           "CREATE TABLE %1 (v int)"_s.arg(Table),
                           &error),
             qPrintable(error));
    QVERIFY(m_test.waitForReplication());
    m_dblinkTarget
        = u"host=127.0.0.1 port=%1 dbname=postgres connect_timeout=2"_s.arg(unusedPort());
}

void tst_CallerErrors::init()
{
    m_cluster = uniqueClusterName("callererrors");
    QVERIFY(m_test.execOn(Node::Primary, u"TRUNCATE %1"_s.arg(Table)));
}

void tst_CallerErrors::cleanup()
{
    dropDatabase(u"callererrors"_s);
    dropDatabase(u"callererrors-direct"_s);
}

void tst_CallerErrors::cleanupTestCase()
{
    m_test.execOn(Node::Primary, u"DROP TABLE IF EXISTS %1"_s.arg(Table));
}

QSqlDatabase tst_CallerErrors::open(const QString &name)
{
    QSqlDatabase db = haDatabase(name, m_cluster,
                                 u"QPSQLHA_READER_AFFINITY=statement;QPSQLHA_POLICY=round_robin"_s);
    if (!db.open())
        qWarning() << "open failed:" << db.lastError().text();
    return db;
}

bool tst_CallerErrors::allNodesOnline() const
{
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2}) {
        const QPsqlHa::NodeHandle handle = nodeHandle(m_cluster, node);
        if (!handle.isOnline()) {
            qWarning() << TestCluster::nodeName(node) << "is not online";
            return false;
        }
    }
    if (nodeHandle(m_cluster, Node::Primary).role() != QPsqlHa::NodeRole::Primary) {
        qWarning() << "the primary lost its role";
        return false;
    }
    return true;
}

quint64 tst_CallerErrors::queriesOnAllNodes() const
{
    quint64 total = 0;
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2})
        total += nodeHandle(m_cluster, node).queries();
    return total;
}

int tst_CallerErrors::count() const
{
    return m_test.queryValue(Node::Primary, u"SELECT count(*) FROM %1"_s.arg(Table)).toInt();
}

void tst_CallerErrors::remoteServerErrorInTransactionKeepsTheTransaction()
{
    const QString remote
        = u"SELECT * FROM dblink('%1', 'select 1') AS x(a int)"_s.arg(m_dblinkTarget);
    // The same steps through QPSQL and QPSQLHA: the same errors, and both rows stored each time.
    QList<Outcome> outcomes[2];
    int stored[2] = {};
    for (int pass = 0; pass < 2; ++pass) {
        QVERIFY(m_test.execOn(Node::Primary, u"TRUNCATE %1"_s.arg(Table)));
        QSqlDatabase db
            = pass == 0 ? m_test.openDirect(Node::Primary, u"callererrors-direct"_s) : open();
        QVERIFY(db.isOpen());
        QSqlQuery query(db);
        QVERIFY(db.transaction());
        for (const QString &sql :
             {u"INSERT INTO %1 VALUES (1)"_s.arg(Table), u"SAVEPOINT s"_s, remote,
              u"ROLLBACK TO SAVEPOINT s"_s, u"INSERT INTO %1 VALUES (2)"_s.arg(Table)}) {
            outcomes[pass].append(run(query, sql));
        }
        QVERIFY2(db.commit(), qPrintable(db.lastError().text()));
        stored[pass] = count();
    }
    QCOMPARE(outcomes[1].size(), outcomes[0].size());
    for (int i = 0; i < outcomes[0].size(); ++i) {
        const Outcome &direct = outcomes[0].at(i);
        const Outcome &ha = outcomes[1].at(i);
        QVERIFY2(direct.ok == ha.ok && direct.type == ha.type && direct.code == ha.code
                     && direct.text == ha.text,
                 qPrintable(u"step %1: QPSQL %2, QPSQLHA %3"_s.arg(i).arg(describe(direct),
                                                                          describe(ha))));
    }
    QCOMPARE(outcomes[1].at(2).code, u"08001"_s);
    QCOMPARE(outcomes[1].at(2).type, QSqlError::StatementError);
    QCOMPARE(stored[0], 2);
    QCOMPARE(stored[1], 2);
    QVERIFY(allNodesOnline());
}

void tst_CallerErrors::remoteServerErrorOnReadMarksNoNode()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(servedBy(query) > 0); // every node counted once at least; connections made
    const quint64 before = queriesOnAllNodes();
    const Outcome outcome
        = run(query, u"SELECT * FROM dblink('%1', 'select 1') AS x(a int)"_s.arg(m_dblinkTarget));
    QVERIFY(!outcome.ok);
    QCOMPARE(outcome.type, QSqlError::StatementError);
    QCOMPARE(outcome.code, u"08001"_s);
    // Ran once, on one node: not retried elsewhere as if its node had failed.
    QCOMPARE(queriesOnAllNodes(), before + 1);
    QVERIFY(allNodesOnline());
    // And the connection goes on as before.
    for (int i = 0; i < 4; ++i)
        QVERIFY(servedBy(query) != m_test.port(Node::Primary));
}

void tst_CallerErrors::readOnlySessionIsNotAFailover()
{
    const QString insert = u"INSERT INTO %1 VALUES (1)"_s.arg(Table);
    Outcome outcomes[2];
    for (int pass = 0; pass < 2; ++pass) {
        QSqlDatabase db
            = pass == 0 ? m_test.openDirect(Node::Primary, u"callererrors-direct"_s) : open();
        QVERIFY(db.isOpen());
        QSqlQuery query(db);
        QVERIFY(query.exec(u"SET default_transaction_read_only = on"_s));
        outcomes[pass] = run(query, insert);
        // Once more: an application that retries gets the same answer, not a loop of failovers.
        const Outcome again = run(query, insert);
        QCOMPARE(again.code, outcomes[pass].code);
        QVERIFY(query.exec(u"SET default_transaction_read_only = off"_s));
        QVERIFY2(query.exec(insert), qPrintable(query.lastError().text()));
    }
    QVERIFY2(
        outcomes[1].type == outcomes[0].type && outcomes[1].code == outcomes[0].code
            && outcomes[1].text == outcomes[0].text,
        qPrintable(u"QPSQL %1, QPSQLHA %2"_s.arg(describe(outcomes[0]), describe(outcomes[1]))));
    QCOMPARE(outcomes[1].type, QSqlError::StatementError);
    QCOMPARE(outcomes[1].code, u"25006"_s);
    QVERIFY(allNodesOnline());
    QCOMPARE(count(), 2);
}

void tst_CallerErrors::temporaryObjectsByAnyName()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const int primary = m_test.port(Node::Primary);
    // Each step makes something temporary; the read after it names it as the server knows it.
    struct Step
    {
        QString ddl;
        QString read; // returns (value, inet_server_port())
        int expected;
    };
    const QList<Step> steps = {
        {u"CREATE TABLE pg_temp.qpsqlha_ce_t1 (a int); INSERT INTO qpsqlha_ce_t1 VALUES (1)"_s,
         u"SELECT a, inet_server_port() FROM qpsqlha_ce_t1"_s, 1},
        {u"CREATE TABLE pg_temp.qpsqlha_ce_t2 AS SELECT 2 AS a"_s,
         u"SELECT a, inet_server_port() FROM qpsqlha_ce_t2"_s, 2},
        {u"CREATE TEMP TABLE qpsqlha_ce_base (a int); INSERT INTO qpsqlha_ce_base VALUES (3)"_s,
         u"SELECT a, inet_server_port() FROM qpsqlha_ce_base"_s, 3},
        // "view qpsqlha_ce_view will be a temporary view"
        {u"CREATE VIEW qpsqlha_ce_view AS SELECT a FROM qpsqlha_ce_base"_s,
         u"SELECT a, inet_server_port() FROM qpsqlha_ce_view"_s, 3},
        {u"CREATE TEMP TABLE qpsqlha_ce_serial (id serial, v int)"_s,
         u"SELECT last_value::int + 3, inet_server_port() FROM qpsqlha_ce_serial_id_seq"_s, 4},
        {u"ALTER TABLE qpsqlha_ce_t1 RENAME TO qpsqlha_ce_renamed"_s,
         u"SELECT a + 4, inet_server_port() FROM qpsqlha_ce_renamed"_s, 5},
        {u"DO $$BEGIN CREATE TEMP TABLE qpsqlha_ce_do AS SELECT 6 AS a; END$$"_s,
         u"SELECT a, inet_server_port() FROM qpsqlha_ce_do"_s, 6},
        {u"CREATE FUNCTION pg_temp.qpsqlha_ce_f() RETURNS int LANGUAGE sql AS 'SELECT 7'"_s,
         u"SELECT pg_temp.qpsqlha_ce_f(), inet_server_port()"_s, 7},
    };
    for (const Step &step : steps) {
        QVERIFY2(query.exec(step.ddl), qPrintable(step.ddl + u": "_s + query.lastError().text()));
        // More than once: the round robin would reach both readers.
        for (int i = 0; i < 3; ++i) {
            QVERIFY2(query.exec(step.read) && query.next(),
                     qPrintable(step.read + u": "_s + query.lastError().text()));
            QCOMPARE(query.value(0).toInt(), step.expected);
            QCOMPARE(query.value(1).toInt(), primary);
        }
    }
    // The name a renamed object gave up is free again.
    QVERIFY(servedBy(query, u"SELECT inet_server_port() FROM (VALUES (1)) AS qpsqlha_ce_t1"_s)
            != primary);
    QVERIFY(allNodesOnline());
}

void tst_CallerErrors::sessionWithoutTemporaryObjectsReadsFromReaders()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    // DDL that makes nothing temporary asks the server once and changes nothing.
    QVERIFY(query.exec(u"CREATE TABLE IF NOT EXISTS qpsqlha_ce_plain (a int)"_s));
    QVERIFY(query.exec(u"ALTER TABLE qpsqlha_ce_plain ADD COLUMN IF NOT EXISTS b int"_s));
    QVERIFY(m_test.waitForReplication());
    for (int i = 0; i < 6; ++i) {
        QVERIFY(servedBy(query,
                         u"SELECT inet_server_port() FROM qpsqlha_ce_plain "
                         "UNION ALL SELECT inet_server_port()"_s)
                != m_test.port(Node::Primary));
    }
    QVERIFY(query.exec(u"DROP TABLE qpsqlha_ce_plain"_s));
}

void tst_CallerErrors::backslashQuotesFollowTheSession()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const int primary = m_test.port(Node::Primary);
    QVERIFY(query.exec(u"SET standard_conforming_strings = off"_s));
    // Read as the server reads it, the advisory lock is a call outside any literal: it is taken
    // on the primary, where the session holds it.
    QVERIFY2(
        query.exec(uR"(SELECT 'it\'s', pg_try_advisory_lock(42), 'it\'s', inet_server_port())"_s)
            && query.next(),
        qPrintable(query.lastError().text()));
    QCOMPARE(query.value(0).toString(), u"it's"_s);
    QVERIFY(query.value(1).toBool());
    QCOMPARE(query.value(3).toInt(), primary);
    QVERIFY(query.exec(u"SELECT pg_advisory_unlock(42)"_s) && query.next());
    QVERIFY(query.value(0).toBool());
    // With the default back, the same text is one literal and a read again.
    QVERIFY(query.exec(u"RESET standard_conforming_strings"_s));
    QVERIFY(query.exec(uR"(SELECT 'a\', inet_server_port())"_s) && query.next());
    QVERIFY(query.value(1).toInt() != primary);
}

void tst_CallerErrors::readerNeverKeepsATransaction()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SET standard_conforming_strings = off"_s));
    // The server sees SELECT 'a'', '; BEGIN; and a comment: the session is in a transaction
    // afterwards, as it is with QPSQL.
    QVERIFY2(query.exec(uR"(SELECT 'a\', ' ; BEGIN; -- ' AS x)"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(!run(query, u"SELECT 1/0"_s).ok);
    QCOMPARE(run(query, u"SELECT 1"_s).code, u"25P02"_s);
    QVERIFY(query.exec(u"ROLLBACK"_s));
    // Nothing of it stayed on a reader: one failing read does not poison the later ones.
    QVERIFY(!run(query, u"SELECT 1/0"_s).ok);
    for (int i = 0; i < 6; ++i) {
        const int port = servedBy(query);
        QVERIFY2(port > 0, qPrintable(query.lastError().text()));
    }
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QCOMPARE(m_test.queryValue(reader,
                                   u"SELECT count(*) FROM pg_stat_activity "
                                   "WHERE state LIKE 'idle in transaction%'"_s),
                 u"0"_s);
    }
    QVERIFY(allNodesOnline());
}

void tst_CallerErrors::readerThatReadsTheTextOtherwiseIsRolledBack()
{
    // The safety net under the classifier: a reader configured otherwise than the primary
    // (standard_conforming_strings off in its postgresql.auto.conf) reads a text the classifier
    // took for one read as a read and a BEGIN. Its connection must not keep that transaction, and
    // the statement runs on the primary, which reads it as the classifier did.
    struct RestoreReader
    {
        TestCluster &test;
        ~RestoreReader()
        {
            test.execOn(Node::Reader1, u"ALTER SYSTEM RESET standard_conforming_strings"_s);
            test.execOn(Node::Reader1, u"SELECT pg_reload_conf()"_s);
        }
    } restore {m_test};
    QString error;
    QVERIFY2(m_test.execOn(Node::Reader1, u"ALTER SYSTEM SET standard_conforming_strings = off"_s,
                           &error),
             qPrintable(error));
    QVERIFY(m_test.execOn(Node::Reader1, u"SELECT pg_reload_conf()"_s));
    QVERIFY(waitUntil(
                [&] {
                    return m_test.queryValue(
                               Node::Reader1,
                               u"SELECT current_setting('standard_conforming_strings')"_s)
                        == u"off"_s;
                },
                5000)
            >= 0);
    // Reader1 only: the read goes there first.
    QSqlDatabase db = haDatabase(u"callererrors"_s, m_cluster, QString(),
                                 m_test.readersOption().section(u',', 0, 0));
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    QVERIFY(servedBy(query) == m_test.port(Node::Reader1));
    QTest::ignoreMessage(
        QtWarningMsg,
        QRegularExpression(u"was left in a transaction by a statement taken for "
                           "a read; rolled back there, running it on the primary"_s));
    QVERIFY2(query.exec(uR"(SELECT 'a\', ' ; BEGIN; -- ', inet_server_port())"_s) && query.next(),
             qPrintable(query.lastError().text()));
    QCOMPARE(query.value(0).toString(), uR"(a\)"_s);
    QCOMPARE(query.value(2).toInt(), m_test.port(Node::Primary));
    QCOMPARE(m_test.queryValue(Node::Reader1,
                               u"SELECT count(*) FROM pg_stat_activity "
                               "WHERE state LIKE 'idle in transaction%'"_s),
             u"0"_s);
    // The connection goes on reading from reader1, outside any transaction.
    for (int i = 0; i < 3; ++i)
        QCOMPARE(servedBy(query), m_test.port(Node::Reader1));
    QVERIFY(nodeHandle(m_cluster, Node::Primary).isOnline());
    QVERIFY(nodeHandle(m_cluster, Node::Reader1).isOnline());
}

QTEST_GUILESS_MAIN(tst_CallerErrors)

#include "tst_callererrors.moc"
