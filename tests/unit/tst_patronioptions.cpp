// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// QPSQLHA_PATRONI and its companions in the connect options and the C++ API: which endpoints
// are taken, which are refused and with what message, and that the REST API's password comes
// from the environment only and is never part of a message or a cluster name.

#include <qpsqlhaconnectoptions_p.h>

#include <QtCore/qtemporaryfile.h>
#include <QtTest/qtest.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

const QString dbSecret = u"db-Pa55word"_s;
const QString restSecret = u"rest-S3cret"_s;

ConnectionParameters withoutHost(const QString &options)
{
    return {QString(), -1, u"testdb"_s, u"app"_s, dbSecret, options};
}

// Unsets the Patroni password variables for the test's duration and restores nothing: the test
// process owns its environment.
void clearPasswordEnvironment()
{
    qunsetenv("QPSQLHA_PATRONI_PASSWORD");
    qunsetenv("QPSQLHA_PATRONI_PASSWORD_FILE");
}

} // namespace

class tst_PatroniOptions : public QObject
{
    Q_OBJECT

private slots:
    void init() { clearPasswordEnvironment(); }

    void endpointsOnly();
    void hostAndReadersAreFirstNodes();
    void readersWithoutHost();
    void badUrls_data();
    void badUrls();
    void passwordNotInOptions();
    void passwordFromEnvironment();
    void passwordFromFile();
    void caFileMustBeReadable();
    void companionsNeedPatroni();
    void replicationConfigWithoutWriteNode();
};

void tst_PatroniOptions::endpointsOnly()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(
                 withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008, https://pg2.example:8443/"_s),
                 &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.patroni.urls,
             QStringList({u"http://pg1:8008"_s, u"https://pg2.example:8443"_s}));
    QVERIFY(settings.patroni.isEnabled());
    // No node yet: Patroni's first answer gives them.
    QVERIFY(settings.nodes.isEmpty());
    QCOMPARE(settings.name, u"patroni:pg1:8008/testdb"_s);
    // Members get the connection's credentials.
    QCOMPARE(settings.nodeTemplate.user, u"app"_s);
    QCOMPARE(settings.nodeTemplate.password, dbSecret);
    QCOMPARE(settings.nodeTemplate.database, u"testdb"_s);
    QVERIFY(settings.patroni.user.isEmpty());
    QVERIFY(settings.patroni.password.isEmpty());
}

void tst_PatroniOptions::hostAndReadersAreFirstNodes()
{
    ClusterSettings settings;
    QString error;
    ConnectionParameters parameters
        = withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008;QPSQLHA_READERS=10.0.0.2,10.0.0.3:5433"_s);
    parameters.host = u"10.0.0.1"_s;
    parameters.port = 5432;
    QVERIFY2(parseConnectionParameters(parameters, &settings, &error), qPrintable(error));
    QCOMPARE(settings.addresses(),
             QStringList({u"10.0.0.1:5432"_s, u"10.0.0.2:5432"_s, u"10.0.0.3:5433"_s}));
    QCOMPARE(settings.nodes.first().role, NodeRole::Primary);
    QCOMPARE(settings.name, u"10.0.0.1:5432/testdb"_s);
}

void tst_PatroniOptions::readersWithoutHost()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(
                 withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008;QPSQLHA_READERS=pg2:5433,pg3"_s),
                 &settings, &error),
             qPrintable(error));
    // The first reader is the first node to try for writes; our probe decides.
    QCOMPARE(settings.addresses(), QStringList({u"pg2:5433"_s, u"pg3:5432"_s}));
    QCOMPARE(settings.nodes.first().role, NodeRole::Primary);
    QCOMPARE(settings.nodes.last().role, NodeRole::Reader);
}

void tst_PatroniOptions::badUrls_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("scheme") << u"ftp://pg1:8008"_s << u"scheme must be http or https"_s;
    QTest::newRow("no host") << u"http://:8008"_s << u"no host"_s;
    QTest::newRow("not a url") << u"pg1:8008"_s << u"scheme must be http or https"_s;
    QTest::newRow("relative") << u"/cluster"_s << u"not a URL"_s;
    QTest::newRow("empty") << u""_s << u"empty entry"_s;
    QTest::newRow("empty entry") << u"http://pg1:8008,"_s << u"empty entry"_s;
    QTest::newRow("user and password")
        << u"http://patroni:%1@pg1:8008"_s.arg(restSecret) << u"no user or password"_s;
    QTest::newRow("query") << u"http://pg1:8008/?x=1"_s << u"no query"_s;
    QTest::newRow("twice") << u"http://pg1:8008,http://pg1:8008/"_s << u"listed twice"_s;
    QTest::newRow("bad port") << u"http://pg1:99999"_s << u"not a URL"_s;
}

void tst_PatroniOptions::badUrls()
{
    QFETCH(QString, value);
    QFETCH(QString, expected);
    ClusterSettings settings;
    QString error;
    QVERIFY(
        !parseConnectionParameters(withoutHost(u"QPSQLHA_PATRONI="_s + value), &settings, &error));
    QVERIFY2(error.startsWith(u"QPSQLHA: invalid value for QPSQLHA_PATRONI: "_s),
             qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    // A password written into a URL is never repeated.
    QVERIFY2(!error.contains(restSecret), qPrintable(error));
}

void tst_PatroniOptions::passwordNotInOptions()
{
    ClusterSettings settings;
    QString error;
    QVERIFY(!parseConnectionParameters(
        withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008;QPSQLHA_PATRONI_PASSWORD="_s + restSecret),
        &settings, &error));
    QVERIFY2(error.contains(u"not taken from the connect options"_s), qPrintable(error));
    QVERIFY2(!error.contains(restSecret), qPrintable(error));
}

void tst_PatroniOptions::passwordFromEnvironment()
{
    qputenv("QPSQLHA_PATRONI_PASSWORD", restSecret.toUtf8());
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(
                 withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008;QPSQLHA_PATRONI_USER=ops"_s),
                 &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.patroni.user, u"ops"_s);
    QCOMPARE(settings.patroni.password, restSecret);
    QVERIFY(!settings.name.contains(restSecret));
    QVERIFY(!settings.patroni.urls.join(u',').contains(restSecret));

    // An error of the same options names no password either.
    QVERIFY(!parseConnectionParameters(
        withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008;QPSQLHA_PATRONI_USER=ops;QPSQLHA_POLICY=x"_s),
        &settings, &error));
    QVERIFY2(!error.contains(restSecret), qPrintable(error));
}

void tst_PatroniOptions::passwordFromFile()
{
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write(restSecret.toUtf8() + "\n");
    file.close();

    // From the environment.
    qputenv("QPSQLHA_PATRONI_PASSWORD_FILE", file.fileName().toUtf8());
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008"_s), &settings,
                                       &error),
             qPrintable(error));
    QCOMPARE(settings.patroni.password, restSecret); // without the newline
    clearPasswordEnvironment();

    // Named in the options (a path is no secret).
    QVERIFY2(parseConnectionParameters(
                 withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008;QPSQLHA_PATRONI_PASSWORD_FILE="_s
                             + file.fileName()),
                 &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.patroni.password, restSecret);

    // A file that cannot be read is an error that names the file.
    qputenv("QPSQLHA_PATRONI_PASSWORD_FILE", "/nonexistent/qpsqlha-password");
    QVERIFY(!parseConnectionParameters(withoutHost(u"QPSQLHA_PATRONI=http://pg1:8008"_s), &settings,
                                       &error));
    QVERIFY2(error.contains(u"/nonexistent/qpsqlha-password"_s), qPrintable(error));
}

void tst_PatroniOptions::caFileMustBeReadable()
{
    ClusterSettings settings;
    QString error;
    QVERIFY(!parseConnectionParameters(
        withoutHost(u"QPSQLHA_PATRONI=https://pg1:8008;QPSQLHA_PATRONI_CA=/nonexistent/ca.pem"_s),
        &settings, &error));
    QVERIFY2(error.contains(u"QPSQLHA_PATRONI_CA"_s) && error.contains(u"readable PEM file"_s),
             qPrintable(error));

    QTemporaryFile file;
    QVERIFY(file.open());
    QVERIFY2(parseConnectionParameters(
                 withoutHost(u"QPSQLHA_PATRONI=https://pg1:8008;QPSQLHA_PATRONI_CA="_s
                             + file.fileName()),
                 &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.patroni.caFile, file.fileName());
}

void tst_PatroniOptions::companionsNeedPatroni()
{
    ClusterSettings settings;
    QString error;
    ConnectionParameters parameters = withoutHost(u"QPSQLHA_PATRONI_USER=ops"_s);
    parameters.host = u"10.0.0.1"_s;
    QVERIFY(!parseConnectionParameters(parameters, &settings, &error));
    QVERIFY2(error.contains(u"QPSQLHA_PATRONI_USER is given without QPSQLHA_PATRONI"_s),
             qPrintable(error));
}

void tst_PatroniOptions::replicationConfigWithoutWriteNode()
{
    ReplicationConfig config;
    NodeConfig defaults;
    defaults.user = u"app"_s;
    defaults.password = dbSecret;
    defaults.database = u"appdb"_s;
    config.setPatroni({u"http://pg1:8008"_s, u"http://pg2:8008"_s}, defaults);
    config.setPatroniUser(u"ops"_s);
    ClusterSettings settings;
    QString error;
    QVERIFY2(clusterSettingsFromConfig(u"orders"_s, config, false, &settings, &error),
             qPrintable(error));
    QVERIFY(settings.nodes.isEmpty());
    QCOMPARE(settings.patroni.urls, QStringList({u"http://pg1:8008"_s, u"http://pg2:8008"_s}));
    QCOMPARE(settings.patroni.user, u"ops"_s);
    QCOMPARE(settings.nodeTemplate.user, u"app"_s);
    QCOMPARE(settings.nodeTemplate.database, u"appdb"_s);
    QCOMPARE(settings.name, u"orders"_s);

    // Without Patroni the write node stays required.
    ReplicationConfig plain;
    QVERIFY(!clusterSettingsFromConfig(u"plain"_s, plain, false, &settings, &error));
    QVERIFY2(error.contains(u"needs exactly one write node"_s), qPrintable(error));
}

QTEST_APPLESS_MAIN(tst_PatroniOptions)

#include "tst_patronioptions.moc"
