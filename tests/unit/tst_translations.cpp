// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The driver's and qpsqlha-ctl's messages go through Qt's translation (context "QPSQLHA"): with
// a translator installed they come out translated, %1 arguments still filled in, and a
// configuration that succeeds asks the translator nothing. No PostgreSQL: the errors here are
// made before any server is reached (or by a port nobody listens on).

#include <qpsqlhaconfig.h>
#include <qpsqlhaconnectoptions_p.h>

#include <ctlformat.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtranslator.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtTest/qtest.h>

#include <atomic>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

// Stands for a .qm (Qt's LinguistTools are not required to build the tests): every text of
// context QPSQLHA comes back marked; any other context is left to the next translator.
class MarkingTranslator : public QTranslator
{
public:
    QString translate(const char *context, const char *sourceText, const char *disambiguation,
                      int n) const override
    {
        Q_UNUSED(disambiguation);
        Q_UNUSED(n);
        if (qstrcmp(context, "QPSQLHA") != 0)
            return QString();
        ++lookups;
        return u"[xx] "_s + QString::fromUtf8(sourceText);
    }
    bool isEmpty() const override { return false; }

    mutable std::atomic<int> lookups {0};
};

} // namespace

class tst_Translations : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void connectOptionErrorIsTranslated();
    void driverOpenErrorIsTranslated();
    void unreachableNodeErrorIsTranslated();
    void ctlMessageIsTranslated();
    void successAsksNoTranslation();
    void withoutTranslatorTextsAreTheSource();

private:
    MarkingTranslator *m_translator = nullptr;
};

void tst_Translations::init()
{
    m_translator = new MarkingTranslator;
    QVERIFY(QCoreApplication::installTranslator(m_translator));
}

void tst_Translations::cleanup()
{
    QCoreApplication::removeTranslator(m_translator);
    delete m_translator;
    m_translator = nullptr;
}

void tst_Translations::connectOptionErrorIsTranslated()
{
    ClusterSettings settings;
    QString error;
    QVERIFY(!parseConnectionParameters(
        {u"10.0.0.1"_s, 5432, u"db"_s, u"u"_s, u"p"_s, u"QPSQLHA_POLICY=sideways"_s}, &settings,
        &error));
    // Both the frame and the expectation inside it are translated, the arguments filled in.
    QCOMPARE(error,
             u"[xx] QPSQLHA: invalid value 'sideways' for QPSQLHA_POLICY: [xx] expected random, "
             "round_robin, least_busy or fastest"_s);
}

void tst_Translations::driverOpenErrorIsTranslated()
{
    if (!QSqlDatabase::isDriverAvailable(u"QPSQLHA"_s))
        QSKIP("the QPSQLHA plugin is not on QT_PLUGIN_PATH");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, u"translated"_s);
        db.setHostName(u"127.0.0.1"_s);
        db.setConnectOptions(u"QPSQLHA_NO_SUCH_OPTION=1"_s);
        QVERIFY(!db.open());
        QCOMPARE(db.lastError().text(), u"[xx] QPSQLHA: unknown option 'QPSQLHA_NO_SUCH_OPTION'"_s);
        QCOMPARE(db.lastError().type(), QSqlError::ConnectionError);
    }
    QSqlDatabase::removeDatabase(u"translated"_s);
}

// A session failure that reaches QSqlError: no node answers.
void tst_Translations::unreachableNodeErrorIsTranslated()
{
    if (!QSqlDatabase::isDriverAvailable(u"QPSQLHA"_s))
        QSKIP("the QPSQLHA plugin is not on QT_PLUGIN_PATH");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, u"unreachable"_s);
        db.setHostName(u"127.0.0.1"_s);
        db.setPort(1); // nobody listens there: refused at once
        db.setDatabaseName(u"postgres"_s);
        db.setConnectOptions(u"QPSQLHA_CLUSTER=translations-unreachable;connect_timeout=2"_s);
        QVERIFY(!db.open());
        // QSqlError::text() puts the nodes' reasons (databaseText) first.
        QVERIFY2(db.lastError().driverText().startsWith(
                     u"[xx] QPSQLHA: no node of cluster 'translations-unreachable' could be "
                     "reached"_s),
                 qPrintable(db.lastError().text()));
    }
    QSqlDatabase::removeDatabase(u"unreachable"_s);
}

void tst_Translations::ctlMessageIsTranslated()
{
    QPsqlHaCtl::NodeAddress address;
    QString error;
    QVERIFY(!QPsqlHaCtl::parseNodeAddress(u":5432"_s, &address, &error));
    QCOMPARE(error, u"[xx] bad node ':5432': the host is missing"_s);
}

void tst_Translations::successAsksNoTranslation()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(
        parseConnectionParameters(
            {u"10.0.0.1"_s, 5432, u"db"_s, u"u"_s, u"p"_s,
             u"QPSQLHA_READERS=10.0.0.2;QPSQLHA_POLICY=fastest;QPSQLHA_WEIGHTS=10.0.0.2:5432=3;"
             "connect_timeout=2"_s},
            &settings, &error),
        qPrintable(error));

    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 5432, u"u"_s, u"p"_s, QString(), u"db"_s, false});
    config.setHealthInterval(500);
    config.setQueryTimeout(1000);
    config.setReaderBurst(4);
    config.setMaxLagBytes(10);
    config.setMaxLagMs(10);
    QVERIFY2(clusterSettingsFromConfig(u"s"_s, config, false, &settings, &error),
             qPrintable(error));

    QPsqlHaCtl::NodeAddress address;
    QVERIFY(QPsqlHaCtl::parseNodeAddress(u"[::1]:5432"_s, &address, &error));
    QCOMPARE(m_translator->lookups.load(), 0);
}

void tst_Translations::withoutTranslatorTextsAreTheSource()
{
    cleanup();
    QPsqlHaCtl::NodeAddress address;
    QString error;
    QVERIFY(!QPsqlHaCtl::parseNodeAddress(u":5432"_s, &address, &error));
    QCOMPARE(error, u"bad node ':5432': the host is missing"_s);
    init();
}

QTEST_GUILESS_MAIN(tst_Translations)
#include "tst_translations.moc"
