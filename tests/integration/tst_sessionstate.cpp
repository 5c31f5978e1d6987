// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Session state on the live cluster: settings, role and set_config() made through a QPSQLHA
// connection hold on the reads its readers serve (including on reader and primary connections
// re-created after a restart), SET LOCAL and rolled-back SETs do not; reads of temporary tables
// stay on the primary; notifications arrive through QSqlDriver::notification, also after the
// primary was restarted.

#include <hahelpers.h>
#include <testcluster.h>

#include <QtCore/qset.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlrecord.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int HealthIntervalMs = 200;
const QString Schema = u"qpsqlha_state"_s;
const QString Role = u"qpsqlha_state_role"_s;
const QString LateRole = u"qpsqlha_state_late"_s;
const QString Channel = u"qpsqlha_state_chan"_s;

// "SELECT <expression>, inet_server_port()"
QString valueAndPort(const QString &expression, const QString &from = QString())
{
    return u"SELECT %1, inet_server_port()%2"_s.arg(
        expression, from.isEmpty() ? QString() : u" FROM "_s + from);
}

} // namespace

class tst_SessionState : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void searchPathOnReaders();
    void applicationNameOnReaders();
    void replayedOnRestartedReader();
    void readerWithoutTheStateServesNoReads();
    void setLocalIsNotReplayed();
    void onlyCommittedSetsAreReplayed();
    void resetAll();
    void setConfig();
    void setRole();
    void sessionAuthorization();
    void noStateCostsNothing();
    void temporaryTablesStayOnThePrimary();
    void temporaryTablesDroppedOrDiscarded();
    void notifications();
    void notificationsAfterPrimaryRestart();

private:
    QSqlDatabase open(const QString &name = u"state"_s);
    // Runs `sql` (a value and inet_server_port()) until both readers served it; fails if a row
    // came from the primary or with another value than `expected`.
    bool readersAgree(QSqlQuery &query, const QString &sql, const QVariant &expected);
    // The value of `sql` run on the primary through the connection (the hint keeps it there).
    QVariant onPrimary(QSqlQuery &query, const QString &sql);

    QString m_cluster;
    QString m_baselineName; // application_name of a connection that never set it
    QString m_defaultSearchPath;
    TestCluster &m_test = TestCluster::instance();
};

void tst_SessionState::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    const QString setup = uR"(
        DROP SCHEMA IF EXISTS %1 CASCADE;
        CREATE SCHEMA %1;
        CREATE TABLE %1.marker (v text);
        INSERT INTO %1.marker VALUES ('in schema');
        DROP ROLE IF EXISTS %2;
        CREATE ROLE %2 NOLOGIN;
        DROP ROLE IF EXISTS %3;
    )"_s.arg(Schema, Role, LateRole);
    QVERIFY2(m_test.execOn(Node::Primary, setup, &error), qPrintable(error));
    QVERIFY(m_test.waitForReplication());

    m_cluster = uniqueClusterName("state-baseline");
    QSqlDatabase db = open(u"baseline"_s);
    QVERIFY(db.isOpen());
    QSqlQuery query(db);
    QVERIFY2(query.exec(u"SELECT current_setting('application_name'), "
                        "current_setting('search_path')"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(query.next());
    m_baselineName = query.value(0).toString();
    m_defaultSearchPath = query.value(1).toString();
    query = QSqlQuery();
    db = QSqlDatabase();
    dropDatabase(u"baseline"_s);
}

void tst_SessionState::init()
{
    m_cluster = uniqueClusterName("state");
}

void tst_SessionState::cleanup()
{
    dropDatabase(u"state"_s);
    dropDatabase(u"state2"_s);
    // Replay paused by a case must not outlive it.
    m_test.execOn(Node::Reader1, u"SELECT pg_wal_replay_resume()"_s);
    QVERIFY(m_test.ensureAllRunning());
}

void tst_SessionState::cleanupTestCase()
{
    QVERIFY(m_test.ensureAllRunning());
    m_test.execOn(Node::Primary,
                  u"DROP SCHEMA IF EXISTS %1 CASCADE; DROP ROLE IF EXISTS %2; "
                  "DROP ROLE IF EXISTS %3"_s.arg(Schema, Role, LateRole));
}

QSqlDatabase tst_SessionState::open(const QString &name)
{
    // Round robin per statement: the reads of one connection alternate between both readers.
    QSqlDatabase db = haDatabase(
        name, m_cluster,
        u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_READER_AFFINITY=statement;QPSQLHA_POLICY=round_robin"_s
            .arg(HealthIntervalMs));
    if (!db.open())
        qWarning() << "open failed:" << db.lastError().text();
    return db;
}

bool tst_SessionState::readersAgree(QSqlQuery &query, const QString &sql, const QVariant &expected)
{
    QSet<int> ports;
    for (int i = 0; i < 40 && ports.size() < 2; ++i) {
        if (!query.exec(sql) || !query.next()) {
            qWarning() << sql << "failed:" << query.lastError().text();
            return false;
        }
        const int port = query.value(1).toInt();
        if (port == m_test.port(Node::Primary)) {
            qWarning() << sql << "was served by the primary";
            return false;
        }
        if (query.value(0) != expected) {
            qWarning() << sql << "served by" << port << "returned" << query.value(0) << "instead of"
                       << expected;
            return false;
        }
        ports.insert(port);
    }
    if (ports.size() < 2)
        qWarning() << sql << "was served by" << ports << "only";
    return ports.size() == 2;
}

QVariant tst_SessionState::onPrimary(QSqlQuery &query, const QString &sql)
{
    if (!query.exec(u"/*qpsqlha:primary*/ "_s + sql) || !query.next()) {
        qWarning() << sql << "failed:" << query.lastError().text();
        return QVariant();
    }
    return query.value(0);
}

void tst_SessionState::searchPathOnReaders()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    // Without the schema in the path, the readers do not know the table.
    QVERIFY(!query.exec(u"SELECT v FROM marker"_s));

    QVERIFY2(query.exec(u"SET search_path TO %1, public"_s.arg(Schema)),
             qPrintable(query.lastError().text()));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('search_path')"_s),
                         u"%1, public"_s.arg(Schema)));
    QVERIFY(readersAgree(query, valueAndPort(u"v"_s, u"marker"_s), u"in schema"_s));
    QCOMPARE(onPrimary(query, u"SELECT current_setting('search_path')"_s),
             QVariant(u"%1, public"_s.arg(Schema)));
    // Catalog questions see it too, wherever they are answered.
    QCOMPARE(db.record(u"marker"_s).count(), 1);
}

void tst_SessionState::applicationNameOnReaders()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-state-test'"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('application_name')"_s),
                         u"qpsqlha-state-test"_s));
    // The readers' servers see it as well, not only the session's own view.
    QVERIFY(readersAgree(
        query,
        valueAndPort(u"application_name"_s, u"pg_stat_activity WHERE pid = pg_backend_pid()"_s),
        u"qpsqlha-state-test"_s));
    // A later SET of the same setting wins; both readers follow.
    QVERIFY(query.exec(u"SET application_name TO 'qpsqlha-state-second'"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('application_name')"_s),
                         u"qpsqlha-state-second"_s));
}

void tst_SessionState::replayedOnRestartedReader()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const QString sql = valueAndPort(u"current_setting('application_name')"_s);
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-survives-restart'"_s));
    QVERIFY(readersAgree(query, sql, u"qpsqlha-survives-restart"_s));

    QVERIFY(m_test.stopNode(Node::Reader1));
    for (int i = 0; i < 6; ++i) {
        QVERIFY2(query.exec(sql) && query.next(), qPrintable(query.lastError().text()));
        QCOMPARE(query.value(0).toString(), u"qpsqlha-survives-restart"_s);
    }
    QVERIFY(m_test.startNode(Node::Reader1));
    QVERIFY(waitUntil([&] { return nodeHandle(m_cluster, Node::Reader1).isOnline(); }, 15000) >= 0);
    // Reader1's connection is a new one: it got the state before serving a read.
    QVERIFY(readersAgree(query, sql, u"qpsqlha-survives-restart"_s));
}

void tst_SessionState::readerWithoutTheStateServesNoReads()
{
    // Reader1 stops replaying, so a role created now exists on reader2 only.
    QString error;
    QVERIFY2(m_test.execOn(Node::Reader1, u"SELECT pg_wal_replay_pause()"_s, &error),
             qPrintable(error));
    QVERIFY(m_test.execOn(Node::Primary, u"CREATE ROLE %1 NOLOGIN"_s.arg(LateRole)));
    const QString exists = u"SELECT count(*) FROM pg_roles WHERE rolname = '%1'"_s.arg(LateRole);
    QVERIFY(waitUntil([&] { return m_test.queryValue(Node::Reader2, exists) == "1"_L1; }, 10000)
            >= 0);
    QCOMPARE(m_test.queryValue(Node::Reader1, exists), u"0"_s);

    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY2(query.exec(u"SET ROLE %1"_s.arg(LateRole)), qPrintable(query.lastError().text()));
    const quint64 reader1Before = nodeHandle(m_cluster, Node::Reader1).queries();
    for (int i = 0; i < 20; ++i) {
        // Never without the role: reader1 cannot take it, so reader2 serves every read.
        QVERIFY2(query.exec(valueAndPort(u"current_user"_s)) && query.next(),
                 qPrintable(query.lastError().text()));
        QCOMPARE(query.value(0).toString(), LateRole);
        QCOMPARE(query.value(1).toInt(), m_test.port(Node::Reader2));
    }
    QCOMPARE(nodeHandle(m_cluster, Node::Reader1).queries(), reader1Before);
    // It refused the state, but it is not broken: the cluster keeps it online.
    QVERIFY(nodeHandle(m_cluster, Node::Reader1).isOnline());

    // Once it replays again it has the role and serves reads again.
    QVERIFY(m_test.execOn(Node::Reader1, u"SELECT pg_wal_replay_resume()"_s));
    QVERIFY(m_test.waitForReplication());
    QVERIFY(waitUntil(
                [&] {
                    return query.exec(valueAndPort(u"current_user"_s)) && query.next()
                        && query.value(1).toInt() == m_test.port(Node::Reader1);
                },
                10000, 20)
            >= 0);
    QCOMPARE(query.value(0).toString(), LateRole);
    QVERIFY(query.exec(u"RESET ROLE"_s));
    query = QSqlQuery();
    db = QSqlDatabase();
    dropDatabase(u"state"_s);
    QVERIFY(m_test.execOn(Node::Primary, u"DROP ROLE %1"_s.arg(LateRole)));
}

void tst_SessionState::setLocalIsNotReplayed()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const QString sql = valueAndPort(u"current_setting('application_name')"_s);
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"SET LOCAL application_name = 'qpsqlha-local'"_s));
    QVERIFY(query.exec(sql) && query.next());
    QCOMPARE(query.value(0).toString(), u"qpsqlha-local"_s);
    QCOMPARE(query.value(1).toInt(), m_test.port(Node::Primary));
    QVERIFY(db.commit());
    QVERIFY(readersAgree(query, sql, m_baselineName));
    QCOMPARE(onPrimary(query, u"SELECT current_setting('application_name')"_s),
             QVariant(m_baselineName));
}

void tst_SessionState::onlyCommittedSetsAreReplayed()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const QString sql = valueAndPort(u"current_setting('application_name')"_s);

    // QSqlDatabase::transaction() ... rollback(): gone everywhere.
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-rolled-back'"_s));
    QVERIFY(query.exec(sql) && query.next());
    QCOMPARE(query.value(0).toString(), u"qpsqlha-rolled-back"_s);
    QVERIFY(db.rollback());
    QVERIFY(readersAgree(query, sql, m_baselineName));
    QCOMPARE(onPrimary(query, u"SELECT current_setting('application_name')"_s),
             QVariant(m_baselineName));

    // The same with raw BEGIN ... ROLLBACK.
    QVERIFY(query.exec(u"BEGIN"_s));
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-raw-rolled-back'"_s));
    QVERIFY(query.exec(u"ROLLBACK"_s));
    QVERIFY(readersAgree(query, sql, m_baselineName));

    // Raw BEGIN ... COMMIT: from the commit on.
    QVERIFY(query.exec(u"BEGIN"_s));
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-committed'"_s));
    QVERIFY(query.exec(u"COMMIT"_s));
    QVERIFY(readersAgree(query, sql, u"qpsqlha-committed"_s));

    // QSqlDatabase::transaction() ... commit().
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-api-committed'"_s));
    QVERIFY(db.commit());
    QVERIFY(readersAgree(query, sql, u"qpsqlha-api-committed"_s));

    // A failed transaction's COMMIT is a ROLLBACK.
    QVERIFY(query.exec(u"BEGIN"_s));
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-aborted'"_s));
    QVERIFY(!query.exec(u"SELECT 1 / 0"_s));
    QVERIFY(query.exec(u"COMMIT"_s));
    QVERIFY(readersAgree(query, sql, u"qpsqlha-api-committed"_s));
    QCOMPARE(onPrimary(query, u"SELECT current_setting('application_name')"_s),
             QVariant(u"qpsqlha-api-committed"_s));

    // One string with its own transaction.
    QVERIFY(query.exec(u"BEGIN; SET application_name = 'qpsqlha-one-string'; COMMIT"_s));
    QVERIFY(readersAgree(query, sql, u"qpsqlha-one-string"_s));
}

void tst_SessionState::resetAll()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-before-reset'"_s));
    QVERIFY(query.exec(u"SET search_path = %1, public"_s.arg(Schema)));
    QVERIFY(query.exec(u"SET work_mem = '7MB'"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('work_mem')"_s), u"7MB"_s));
    QVERIFY(query.exec(u"RESET ALL"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('application_name')"_s),
                         m_baselineName));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('search_path')"_s),
                         m_defaultSearchPath));
    const QVariant defaultWorkMem = onPrimary(query, u"SELECT current_setting('work_mem')"_s);
    QVERIFY(defaultWorkMem != QVariant(u"7MB"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('work_mem')"_s), defaultWorkMem));

    // RESET of one setting.
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-one'"_s));
    QVERIFY(query.exec(u"SET search_path = %1, public"_s.arg(Schema)));
    QVERIFY(query.exec(u"RESET application_name"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('application_name')"_s),
                         m_baselineName));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('search_path')"_s),
                         u"%1, public"_s.arg(Schema)));

    // DISCARD ALL resets everything as well.
    QVERIFY(query.exec(u"DISCARD ALL"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('search_path')"_s),
                         m_defaultSearchPath));
}

void tst_SessionState::setConfig()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const QString sql = valueAndPort(u"current_setting('application_name')"_s);
    QVERIFY(query.exec(u"SELECT set_config('application_name', 'qpsqlha-set-config', false)"_s));
    QVERIFY(readersAgree(query, sql, u"qpsqlha-set-config"_s));

    // Custom settings, as row-level security policies use them.
    QVERIFY(query.exec(u"SELECT set_config('qpsqlha.user_id', '42', false)"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('qpsqlha.user_id')"_s), u"42"_s));

    // Prepared, with bound values: replayed with the same values.
    QVERIFY(query.prepare(u"SELECT set_config('application_name', ?, false)"_s));
    query.addBindValue(u"qpsqlha-prepared"_s);
    QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
    QVERIFY(readersAgree(query, sql, u"qpsqlha-prepared"_s));
    QVERIFY(query.prepare(u"SELECT set_config('application_name', ?, false)"_s));
    query.addBindValue(u"qpsqlha-prepared-again"_s);
    QVERIFY(query.exec());
    QVERIFY(readersAgree(query, sql, u"qpsqlha-prepared-again"_s));

    // is_local true lasts until the end of the transaction: nothing to replay.
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"SELECT set_config('application_name', 'qpsqlha-local', true)"_s));
    QVERIFY(db.commit());
    QVERIFY(readersAgree(query, sql, u"qpsqlha-prepared-again"_s));
}

void tst_SessionState::setRole()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const QString sql = valueAndPort(u"current_user"_s);
    QVERIFY2(query.exec(u"SET ROLE %1"_s.arg(Role)), qPrintable(query.lastError().text()));
    QVERIFY(readersAgree(query, sql, Role));
    QCOMPARE(onPrimary(query, u"SELECT current_user"_s), QVariant(Role));
    // RESET ALL leaves the role alone, on the primary and on the readers.
    QVERIFY(query.exec(u"RESET ALL"_s));
    QVERIFY(readersAgree(query, sql, Role));
    QVERIFY(query.exec(u"RESET ROLE"_s));
    QVERIFY(readersAgree(query, sql, m_test.user()));
}

void tst_SessionState::sessionAuthorization()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    QVERIFY2(query.exec(u"SET SESSION AUTHORIZATION %1"_s.arg(Role)),
             qPrintable(query.lastError().text()));
    QVERIFY(readersAgree(query, valueAndPort(u"session_user"_s), Role));
    QVERIFY(query.exec(u"RESET SESSION AUTHORIZATION"_s));
    QVERIFY(readersAgree(query, valueAndPort(u"session_user"_s), m_test.user()));
}

void tst_SessionState::noStateCostsNothing()
{
    // Figures only: reads of a connection without state and of one with a few settings,
    // once every reader has them (a version comparison per read either way).
    QSqlDatabase db = open();
    QSqlQuery query(db);
    auto time = [&query] {
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 300; ++i) {
            if (!query.exec(u"SELECT 1"_s) || !query.next())
                return qint64(-1);
        }
        return timer.nsecsElapsed() / 300;
    };
    QVERIFY(time() > 0); // warm up both readers
    const qint64 without = time();
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-figures'"_s));
    QVERIFY(query.exec(u"SET search_path = %1, public"_s.arg(Schema)));
    QVERIFY(query.exec(u"SET work_mem = '8MB'"_s));
    QVERIFY(time() > 0);
    const qint64 with = time();
    qInfo() << "read round trip without session state:" << without / 1000
            << "us, with 3 settings:" << with / 1000 << "us";
    QVERIFY(without > 0 && with > 0);
}

void tst_SessionState::temporaryTablesStayOnThePrimary()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const int primary = m_test.port(Node::Primary);
    QVERIFY2(query.exec(u"CREATE TEMP TABLE qpsqlha_tmp_items (id int)"_s),
             qPrintable(query.lastError().text()));
    QVERIFY(query.exec(u"INSERT INTO qpsqlha_tmp_items VALUES (1), (2), (3)"_s));
    for (int i = 0; i < 6; ++i) {
        QVERIFY2(query.exec(valueAndPort(u"count(*)"_s, u"qpsqlha_tmp_items"_s)) && query.next(),
                 qPrintable(query.lastError().text()));
        QCOMPARE(query.value(0).toInt(), 3);
        QCOMPARE(query.value(1).toInt(), primary);
    }
    // Any spelling of the name, and pg_temp.
    for (const QString &from :
         {u"QPSQLHA_TMP_ITEMS"_s, u"\"qpsqlha_tmp_items\""_s, u"pg_temp.qpsqlha_tmp_items"_s}) {
        QVERIFY2(query.exec(valueAndPort(u"count(*)"_s, from)) && query.next(),
                 qPrintable(query.lastError().text()));
        QCOMPARE(query.value(0).toInt(), 3);
        QCOMPARE(query.value(1).toInt(), primary);
    }
    // Quoted names keep their case; SELECT INTO TEMP and temporary views count too.
    QVERIFY(query.exec(u"CREATE TEMPORARY TABLE \"Qpsqlha Tmp\" AS SELECT 7 AS v"_s));
    QVERIFY(query.exec(valueAndPort(u"v"_s, u"\"Qpsqlha Tmp\""_s)) && query.next());
    QCOMPARE(query.value(0).toInt(), 7);
    QCOMPARE(query.value(1).toInt(), primary);
    QVERIFY(query.exec(u"SELECT id INTO TEMP qpsqlha_tmp_copy FROM qpsqlha_tmp_items"_s));
    QVERIFY(query.exec(valueAndPort(u"sum(id)"_s, u"qpsqlha_tmp_copy"_s)) && query.next());
    QCOMPARE(query.value(0).toInt(), 6);
    QCOMPARE(query.value(1).toInt(), primary);
    QVERIFY(query.exec(u"CREATE TEMP VIEW qpsqlha_tmp_view AS SELECT max(id) AS m "
                       "FROM qpsqlha_tmp_items"_s));
    QVERIFY(query.exec(valueAndPort(u"m"_s, u"qpsqlha_tmp_view"_s)) && query.next());
    QCOMPARE(query.value(0).toInt(), 3);
    QCOMPARE(query.value(1).toInt(), primary);

    // Everything else still goes to the readers.
    QVERIFY(readersAgree(query, valueAndPort(u"v"_s, u"%1.marker"_s.arg(Schema)), u"in schema"_s));
    // Another connection has no temporary tables: the same name is nothing special there.
    QSqlDatabase other = open(u"state2"_s);
    QSqlQuery otherQuery(other);
    QVERIFY(
        readersAgree(otherQuery, valueAndPort(u"1"_s, u"(VALUES (1)) AS qpsqlha_tmp_items"_s), 1));
}

void tst_SessionState::temporaryTablesDroppedOrDiscarded()
{
    QSqlDatabase db = open();
    QSqlQuery query(db);
    const int primary = m_test.port(Node::Primary);
    // A read that only mentions the name (as an alias) shows where such reads go.
    auto servedFor = [&query](const QString &name) {
        return servedBy(query, u"SELECT inet_server_port() FROM (VALUES (1)) AS %1"_s.arg(name));
    };
    QVERIFY(query.exec(u"CREATE TEMP TABLE qpsqlha_tmp_a (id int)"_s));
    QVERIFY(query.exec(u"CREATE TEMP TABLE qpsqlha_tmp_b (id int)"_s));
    QCOMPARE(servedFor(u"qpsqlha_tmp_a"_s), primary);
    QCOMPARE(servedFor(u"qpsqlha_tmp_b"_s), primary);

    QVERIFY(query.exec(u"DROP TABLE qpsqlha_tmp_a"_s));
    QVERIFY(servedFor(u"qpsqlha_tmp_a"_s) != primary);
    QCOMPARE(servedFor(u"qpsqlha_tmp_b"_s), primary);

    // A temporary table created in a rolled-back transaction never existed.
    QVERIFY(db.transaction());
    QVERIFY(query.exec(u"CREATE TEMP TABLE qpsqlha_tmp_c (id int)"_s));
    QVERIFY(db.rollback());
    QVERIFY(servedFor(u"qpsqlha_tmp_c"_s) != primary);

    QVERIFY(query.exec(u"DISCARD TEMP"_s));
    QVERIFY(servedFor(u"qpsqlha_tmp_b"_s) != primary);
}

void tst_SessionState::notifications()
{
    QSqlDatabase db = open();
    QSqlDriver *driver = db.driver();
    QSignalSpy spy(driver, &QSqlDriver::notification);
    QVERIFY(spy.isValid());
    QVERIFY2(driver->subscribeToNotification(Channel), qPrintable(driver->lastError().text()));
    QCOMPARE(driver->subscribedToNotifications(), QStringList {Channel});

    // From another session: OtherSource, with the payload.
    QVERIFY(m_test.execOn(Node::Primary, u"NOTIFY %1, 'from outside'"_s.arg(Channel)));
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 10000);
    QCOMPARE(spy.at(0).at(0).toString(), Channel);
    QCOMPARE(spy.at(0).at(1).value<QSqlDriver::NotificationSource>(), QSqlDriver::OtherSource);
    QCOMPARE(spy.at(0).at(2).toString(), u"from outside"_s);

    // From this connection (NOTIFY and pg_notify() run on the primary): SelfSource.
    QSqlQuery query(db);
    QVERIFY(query.exec(u"NOTIFY %1, 'from here'"_s.arg(Channel)));
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, 10000);
    QCOMPARE(spy.at(1).at(1).value<QSqlDriver::NotificationSource>(), QSqlDriver::SelfSource);
    QCOMPARE(spy.at(1).at(2).toString(), u"from here"_s);
    QVERIFY(query.exec(u"SELECT pg_notify('%1', 'via pg_notify')"_s.arg(Channel)));
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 3, 10000);
    QCOMPARE(spy.at(2).at(2).toString(), u"via pg_notify"_s);

    // Raw LISTEN runs on the primary's connection.
    QVERIFY(query.exec(u"LISTEN qpsqlha_state_raw"_s));
    QVERIFY(query.exec(u"/*qpsqlha:primary*/ SELECT string_agg(c, ',' ORDER BY c) "
                       "FROM pg_listening_channels() AS c"_s)
            && query.next());
    QCOMPARE(query.value(0).toString(), u"%1,qpsqlha_state_raw"_s.arg(Channel));

    QVERIFY(driver->unsubscribeFromNotification(Channel));
    QVERIFY(driver->subscribedToNotifications().isEmpty());
    QVERIFY(m_test.execOn(Node::Primary, u"NOTIFY %1, 'nobody listens'"_s.arg(Channel)));
    QTest::qWait(500);
    QCOMPARE(spy.size(), 3);
}

void tst_SessionState::notificationsAfterPrimaryRestart()
{
    QSqlDatabase db = open();
    QSqlDriver *driver = db.driver();
    QSignalSpy spy(driver, &QSqlDriver::notification);
    QVERIFY2(driver->subscribeToNotification(Channel), qPrintable(driver->lastError().text()));
    QSqlQuery query(db);
    QVERIFY(query.exec(u"LISTEN qpsqlha_state_raw"_s));
    QVERIFY(query.exec(u"SET application_name = 'qpsqlha-primary-restart'"_s));
    QVERIFY(m_test.execOn(Node::Primary, u"NOTIFY %1, 'before'"_s.arg(Channel)));
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 10000);

    QVERIFY(m_test.stopNode(Node::Primary));
    QVERIFY(m_test.startNode(Node::Primary));
    QElapsedTimer sinceStart;
    sinceStart.start();
    // No statement from the application: the driver notices the lost connection by itself,
    // makes a new one and subscribes there again.
    bool delivered = false;
    while (!delivered && sinceStart.elapsed() < 30000) {
        spy.clear();
        QVERIFY(m_test.execOn(Node::Primary, u"NOTIFY %1, 'after'"_s.arg(Channel)));
        if (spy.wait(300) || !spy.isEmpty()) {
            delivered = spy.at(0).at(2).toString() == "after"_L1;
            QCOMPARE(spy.at(0).at(1).value<QSqlDriver::NotificationSource>(),
                     QSqlDriver::OtherSource);
        }
    }
    QVERIFY(delivered);
    qInfo() << "first notification delivered" << sinceStart.elapsed()
            << "ms after the primary was started again, without a statement";
    QCOMPARE(driver->subscribedToNotifications(), QStringList {Channel});

    // The new primary connection got the session's settings and raw LISTENs back too.
    QCOMPARE(onPrimary(query, u"SELECT current_setting('application_name')"_s),
             QVariant(u"qpsqlha-primary-restart"_s));
    QVERIFY(query.exec(u"/*qpsqlha:primary*/ SELECT string_agg(c, ',' ORDER BY c) "
                       "FROM pg_listening_channels() AS c"_s)
            && query.next());
    QCOMPARE(query.value(0).toString(), u"%1,qpsqlha_state_raw"_s.arg(Channel));
    QVERIFY(readersAgree(query, valueAndPort(u"current_setting('application_name')"_s),
                         u"qpsqlha-primary-restart"_s));
}

QTEST_MAIN(tst_SessionState)

#include "tst_sessionstate.moc"
