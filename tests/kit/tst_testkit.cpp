// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// QPsqlHaTest::TestCluster, the kit's header-only helper, inside a CTest fixture: it must find
// the fixture's cluster (QPSQLHA_TEST_CLUSTER_DIR), hand out its settings as
// `qpsqlha-testcluster env` prints them, and give a QPSQLHA connection that reads from a replica
// and writes on the primary.

#include <qpsqlhaapi.h>
#include <qpsqlhatestcluster.h>

#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace Qt::StringLiterals;

class tst_TestKit : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void settingsOfTheFixture();
    void readsOnReplicaWritesOnPrimary();
    void environmentWinsWithoutFixture();
    void cleanupTestCase();

private:
    std::unique_ptr<QPsqlHaTest::TestCluster> m_cluster;
};

void tst_TestKit::initTestCase()
{
    QVERIFY2(qEnvironmentVariableIsSet("QPSQLHA_TEST_CLUSTER_DIR"),
             "run through ctest: the pgcluster fixture sets QPSQLHA_TEST_CLUSTER_DIR");
    m_cluster = std::make_unique<QPsqlHaTest::TestCluster>();
    QVERIFY2(m_cluster->isValid(), qPrintable(m_cluster->errorString()));
}

void tst_TestKit::settingsOfTheFixture()
{
    QCOMPARE(m_cluster->host(), u"127.0.0.1"_s);
    QVERIFY(m_cluster->port() > 0);
    const QStringList readers = m_cluster->readers().split(u',');
    QCOMPARE(readers.size(), 2);
    for (const QString &reader : readers)
        QVERIFY2(reader.startsWith(u"127.0.0.1:"_s), qPrintable(reader));
    QCOMPARE(m_cluster->connectOptions(), u"QPSQLHA_READERS="_s + m_cluster->readers());
    QVERIFY(!m_cluster->user().isEmpty());
    QVERIFY(!m_cluster->password().isEmpty());
    QVERIFY(!m_cluster->database().isEmpty());
}

void tst_TestKit::readsOnReplicaWritesOnPrimary()
{
    QSqlDatabase db = m_cluster->addDatabase(u"testkit"_s, u"QPSQLHA_CLUSTER=testkit"_s);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SELECT pg_is_in_recovery()"_s) && query.next());
    QVERIFY2(query.value(0).toBool(), "a read went to the primary");
    // txid_current() makes it a write: the primary.
    QVERIFY2(query.exec(u"SELECT pg_is_in_recovery(), txid_current()"_s) && query.next(),
             qPrintable(query.lastError().text()));
    QVERIFY(!query.value(0).toBool());
}

void tst_TestKit::environmentWinsWithoutFixture()
{
    const QByteArray dir = qgetenv("QPSQLHA_TEST_CLUSTER_DIR");
    qunsetenv("QPSQLHA_TEST_CLUSTER_DIR");
    qputenv("QPSQLHA_TEST_HOST", "::1");
    qputenv("QPSQLHA_TEST_PORT", "5999");
    {
        QPsqlHaTest::TestCluster fromEnvironment;
        QVERIFY(fromEnvironment.isValid());
        QCOMPARE(fromEnvironment.host(), u"::1"_s);
        QCOMPARE(fromEnvironment.port(), 5999);
    }
    qunsetenv("QPSQLHA_TEST_HOST");
    qunsetenv("QPSQLHA_TEST_PORT");
    qputenv("QPSQLHA_TEST_CLUSTER_DIR", dir);
}

void tst_TestKit::cleanupTestCase()
{
    QVERIFY(QSqlDatabase::contains(u"testkit"_s));
    m_cluster.reset();
    // addDatabase()'s connections go with the TestCluster.
    QVERIFY(!QSqlDatabase::contains(u"testkit"_s));
}

QTEST_GUILESS_MAIN(tst_TestKit)
#include "tst_testkit.moc"
