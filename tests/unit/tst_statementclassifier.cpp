// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include <qpsqlhasessionsql_p.h>
#include <qpsqlhastatementclassifier.h>

#include <QtCore/qrandom.h>
#include <QtCore/qset.h>
#include <QtTest/qtest.h>

#include <iterator>
#include <utility>
#include <vector>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(QPsqlHa::Classification::Route)
Q_DECLARE_METATYPE(QPsqlHa::Classification::Reason)

namespace {

constexpr auto Reader = Classification::Reader;
constexpr auto Primary = Classification::Primary;

constexpr auto ReadOnly = Classification::ReadOnly;
constexpr auto NotAQuery = Classification::NotAQuery;
constexpr auto Empty = Classification::Empty;
constexpr auto PrimaryHint = Classification::PrimaryHint;
constexpr auto MultiStatement = Classification::MultiStatement;
constexpr auto LockingClause = Classification::LockingClause;
constexpr auto SelectInto = Classification::SelectInto;
constexpr auto DataModifying = Classification::DataModifying;
constexpr auto WriteFunction = Classification::WriteFunction;
constexpr auto ExplainAnalyzeWrite = Classification::ExplainAnalyzeWrite;

constexpr int NoFlags = Classification::NoFlags;
constexpr int Begins = Classification::BeginsTransaction;
constexpr int Ends = Classification::EndsTransaction;
constexpr int Session = Classification::ChangesSessionState;
constexpr int TempTable = Classification::CreatesTempTable;
constexpr int Listens = Classification::Listens;

const char *routeName(Classification::Route route)
{
    return route == Reader ? "reader" : "primary";
}

QByteArray flagNames(int flags)
{
    static constexpr std::pair<int, const char *> names[] = {
        {Begins, "BeginsTransaction"},
        {Ends, "EndsTransaction"},
        {Session, "ChangesSessionState"},
        {TempTable, "CreatesTempTable"},
        {Listens, "Listens"},
    };
    QByteArray result;
    for (const auto &[flag, name] : names) {
        if (flags & flag)
            result += (result.isEmpty() ? "" : "|") + QByteArray(name);
    }
    return result.isEmpty() ? QByteArray("NoFlags") : result;
}

// Data tags show the statement itself, with control characters made visible.
QByteArray tagFor(QStringView sql)
{
    QByteArray tag;
    for (QChar c : sql) {
        if (c == u'\n')
            tag += "\\n";
        else if (c == u'\t')
            tag += "\\t";
        else if (c == u'\r')
            tag += "\\r";
        else if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            tag += "\\x" + QByteArray::number(c.unicode(), 16);
        else
            tag += QString(c).toUtf8();
    }
    return tag.isEmpty() ? QByteArray("<empty>") : tag;
}

void addColumns()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<Classification::Route>("route");
    QTest::addColumn<Classification::Reason>("reason");
    QTest::addColumn<int>("flags");
}

void row(const QString &sql, Classification::Route route, Classification::Reason reason,
         int flags = NoFlags)
{
    QTest::addRow("%s", tagFor(sql).constData()) << sql << route << reason << flags;
}

void row(const char *sql, Classification::Route route, Classification::Reason reason,
         int flags = NoFlags)
{
    row(QString::fromUtf8(sql), route, reason, flags);
}

// Classifies a copy of sql in a buffer of exactly its size, so that AddressSanitizer catches
// any read past the end (a QString is followed by a terminating null).
Classification classifyExact(const StatementClassifier &classifier, QStringView sql)
{
    const std::vector<char16_t> exact(sql.utf16(), sql.utf16() + sql.size());
    return classifier.classify(QStringView(exact.data(), qsizetype(exact.size())));
}

void check(const StatementClassifier &classifier)
{
    QFETCH(QString, sql);
    QFETCH(Classification::Route, route);
    QFETCH(Classification::Reason, reason);
    QFETCH(int, flags);

    const Classification result = classifyExact(classifier, sql);
    QCOMPARE(routeName(result.route), routeName(route));
    QCOMPARE(StatementClassifier::reasonName(result.reason),
             StatementClassifier::reasonName(reason));
    QCOMPARE(flagNames(result.flags), flagNames(flags));
    QCOMPARE(result.isRead(), route == Reader);

    // Whatever a read looks like, a write appended to it must reach the primary.
    if (route == Reader) {
        const Classification appended = classifier.classify(QString(sql + u"\n;DELETE FROM t"_s));
        QCOMPARE(routeName(appended.route), routeName(Primary));
        QCOMPARE(StatementClassifier::reasonName(appended.reason),
                 StatementClassifier::reasonName(MultiStatement));
    }
}

} // namespace

class tst_StatementClassifier : public QObject
{
    Q_OBJECT

private slots:
    void reads_data();
    void reads() { check(m_classifier); }
    void writes_data();
    void writes() { check(m_classifier); }
    void literalsAndComments_data();
    void literalsAndComments() { check(m_classifier); }
    void readsThatWrite_data();
    void readsThatWrite() { check(m_classifier); }
    void writeFunctions_data();
    void writeFunctions() { check(m_classifier); }
    void explain_data();
    void explain() { check(m_classifier); }
    void flags_data();
    void flags() { check(m_classifier); }
    void multipleStatements_data();
    void multipleStatements() { check(m_classifier); }
    void primaryHint_data();
    void primaryHint() { check(m_classifier); }
    void emptyAndGarbage_data();
    void emptyAndGarbage() { check(m_classifier); }
    void extraWriteFunctions_data();
    void extraWriteFunctions();

    void longStatement();
    void truncatedStatements();
    void randomGarbage();
    void reasonNames();

    // Session state helpers (qpsqlhasessionsql_p.h).
    void sessionStatements_data();
    void sessionStatements();
    void temporaryObjectNames_data();
    void temporaryObjectNames();
    void droppedObjectNames_data();
    void droppedObjectNames();
    void mentionsAnyName_data();
    void mentionsAnyName();

private:
    const StatementClassifier m_classifier;
};

void tst_StatementClassifier::reads_data()
{
    addColumns();
    row("SELECT 1", Reader, ReadOnly);
    row("select 1", Reader, ReadOnly);
    row("SeLeCt * FrOm t", Reader, ReadOnly);
    row("SELECT * FROM t WHERE id = $1 AND name = $2", Reader, ReadOnly);
    row("SELECT $1::text", Reader, ReadOnly);
    row("VALUES (1), (2)", Reader, ReadOnly);
    row("values (1)", Reader, ReadOnly);
    row("TABLE t", Reader, ReadOnly);
    row("table public.t", Reader, ReadOnly);
    row("SHOW search_path", Reader, ReadOnly);
    row("show all", Reader, ReadOnly);
    row("WITH x AS (SELECT 1) SELECT * FROM x", Reader, ReadOnly);
    row("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
        "SELECT * FROM r",
        Reader, ReadOnly);
    row("WITH x AS MATERIALIZED (SELECT 1), y AS NOT MATERIALIZED (SELECT 2) TABLE x", Reader,
        ReadOnly);
    row("(SELECT 1) UNION (SELECT 2)", Reader, ReadOnly);
    row("((SELECT 1))", Reader, ReadOnly);
    row("( ( VALUES (1) ) )", Reader, ReadOnly);
    row("(TABLE t) EXCEPT (SELECT * FROM u)", Reader, ReadOnly);
    row("SELECT pg_sleep(1)", Reader, ReadOnly);
    row("SELECT now()", Reader, ReadOnly);
    row("SELECT current_setting('search_path')", Reader, ReadOnly);
    row("SELECT pg_is_in_recovery(), version()", Reader, ReadOnly);
    row("SELECT id, row_number() OVER (PARTITION BY g ORDER BY id) FROM t", Reader, ReadOnly);
    row("SELECT sum(x) OVER w FROM t WINDOW w AS (ORDER BY id)", Reader, ReadOnly);
    row("SELECT count(*) FILTER (WHERE x > 0) FROM t", Reader, ReadOnly);
    row("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE u.x = t.x)", Reader, ReadOnly);
    row("SELECT * FROM generate_series(1, 10) AS g(n)", Reader, ReadOnly);
    row("SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 5", Reader, ReadOnly);
    row("SELECT 1.5e10, .5, 1e-3, 0x1F, 1_000", Reader, ReadOnly);
    row("SELECT ARRAY[1, 2][1:2], '{1}'::int[]", Reader, ReadOnly);
    row("SELECT count(*) FROM t;", Reader, ReadOnly);
    row("SELECT 1;;;", Reader, ReadOnly);
    row("\n\t  SELECT 1", Reader, ReadOnly);
    row("\r\n\f\vSELECT\t1\r\n", Reader, ReadOnly);
    row("SELECT * FROM updates WHERE insert_date > now() AND deleted_by IS NULL", Reader, ReadOnly);
    row("SELECT t.update, t.delete, t.into FROM t", Reader, ReadOnly);
    row("SELECT 1 AS insert, 2 AS merge", Reader, ReadOnly);
    row("SELECT substring(name FOR 2) FROM t", Reader, ReadOnly);
    row("SELECT substring(name FROM 1 FOR 3) FROM t", Reader, ReadOnly);
    row("SELECT overlay(name PLACING 'x' FROM 1 FOR 2) FROM t", Reader, ReadOnly);
    row("SELECT * FROM t FOR READ ONLY", Reader, ReadOnly);
    row("SELECT a$b$c, _x, \xc3\xa9t\xc3\xa9 FROM t", Reader, ReadOnly);
    row("SELECT txid_current_snapshot(), pg_advisory_info(), nextvalue(1), my_nextval('s')", Reader,
        ReadOnly);
    row("SELECT nextval, setval FROM sequences_log", Reader, ReadOnly);
    row("SELECT lo_oid FROM blobs", Reader, ReadOnly);
}

void tst_StatementClassifier::writes_data()
{
    addColumns();
    row("INSERT INTO t VALUES (1)", Primary, NotAQuery);
    row("insert into t values (1)", Primary, NotAQuery);
    row("UPDATE t SET a = 1", Primary, NotAQuery);
    row("DELETE FROM t", Primary, NotAQuery);
    row("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", Primary, NotAQuery);
    row("(INSERT INTO t VALUES (1))", Primary, NotAQuery);
    row("CREATE TABLE t (id int)", Primary, NotAQuery);
    row("CREATE UNLOGGED TABLE t (id int)", Primary, NotAQuery);
    row("CREATE TABLE t (temp int)", Primary, NotAQuery);
    row("ALTER TABLE t ADD COLUMN c int", Primary, NotAQuery);
    row("DROP TABLE t", Primary, NotAQuery);
    row("TRUNCATE t", Primary, NotAQuery);
    row("GRANT SELECT ON t TO r", Primary, NotAQuery);
    row("COPY t TO STDOUT", Primary, NotAQuery);
    row("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv)", Primary, NotAQuery);
    row("COPY t FROM STDIN", Primary, NotAQuery);
    row("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", Primary, NotAQuery);
    row("CALL p(1)", Primary, NotAQuery);
    row("DO $$BEGIN PERFORM 1; END$$", Primary, NotAQuery);
    row("NOTIFY ch, 'payload'", Primary, NotAQuery);
    row("DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", Primary, NotAQuery);
    row("FETCH 10 FROM c", Primary, NotAQuery);
    row("MOVE NEXT IN c", Primary, NotAQuery);
    row("CLOSE c", Primary, NotAQuery);
    row("PREPARE p(int) AS SELECT $1", Primary, NotAQuery);
    row("EXECUTE p(1)", Primary, NotAQuery);
    row("DEALLOCATE ALL", Primary, NotAQuery);
    row("SAVEPOINT a", Primary, NotAQuery);
    row("RELEASE SAVEPOINT a", Primary, NotAQuery);
    row("VACUUM (ANALYZE) t", Primary, NotAQuery);
    row("ANALYZE t", Primary, NotAQuery);
    row("REFRESH MATERIALIZED VIEW CONCURRENTLY v", Primary, NotAQuery);
    row("CLUSTER t USING t_pkey", Primary, NotAQuery);
    row("REINDEX TABLE t", Primary, NotAQuery);
    row("COMMENT ON TABLE t IS 'SELECT'", Primary, NotAQuery);
    row("SECURITY LABEL ON TABLE t IS 'x'", Primary, NotAQuery);
    row("IMPORT FOREIGN SCHEMA s FROM SERVER f INTO l", Primary, NotAQuery);
    row("LOAD 'auto_explain'", Primary, NotAQuery);
    row("CHECKPOINT", Primary, NotAQuery);
    row("SELECTX 1", Primary, NotAQuery);
    row("frobnicate the database", Primary, NotAQuery);
    row("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
        Primary, NotAQuery);
    row("CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 END;\n  SELECT 2;\nEND;",
        Primary, NotAQuery);
}

void tst_StatementClassifier::literalsAndComments_data()
{
    addColumns();
    row("SELECT 'insert; delete' FROM t", Reader, ReadOnly);
    row("SELECT 'it''s; DELETE FROM t' FROM t", Reader, ReadOnly);
    row("SELECT '' FROM t", Reader, ReadOnly);
    row("SELECT 'FOR UPDATE', 'INTO', 'nextval(' || x FROM t", Reader, ReadOnly);
    row("SELECT '/*', '--', '$$' FROM t", Reader, ReadOnly);
    row("SELECT E'it\\'s; DELETE FROM t' FROM t", Reader, ReadOnly);
    row("SELECT e'\\\\', E'\\n; update t set a = 1' FROM t", Reader, ReadOnly);
    row("SELECT E'a''b\\'; insert' FROM t", Reader, ReadOnly);
    row("SELECT U&'d\\0061t\\+000061; DROP TABLE t' FROM t", Reader, ReadOnly);
    row("SELECT u&'\\\\' FROM t", Reader, ReadOnly);
    row("SELECT U&\"d\\0061t\\+000061\" FROM t", Reader, ReadOnly);
    row("SELECT \"update\" FROM t", Reader, ReadOnly);
    row("SELECT \"for\", \"update\" FROM t", Reader, ReadOnly);
    row("SELECT \"a\"\"; delete\" FROM t", Reader, ReadOnly);
    row("SELECT \"nextval\" FROM t", Reader, ReadOnly);
    row("SELECT $$insert; delete$$", Reader, ReadOnly);
    row("SELECT $tag$ ; DELETE FROM t; $$ nested $$ $tag$ FROM t", Reader, ReadOnly);
    row("SELECT $delete$ ; UPDATE t SET a = 1; $delete$", Reader, ReadOnly);
    row("SELECT $a$ $b$ ; TRUNCATE t $b$ $a$", Reader, ReadOnly);
    row("SELECT $_1$ nextval('s') $_1$", Reader, ReadOnly);
    row("SELECT $$$$, $x$$x$", Reader, ReadOnly);
    row("SELECT $body$ $BODY$; DROP TABLE t $body$", Reader, ReadOnly);
    row("SELECT x::text FROM t WHERE y = $1 AND z = $2", Reader, ReadOnly);
    row("SELECT 1 -- ; drop table x", Reader, ReadOnly);
    row("SELECT 1 --", Reader, ReadOnly);
    row("SELECT 1 -- comment\n", Reader, ReadOnly);
    row("SELECT 1 /* ; DELETE FROM t */", Reader, ReadOnly);
    row("SELECT 1 +/* c */ 2, 3 +-- c\n 4", Reader, ReadOnly);
    row("-- comment\nSELECT 1", Reader, ReadOnly);
    row("--\r\nSELECT 1", Reader, ReadOnly);
    row("-- first\n-- second; DELETE FROM t\n  SELECT 1", Reader, ReadOnly);
    row("/* comment */ SELECT 1", Reader, ReadOnly);
    row("/**/SELECT/**/1", Reader, ReadOnly);
    row("/* outer /* inner */ still comment */ SELECT 1", Reader, ReadOnly);
    row("/* outer /* inner */ ; DELETE FROM t */ SELECT 1", Reader, ReadOnly);
    row("/* a /* b /* c */ */ */ (/* d */ SELECT 1)", Reader, ReadOnly);
    row("/* ** / * */ SELECT 1", Reader, ReadOnly);
    row("(\n  -- c\n  SELECT 1\n)", Reader, ReadOnly);
    row("SELECT 'a'\n'b' FROM t", Reader, ReadOnly);
}

void tst_StatementClassifier::readsThatWrite_data()
{
    addColumns();
    row("SELECT * FROM t FOR UPDATE", Primary, LockingClause);
    row("SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", Primary, LockingClause);
    row("select * from t for no key update", Primary, LockingClause);
    row("SELECT * FROM t FOR SHARE NOWAIT", Primary, LockingClause);
    row("SELECT * FROM t FOR KEY SHARE", Primary, LockingClause);
    row("SELECT * FROM t For Update", Primary, LockingClause);
    row("SELECT * FROM t FOR /* c */ UPDATE", Primary, LockingClause);
    row("SELECT * FROM t\nFOR\n-- c\nUPDATE", Primary, LockingClause);
    row("SELECT * FROM t LIMIT 1 FOR UPDATE", Primary, LockingClause);
    row("SELECT * FROM t LIMIT 1.FOR UPDATE", Primary, LockingClause);
    row("SELECT * FROM t LIMIT 1FOR UPDATE", Primary, LockingClause);
    row("SELECT substring(x FOR 2) FROM t FOR UPDATE", Primary, LockingClause);
    row("WITH x AS (SELECT * FROM t FOR UPDATE) SELECT * FROM x", Primary, LockingClause);
    row("(SELECT * FROM t FOR UPDATE)", Primary, LockingClause);
    row("SELECT * FROM t WHERE id IN (SELECT id FROM u FOR SHARE)", Primary, LockingClause);
    row("SELECT * INTO t2 FROM t", Primary, SelectInto);
    row("select a into TEMPORARY t2 from t", Primary, SelectInto, TempTable);
    row("SELECT a INTO TEMP TABLE t2 FROM t", Primary, SelectInto, TempTable);
    row("SELECT a INTO LOCAL TEMP t2 FROM t", Primary, SelectInto, TempTable);
    row("SELECT a INTO UNLOGGED t2 FROM t", Primary, SelectInto);
    row("WITH x AS (SELECT 1) SELECT * INTO t2 FROM x", Primary, SelectInto);
    row("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", Primary, DataModifying);
    row("WITH x AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM x", Primary,
        DataModifying);
    row("WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT count(*) FROM x", Primary,
        DataModifying);
    row("WITH x AS (\n  delete from t\n  returning *\n)\nselect * from x", Primary, DataModifying);
    row("with x as (select 1) insert into t select * from x", Primary, DataModifying);
    row("WITH x AS (SELECT 1) UPDATE t SET a = 1", Primary, DataModifying);
    row("WITH x AS (SELECT 1) DELETE FROM t", Primary, DataModifying);
    row("WITH x AS (SELECT 1) MERGE INTO t USING x ON true WHEN MATCHED THEN DELETE", Primary,
        DataModifying);
    row("WITH x AS NOT MATERIALIZED (DELETE FROM t RETURNING *) TABLE x", Primary, DataModifying);
    row("((WITH x AS (DELETE FROM t RETURNING *) SELECT 1))", Primary, DataModifying);
    // Conservative: an unquoted column named like a statement is not worth telling apart.
    row("SELECT update FROM t", Primary, DataModifying);
    row("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x FOR UPDATE", Primary, DataModifying);
    row("SELECT * FROM t FOR UPDATE; -- then INTO", Primary, LockingClause);
}

void tst_StatementClassifier::writeFunctions_data()
{
    addColumns();
    row("SELECT nextval('s')", Primary, WriteFunction);
    row("select NEXTVAL ('s')", Primary, WriteFunction);
    row("SELECT nextval /* c */ ('s')", Primary, WriteFunction);
    row("SELECT nextval\n(\n's'\n)", Primary, WriteFunction);
    row("SELECT pg_catalog.setval('s', 1)", Primary, WriteFunction);
    row("SELECT pg_catalog . setval('s', 1, false)", Primary, WriteFunction);
    row("SELECT \"pg_catalog\".\"nextval\"('s')", Primary, WriteFunction);
    row("SELECT currval('s')", Primary, WriteFunction);
    row("SELECT lastval()", Primary, WriteFunction);
    row("SELECT pg_advisory_lock(1)", Primary, WriteFunction);
    row("SELECT pg_try_advisory_lock(1)", Primary, WriteFunction);
    row("SELECT pg_advisory_xact_lock_shared(1, 2)", Primary, WriteFunction);
    row("SELECT pg_try_advisory_xact_lock(1)", Primary, WriteFunction);
    row("SELECT PG_ADVISORY_UNLOCK_ALL()", Primary, WriteFunction);
    row("SELECT pg_advisory_unlock_shared(1)", Primary, WriteFunction);
    row("SELECT pg_notify('ch', 'payload')", Primary, WriteFunction);
    row("SELECT txid_current()", Primary, WriteFunction);
    row("SELECT txid_current_if_assigned()", Primary, WriteFunction);
    row("SELECT pg_current_xact_id()", Primary, WriteFunction);
    row("SELECT pg_current_xact_id_if_assigned()", Primary, WriteFunction);
    row("SELECT lo_import('/tmp/x')", Primary, WriteFunction);
    row("SELECT lo_creat(-1)", Primary, WriteFunction);
    row("SELECT LO_UNLINK(42)", Primary, WriteFunction);
    row("SELECT \"lo_import\"('/tmp/x')", Primary, WriteFunction);
    row("SELECT U&\"\\006Eextval\"('s')", Primary, WriteFunction);
    row("SELECT set_config('a', 'b', true)", Primary, WriteFunction);
    row("SELECT id, nextval('s') FROM t", Primary, WriteFunction);
    row("SELECT * FROM t WHERE id = (SELECT nextval('s'))", Primary, WriteFunction);
    row("SELECT coalesce(max(id), nextval('s')) FROM t", Primary, WriteFunction);
    row("SELECT * FROM nextval('s')", Primary, WriteFunction);
    row("VALUES (nextval('s'))", Primary, WriteFunction);
    row("WITH x AS (SELECT setval('s', 1)) SELECT * FROM x", Primary, WriteFunction);
    row("SELECT nextval('s') FOR UPDATE", Primary, WriteFunction);
    row("SHOW nextval", Reader, ReadOnly);
}

void tst_StatementClassifier::explain_data()
{
    addColumns();
    row("EXPLAIN SELECT * FROM t", Reader, ReadOnly);
    row("explain select 1", Reader, ReadOnly);
    row("EXPLAIN VERBOSE SELECT 1", Reader, ReadOnly);
    row("EXPLAIN (FORMAT JSON, COSTS off) SELECT 1", Reader, ReadOnly);
    row("EXPLAIN (SELECT 1)", Reader, ReadOnly);
    row("EXPLAIN INSERT INTO t VALUES (1)", Reader, ReadOnly);
    row("EXPLAIN VERBOSE UPDATE t SET a = 1", Reader, ReadOnly);
    row("explain delete from t", Reader, ReadOnly);
    row("EXPLAIN SELECT * FROM t FOR UPDATE", Reader, ReadOnly);
    row("EXPLAIN SELECT nextval('s')", Reader, ReadOnly);
    row("EXPLAIN CREATE TEMP TABLE t AS SELECT 1", Reader, ReadOnly);
    row("EXPLAIN (ANALYZE false) INSERT INTO t VALUES (1)", Reader, ReadOnly);
    row("EXPLAIN (ANALYZE off, BUFFERS) DELETE FROM t", Reader, ReadOnly);
    row("EXPLAIN (ANALYZE 0) UPDATE t SET a = 1", Reader, ReadOnly);
    row("EXPLAIN (analyze 'FALSE') DELETE FROM t", Reader, ReadOnly);
    row("EXPLAIN ANALYZE SELECT * FROM t", Reader, ReadOnly);
    row("EXPLAIN ANALYZE VERBOSE SELECT 1", Reader, ReadOnly);
    row("EXPLAIN ANALYSE SELECT 1", Reader, ReadOnly);
    row("EXPLAIN (ANALYZE, BUFFERS) SELECT 1", Reader, ReadOnly);
    row("EXPLAIN (ANALYZE true, COSTS off) WITH x AS (SELECT 1) SELECT * FROM x", Reader, ReadOnly);
    row("EXPLAIN ANALYZE (SELECT 1)", Reader, ReadOnly);
    row("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", Primary, ExplainAnalyzeWrite);
    row("explain analyze delete from t", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN ANALYZE VERBOSE UPDATE t SET a = 1", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN (ANALYZE true) INSERT INTO t VALUES (1)", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN (ANALYZE on, FORMAT JSON) MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
        Primary, ExplainAnalyzeWrite);
    row("EXPLAIN (BUFFERS, ANALYZE) UPDATE t SET a = 1", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN (ANALYZE 1) DELETE FROM t", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN (ANALYZE) SELECT nextval('s')", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN ANALYZE SELECT * INTO t2 FROM t", Primary, ExplainAnalyzeWrite);
    row("EXPLAIN ANALYZE WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", Primary,
        ExplainAnalyzeWrite);
    row("EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1", Primary, ExplainAnalyzeWrite, TempTable);
    row("EXPLAIN ANALYZE EXECUTE p(1)", Primary, ExplainAnalyzeWrite);
    // The prepared statement only exists on the primary connection.
    row("EXPLAIN EXECUTE p(1)", Primary, NotAQuery);
    row("EXPLAIN", Primary, NotAQuery);
}

void tst_StatementClassifier::flags_data()
{
    addColumns();
    row("BEGIN", Primary, NotAQuery, Begins);
    row("begin;", Primary, NotAQuery, Begins);
    row("BEGIN WORK", Primary, NotAQuery, Begins);
    row("BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE", Primary, NotAQuery, Begins);
    row("BEGIN READ ONLY", Primary, NotAQuery, Begins);
    row("START TRANSACTION", Primary, NotAQuery, Begins);
    row("start transaction read only", Primary, NotAQuery, Begins);
    row("COMMIT", Primary, NotAQuery, Ends);
    row("commit work", Primary, NotAQuery, Ends);
    row("END", Primary, NotAQuery, Ends);
    row("END TRANSACTION", Primary, NotAQuery, Ends);
    row("ROLLBACK", Primary, NotAQuery, Ends);
    row("ROLLBACK WORK", Primary, NotAQuery, Ends);
    row("ABORT", Primary, NotAQuery, Ends);
    row("COMMIT AND NO CHAIN", Primary, NotAQuery, Ends);
    row("COMMIT AND CHAIN", Primary, NotAQuery, Begins);
    row("ROLLBACK TRANSACTION AND CHAIN", Primary, NotAQuery, Begins);
    row("PREPARE TRANSACTION 'gid'", Primary, NotAQuery, Ends);
    row("ROLLBACK TO SAVEPOINT a", Primary, NotAQuery);
    row("ROLLBACK TO a", Primary, NotAQuery);
    row("ROLLBACK WORK TO SAVEPOINT a", Primary, NotAQuery);
    row("rollback transaction to a", Primary, NotAQuery);
    row("COMMIT PREPARED 'gid'", Primary, NotAQuery);
    row("ROLLBACK PREPARED 'gid'", Primary, NotAQuery);
    row("DO $$ BEGIN COMMIT; END $$", Primary, NotAQuery);
    row("DO LANGUAGE plpgsql 'BEGIN SET search_path = a; END'", Primary, NotAQuery);
    row("SET search_path = a", Primary, NotAQuery, Session);
    row("set statement_timeout to 0", Primary, NotAQuery, Session);
    row("SET SESSION work_mem = '64MB'", Primary, NotAQuery, Session);
    row("SET ROLE r", Primary, NotAQuery, Session);
    row("SET SESSION AUTHORIZATION u", Primary, NotAQuery, Session);
    row("SET TIME ZONE 'UTC'", Primary, NotAQuery, Session);
    row("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", Primary, NotAQuery, Session);
    row("SET LOCAL search_path = a", Primary, NotAQuery);
    row("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", Primary, NotAQuery);
    row("SET CONSTRAINTS ALL DEFERRED", Primary, NotAQuery);
    row("RESET search_path", Primary, NotAQuery, Session);
    row("RESET ALL", Primary, NotAQuery, Session);
    row("DISCARD ALL", Primary, NotAQuery, Session);
    row("discard temp", Primary, NotAQuery, Session);
    row("CREATE TEMP TABLE t (id int)", Primary, NotAQuery, TempTable);
    row("CREATE TEMPORARY TABLE t (id int)", Primary, NotAQuery, TempTable);
    row("CREATE GLOBAL TEMPORARY TABLE t (id int)", Primary, NotAQuery, TempTable);
    row("CREATE LOCAL TEMP TABLE t AS SELECT 1", Primary, NotAQuery, TempTable);
    row("create temp table if not exists t (id int)", Primary, NotAQuery, TempTable);
    row("CREATE OR REPLACE TEMP VIEW v AS SELECT 1", Primary, NotAQuery, TempTable);
    row("LISTEN ch", Primary, NotAQuery, Listens);
    row("UNLISTEN *", Primary, NotAQuery, Listens);
    row("SELECT set_config('search_path', 'a', false)", Primary, WriteFunction, Session);
    row("SELECT set_config('search_path', 'a', FALSE)", Primary, WriteFunction, Session);
    row("SELECT pg_catalog.set_config('a', 'b', false)", Primary, WriteFunction, Session);
    row("SELECT set_config('a', concat('b', 'c'), true)", Primary, WriteFunction);
    row("SELECT set_config('a', (SELECT 'b'), false), 1", Primary, WriteFunction, Session);
    // Anything but a literal true may be false at run time.
    row("SELECT set_config('a', 'b', $1)", Primary, WriteFunction, Session);
    row("SELECT set_config('a', 'b', false", Primary, WriteFunction, Session);
    row("UPDATE t SET a = set_config('x', 'y', false)", Primary, NotAQuery, Session);
    row("EXPLAIN SELECT set_config('a', 'b', false)", Reader, ReadOnly);
    // Session state: what lasts beyond the transaction, and only that.
    row("SET LOCAL ROLE r", Primary, NotAQuery);
    row("set local time zone 'UTC'", Primary, NotAQuery);
    row("SET LOCAL application_name = 'x'", Primary, NotAQuery);
    row("SET application_name = 'x'", Primary, NotAQuery, Session);
    row("SET SESSION ROLE r", Primary, NotAQuery, Session);
    row("RESET ROLE", Primary, NotAQuery, Session);
    row("RESET SESSION AUTHORIZATION", Primary, NotAQuery, Session);
    row("SET SESSION AUTHORIZATION DEFAULT", Primary, NotAQuery, Session);
    row("/* c */ SET search_path TO s, public", Primary, NotAQuery, Session);
    row("SET \"search_path\" = s", Primary, NotAQuery, Session);
    row("SET myapp.user_id = 42", Primary, NotAQuery, Session);
    row("SELECT set_config('a', 'b', true)", Primary, WriteFunction);
    row("SELECT set_config('a', 'b', TRUE)", Primary, WriteFunction);
    row("select SET_CONFIG('a', 'b', false)", Primary, WriteFunction, Session);
    row("SELECT set_config('a', 'b', NOT true)", Primary, WriteFunction, Session);
    row("SELECT 'SET a = 1'", Reader, ReadOnly);
    row("SELECT set_configuration('a')", Reader, ReadOnly);
    row("SELECT current_setting('search_path')", Reader, ReadOnly);
    row("SHOW search_path", Reader, ReadOnly);
    row("DISCARD PLANS", Primary, NotAQuery, Session);
    row("CREATE TEMP SEQUENCE s", Primary, NotAQuery, TempTable);
    row("CREATE TEMPORARY RECURSIVE VIEW v (n) AS SELECT 1", Primary, NotAQuery, TempTable);
    row("SELECT 1 AS a INTO TEMP t", Primary, SelectInto, TempTable);
    row("SELECT 1 AS a INTO t", Primary, SelectInto);
    row("CREATE TABLE temp (a int)", Primary, NotAQuery);
    row("CREATE UNLOGGED TABLE t (a int)", Primary, NotAQuery);
    row("SELECT 'set_config(''a'', ''b'', false)'", Reader, ReadOnly);
}

void tst_StatementClassifier::multipleStatements_data()
{
    addColumns();
    row("SELECT 1; SELECT 2", Primary, MultiStatement);
    row("SELECT 1; DELETE FROM t", Primary, MultiStatement);
    row("SELECT 1;DROP TABLE t;", Primary, MultiStatement);
    row("SELECT 1; -- c\n SELECT 2", Primary, MultiStatement);
    row("SELECT 1 /* ; */; SELECT 2", Primary, MultiStatement);
    row("SELECT 'a;b'; SELECT $$;$$", Primary, MultiStatement);
    row("SELECT 1;;; SELECT 2;;", Primary, MultiStatement);
    row("INSERT INTO t VALUES (1); SELECT 1", Primary, MultiStatement);
    row("EXPLAIN SELECT 1; DELETE FROM t", Primary, MultiStatement);
    row("BEGIN; INSERT INTO t VALUES (1); COMMIT", Primary, MultiStatement, Ends);
    row("COMMIT; BEGIN", Primary, MultiStatement, Begins);
    row("SET a = 1; SELECT 1", Primary, MultiStatement, Session);
    row("SELECT 1; LISTEN ch", Primary, MultiStatement, Listens);
    row("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
        "END; SELECT 1",
        Primary, MultiStatement);
    row("CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END; "
        "SELECT 1",
        Primary, MultiStatement);
    // Empty statements in front are dropped by the server, as they are here.
    row(";; SELECT 1", Reader, ReadOnly);
    row("SELECT 1; ; -- done", Reader, ReadOnly);
    row("SELECT 1; /* done */ ;", Reader, ReadOnly);
}

void tst_StatementClassifier::primaryHint_data()
{
    addColumns();
    row("/*qpsqlha:primary*/ SELECT 1", Primary, PrimaryHint);
    row("/* qpsqlha:primary */ SELECT 1", Primary, PrimaryHint);
    row("/*QPSQLHA:PRIMARY*/select 1", Primary, PrimaryHint);
    row("  /*\tQpSqlHa:Primary\n*/\nSELECT 1", Primary, PrimaryHint);
    row("-- c\n/*qpsqlha:primary*/ SELECT 1", Primary, PrimaryHint);
    row("/* c */ /*qpsqlha:primary*/ /* d */ SELECT 1", Primary, PrimaryHint);
    row("(/*qpsqlha:primary*/ SELECT 1)", Primary, PrimaryHint);
    row("/*qpsqlha:primary*/ BEGIN", Primary, PrimaryHint, Begins);
    row("/*qpsqlha:primary*/ INSERT INTO t VALUES (1)", Primary, PrimaryHint);
    row("/*qpsqlha:primary*/ SELECT 1; SELECT 2", Primary, PrimaryHint);
    row("SELECT 1 /*qpsqlha:primary*/", Reader, ReadOnly);
    row("SELECT /*qpsqlha:primary*/ 1", Reader, ReadOnly);
    row("/*qpsqlha:primary, please*/ SELECT 1", Reader, ReadOnly);
    row("/*qpsqlha:replica*/ SELECT 1", Reader, ReadOnly);
    row("/* /*qpsqlha:primary*/ */ SELECT 1", Reader, ReadOnly);
    row("--qpsqlha:primary\nSELECT 1", Reader, ReadOnly);
    row("SELECT '/*qpsqlha:primary*/'", Reader, ReadOnly);
    row("/*qpsqlha:primary*/", Primary, Empty);
}

void tst_StatementClassifier::emptyAndGarbage_data()
{
    addColumns();
    row(QString(), Primary, Empty);
    row("", Primary, Empty);
    row("   ", Primary, Empty);
    row("\n\t\r ", Primary, Empty);
    row(";", Primary, Empty);
    row(" ; ;; ", Primary, Empty);
    row("-- only comment", Primary, Empty);
    row("/* only */ -- comment\n;", Primary, Empty);
    row("/* a /* nested */ b */", Primary, Empty);
    // Unterminated literals and comments are syntax errors: never guess what was meant.
    row("SELECT 'unterminated", Primary, NotAQuery);
    row("SELECT 'it''", Primary, NotAQuery);
    row("SELECT \"unterminated", Primary, NotAQuery);
    row("SELECT $$unterminated", Primary, NotAQuery);
    row("SELECT $a$ x $b$", Primary, NotAQuery);
    row("SELECT $a$ x $A$", Primary, NotAQuery);
    row("SELECT E'abc\\'", Primary, NotAQuery);
    row("SELECT E'abc\\", Primary, NotAQuery);
    row("SELECT U&\"abc", Primary, NotAQuery);
    row("SELECT 1 /* unterminated", Primary, NotAQuery);
    row("/* a /* b */ SELECT 1", Primary, NotAQuery);
    row("SELECT 1 /*/", Primary, NotAQuery);
    row("/*", Primary, NotAQuery);
    row("'", Primary, NotAQuery);
    row("\"", Primary, NotAQuery);
    row("$$", Primary, NotAQuery);
    row("42", Primary, NotAQuery);
    row("$1", Primary, NotAQuery);
    row("'SELECT 1'", Primary, NotAQuery);
    row("\"select\" 1", Primary, NotAQuery);
    row(") SELECT 1", Primary, NotAQuery);
    row("()", Primary, NotAQuery);
    row("\x01\x02\x03\x7f", Primary, NotAQuery);
    row("SELECT $ 1, $x", Reader, ReadOnly);
    const char16_t binary[] = {0x0000, 0xd800, 0xffff, u'\'', 0xdc00, 0x0007};
    row(QString::fromUtf16(binary, std::size(binary)), Primary, NotAQuery);
    const char16_t nulInside[] = {u'S', u'E', u'L', u'E', u'C', u'T', u' ', u'1', 0x0000};
    row(QString::fromUtf16(nulInside, std::size(nulInside)), Reader, ReadOnly);
}

void tst_StatementClassifier::extraWriteFunctions_data()
{
    addColumns();
    row("SELECT bump_counter(1)", Primary, WriteFunction);
    row("SELECT BUMP_COUNTER (1)", Primary, WriteFunction);
    row("SELECT app.bump_counter(1)", Primary, WriteFunction);
    row("SELECT \"bump_counter\"(1)", Primary, WriteFunction);
    row("SELECT touch()", Primary, WriteFunction);
    row("SELECT * FROM t WHERE audit.touch(t.id)", Primary, WriteFunction);
    row("SELECT nextval('s')", Primary, WriteFunction);
    row("SELECT bump_counter FROM t", Reader, ReadOnly);
    row("SELECT bump_counters(1), bump_counte(1)", Reader, ReadOnly);
    row("SELECT 'bump_counter(1)'", Reader, ReadOnly);
    row("SELECT 1", Reader, ReadOnly);
    row("EXPLAIN SELECT bump_counter(1)", Reader, ReadOnly);
}

void tst_StatementClassifier::extraWriteFunctions()
{
    const StatementClassifier classifier({u"Bump_Counter"_s, u" audit.touch "_s, QString()});
    QCOMPARE(classifier.extraWriteFunctions(), QStringList({u"bump_counter"_s, u"touch"_s}));
    check(classifier);
    if (QTest::currentTestFailed())
        return;

    // Without configuration these are ordinary functions.
    QFETCH(QString, sql);
    if (sql.contains(u"bump_counter("_s, Qt::CaseInsensitive) && !sql.startsWith(u"EXPLAIN"_s))
        QVERIFY(m_classifier.classify(sql).isRead());
}

void tst_StatementClassifier::longStatement()
{
    QString columns;
    for (int i = 0; columns.size() < 10 * 1024; ++i)
        columns += u"c"_s + QString::number(i) + u", 'lit''eral;', /* c */ \"q\"\"i\", "_s;
    const QString read = u"SELECT "_s + columns + u"1 FROM t"_s;
    QVERIFY(read.size() > 10 * 1024);

    Classification result = classifyExact(m_classifier, read);
    QVERIFY(result.isRead());
    QCOMPARE(result.reason, ReadOnly);

    result = classifyExact(m_classifier, QString(read + u" FOR UPDATE"_s));
    QCOMPARE(result.reason, LockingClause);

    result = classifyExact(m_classifier, QString(read + u"; DELETE FROM t"_s));
    QCOMPARE(result.reason, MultiStatement);

    const QString literal = u"SELECT '"_s + QString(20 * 1024, u';') + u"'"_s;
    QVERIFY(m_classifier.classify(literal).isRead());

    const QString comments = QString(2000, u'(') + u"SELECT 1"_s + QString(2000, u')');
    QVERIFY(m_classifier.classify(comments).isRead());

    QString nested;
    for (int i = 0; i < 2000; ++i)
        nested += u"/*"_s;
    nested += u"DELETE FROM t"_s;
    for (int i = 0; i < 2000; ++i)
        nested += u"*/"_s;
    QCOMPARE(m_classifier.classify(QString(nested + u"SELECT 1"_s)).reason, ReadOnly);
    QCOMPARE(m_classifier.classify(QString(nested.chopped(2) + u"SELECT 1"_s)).reason, NotAQuery);
}

// Every prefix of a tricky statement ends inside some literal, comment or clause; none may
// crash or read past the end, and a prefix ending inside a literal or comment is not a read.
void tst_StatementClassifier::truncatedStatements()
{
    const QString statements[] = {
        u"/*qpsqlha:primary*/ SELECT 1"_s,
        u"/* a /* b */ c */ SELECT E'x\\'y', U&'\\0061', U&\"\\0061\", \"q\"\"i\" -- c"_s,
        u"SELECT $tag$ ; $$ $tag$, $1, $$x$$, 1.5e-3 FROM t FOR NO KEY UPDATE"_s,
        u"EXPLAIN (ANALYZE false, BUFFERS) SELECT set_config('a', 'b', false)"_s,
        u"COMMIT AND NO CHAIN; ROLLBACK TRANSACTION TO SAVEPOINT a; PREPARE TRANSACTION 'x'"_s,
        u"CREATE OR REPLACE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END"_s,
    };
    for (const QString &sql : statements) {
        for (qsizetype size = 0; size <= sql.size(); ++size) {
            const QStringView prefix = QStringView(sql).first(size);
            const Classification result = classifyExact(m_classifier, prefix);
            QVERIFY2(result.route == Reader || result.route == Primary, tagFor(prefix).constData());
            const bool insideLiteral = prefix.endsWith(u"'x"_s) || prefix.endsWith(u"/* a"_s)
                || prefix.endsWith(u"$tag$ ;"_s) || prefix.endsWith(u"\"q"_s);
            if (insideLiteral)
                QVERIFY2(result.reason == NotAQuery, tagFor(prefix).constData());
        }
    }
}

// Random text built mostly from the characters the lexer cares about.
void tst_StatementClassifier::randomGarbage()
{
    static constexpr char16_t alphabet[] = u"'\"$;-/*()\\ \n\teEuU&_0123456789.,aAsSfFiI";
    static constexpr QStringView words[] = {
        u"SELECT ",     u"FOR ",     u"UPDATE ",          u"INTO ", u"nextval(",
        u"set_config(", u"EXPLAIN ", u"ANALYZE ",         u"$a$",   u"/*qpsqlha:primary*/",
        u"BEGIN ",      u"END ",     u"CREATE FUNCTION ",
    };
    QRandomGenerator random(20260101);
    const StatementClassifier classifier({u"f"_s});
    for (int round = 0; round < 20000; ++round) {
        QString sql;
        const int parts = random.bounded(40);
        for (int i = 0; i < parts; ++i) {
            const quint32 pick = random.bounded(10);
            if (pick < 6)
                sql += QChar(alphabet[random.bounded(int(std::size(alphabet) - 1))]);
            else if (pick < 8)
                sql += words[random.bounded(int(std::size(words)))];
            else
                sql += QChar(char16_t(random.bounded(0x10000)));
        }
        const Classification first = classifyExact(classifier, sql);
        const Classification second = classifier.classify(sql);
        QVERIFY2(first.route == Reader || first.route == Primary, tagFor(sql).constData());
        QVERIFY2(first.route == second.route && first.reason == second.reason
                     && first.flags == second.flags,
                 tagFor(sql).constData());
        QVERIFY2(first.route == Primary || first.reason == ReadOnly, tagFor(sql).constData());
    }
}

void tst_StatementClassifier::reasonNames()
{
    QSet<QByteArray> names;
    for (int reason = ReadOnly; reason <= ExplainAnalyzeWrite; ++reason) {
        const QByteArray name
            = StatementClassifier::reasonName(static_cast<Classification::Reason>(reason));
        QVERIFY(!name.isEmpty());
        QVERIFY(name != "unknown");
        names.insert(name);
    }
    QCOMPARE(names.size(), int(ExplainAnalyzeWrite) + 1);
    QCOMPARE(StatementClassifier::reasonName(ReadOnly), "read-only");
    QCOMPARE(StatementClassifier::reasonName(NotAQuery), "not a query");
    QCOMPARE(StatementClassifier::reasonName(PrimaryHint), "primary hint");
}

// Each statement as "kind key: text".
static QStringList describe(const QList<SessionStatement> &statements)
{
    static const char *const kinds[]
        = {"setting",  "role",   "reset all", "discard all", "discard temp",
           "no state", "listen", "unlisten",  "unlisten all"};
    QStringList result;
    for (const SessionStatement &statement : statements) {
        result.append(u"%1 %2: %3"_s.arg(QLatin1StringView(kinds[statement.kind]), statement.key,
                                         statement.text));
    }
    return result;
}

void tst_StatementClassifier::sessionStatements_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QStringList>("expected");
    auto add = [](const char *sql, const QStringList &expected) {
        QTest::addRow("%s", tagFor(QString::fromUtf8(sql)).constData())
            << QString::fromUtf8(sql) << expected;
    };
    add("SET search_path = a", {u"setting search_path: SET search_path = a"_s});
    add("set Search_Path to a, b ;", {u"setting search_path: set Search_Path to a, b"_s});
    add("SET SESSION work_mem = '64MB'", {u"setting work_mem: SET SESSION work_mem = '64MB'"_s});
    add("SET \"Work_Mem\" = '1MB'", {u"setting work_mem: SET \"Work_Mem\" = '1MB'"_s});
    add("SET myapp.User_Id = 1", {u"setting myapp.user_id: SET myapp.User_Id = 1"_s});
    add("SET TIME ZONE 'UTC'", {u"setting timezone: SET TIME ZONE 'UTC'"_s});
    add("SET SCHEMA 'a'", {u"setting search_path: SET SCHEMA 'a'"_s});
    add("SET NAMES 'UTF8'", {u"setting client_encoding: SET NAMES 'UTF8'"_s});
    add("SET XML OPTION DOCUMENT", {u"setting xmloption: SET XML OPTION DOCUMENT"_s});
    add("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
        {u"setting : SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"_s});
    add("SET ROLE r", {u"role role: SET ROLE r"_s});
    add("set session role r", {u"role role: set session role r"_s});
    add("SET role = 'r'", {u"role role: SET role = 'r'"_s});
    add("SET SESSION AUTHORIZATION u",
        {u"role session_authorization: SET SESSION AUTHORIZATION u"_s});
    add("RESET ROLE", {u"role role: RESET ROLE"_s});
    add("RESET SESSION AUTHORIZATION",
        {u"role session_authorization: RESET SESSION AUTHORIZATION"_s});
    add("SET session_authorization = u",
        {u"role session_authorization: SET session_authorization = u"_s});
    add("RESET search_path", {u"setting search_path: RESET search_path"_s});
    add("RESET ALL", {u"reset all : RESET ALL"_s});
    add("DISCARD ALL", {u"discard all : DISCARD ALL"_s});
    add("DISCARD TEMP", {u"discard temp : DISCARD TEMP"_s});
    add("discard temporary", {u"discard temp : discard temporary"_s});
    add("DISCARD PLANS", {u"no state : DISCARD PLANS"_s});
    add("LISTEN Chan", {u"listen listen:chan: LISTEN Chan"_s});
    add("LISTEN \"Chan\"", {u"listen listen:Chan: LISTEN \"Chan\""_s});
    add("UNLISTEN chan", {u"unlisten listen:chan: UNLISTEN chan"_s});
    add("UNLISTEN *", {u"unlisten all : UNLISTEN *"_s});
    add("SELECT set_config('Search_Path', 'a', false)",
        {u"setting search_path: SELECT set_config('Search_Path', 'a', false)"_s});
    add("SELECT pg_catalog.set_config('a.b', $1, false) AS x",
        {u"setting a.b: SELECT pg_catalog.set_config('a.b', $1, false) AS x"_s});
    add("SELECT set_config('role', 'r', false)",
        {u"role role: SELECT set_config('role', 'r', false)"_s});
    // Not exactly one set_config: the effect is not known, so nothing is superseded by it.
    add("SELECT set_config('a', 'b', false) FROM t",
        {u"setting : SELECT set_config('a', 'b', false) FROM t"_s});
    add("SELECT set_config(name, 'b', false) FROM t",
        {u"setting : SELECT set_config(name, 'b', false) FROM t"_s});
    add("SELECT set_config('a', 'b', false), set_config('c', 'd', false)",
        {u"setting : SELECT set_config('a', 'b', false), set_config('c', 'd', false)"_s});
    // Only the statements of a string that change session state, each on its own.
    add("SET a = 1; SELECT 1; SET LOCAL b = 2; RESET c",
        {u"setting a: SET a = 1"_s, u"setting c: RESET c"_s});
    add("BEGIN; SET a = 'x;y'; COMMIT", {u"setting a: SET a = 'x;y'"_s});
    add("/* c */ SET a = 1 -- d\n;", {u"setting a: SET a = 1 -- d"_s});
    add("SET LOCAL a = 1", {});
    add("SELECT 1", {});
    add("SELECT set_config('a', 'b', true)", {});
}

void tst_StatementClassifier::sessionStatements()
{
    QFETCH(QString, sql);
    QFETCH(QStringList, expected);
    QCOMPARE(describe(QPsqlHa::sessionStatements(sql)), expected);
}

void tst_StatementClassifier::temporaryObjectNames_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QStringList>("names");
    auto add = [](const char *sql, const QStringList &names) {
        QTest::addRow("%s", tagFor(QString::fromUtf8(sql)).constData())
            << QString::fromUtf8(sql) << names;
    };
    add("CREATE TEMP TABLE Items (id int)", {u"items"_s});
    add("CREATE TEMPORARY TABLE \"Mixed Case\" (id int)", {u"Mixed Case"_s});
    add("CREATE TEMP TABLE \"a\"\"b\" (id int)", {u"a\"b"_s});
    add("create global temporary table if not exists t1 (id int)", {u"t1"_s});
    add("CREATE LOCAL TEMP TABLE t2 AS SELECT 1", {u"t2"_s});
    add("CREATE TEMP TABLE pg_temp.t3 (id int)", {u"t3"_s});
    add("CREATE OR REPLACE TEMP VIEW v AS SELECT 1", {u"v"_s});
    add("CREATE TEMP RECURSIVE VIEW rv (n) AS SELECT 1", {u"rv"_s});
    add("CREATE TEMPORARY SEQUENCE s", {u"s"_s});
    add("SELECT 1 AS a INTO TEMP t4", {u"t4"_s});
    add("SELECT 1 AS a INTO LOCAL TEMPORARY TABLE T5 FROM x", {u"t5"_s});
    add("CREATE TEMP TABLE a (id int); CREATE TEMP TABLE b (id int); CREATE TABLE c (id int)",
        {u"a"_s, u"b"_s});
    add("CREATE TABLE temp (id int)", {});
    add("SELECT temp FROM t", {});
    add("SELECT 'CREATE TEMP TABLE x'", {});
}

void tst_StatementClassifier::temporaryObjectNames()
{
    QFETCH(QString, sql);
    QFETCH(QStringList, names);
    QCOMPARE(QPsqlHa::temporaryObjectNames(sql), names);
}

void tst_StatementClassifier::droppedObjectNames_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("dropped");
    QTest::newRow("plain") << u"DROP TABLE items"_s << u"items"_s << true;
    QTest::newRow("folded") << u"drop table IF EXISTS Items CASCADE"_s << u"items"_s << true;
    QTest::newRow("list") << u"DROP TABLE a, items, b"_s << u"items"_s << true;
    QTest::newRow("quoted") << u"DROP TABLE \"Mixed Case\""_s << u"Mixed Case"_s << true;
    QTest::newRow("quoted other case") << u"DROP TABLE \"Items\""_s << u"items"_s << false;
    QTest::newRow("pg_temp") << u"DROP TABLE pg_temp.items"_s << u"items"_s << true;
    QTest::newRow("other schema") << u"DROP TABLE public.items"_s << u"items"_s << false;
    QTest::newRow("view") << u"DROP VIEW v"_s << u"v"_s << true;
    QTest::newRow("second statement") << u"SELECT 1; DROP TABLE items"_s << u"items"_s << true;
    QTest::newRow("not a drop") << u"DELETE FROM items"_s << u"items"_s << false;
    QTest::newRow("literal") << u"SELECT 'DROP TABLE items'"_s << u"items"_s << false;
}

void tst_StatementClassifier::droppedObjectNames()
{
    QFETCH(QString, sql);
    QFETCH(QString, name);
    QFETCH(bool, dropped);
    QCOMPARE(QPsqlHa::droppedObjectNames(sql).contains(name), dropped);
}

void tst_StatementClassifier::mentionsAnyName_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<bool>("mentions");
    const QStringList names = {u"items"_s, u"Mixed Case"_s};
    QTest::newRow("plain") << u"SELECT * FROM items"_s << true;
    QTest::newRow("folded") << u"SELECT * FROM ITEMS"_s << true;
    QTest::newRow("quoted") << u"SELECT * FROM \"items\""_s << true;
    QTest::newRow("quoted other case") << u"SELECT * FROM \"Items\""_s << false;
    QTest::newRow("quoted mixed") << u"SELECT * FROM \"Mixed Case\""_s << true;
    QTest::newRow("mixed unquoted") << u"SELECT * FROM mixed"_s << false;
    QTest::newRow("qualified") << u"SELECT i.id FROM public.items i"_s << true;
    QTest::newRow("join") << u"SELECT 1 FROM a JOIN items USING (id)"_s << true;
    QTest::newRow("pg_temp") << u"SELECT * FROM pg_temp.other"_s << true;
    QTest::newRow("pg_temp_3") << u"SELECT * FROM PG_TEMP_3.other"_s << true;
    QTest::newRow("unicode escape") << u"SELECT * FROM U&\"\\0069tems\""_s << true;
    QTest::newRow("other") << u"SELECT * FROM items2"_s << false;
    QTest::newRow("prefix") << u"SELECT * FROM item"_s << false;
    QTest::newRow("literal") << u"SELECT 'items'"_s << false;
    QTest::newRow("comment") << u"SELECT 1 /* items */ -- items"_s << false;
    QTest::newRow("dollar") << u"SELECT $$items$$"_s << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("unterminated") << u"SELECT 'items"_s << false;
}

void tst_StatementClassifier::mentionsAnyName()
{
    QFETCH(QString, sql);
    QFETCH(bool, mentions);
    const QStringList names = {u"items"_s, u"Mixed Case"_s};
    QCOMPARE(QPsqlHa::mentionsAnyName(sql, names), mentions);
}

QTEST_APPLESS_MAIN(tst_StatementClassifier)

#include "tst_statementclassifier.moc"
