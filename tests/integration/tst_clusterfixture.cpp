// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Checks the test cluster itself (testkit/qpsqlha-testcluster and TestCluster), so that a broken
// fixture shows up here and not as puzzling failures of the driver's tests.

#include <testcluster.h>

#include <QtCore/qfile.h>
#include <QtCore/qobject.h>
#include <QtCore/quuid.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

using QPsqlHaTest::Node;
using QPsqlHaTest::TestCluster;

Q_DECLARE_METATYPE(QPsqlHaTest::Node)

class tst_ClusterFixture : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void environment();
    void recoveryState_data();
    void recoveryState();
    void serverPort_data();
    void serverPort();
    void readersRefuseWrites();
    void writeOnPrimaryReachesReaders();
    void readerStopAndStart_data();
    void readerStopAndStart();
    void primaryStopAndStart();
    void openDirect_data();
    void openDirect();

private:
    // Inserts a fresh token on the primary and returns it (empty on failure, with a QWARN).
    QString insertToken();
    bool readerHasToken(Node reader, const QString &token, QString *error);

    TestCluster &cluster = TestCluster::instance();
};

static const char ProbeTable[] = "qpsqlha_fixture_probe";

static void addNodeRows()
{
    QTest::newRow("primary") << Node::Primary;
    QTest::newRow("reader1") << Node::Reader1;
    QTest::newRow("reader2") << Node::Reader2;
}

void tst_ClusterFixture::initTestCase()
{
    QVERIFY2(cluster.isValid(), qPrintable(cluster.errorString()));
    QVERIFY(cluster.ensureAllRunning());
    QString error;
    QVERIFY2(
        cluster.execOn(Node::Primary,
                       QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (id bigserial PRIMARY KEY,"
                                      " token text NOT NULL)")
                           .arg(QLatin1String(ProbeTable)),
                       &error),
        qPrintable(error));
    // The tests below read the table on the readers.
    QVERIFY(cluster.waitForReplication());
}

void tst_ClusterFixture::cleanupTestCase()
{
    if (!cluster.isValid())
        return; // initTestCase said why
    // Whatever failed above, hand a complete cluster to the next test.
    QVERIFY(cluster.ensureAllRunning());
    QString error;
    QVERIFY2(cluster.execOn(
                 Node::Primary,
                 QStringLiteral("DROP TABLE IF EXISTS %1").arg(QLatin1String(ProbeTable)), &error),
             qPrintable(error));
}

QString tst_ClusterFixture::insertToken()
{
    const QString token = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString error;
    if (!cluster.execOn(Node::Primary,
                        QStringLiteral("INSERT INTO %1 (token) VALUES ('%2')")
                            .arg(QLatin1String(ProbeTable), token),
                        &error)) {
        qWarning().noquote() << "insert on the primary failed:" << error;
        return QString();
    }
    return token;
}

bool tst_ClusterFixture::readerHasToken(Node reader, const QString &token, QString *error)
{
    return cluster.queryValue(reader,
                              QStringLiteral("SELECT count(*) FROM %1 WHERE token = '%2'")
                                  .arg(QLatin1String(ProbeTable), token),
                              error)
        == QLatin1String("1");
}

void tst_ClusterFixture::environment()
{
    QVERIFY(!cluster.host().isEmpty());
    QVERIFY(!cluster.database().isEmpty());
    QVERIFY(!cluster.user().isEmpty());
    QVERIFY(!cluster.password().isEmpty());

    const int primary = cluster.port(Node::Primary);
    const int reader1 = cluster.port(Node::Reader1);
    const int reader2 = cluster.port(Node::Reader2);
    QVERIFY(primary > 0 && reader1 > 0 && reader2 > 0);
    QVERIFY(primary != reader1 && primary != reader2 && reader1 != reader2);

    QCOMPARE(cluster.readersOption(),
             cluster.host() + u':' + QString::number(reader1) + u',' + cluster.host() + u':'
                 + QString::number(reader2));
    QVERIFY(QFile::exists(cluster.stateDir() + QStringLiteral("/cluster.env")));
}

void tst_ClusterFixture::recoveryState_data()
{
    QTest::addColumn<Node>("node");
    QTest::addColumn<QString>("inRecovery");
    QTest::newRow("primary") << Node::Primary << QStringLiteral("f");
    QTest::newRow("reader1") << Node::Reader1 << QStringLiteral("t");
    QTest::newRow("reader2") << Node::Reader2 << QStringLiteral("t");
}

void tst_ClusterFixture::recoveryState()
{
    QFETCH(Node, node);
    QFETCH(QString, inRecovery);
    QString error;
    const QString value
        = cluster.queryValue(node, QStringLiteral("SELECT pg_is_in_recovery()"), &error);
    QVERIFY2(!value.isNull(), qPrintable(error));
    QCOMPARE(value, inRecovery);
}

void tst_ClusterFixture::serverPort_data()
{
    QTest::addColumn<Node>("node");
    addNodeRows();
}

void tst_ClusterFixture::serverPort()
{
    QFETCH(Node, node);
    QString error;
    const QString value
        = cluster.queryValue(node, QStringLiteral("SELECT inet_server_port()"), &error);
    QVERIFY2(!value.isNull(), qPrintable(error));
    QCOMPARE(value, QString::number(cluster.port(node)));
}

void tst_ClusterFixture::readersRefuseWrites()
{
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QString error;
        QVERIFY(!cluster.execOn(
            reader,
            QStringLiteral("INSERT INTO %1 (token) VALUES ('x')").arg(QLatin1String(ProbeTable)),
            &error));
        QVERIFY2(error.contains(QLatin1String("read-only transaction")), qPrintable(error));
        QVERIFY(!cluster.execOn(
            reader, QStringLiteral("CREATE TABLE qpsqlha_fixture_readonly (i int)"), &error));
        QVERIFY2(error.contains(QLatin1String("read-only transaction")), qPrintable(error));
    }
}

void tst_ClusterFixture::writeOnPrimaryReachesReaders()
{
    const QString token = insertToken();
    QVERIFY(!token.isEmpty());
    QVERIFY(cluster.waitForReplication());
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QString error;
        QVERIFY2(readerHasToken(reader, token, &error),
                 qPrintable(TestCluster::nodeName(reader) + u' ' + error));
    }
}

void tst_ClusterFixture::readerStopAndStart_data()
{
    QTest::addColumn<Node>("reader");
    QTest::addColumn<bool>("immediate");
    QTest::newRow("reader1 immediate") << Node::Reader1 << true;
    QTest::newRow("reader2 fast") << Node::Reader2 << false;
}

void tst_ClusterFixture::readerStopAndStart()
{
    QFETCH(Node, reader);
    QFETCH(bool, immediate);
    const Node other = reader == Node::Reader1 ? Node::Reader2 : Node::Reader1;

    QVERIFY(cluster.stopNode(reader, immediate));
    QVERIFY(!cluster.isRunning(reader));
    QString error;
    QVERIFY(cluster.queryValue(reader, QStringLiteral("SELECT 1"), &error).isNull());
    QVERIFY(!error.isEmpty());
    // Stopping again is fine.
    QVERIFY(cluster.stopNode(reader, immediate));

    // The rest of the cluster carries on, and waiting for replication skips the stopped reader.
    QCOMPARE(cluster.queryValue(other, QStringLiteral("SELECT 1")), QStringLiteral("1"));
    const QString token = insertToken();
    QVERIFY(!token.isEmpty());
    QVERIFY(cluster.waitForReplication());
    QVERIFY2(readerHasToken(other, token, &error), qPrintable(error));

    QVERIFY(cluster.startNode(reader));
    QVERIFY(cluster.isRunning(reader));
    QVERIFY(cluster.startNode(reader)); // already running: no-op
    QVERIFY(cluster.ensureAllRunning());
    QCOMPARE(cluster.queryValue(reader, QStringLiteral("SELECT status FROM pg_stat_wal_receiver")),
             QStringLiteral("streaming"));
    QCOMPARE(cluster.queryValue(reader, QStringLiteral("SELECT inet_server_port()")),
             QString::number(cluster.port(reader)));

    // What was written while it was down arrives once it streams again.
    QVERIFY(cluster.waitForReplication());
    QVERIFY2(readerHasToken(reader, token, &error), qPrintable(error));
}

void tst_ClusterFixture::primaryStopAndStart()
{
    QVERIFY(cluster.stopNode(Node::Primary));
    QVERIFY(!cluster.isRunning(Node::Primary));
    // The readers keep serving reads without their primary.
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QString error;
        QCOMPARE(cluster.queryValue(reader, QStringLiteral("SELECT pg_is_in_recovery()"), &error),
                 QStringLiteral("t"));
    }

    QVERIFY(cluster.startNode(Node::Primary));
    QVERIFY(cluster.ensureAllRunning());
    QCOMPARE(cluster.queryValue(Node::Primary, QStringLiteral("SELECT pg_is_in_recovery()")),
             QStringLiteral("f"));
    const QString token = insertToken();
    QVERIFY(!token.isEmpty());
    QVERIFY(cluster.waitForReplication());
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QString error;
        QVERIFY2(readerHasToken(reader, token, &error),
                 qPrintable(TestCluster::nodeName(reader) + u' ' + error));
    }
}

void tst_ClusterFixture::openDirect_data()
{
    QTest::addColumn<Node>("node");
    addNodeRows();
}

void tst_ClusterFixture::openDirect()
{
    QFETCH(Node, node);
    const QString connectionName = QStringLiteral("tst_clusterfixture_direct");
    {
        QSqlDatabase db = cluster.openDirect(node, connectionName);
        QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
        QCOMPARE(db.driverName(), QStringLiteral("QPSQL"));
        QSqlQuery query(db);
        QVERIFY2(query.exec(QStringLiteral("SELECT inet_server_port(), pg_is_in_recovery()")),
                 qPrintable(query.lastError().text()));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), cluster.port(node));
        QCOMPARE(query.value(1).toBool(), node != Node::Primary);
    }
    QSqlDatabase::removeDatabase(connectionName);
}

QTEST_GUILESS_MAIN(tst_ClusterFixture)

#include "tst_clusterfixture.moc"
