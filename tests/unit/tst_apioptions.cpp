// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The C++ API can say everything the connect options can: for every QPSQLHA_* key (and libpq
// keywords) one row sets a non-default value three ways -- QSqlDatabase's connect options, the
// C++ API's setters, and the C++ API's setConnectOptions() -- and the resulting ClusterSettings
// must be equal member by member. A key of the parser without a row, or a ClusterSettings member
// that no row changes, fails the coverage test.

#include <qpsqlhaconfig.h>
#include <qpsqlhaconnectoptions_p.h>

#include <QtCore/qset.h>
#include <QtTest/qtest.h>

#include <functional>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

const QString secret = u"s3cret-Pa55word"_s;
const QString defaultSetName = u"api"_s;
const QString libpqRowKey = u"libpq keyword"_s;

NodeConfig node(const QString &host, int port, int weight = 1)
{
    NodeConfig config {host, port, u"app"_s, secret, QString(), u"testdb"_s, false};
    config.weight = weight;
    return config;
}

// Any readable file will do where a file is asked for: this test's source.
QString readableFile()
{
    return QStringLiteral(QT_TESTCASE_SOURCEDIR "/tst_apioptions.cpp");
}

struct Row
{
    const char *tag;
    QString key; // the connect option this row stands for
    QString options; // as given to QSqlDatabase::setConnectOptions()
    // The same through the C++ API; `write` is appended as the write node afterwards.
    std::function<void(ReplicationConfig &config, NodeConfig &write)> api;
    bool debug = false; // initDatabases()'s debug argument
    QString setName = defaultSetName;
};

const QList<Row> &rows()
{
    static const QList<Row> table {
        {"readers", u"QPSQLHA_READERS"_s, u"QPSQLHA_READERS=10.0.0.2,[::1]:5433"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.appendReadNodeConfig(node(u"10.0.0.2"_s, 5432));
             c.appendReadNodeConfig(node(u"::1"_s, 5433));
         }},
        {"health interval", u"QPSQLHA_HEALTH_INTERVAL"_s, u"QPSQLHA_HEALTH_INTERVAL=750"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setHealthInterval(750);
         }},
        {"query timeout", u"QPSQLHA_QUERY_TIMEOUT"_s, u"QPSQLHA_QUERY_TIMEOUT=0"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setQueryTimeout(0);
         }},
        {"policy", u"QPSQLHA_POLICY"_s, u"QPSQLHA_POLICY=least_busy"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setPolicy(Policy::LeastBusy);
         }},
        {"consistency", u"QPSQLHA_CONSISTENCY"_s, u"QPSQLHA_CONSISTENCY=read_your_writes"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setConsistency(Consistency::ReadYourWrites);
         }},
        {"max lag bytes", u"QPSQLHA_MAX_LAG_BYTES"_s, u"QPSQLHA_MAX_LAG_BYTES=1048576"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setMaxLagBytes(1048576);
         }},
        {"max lag ms", u"QPSQLHA_MAX_LAG_MS"_s, u"QPSQLHA_MAX_LAG_MS=2500"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setMaxLagMs(2500);
         }},
        {"weights of readers", u"QPSQLHA_WEIGHTS"_s,
         u"QPSQLHA_READERS=10.0.0.2,10.0.0.3:5433;QPSQLHA_WEIGHTS=10.0.0.3:5433=7,10.0.0.2:5432=0"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.appendReadNodeConfig(node(u"10.0.0.2"_s, 5432, 0));
             c.appendReadNodeConfig(node(u"10.0.0.3"_s, 5433, 7));
         }},
        {"weight of the primary", u"QPSQLHA_WEIGHTS"_s,
         u"QPSQLHA_PRIMARY_READS=1;QPSQLHA_WEIGHTS=10.0.0.1:5432=3"_s,
         [](ReplicationConfig &c, NodeConfig &write) {
             c.setPrimaryReads(true);
             write.weight = 3;
         }},
        {"reader affinity", u"QPSQLHA_READER_AFFINITY"_s, u"QPSQLHA_READER_AFFINITY=connection"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setReaderAffinity(ReaderAffinity::Connection);
         }},
        {"reader burst", u"QPSQLHA_READER_BURST"_s, u"QPSQLHA_READER_BURST=3"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setReaderBurst(3);
         }},
        {"primary reads", u"QPSQLHA_PRIMARY_READS"_s, u"QPSQLHA_PRIMARY_READS=yes"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setPrimaryReads(true);
         }},
        {"cluster", u"QPSQLHA_CLUSTER"_s, u"QPSQLHA_CLUSTER=orders"_s,
         [](ReplicationConfig &, NodeConfig &) {}, false, u"orders"_s},
        {"debug", u"QPSQLHA_DEBUG"_s, u"QPSQLHA_DEBUG=on"_s,
         [](ReplicationConfig &, NodeConfig &) {}, true},
        {"control", u"QPSQLHA_CONTROL"_s, u"QPSQLHA_CONTROL=1"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setControl(true);
         }},
        {"log queries", u"QPSQLHA_LOG_QUERIES"_s,
         u"QPSQLHA_READERS=10.0.0.2;QPSQLHA_LOG_QUERIES=true"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.appendReadNodeConfig(node(u"10.0.0.2"_s, 5432));
             c.setLogQueries(true);
         }},
        {"log queries, primary only", u"QPSQLHA_LOG_QUERIES"_s, u"QPSQLHA_LOG_QUERIES=1"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setLogQueries(true);
         }},
        {"write functions", u"QPSQLHA_WRITE_FUNCTIONS"_s,
         u"QPSQLHA_WRITE_FUNCTIONS=Bump_Counter,audit_log"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setWriteFunctions({u"bump_counter"_s, u"Audit_Log"_s});
         }},
        {"patroni", u"QPSQLHA_PATRONI"_s,
         u"QPSQLHA_PATRONI=http://10.0.0.5:8008,https://10.0.0.6:8008/api"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setPatroni({u"http://10.0.0.5:8008"_s, u"https://10.0.0.6:8008/api"_s});
         }},
        {"patroni CA", u"QPSQLHA_PATRONI_CA"_s,
         u"QPSQLHA_PATRONI=https://10.0.0.5:8008;QPSQLHA_PATRONI_CA="_s + readableFile(),
         [](ReplicationConfig &c, NodeConfig &) {
             c.setPatroni({u"https://10.0.0.5:8008"_s});
             c.setPatroniCaFile(readableFile());
         }},
        {"patroni user", u"QPSQLHA_PATRONI_USER"_s,
         u"QPSQLHA_PATRONI=http://10.0.0.5:8008;QPSQLHA_PATRONI_USER=ops"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setPatroni({u"http://10.0.0.5:8008"_s});
             c.setPatroniUser(u"ops"_s);
         }},
        // The C++ form of these is ReplicationConfig::setConnectOptions(): the same parser.
        {"patroni password file", u"QPSQLHA_PATRONI_PASSWORD_FILE"_s,
         u"QPSQLHA_PATRONI=http://10.0.0.5:8008;QPSQLHA_PATRONI_PASSWORD_FILE="_s + readableFile(),
         [](ReplicationConfig &c, NodeConfig &) {
             c.setPatroni({u"http://10.0.0.5:8008"_s});
             c.setConnectOptions(u"QPSQLHA_PATRONI_PASSWORD_FILE="_s + readableFile());
         }},
        {"fleet", u"QPSQLHA_FLEET"_s, u"QPSQLHA_FLEET=1"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setConnectOptions(u"QPSQLHA_FLEET=1"_s);
         }},
        {"fleet schema", u"QPSQLHA_FLEET_SCHEMA"_s, u"QPSQLHA_FLEET_SCHEMA=Ops"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setConnectOptions(u"QPSQLHA_FLEET_SCHEMA=Ops"_s);
         }},
        {"fleet heartbeat", u"QPSQLHA_FLEET_HEARTBEAT"_s, u"QPSQLHA_FLEET_HEARTBEAT=1500"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setConnectOptions(u"QPSQLHA_FLEET_HEARTBEAT=1500"_s);
         }},
        {"libpq keywords", libpqRowKey,
         u"sslmode=require;connect_timeout=3;application_name=orders-app"_s,
         [](ReplicationConfig &c, NodeConfig &) {
             c.setConnectOptions(
                 u"sslmode=require;connect_timeout=3;application_name=orders-app"_s);
         }},
    };
    return table;
}

// QSqlDatabase's way. The C++ API always names its cluster after the set: so does this way.
ClusterSettings fromConnectOptions(const Row &row)
{
    const QString options = row.key == "QPSQLHA_CLUSTER"_L1
        ? row.options
        : u"QPSQLHA_CLUSTER=%1;%2"_s.arg(row.setName, row.options);
    ClusterSettings settings;
    QString error;
    if (!parseConnectionParameters({u"10.0.0.1"_s, 5432, u"testdb"_s, u"app"_s, secret, options},
                                   &settings, &error))
        qWarning() << "connect options refused:" << error;
    return settings;
}

ClusterSettings fromReplicationConfig(const ReplicationConfig &config, const QString &setName,
                                      bool debug, bool *ok)
{
    ClusterSettings settings;
    QString error;
    *ok = clusterSettingsFromConfig(setName, config, debug, &settings, &error);
    if (!*ok)
        qWarning() << "replication config refused:" << error;
    return settings;
}

ClusterSettings fromSetters(const Row &row, bool *ok)
{
    ReplicationConfig config;
    NodeConfig write = node(u"10.0.0.1"_s, 5432);
    row.api(config, write);
    config.appendWriteNodeConfig(write);
    // Through DatabaseConfig, as initDatabases() takes it: nothing may be lost on the way.
    DatabaseConfig databases;
    databases.appendReplicationConfig(row.setName, config);
    return fromReplicationConfig(databases.replicationConfig(row.setName), row.setName, row.debug,
                                 ok);
}

ClusterSettings fromApiConnectOptions(const Row &row, bool *ok)
{
    ReplicationConfig config;
    config.appendWriteNodeConfig(node(u"10.0.0.1"_s, 5432));
    config.setConnectOptions(row.options);
    return fromReplicationConfig(config, row.setName, false, ok);
}

const ClusterSettings &baseline()
{
    static const ClusterSettings settings = fromConnectOptions(
        {"baseline", QString(), QString(), [](ReplicationConfig &, NodeConfig &) {
         }});
    return settings;
}

} // namespace

class tst_ApiOptions : public QObject
{
    Q_OBJECT

private slots:
    void everyOptionBothWays_data();
    void everyOptionBothWays();
    void rowsCoverEveryKeyAndMember();
    void equalityComparesEveryMember();
    void settersWinOverOptionsOnlyWhenCalled();
    void clusterOptionRefusedInReplicationConfig();
    void invalidApiValuesRefused_data();
    void invalidApiValuesRefused();
};

void tst_ApiOptions::everyOptionBothWays_data()
{
    QTest::addColumn<int>("row");
    for (qsizetype i = 0; i < rows().size(); ++i)
        QTest::newRow(rows().at(i).tag) << int(i);
}

void tst_ApiOptions::everyOptionBothWays()
{
    QFETCH(int, row);
    const Row &r = rows().at(row);

    const ClusterSettings expected = fromConnectOptions(r);
    QVERIFY2(!expected.nodes.isEmpty(), "the connect options were refused");
    // A row that sets a default proves nothing.
    QVERIFY2(!expected.fieldsDifferingFrom(baseline()).isEmpty(), "the row sets only defaults");

    bool ok = false;
    const ClusterSettings bySetters = fromSetters(r, &ok);
    QVERIFY(ok);
    const QStringList bySettersDiffer = bySetters.fieldsDifferingFrom(expected);
    QVERIFY2(bySettersDiffer.isEmpty(), qPrintable(u"setters: "_s + bySettersDiffer.join(u", ")));
    QVERIFY(bySetters == expected);

    if (r.key == "QPSQLHA_CLUSTER"_L1)
        return; // refused there: clusterOptionRefusedInReplicationConfig()
    const ClusterSettings byApiOptions = fromApiConnectOptions(r, &ok);
    QVERIFY(ok);
    const QStringList byApiOptionsDiffer = byApiOptions.fieldsDifferingFrom(expected);
    QVERIFY2(byApiOptionsDiffer.isEmpty(),
             qPrintable(u"setConnectOptions(): "_s + byApiOptionsDiffer.join(u", ")));
}

void tst_ApiOptions::rowsCoverEveryKeyAndMember()
{
    QSet<QString> keys;
    QSet<QString> changed;
    for (const Row &row : rows()) {
        keys.insert(row.key);
        for (const QString &field : fromConnectOptions(row).fieldsDifferingFrom(baseline()))
            changed.insert(field);
    }
    // A password in the connect options is refused (they are logged): the environment gives it.
    const QSet<QString> refusedInOptions {u"QPSQLHA_PATRONI_PASSWORD"_s};
    for (const QString &key : connectOptionKeys()) {
        if (refusedInOptions.contains(key)) {
            ClusterSettings settings;
            QString error;
            QVERIFY(!parseConnectionParameters({u"h"_s, 5432, u"d"_s, u"u"_s, QString(),
                                                u"QPSQLHA_PATRONI=http://p:8008;%1=x"_s.arg(key)},
                                               &settings, &error));
            QVERIFY2(error.contains(key), qPrintable(error));
            continue;
        }
        QVERIFY2(keys.contains(key), qPrintable(u"no row for %1"_s.arg(key)));
    }
    QVERIFY(keys.contains(libpqRowKey));

    // Members no connect option sets: they come from QSqlDatabase's own setters (host, port,
    // user, password, database) or NodeConfig alone (sslmode), or are fixed by the C++ API
    // (nameGiven: a replication set always names its cluster; role: by position; nodeTemplate:
    // the credentials of QSqlDatabase or of setPatroni()'s member defaults).
    const QSet<QString> notOptions {
        u"nodeTemplate"_s,   u"nameGiven"_s,     u"nodes.host"_s,
        u"nodes.port"_s,     u"nodes.user"_s,    u"nodes.password"_s,
        u"nodes.database"_s, u"nodes.sslmode"_s, u"nodes.role"_s,
    };
    for (const QString &field : ClusterSettings::fieldNames()) {
        if (notOptions.contains(field))
            continue;
        QVERIFY2(changed.contains(field),
                 qPrintable(u"no row sets ClusterSettings::%1; add its option's row"_s.arg(field)));
    }
}

// The comparison the rows rely on must see a change in any member.
void tst_ApiOptions::equalityComparesEveryMember()
{
    const ClusterSettings base = baseline();
    QCOMPARE(base.fieldsDifferingFrom(base), QStringList());
    QVERIFY(base == base);
    ClusterSettings other = base;
    other.nodes.first().password = u"other"_s;
    QCOMPARE(other.fieldsDifferingFrom(base), (QStringList {u"nodes"_s, u"nodes.password"_s}));
    QVERIFY(other != base);
    other = base;
    other.nameGiven = !base.nameGiven;
    other.control = !base.control;
    QCOMPARE(other.fieldsDifferingFrom(base), (QStringList {u"nameGiven"_s, u"control"_s}));
    QCOMPARE(ClusterSettings::fieldNames().size(), 22 + 9);
}

// Unset setters leave the options alone (QPSQLHA_HEALTH_INTERVAL and QPSQLHA_WEIGHTS used to be
// lost through the C++ API); set ones win.
void tst_ApiOptions::settersWinOverOptionsOnlyWhenCalled()
{
    ReplicationConfig config;
    config.appendWriteNodeConfig(node(u"w"_s, 5432));
    config.appendReadNodeConfig(node(u"r"_s, 5433, 4));
    config.setConnectOptions(
        u"QPSQLHA_HEALTH_INTERVAL=300;QPSQLHA_QUERY_TIMEOUT=100;QPSQLHA_READER_BURST=5;"
        "QPSQLHA_CONSISTENCY=monotonic;QPSQLHA_MAX_LAG_MS=9;QPSQLHA_CONTROL=1"_s);
    bool ok = false;
    ClusterSettings settings = fromReplicationConfig(config, u"s"_s, false, &ok);
    QVERIFY(ok);
    QCOMPARE(settings.healthIntervalMs, 300);
    QCOMPARE(settings.queryTimeoutMs, 100);
    QCOMPARE(settings.burstLength, 5);
    QCOMPARE(settings.consistency, Consistency::Monotonic);
    QCOMPARE(settings.maxLagMs, 9);
    QVERIFY(settings.control);
    QCOMPARE(settings.weights(), (QList<int> {1, 4}));

    config.setHealthInterval(400);
    config.setQueryTimeout(200);
    config.setReaderBurst(6);
    config.setConsistency(Consistency::Eventual);
    config.setMaxLagMs(0);
    config.setControl(false);
    settings = fromReplicationConfig(config, u"s"_s, false, &ok);
    QVERIFY(ok);
    QCOMPARE(settings.healthIntervalMs, 400);
    QCOMPARE(settings.queryTimeoutMs, 200);
    QCOMPARE(settings.burstLength, 6);
    QCOMPARE(settings.consistency, Consistency::Eventual);
    QCOMPARE(settings.maxLagMs, 0);
    QVERIFY(!settings.control);

    // QPSQLHA_WEIGHTS wins over NodeConfig::weight, as the later word.
    config.setConnectOptions(u"QPSQLHA_WEIGHTS=r:5433=9"_s);
    settings = fromReplicationConfig(config, u"s"_s, false, &ok);
    QVERIFY(ok);
    QCOMPARE(settings.weights(), (QList<int> {1, 9}));
}

void tst_ApiOptions::clusterOptionRefusedInReplicationConfig()
{
    ReplicationConfig config;
    config.appendWriteNodeConfig(node(u"w"_s, 5432));
    config.setConnectOptions(u"QPSQLHA_CLUSTER=other"_s);
    ClusterSettings settings;
    QString error;
    QVERIFY(!clusterSettingsFromConfig(u"s"_s, config, false, &settings, &error));
    QVERIFY2(error.contains(u"QPSQLHA_CLUSTER"_s), qPrintable(error));
}

void tst_ApiOptions::invalidApiValuesRefused_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("named");
    QTest::newRow("health interval") << 0 << u"health interval"_s;
    QTest::newRow("query timeout") << 1 << u"query timeout"_s;
    QTest::newRow("reader burst") << 2 << u"reader burst"_s;
    QTest::newRow("max lag bytes") << 3 << u"max lag bytes"_s;
    QTest::newRow("max lag ms") << 4 << u"max lag ms"_s;
    QTest::newRow("reader weight") << 5 << u"weight of r:5433"_s;
    QTest::newRow("primary weight without primary reads") << 6 << u"weight of w:5432"_s;
}

void tst_ApiOptions::invalidApiValuesRefused()
{
    QFETCH(int, which);
    QFETCH(QString, named);
    ReplicationConfig config;
    NodeConfig write = node(u"w"_s, 5432);
    NodeConfig reader = node(u"r"_s, 5433);
    switch (which) {
    case 0:
        config.setHealthInterval(MinimumHealthIntervalMs - 1);
        break;
    case 1:
        config.setQueryTimeout(-1);
        break;
    case 2:
        config.setReaderBurst(MaximumReaderBurst + 1);
        break;
    case 3:
        config.setMaxLagBytes(-1);
        break;
    case 4:
        config.setMaxLagMs(-1);
        break;
    case 5:
        reader.weight = 1001;
        break;
    case 6:
        write.weight = 2;
        break;
    }
    config.appendWriteNodeConfig(write);
    config.appendReadNodeConfig(reader);
    ClusterSettings settings;
    QString error;
    QVERIFY(!clusterSettingsFromConfig(u"s"_s, config, false, &settings, &error));
    QVERIFY2(error.contains(named), qPrintable(error));
    QVERIFY(!error.contains(secret));
}

QTEST_GUILESS_MAIN(tst_ApiOptions)
#include "tst_apioptions.moc"
