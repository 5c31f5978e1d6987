// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include <qpsqlhasessionstate_p.h>

#include <QtTest/qtest.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

// What SessionState keeps to replay, statement by statement, without a server: the live
// behaviour is in tests/integration/tst_sessionstate.cpp.
class tst_SessionStateRecord : public QObject
{
    Q_OBJECT

private slots:
    void nothingToKeep();
    void laterSettingSupersedes();
    void roleSupersedesRoleOnly();
    void resetAllKeepsRoleAndListens();
    void discardAll();
    void transactionCommittedOrRolledBack();
    void preparedValues();
    void listens();
    void temporaryObjects();

private:
    void run(SessionState &state, const QString &sql, bool inTransaction = false,
             const QList<QVariant> *values = nullptr)
    {
        const Classification classification = m_classifier.classify(sql);
        if (state.mayChange(classification))
            state.statementSucceeded(classification, sql, values, inTransaction);
    }
    static QStringList replayed(const SessionState &state, bool primary = false)
    {
        QStringList sql;
        for (const SessionState::Entry &entry : state.entries()) {
            if (primary || !entry.primaryOnly)
                sql.append(entry.sql);
        }
        return sql;
    }

    const StatementClassifier m_classifier;
};

void tst_SessionStateRecord::nothingToKeep()
{
    SessionState state;
    for (const QString &sql : {u"SELECT 1"_s, u"INSERT INTO t VALUES (1)"_s,
                               u"SET LOCAL search_path = a"_s, u"DISCARD PLANS"_s}) {
        run(state, sql);
    }
    QCOMPARE(state.version(), 0u);
    QVERIFY(state.entries().empty());
    QVERIFY(!state.mayChange(m_classifier.classify(u"UPDATE t SET a = 1"_s)));
}

void tst_SessionStateRecord::laterSettingSupersedes()
{
    SessionState state;
    run(state, u"SET search_path = a"_s);
    run(state, u"SET application_name = 'x'"_s);
    run(state, u"SET Search_Path TO b"_s);
    run(state, u"SELECT set_config('application_name', 'y', false)"_s);
    QCOMPARE(state.version(), 4u);
    QCOMPARE(replayed(state),
             QStringList({u"SET Search_Path TO b"_s,
                          u"SELECT set_config('application_name', 'y', false)"_s}));
    QCOMPARE(state.entries().front().version, 3u);
}

void tst_SessionStateRecord::roleSupersedesRoleOnly()
{
    SessionState state;
    // A role per request, as pools do: the list does not grow.
    for (int request = 0; request < 100; ++request) {
        run(state, u"SET ROLE r%1"_s.arg(request));
        run(state, u"SET application_name = 'request %1'"_s.arg(request));
        run(state, u"RESET ROLE"_s);
    }
    QCOMPARE(replayed(state),
             QStringList({u"SET application_name = 'request 99'"_s, u"RESET ROLE"_s}));
    // SESSION AUTHORIZATION decides which roles may be set: roles before it stay, and it is
    // never superseded itself.
    run(state, u"SET SESSION AUTHORIZATION u1"_s);
    run(state, u"SET ROLE a"_s);
    run(state, u"SET SESSION AUTHORIZATION u2"_s);
    run(state, u"SET ROLE b"_s);
    run(state, u"SELECT set_config('role', 'c', false)"_s);
    QCOMPARE(replayed(state),
             QStringList({u"SET application_name = 'request 99'"_s, u"RESET ROLE"_s,
                          u"SET SESSION AUTHORIZATION u1"_s, u"SET ROLE a"_s,
                          u"SET SESSION AUTHORIZATION u2"_s,
                          u"SELECT set_config('role', 'c', false)"_s}));
}

void tst_SessionStateRecord::resetAllKeepsRoleAndListens()
{
    SessionState state;
    run(state, u"SET ROLE r"_s);
    run(state, u"SET search_path = a"_s);
    run(state, u"LISTEN ch"_s);
    run(state, u"SET SESSION AUTHORIZATION u"_s);
    run(state, u"RESET ALL"_s);
    QCOMPARE(replayed(state, true),
             QStringList({u"SET ROLE r"_s, u"LISTEN ch"_s, u"SET SESSION AUTHORIZATION u"_s,
                          u"RESET ALL"_s}));
    QCOMPARE(state.version(), 5u);
}

void tst_SessionStateRecord::discardAll()
{
    SessionState state;
    run(state, u"SET ROLE r"_s);
    run(state, u"CREATE TEMP TABLE t (id int)"_s);
    run(state, u"LISTEN ch"_s);
    QVERIFY(state.hasTemporaryObjects());
    run(state, u"DISCARD ALL"_s);
    QCOMPARE(replayed(state, true), QStringList({u"DISCARD ALL"_s}));
    QVERIFY(!state.hasTemporaryObjects());
}

void tst_SessionStateRecord::transactionCommittedOrRolledBack()
{
    SessionState state;
    run(state, u"SET a.b = 1"_s, true);
    run(state, u"CREATE TEMP TABLE t (id int)"_s, true);
    QVERIFY(state.hasPending());
    QCOMPARE(state.version(), 0u);
    state.transactionEnded(false);
    QVERIFY(!state.hasPending());
    QCOMPARE(state.version(), 0u);
    QVERIFY(!state.hasTemporaryObjects());

    run(state, u"SET a.b = 2"_s, true);
    run(state, u"CREATE TEMP TABLE t (id int)"_s, true);
    state.transactionEnded(true);
    QCOMPARE(replayed(state), QStringList({u"SET a.b = 2"_s}));
    QVERIFY(state.hasTemporaryObjects());
    QVERIFY(!state.hasPending());
}

void tst_SessionStateRecord::preparedValues()
{
    SessionState state;
    const QList<QVariant> values = {u"v1"_s};
    run(state, u"SELECT set_config('app.user', ?, false)"_s, false, &values);
    const QList<QVariant> later = {u"v2"_s};
    run(state, u"SELECT set_config('app.user', ?, false)"_s, true, &later);
    state.transactionEnded(true);
    QCOMPARE(state.entries().size(), size_t(1));
    QVERIFY(state.entries().front().prepared);
    QCOMPARE(state.entries().front().values, later);
}

void tst_SessionStateRecord::listens()
{
    SessionState state;
    run(state, u"LISTEN a"_s);
    run(state, u"LISTEN b"_s);
    QVERIFY(replayed(state).isEmpty()); // never on a reader
    QCOMPARE(replayed(state, true), QStringList({u"LISTEN a"_s, u"LISTEN b"_s}));
    run(state, u"UNLISTEN a"_s);
    QCOMPARE(replayed(state, true), QStringList({u"LISTEN b"_s}));
    run(state, u"UNLISTEN *"_s);
    QVERIFY(state.entries().empty());
}

void tst_SessionStateRecord::temporaryObjects()
{
    SessionState state;
    QVERIFY(!state.usesTemporaryObject(u"SELECT * FROM items"_s));
    run(state, u"CREATE TEMP TABLE Items (id int)"_s);
    run(state, u"SELECT 1 AS a INTO TEMP \"Other\""_s);
    QCOMPARE(state.temporaryObjects(), QStringList({u"items"_s, u"Other"_s}));
    QVERIFY(state.usesTemporaryObject(u"SELECT * FROM items"_s));
    QVERIFY(state.usesTemporaryObject(u"SELECT * FROM \"Other\""_s));
    QVERIFY(!state.usesTemporaryObject(u"SELECT * FROM other"_s));
    QVERIFY(state.usesTemporaryObject(u"SELECT * FROM pg_temp.x"_s));
    // No settings came with them.
    QCOMPARE(state.version(), 0u);

    run(state, u"DROP TABLE items"_s);
    QCOMPARE(state.temporaryObjects(), QStringList({u"Other"_s}));
    run(state, u"DROP TABLE public.\"Other\""_s);
    QCOMPARE(state.temporaryObjects(), QStringList({u"Other"_s}));
    run(state, u"DISCARD TEMP"_s);
    QVERIFY(!state.hasTemporaryObjects());

    run(state, u"CREATE TEMP VIEW v AS SELECT 1"_s);
    QVERIFY(state.hasTemporaryObjects());
    state.primaryConnectionReplaced();
    QVERIFY(!state.hasTemporaryObjects());
}

QTEST_APPLESS_MAIN(tst_SessionStateRecord)

#include "tst_sessionstaterecord.moc"
