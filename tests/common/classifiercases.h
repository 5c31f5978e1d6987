// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_CLASSIFIERCASES_H
#define QPSQLHA_CLASSIFIERCASES_H

// The statement classifier's test table, in one place: tst_statementclassifier checks that each
// statement is classified as the row says, tst_classifierproperty runs every statement classified
// as a read on a live hot standby and checks that the standby does not reject it as a write.
//
// Rows are grouped; each group is a function that hands its rows to a Sink. The rows of
// extraWriteFunctions() assume a classifier made with extraWriteFunctionsConfig().

#include <qpsqlhastatementclassifier.h>

#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <iterator>

namespace QPsqlHaTest::ClassifierCases {

using QPsqlHa::Classification;

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

// Where the rows go: one call per row, with the expected route, reason and flags.
class Sink
{
public:
    virtual ~Sink() = default;
    virtual void add(const QString &sql, Classification::Route route, Classification::Reason reason,
                     int flags)
        = 0;

    void operator()(const QString &sql, Classification::Route route, Classification::Reason reason,
                    int flags = NoFlags)
    {
        add(sql, route, reason, flags);
    }
    void operator()(const char *sql, Classification::Route route, Classification::Reason reason,
                    int flags = NoFlags)
    {
        add(QString::fromUtf8(sql), route, reason, flags);
    }
};

// The write functions configured for the rows of extraWriteFunctions() (QPSQLHA_WRITE_FUNCTIONS).
inline QStringList extraWriteFunctionsConfig()
{
    using namespace Qt::StringLiterals;
    return {u"Bump_Counter"_s, u" audit.touch "_s, QString()};
}

inline void reads(Sink &row)
{
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
    // What a standby knows of the WAL: its own replay and receive positions.
    row("SELECT pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn(), pg_wal_lsn_diff('0/2', "
        "'0/1'), pg_current_snapshot()",
        Reader, ReadOnly);
    // Only the exact names of the WAL functions a standby refuses count.
    row("SELECT pg_switch_wal_count(), my_pg_current_wal_lsn(), pg_create_restore_points()", Reader,
        ReadOnly);
    row("SELECT lo_oid FROM blobs", Reader, ReadOnly);
}

inline void writes(Sink &row)
{
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

inline void literalsAndComments(Sink &row)
{
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

inline void readsThatWrite(Sink &row)
{
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

inline void writeFunctions(Sink &row)
{
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
    row("SELECT pg_logical_emit_message(false, 'p', 'x')", Primary, WriteFunction);
    // A standby refuses WAL control and the WAL position with 55000, "recovery is in progress".
    row("SELECT pg_create_restore_point('p')", Primary, WriteFunction);
    row("SELECT pg_switch_wal()", Primary, WriteFunction);
    row("SELECT PG_SWITCH_XLOG()", Primary, WriteFunction);
    row("SELECT pg_current_wal_lsn()", Primary, WriteFunction);
    row("SELECT pg_catalog.pg_current_wal_insert_lsn()", Primary, WriteFunction);
    row("SELECT pg_current_wal_flush_lsn() - '0/0'", Primary, WriteFunction);
    row("SELECT pg_current_xlog_location()", Primary, WriteFunction);
    row("SELECT pg_walfile_name(pg_last_wal_replay_lsn())", Primary, WriteFunction);
    row("SELECT * FROM pg_walfile_name_offset('0/1')", Primary, WriteFunction);
    row("SELECT pg_log_standby_snapshot()", Primary, WriteFunction);
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

inline void explain(Sink &row)
{
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
    row("EXPLAIN CREATE TABLE t2 AS SELECT 1", Reader, ReadOnly);
    row("EXPLAIN SELECT * INTO t2 FROM t", Reader, ReadOnly);
    row("EXPLAIN SELECT t.into, 1 AS into FROM t", Reader, ReadOnly);
    // Planning these creates the session's temporary schema, which a standby refuses.
    row("EXPLAIN CREATE TEMP TABLE t AS SELECT 1", Primary, NotAQuery);
    row("EXPLAIN CREATE LOCAL TEMPORARY TABLE t AS SELECT 1", Primary, NotAQuery);
    row("EXPLAIN (COSTS off) SELECT 1 INTO TEMP t2", Primary, SelectInto);
    row("explain select * into local temporary t2 from t", Primary, SelectInto);
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

inline void flags(Sink &row)
{
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
    row("SELECT 'set_config(''a'', ''b'', false)'", Reader, ReadOnly);
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

inline void multipleStatements(Sink &row)
{
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

inline void primaryHint(Sink &row)
{
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

inline void emptyAndGarbage(Sink &row)
{
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

// Backslashes in literals, read with standard_conforming_strings on (the default): in '...' a
// backslash is an ordinary character, so each of these literals ends at the quote after it.
inline void backslashesWithStandardStrings(Sink &row)
{
    // The cases: with the setting on, the server reads them as this (syntax errors,
    // or a harmless read of two strings).
    row("SELECT 'it\\'s', pg_try_advisory_lock(42), 'it\\'s', inet_server_port()", Reader,
        ReadOnly);
    row("SELECT 'a\\', ' ; BEGIN; -- ' AS x", Reader, ReadOnly);
    row("SELECT '\\', nextval('s')", Primary, WriteFunction);
    row("SELECT 'a\\', ' ; DELETE FROM t; -- ' AS x", Reader, ReadOnly);
    row("SELECT N'a\\', nextval('s')", Primary, WriteFunction);
    row("SELECT E'a\\', nextval(''s''), ' FROM t", Reader, ReadOnly);
}

// The same kind of statements read with standard_conforming_strings off (classify(sql, false)):
// a backslash in '...' escapes the next character, as in E'...'. Quoted identifiers, U&'...',
// B'...', X'...' and dollar quotes still know no backslash escapes.
inline void backslashesWithoutStandardStrings(Sink &row)
{
    row("SELECT 'it\\'s', pg_try_advisory_lock(42), 'it\\'s', inet_server_port()", Primary,
        WriteFunction);
    row("SELECT 'a\\', ' ; BEGIN; -- ' AS x", Primary, MultiStatement, Begins);
    row("SELECT 'a\\', ' ; DELETE FROM t; -- ' AS x", Primary, MultiStatement);
    row("SELECT 'it\\'s; DELETE FROM t' FROM t", Reader, ReadOnly);
    row("SELECT 'it\\'s', now(), 'it\\'s' FROM t", Reader, ReadOnly);
    row("SELECT '\\\\', nextval('s')", Primary, WriteFunction);
    row("SELECT '\\\\\\'; DELETE FROM t' FROM t", Reader, ReadOnly);
    row("SELECT 'a''b\\'; insert', '\\n; update t set a = 1' FROM t", Reader, ReadOnly);
    row("SELECT N'it\\'s; DELETE FROM t' FROM t", Reader, ReadOnly);
    row("SELECT E'it\\'s; DELETE FROM t' FROM t", Reader, ReadOnly);
    // The literal runs on to "nextval('", and the one after "s" never ends.
    row("SELECT 'a\\', nextval('s')", Primary, NotAQuery);
    row("SELECT 'a\\'", Primary, NotAQuery);
    row("SELECT 'a\\", Primary, NotAQuery);
    row("SELECT \"a\\\", nextval('s') FROM t", Primary, WriteFunction);
    row("SELECT \"a\\\" FROM t", Reader, ReadOnly);
    row("SELECT U&'a\\', nextval('s'), 'b' FROM t", Primary, WriteFunction);
    row("SELECT b'1\\', nextval('s'), x'0\\' FROM t", Primary, WriteFunction);
    row("SELECT X'0\\', 1 FROM t", Reader, ReadOnly);
    row("SELECT $$a\\$$, nextval('s')", Primary, WriteFunction);
    row("SELECT 1 -- it\\'s\nFOR UPDATE", Primary, LockingClause);
    row("SELECT 'a\\'; b' FOR UPDATE", Primary, LockingClause);
    row("SELECT 'a\\'; b' AS \"for\", '\\'' FROM t", Reader, ReadOnly);
}

inline void extraWriteFunctions(Sink &row)
{
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
struct Group
{
    const char *name;
    void (*rows)(Sink &);
    // The session's standard_conforming_strings the rows are written for.
    bool standardConformingStrings = true;
};

// Every group; extraWriteFunctions() last, as it needs its own classifier.
inline constexpr Group groups[] = {
    {"reads", reads},
    {"writes", writes},
    {"literalsAndComments", literalsAndComments},
    {"readsThatWrite", readsThatWrite},
    {"writeFunctions", writeFunctions},
    {"explain", explain},
    {"flags", flags},
    {"multipleStatements", multipleStatements},
    {"primaryHint", primaryHint},
    {"emptyAndGarbage", emptyAndGarbage},
    {"backslashesWithStandardStrings", backslashesWithStandardStrings},
    {"backslashesWithoutStandardStrings", backslashesWithoutStandardStrings, false},
    {"extraWriteFunctions", extraWriteFunctions},
};

} // namespace QPsqlHaTest::ClassifierCases

#endif // QPSQLHA_CLASSIFIERCASES_H
