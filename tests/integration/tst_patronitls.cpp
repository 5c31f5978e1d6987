// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// QPSQLHA_PATRONI over https with basic auth (issue 13): the certificate is verified against
// QPSQLHA_PATRONI_CA, the user comes from QPSQLHA_PATRONI_USER and the password from the
// environment. The fixture's Patroni serves plain HTTP with open GETs, so it is reached through
// a small TLS + auth front (patroni-tls-proxy.py) with a self-signed certificate made here.

#include <hahelpers.h>
#include <patronitestcluster.h>

#include <qpsqlhaapi.h>

#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using QPsqlHaTest::PatroniTestCluster;

namespace {

const QString User = u"patroni-reader"_s;
const QString Password = u"Tls-s3cret"_s;

QPsqlHa::ClusterStatus clusterStatus(const QString &name)
{
    for (const QPsqlHa::ClusterStatus &status : QPsqlHa::clusters()) {
        if (status.name == name)
            return status;
    }
    return {};
}

} // namespace

class tst_PatroniTls : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void httpsWithCaAndBasicAuth();
    void certificateNotTrustedIsRefused();
    void wrongPasswordIsRefused();

private:
    QSqlDatabase database(const QString &connection, const QString &options);
    bool openWith(const QString &connection, const QString &options, const QString &password,
                  QString *error);

    const PatroniTestCluster &cluster = PatroniTestCluster::instance();
    QTemporaryDir m_dir;
    QProcess m_proxy;
    QString m_url;
    int m_next = 0;
};

void tst_PatroniTls::initTestCase()
{
    if (!cluster.skipReason().isEmpty())
        QSKIP(qPrintable(cluster.skipReason()));
    QVERIFY2(cluster.isValid(), qPrintable(cluster.errorString()));
    QVERIFY(m_dir.isValid());
    const QString cert = m_dir.filePath(u"cert.pem"_s);
    const QString key = m_dir.filePath(u"key.pem"_s);
    // A self-signed certificate for 127.0.0.1: trusted only through QPSQLHA_PATRONI_CA.
    QProcess openssl;
    openssl.setStandardOutputFile(QProcess::nullDevice());
    openssl.setStandardErrorFile(QProcess::nullDevice());
    openssl.start(u"openssl"_s,
                  {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-days"_s,
                   u"2"_s, u"-subj"_s, u"/CN=127.0.0.1"_s, u"-addext"_s,
                   u"subjectAltName=IP:127.0.0.1"_s, u"-keyout"_s, key, u"-out"_s, cert});
    QVERIFY2(openssl.waitForFinished(60000), qPrintable(openssl.errorString()));
    QCOMPARE(openssl.exitCode(), 0);

    m_proxy.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_proxy.start(u"python3"_s,
                  {QStringLiteral(QPSQLHA_TLS_PROXY), cert, key, User, Password,
                   cluster.restUrl(cluster.leader())});
    QVERIFY2(m_proxy.waitForStarted(), qPrintable(m_proxy.errorString()));
    QVERIFY(m_proxy.waitForReadyRead(10000));
    const int port = m_proxy.readLine().trimmed().toInt();
    QVERIFY(port > 0);
    m_url = u"https://127.0.0.1:%1"_s.arg(port);
}

void tst_PatroniTls::cleanupTestCase()
{
    m_proxy.kill();
    m_proxy.waitForFinished();
    qunsetenv("QPSQLHA_PATRONI_PASSWORD");
}

QSqlDatabase tst_PatroniTls::database(const QString &connection, const QString &options)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, connection);
    db.setDatabaseName(cluster.database());
    db.setUserName(cluster.user());
    db.setPassword(cluster.password());
    // No host and no readers: every node comes from Patroni, through the https front.
    db.setConnectOptions(u"QPSQLHA_PATRONI=%1;QPSQLHA_CLUSTER=tls%2;QPSQLHA_HEALTH_INTERVAL=500;"
                         "connect_timeout=3;%3"_s.arg(m_url)
                             .arg(++m_next)
                             .arg(options));
    return db;
}

bool tst_PatroniTls::openWith(const QString &connection, const QString &options,
                              const QString &password, QString *error)
{
    qputenv("QPSQLHA_PATRONI_PASSWORD", password.toUtf8());
    bool opened = false;
    {
        QSqlDatabase db = database(connection, options);
        opened = db.open();
        *error = db.lastError().text();
    }
    QSqlDatabase::removeDatabase(connection);
    return opened;
}

void tst_PatroniTls::httpsWithCaAndBasicAuth()
{
    qputenv("QPSQLHA_PATRONI_PASSWORD", Password.toUtf8());
    const QString options = u"QPSQLHA_PATRONI_CA=%1;QPSQLHA_PATRONI_USER=%2"_s.arg(
        m_dir.filePath(u"cert.pem"_s), User);
    {
        QSqlDatabase db = database(u"tls"_s, options);
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QSqlQuery query(db);
        for (int i = 0; i < 20; ++i)
            QVERIFY2(QPsqlHaTest::servedBy(query) > 0, qPrintable(query.lastError().text()));
        const QString name = u"tls%1"_s.arg(m_next);
        QTRY_VERIFY_WITH_TIMEOUT(!clusterStatus(name).source.scope.isEmpty(), 5000);
        const QPsqlHa::ClusterStatus status = clusterStatus(name);
        QCOMPARE(status.source.scope, cluster.scope());
        QCOMPARE(status.source.url, m_url);
        QVERIFY(status.source.lastAnswer.isValid());
        QVERIFY2(status.source.error.isEmpty(), qPrintable(status.source.error));
        QVERIFY(status.nodes.size() >= 2);
        qInfo("followed %lld members through %s", qlonglong(status.nodes.size()),
              qPrintable(m_url));
    }
    QSqlDatabase::removeDatabase(u"tls"_s);
}

void tst_PatroniTls::certificateNotTrustedIsRefused()
{
    // The right credentials, but the self-signed certificate is not among the system CAs.
    QString error;
    QVERIFY(!openWith(u"untrusted"_s, u"QPSQLHA_PATRONI_USER=%1"_s.arg(User), Password, &error));
    qInfo("untrusted certificate: %s", qPrintable(error));
    QVERIFY2(error.contains(u"no Patroni endpoint"_s), qPrintable(error));
    QVERIFY2(error.contains(m_url), qPrintable(error));
    QVERIFY2(error.contains(u"SSL"_s), qPrintable(error));
}

void tst_PatroniTls::wrongPasswordIsRefused()
{
    const QString wrong = u"not-the-Password"_s;
    QString error;
    QVERIFY(!openWith(
        u"wrong"_s,
        u"QPSQLHA_PATRONI_CA=%1;QPSQLHA_PATRONI_USER=%2"_s.arg(m_dir.filePath(u"cert.pem"_s), User),
        wrong, &error));
    qInfo("wrong password: %s", qPrintable(error));
    QVERIFY2(error.contains(u"no Patroni endpoint"_s), qPrintable(error));
    QVERIFY2(error.contains(u"401"_s), qPrintable(error));
    // The password is never repeated.
    QVERIFY(!error.contains(wrong));
}

QTEST_MAIN(tst_PatroniTls)

#include "tst_patronitls.moc"
