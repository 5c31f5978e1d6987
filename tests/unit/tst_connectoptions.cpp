// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include <qpsqlhaconnectoptions_p.h>
#include <qpsqlhanodeconnection_p.h>

#include <QtTest/qtest.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

const QString secret = u"s3cret-Pa55word"_s;

ConnectionParameters parameters(const QString &options)
{
    return {u"10.0.0.1"_s, 5432, u"testdb"_s, u"app"_s, secret, options};
}

} // namespace

class tst_ConnectOptions : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void readers_data();
    void readers();
    void options_data();
    void options();
    void readerAffinity();
    void weightsNameReadersAnyWay();
    void readerBurst();
    void primaryReads();
    void consistency();
    void queryTimeout_data();
    void queryTimeout();
    void invalid_data();
    void invalid();
    void libpqOptionsAreQuoted();
    void fromReplicationConfig();
    void replicationConfigNeedsOneWriteNode();
    void optionGivenTwiceIsRefused_data();
    void optionGivenTwiceIsRefused();
    void optionGivenTwiceInReplicationConfigIsRefused();
    void portIsDigitsOnly_data();
    void portIsDigitsOnly();
};

void tst_ConnectOptions::defaults()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(QString()), &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.nodes.size(), 1);
    QCOMPARE(settings.nodes.first().role, NodeRole::Primary);
    QCOMPARE(settings.nodes.first().address(), u"10.0.0.1:5432"_s);
    QCOMPARE(settings.name, u"10.0.0.1:5432/testdb"_s);
    QCOMPARE(settings.healthIntervalMs, 2000);
    QCOMPARE(settings.queryTimeoutMs, 5000);
    QCOMPARE(settings.policy, Policy::Random);
    QVERIFY(!settings.debug);
    QVERIFY(!settings.logQueries);
    QVERIFY(settings.libpqOptions.isEmpty());

    // QSqlDatabase's "no port" is -1: libpq's default port then.
    ConnectionParameters noPort = parameters(QString());
    noPort.port = -1;
    QVERIFY(parseConnectionParameters(noPort, &settings, &error));
    QCOMPARE(settings.nodes.first().port, 5432);
}

void tst_ConnectOptions::readers_data()
{
    QTest::addColumn<QString>("options");
    QTest::addColumn<QStringList>("addresses");

    QTest::newRow("two") << u"QPSQLHA_READERS=10.0.0.2:5432,10.0.0.3:5433"_s
                         << QStringList {u"10.0.0.1:5432"_s, u"10.0.0.2:5432"_s,
                                         u"10.0.0.3:5433"_s};
    QTest::newRow("default port") << u"QPSQLHA_READERS=replica1"_s
                                  << QStringList {u"10.0.0.1:5432"_s, u"replica1:5432"_s};
    QTest::newRow("ipv6") << u"QPSQLHA_READERS=[::1]:5433,[fe80::1]"_s
                          << QStringList {u"10.0.0.1:5432"_s, u"[::1]:5433"_s, u"[fe80::1]:5432"_s};
    QTest::newRow("spaces") << u" QPSQLHA_READERS = a:1 , b:2 "_s
                            << QStringList {u"10.0.0.1:5432"_s, u"a:1"_s, u"b:2"_s};
    QTest::newRow("empty") << u"QPSQLHA_READERS="_s << QStringList {u"10.0.0.1:5432"_s};
    QTest::newRow("key case") << u"qpsqlha_readers=r:7"_s
                              << QStringList {u"10.0.0.1:5432"_s, u"r:7"_s};
}

void tst_ConnectOptions::readers()
{
    QFETCH(QString, options);
    QFETCH(QStringList, addresses);
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(options), &settings, &error), qPrintable(error));
    QCOMPARE(settings.addresses(), addresses);
    for (qsizetype i = 1; i < settings.nodes.size(); ++i) {
        QCOMPARE(settings.nodes.at(i).role, NodeRole::Reader);
        // Readers use the primary's credentials and database.
        QCOMPARE(settings.nodes.at(i).user, u"app"_s);
        QCOMPARE(settings.nodes.at(i).password, secret);
        QCOMPARE(settings.nodes.at(i).database, u"testdb"_s);
    }
}

void tst_ConnectOptions::options_data()
{
    QTest::addColumn<QString>("options");
    QTest::addColumn<int>("interval");
    QTest::addColumn<int>("policy");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("debug");
    QTest::addColumn<bool>("logQueries");
    QTest::addColumn<QStringList>("writeFunctions");

    const QString defaultName = u"10.0.0.1:5432/testdb"_s;
    QTest::newRow("interval") << u"QPSQLHA_HEALTH_INTERVAL=50"_s << 50 << int(Policy::Random)
                              << defaultName << false << false << QStringList();
    QTest::newRow("round robin") << u"QPSQLHA_POLICY=ROUND_ROBIN"_s << 2000
                                 << int(Policy::RoundRobin) << defaultName << false << false
                                 << QStringList();
    QTest::newRow("random") << u"QPSQLHA_POLICY=random"_s << 2000 << int(Policy::Random)
                            << defaultName << false << false << QStringList();
    QTest::newRow("cluster") << u"QPSQLHA_CLUSTER=orders"_s << 2000 << int(Policy::Random)
                             << u"orders"_s << false << false << QStringList();
    QTest::newRow("debug") << u"QPSQLHA_DEBUG=1;QPSQLHA_LOG_QUERIES=true"_s << 2000
                           << int(Policy::Random) << defaultName << true << true << QStringList();
    QTest::newRow("debug off") << u"QPSQLHA_DEBUG=0;QPSQLHA_LOG_QUERIES=off"_s << 2000
                               << int(Policy::Random) << defaultName << false << false
                               << QStringList();
    QTest::newRow("write functions")
        << u"QPSQLHA_WRITE_FUNCTIONS=bump_counter, Audit_Log"_s << 2000 << int(Policy::Random)
        << defaultName << false << false << QStringList {u"bump_counter"_s, u"audit_log"_s};
    QTest::newRow("trailing semicolons")
        << u";;QPSQLHA_HEALTH_INTERVAL=100;;"_s << 100 << int(Policy::Random) << defaultName
        << false << false << QStringList();
}

void tst_ConnectOptions::options()
{
    QFETCH(QString, options);
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(options), &settings, &error), qPrintable(error));
    QTEST(settings.healthIntervalMs, "interval");
    QTEST(int(settings.policy), "policy");
    QTEST(settings.name, "name");
    QTEST(settings.debug, "debug");
    QTEST(settings.logQueries, "logQueries");
    QTEST(settings.writeFunctions, "writeFunctions");
}

void tst_ConnectOptions::readerAffinity()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(QString()), &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Burst);
    QCOMPARE(settings.burstLength, DefaultReaderBurst);
    QVERIFY2(parseConnectionParameters(parameters(u"QPSQLHA_READER_AFFINITY=Burst"_s), &settings,
                                       &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Burst);
    QVERIFY2(parseConnectionParameters(parameters(u"qpsqlha_reader_affinity=STATEMENT"_s),
                                       &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Statement);
    QVERIFY2(parseConnectionParameters(parameters(u"QPSQLHA_READER_AFFINITY=connection"_s),
                                       &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Connection);

    // Through the C++ API: the options count unless a setter was called, which then wins.
    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 9000, u"u"_s, secret, QString(), u"db"_s, false});
    config.setConnectOptions(u"QPSQLHA_READER_AFFINITY=statement;QPSQLHA_POLICY=least_busy"_s);
    QVERIFY2(clusterSettingsFromConfig(u"affinity"_s, config, false, &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Statement);
    QCOMPARE(settings.policy, Policy::LeastBusy);
    config.setReaderAffinity(ReaderAffinity::Connection);
    config.setPolicy(Policy::RoundRobin);
    QVERIFY2(clusterSettingsFromConfig(u"affinity"_s, config, false, &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Connection);
    QCOMPARE(settings.policy, Policy::RoundRobin);
    config.setReaderAffinity(ReaderAffinity::Burst);
    QVERIFY2(clusterSettingsFromConfig(u"affinity"_s, config, false, &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.affinity, ReaderAffinity::Burst);
    QCOMPARE(ReplicationConfig().readerAffinity(), ReaderAffinity::Burst);
}

void tst_ConnectOptions::readerBurst()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(u"QPSQLHA_READER_BURST=1"_s), &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.burstLength, 1);
    QVERIFY2(
        parseConnectionParameters(parameters(u"QPSQLHA_READER_BURST=100000"_s), &settings, &error),
        qPrintable(error));
    QCOMPARE(settings.burstLength, 100000);
    for (const QString &bad : {u"0"_s, u"-3"_s, u"100001"_s, u"8 reads"_s, QString()}) {
        QVERIFY(!parseConnectionParameters(parameters(u"QPSQLHA_READER_BURST="_s + bad), &settings,
                                           &error));
        QVERIFY2(error.contains(u"QPSQLHA_READER_BURST"_s) && error.contains(u"'"_s + bad + u"'"_s)
                     && error.contains(u"1 to 100000"_s),
                 qPrintable(error));
    }
    // Through the C++ API, as a connect option.
    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 9000, u"u"_s, secret, QString(), u"db"_s, false});
    config.setConnectOptions(u"QPSQLHA_READER_BURST=4"_s);
    QVERIFY2(clusterSettingsFromConfig(u"burst"_s, config, false, &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.burstLength, 4);
}

void tst_ConnectOptions::primaryReads()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(QString()), &settings, &error),
             qPrintable(error));
    QVERIFY(!settings.primaryReads);
    QVERIFY2(parseConnectionParameters(
                 parameters(u"QPSQLHA_READERS=10.0.0.2:5432;QPSQLHA_PRIMARY_READS=on;"
                            "QPSQLHA_WEIGHTS=10.0.0.1:5432=2,10.0.0.2:5432=3"_s),
                 &settings, &error),
             qPrintable(error));
    QVERIFY(settings.primaryReads);
    QCOMPARE(settings.nodes.at(0).weight, 2);
    QCOMPARE(settings.nodes.at(1).weight, 3);

    // A weight for the primary without primary reads would do nothing: refused, saying why.
    QVERIFY(!parseConnectionParameters(
        parameters(u"QPSQLHA_READERS=10.0.0.2:5432;QPSQLHA_WEIGHTS=10.0.0.1:5432=2"_s), &settings,
        &error));
    QVERIFY2(error.contains(u"QPSQLHA_WEIGHTS"_s) && error.contains(u"QPSQLHA_PRIMARY_READS=1"_s),
             qPrintable(error));
    QVERIFY(!parseConnectionParameters(parameters(u"QPSQLHA_PRIMARY_READS=sometimes"_s), &settings,
                                       &error));
    QVERIFY2(error.contains(u"QPSQLHA_PRIMARY_READS"_s) && error.contains(u"sometimes"_s),
             qPrintable(error));

    // The C++ API: the setter wins over the option; weights in its connect options name its
    // nodes (the primary's too).
    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 9000, u"u"_s, secret, QString(), u"db"_s, false});
    config.appendReadNodeConfig({u"r1"_s, 9001, u"u"_s, secret, QString(), u"db"_s, false});
    config.setConnectOptions(u"QPSQLHA_PRIMARY_READS=1;QPSQLHA_WEIGHTS=w:9000=1,r1:9001=4"_s);
    QVERIFY2(clusterSettingsFromConfig(u"pr"_s, config, false, &settings, &error),
             qPrintable(error));
    QVERIFY(settings.primaryReads);
    QCOMPARE(settings.nodes.at(0).weight, 1);
    QCOMPARE(settings.nodes.at(1).weight, 4);
    config.setPrimaryReads(false);
    QVERIFY(!clusterSettingsFromConfig(u"pr"_s, config, false, &settings, &error));
    QVERIFY2(error.contains(u"QPSQLHA_PRIMARY_READS=1"_s), qPrintable(error));
    config.setConnectOptions(u"QPSQLHA_WEIGHTS=r1:9001=4"_s);
    config.setPrimaryReads(true);
    QVERIFY(config.hasPrimaryReads());
    QVERIFY2(clusterSettingsFromConfig(u"pr"_s, config, false, &settings, &error),
             qPrintable(error));
    QVERIFY(settings.primaryReads);
    QCOMPARE(settings.nodes.at(1).weight, 4);
}

void tst_ConnectOptions::consistency()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(QString()), &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.consistency, Consistency::Eventual);
    QVERIFY(!settings.monotonicReads());
    QVERIFY2(parseConnectionParameters(parameters(u"QPSQLHA_CONSISTENCY=Monotonic"_s), &settings,
                                       &error),
             qPrintable(error));
    QCOMPARE(settings.consistency, Consistency::Monotonic);
    QVERIFY(settings.monotonicReads());
    QVERIFY2(parseConnectionParameters(parameters(u"QPSQLHA_CONSISTENCY=read_your_writes"_s),
                                       &settings, &error),
             qPrintable(error));
    QVERIFY(settings.monotonicReads()); // implied
    QVERIFY(
        !parseConnectionParameters(parameters(u"QPSQLHA_CONSISTENCY=strong"_s), &settings, &error));
    QVERIFY2(error.contains(u"monotonic"_s), qPrintable(error));
}

void tst_ConnectOptions::weightsNameReadersAnyWay()
{
    // A weight belongs to the server, however QPSQLHA_READERS and QPSQLHA_WEIGHTS spell it.
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(
                 parameters(u"QPSQLHA_READERS=127.0.0.1:5433,Db2.Example.com:5434;"
                            "QPSQLHA_WEIGHTS=localhost:5433=3,db2.example.COM:5434=0"_s),
                 &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.nodes.size(), 3);
    QCOMPARE(settings.nodes.at(1).weight, 3);
    QCOMPARE(settings.nodes.at(2).weight, 0);
    QVERIFY(!parseConnectionParameters(
        parameters(u"QPSQLHA_READERS=127.0.0.1:5433;QPSQLHA_WEIGHTS=127.0.0.1:5434=2"_s), &settings,
        &error));
    QVERIFY2(error.contains(u"not one of the readers"_s), qPrintable(error));
}

void tst_ConnectOptions::queryTimeout_data()
{
    QTest::addColumn<QString>("options");
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<int>("connectTimeout"); // what node connections get; 0: none added

    QTest::newRow("default") << QString() << 5000 << 5;
    QTest::newRow("disabled") << u"QPSQLHA_QUERY_TIMEOUT=0"_s << 0 << 0;
    QTest::newRow("one second") << u"qpsqlha_query_timeout=1000"_s << 1000 << 2;
    QTest::newRow("rounded up") << u"QPSQLHA_QUERY_TIMEOUT=2500"_s << 2500 << 3;
    QTest::newRow("tiny") << u"QPSQLHA_QUERY_TIMEOUT=1"_s << 1 << 2;
    QTest::newRow("spaces") << u"QPSQLHA_QUERY_TIMEOUT = 750 "_s << 750 << 2;
}

void tst_ConnectOptions::queryTimeout()
{
    QFETCH(QString, options);
    QFETCH(int, timeoutMs);
    QFETCH(int, connectTimeout);
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(parameters(options), &settings, &error), qPrintable(error));
    QCOMPARE(settings.queryTimeoutMs, timeoutMs);
    if (connectTimeout > 0)
        QCOMPARE(connectTimeoutSeconds(settings), connectTimeout);

    // The C++ API takes it from its connect options too.
    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 9000, u"u"_s, secret, QString(), u"db"_s, false});
    config.setConnectOptions(options);
    QVERIFY2(clusterSettingsFromConfig(u"timeouts"_s, config, false, &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.queryTimeoutMs, timeoutMs);
}

void tst_ConnectOptions::invalid_data()
{
    QTest::addColumn<QString>("options");
    QTest::addColumn<QStringList>("mentions"); // what the message must name

    QTest::newRow("unknown qpsqlha key")
        << u"QPSQLHA_READER=a:1"_s << QStringList {u"QPSQLHA_READER"_s};
    QTest::newRow("interval too small")
        << u"QPSQLHA_HEALTH_INTERVAL=49"_s << QStringList {u"QPSQLHA_HEALTH_INTERVAL"_s, u"49"_s};
    QTest::newRow("interval not a number")
        << u"QPSQLHA_HEALTH_INTERVAL=2s"_s << QStringList {u"QPSQLHA_HEALTH_INTERVAL"_s, u"2s"_s};
    QTest::newRow("timeout negative")
        << u"QPSQLHA_QUERY_TIMEOUT=-1"_s << QStringList {u"QPSQLHA_QUERY_TIMEOUT"_s, u"'-1'"_s};
    QTest::newRow("timeout with unit")
        << u"QPSQLHA_QUERY_TIMEOUT=5s"_s << QStringList {u"QPSQLHA_QUERY_TIMEOUT"_s, u"'5s'"_s};
    QTest::newRow("timeout fraction")
        << u"QPSQLHA_QUERY_TIMEOUT=1.5"_s << QStringList {u"QPSQLHA_QUERY_TIMEOUT"_s, u"'1.5'"_s};
    QTest::newRow("timeout empty") << u"QPSQLHA_QUERY_TIMEOUT="_s
                                   << QStringList {u"QPSQLHA_QUERY_TIMEOUT"_s, u"milliseconds"_s};
    QTest::newRow("timeout too big") << u"QPSQLHA_QUERY_TIMEOUT=99999999999"_s
                                     << QStringList {u"QPSQLHA_QUERY_TIMEOUT"_s, u"99999999999"_s};
    // The choices are listed from the option's table of spellings.
    QTest::newRow("policy") << u"QPSQLHA_POLICY=fastest_ever"_s
                            << QStringList {
                                   u"QPSQLHA_POLICY"_s, u"fastest_ever"_s,
                                   u"expected random, round_robin, least_busy or fastest"_s};
    QTest::newRow("consistency") << u"QPSQLHA_CONSISTENCY=strong"_s
                                 << QStringList {
                                        u"QPSQLHA_CONSISTENCY"_s, u"strong"_s,
                                        u"expected eventual, monotonic or read_your_writes"_s};
    QTest::newRow("affinity") << u"QPSQLHA_READER_AFFINITY=node"_s
                              << QStringList {u"QPSQLHA_READER_AFFINITY"_s, u"node"_s,
                                              u"expected burst, statement or connection"_s};
    QTest::newRow("debug value") << u"QPSQLHA_DEBUG=maybe"_s
                                 << QStringList {u"QPSQLHA_DEBUG"_s, u"maybe"_s};
    QTest::newRow("log value") << u"QPSQLHA_LOG_QUERIES=2"_s
                               << QStringList {u"QPSQLHA_LOG_QUERIES"_s, u"2"_s};
    QTest::newRow("empty cluster") << u"QPSQLHA_CLUSTER="_s << QStringList {u"QPSQLHA_CLUSTER"_s};
    QTest::newRow("write function") << u"QPSQLHA_WRITE_FUNCTIONS=f(x)"_s
                                    << QStringList {u"QPSQLHA_WRITE_FUNCTIONS"_s, u"f(x)"_s};
    QTest::newRow("bad port") << u"QPSQLHA_READERS=a:99999"_s
                              << QStringList {u"QPSQLHA_READERS"_s, u"a:99999"_s};
    QTest::newRow("port text") << u"QPSQLHA_READERS=a:http"_s
                               << QStringList {u"QPSQLHA_READERS"_s, u"a:http"_s};
    QTest::newRow("empty port") << u"QPSQLHA_READERS=a:"_s << QStringList {u"QPSQLHA_READERS"_s};
    QTest::newRow("empty entry") << u"QPSQLHA_READERS=a:1,,b:2"_s
                                 << QStringList {u"QPSQLHA_READERS"_s, u"empty entry"_s};
    QTest::newRow("bare ipv6") << u"QPSQLHA_READERS=::1:5433"_s
                               << QStringList {u"QPSQLHA_READERS"_s, u"brackets"_s};
    QTest::newRow("unclosed bracket")
        << u"QPSQLHA_READERS=[::1:5433"_s << QStringList {u"QPSQLHA_READERS"_s, u"]"_s};
    QTest::newRow("injection in reader host")
        << u"QPSQLHA_READERS=a host=evil"_s << QStringList {u"QPSQLHA_READERS"_s};
    QTest::newRow("duplicate reader")
        << u"QPSQLHA_READERS=a:1,a:1"_s << QStringList {u"a:1"_s, u"twice"_s};
    QTest::newRow("reader is primary")
        << u"QPSQLHA_READERS=10.0.0.1:5432"_s << QStringList {u"10.0.0.1:5432"_s, u"twice"_s};
    QTest::newRow("duplicate reader spelt another way")
        << u"QPSQLHA_READERS=localhost:5433,[::1]:5433"_s
        << QStringList {u"[::1]:5433"_s, u"twice"_s, u"(as localhost:5433)"_s};
    QTest::newRow("duplicate reader, case of the host")
        << u"QPSQLHA_READERS=db1.example.com,DB1.example.com"_s
        << QStringList {u"twice"_s, u"(as db1.example.com:5432)"_s};
    QTest::newRow("no equals") << u"sslmode"_s << QStringList {u"sslmode"_s, u"key=value"_s};
    QTest::newRow("unknown libpq keyword") << u"sslmood=disable"_s << QStringList {u"sslmood"_s};
    QTest::newRow("host in options") << u"host=10.9.9.9"_s << QStringList {u"host"_s};
    QTest::newRow("port in options") << u"port=1"_s << QStringList {u"port"_s};
    QTest::newRow("dbname in options") << u"dbname=other"_s << QStringList {u"dbname"_s};
}

void tst_ConnectOptions::invalid()
{
    QFETCH(QString, options);
    QFETCH(QStringList, mentions);
    ClusterSettings settings;
    QString error;
    QVERIFY(!parseConnectionParameters(parameters(options), &settings, &error));
    for (const QString &mention : mentions)
        QVERIFY2(error.contains(mention), qPrintable(error + u" lacks "_s + mention));
    QVERIFY2(!error.contains(secret), qPrintable(error));
}

void tst_ConnectOptions::libpqOptionsAreQuoted()
{
    ClusterSettings settings;
    QString error;
    QVERIFY2(parseConnectionParameters(
                 parameters(u"sslmode=disable;connect_timeout=3;application_name='my app'"_s),
                 &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.libpqOptions.size(), 3);
    // Every value is quoted, so a space cannot start a new keyword once QPSQL turns ';' into ' '.
    QCOMPARE(settings.qpsqlConnectOptions(),
             u"sslmode='disable';connect_timeout='3';application_name='my app'"_s);

    QVERIFY(parseConnectionParameters(parameters(u"application_name=x host=evil"_s), &settings,
                                      &error));
    QCOMPARE(settings.qpsqlConnectOptions(), u"application_name='x host=evil'"_s);
    QCOMPARE(quoteConninfoValue(u"it's \\ here"_s), u"'it\\'s \\\\ here'"_s);
}

void tst_ConnectOptions::fromReplicationConfig()
{
    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 9000, u"u"_s, secret, u"disable"_s, u"db"_s, false});
    config.appendReadNodeConfig({u"r1"_s, 9001, u"u1"_s, u"p1"_s, QString(), u"db"_s, true});
    config.appendReadNodeConfig({u"r2"_s, 9002, u"u2"_s, u"p2"_s, QString(), u"db"_s, false});
    config.setHealthInterval(500);
    config.setPolicy(Policy::RoundRobin);
    config.setConnectOptions(u"connect_timeout=2"_s);
    config.setWriteFunctions({u"Bump"_s});

    ClusterSettings settings;
    QString error;
    QVERIFY2(clusterSettingsFromConfig(u"first_db"_s, config, true, &settings, &error),
             qPrintable(error));
    QCOMPARE(settings.name, u"first_db"_s);
    QCOMPARE(settings.addresses(), (QStringList {u"w:9000"_s, u"r1:9001"_s, u"r2:9002"_s}));
    QCOMPARE(settings.nodes.at(1).user, u"u1"_s);
    QCOMPARE(settings.nodes.at(1).password, u"p1"_s);
    QVERIFY(settings.nodes.at(1).logQueries);
    QCOMPARE(settings.nodes.at(0).sslmode, u"disable"_s);
    QCOMPARE(settings.healthIntervalMs, 500);
    QCOMPARE(settings.policy, Policy::RoundRobin);
    QCOMPARE(settings.writeFunctions, QStringList {u"bump"_s});
    QVERIFY(settings.debug);
    QCOMPARE(settings.libpqOptions.size(), 1);

    config.setHealthInterval(10);
    QVERIFY(!clusterSettingsFromConfig(u"first_db"_s, config, false, &settings, &error));
    QVERIFY(error.contains(u"10"_s));
}

void tst_ConnectOptions::replicationConfigNeedsOneWriteNode()
{
    ReplicationConfig config;
    ClusterSettings settings;
    QString error;
    QVERIFY(!clusterSettingsFromConfig(u"x"_s, config, false, &settings, &error));
    QVERIFY(error.contains(u"exactly one write node"_s));
    config.appendWriteNodeConfig({u"a"_s, 1, u"u"_s, secret, QString(), u"d"_s, false});
    config.appendWriteNodeConfig({u"b"_s, 1, u"u"_s, secret, QString(), u"d"_s, false});
    QVERIFY(!clusterSettingsFromConfig(u"x"_s, config, false, &settings, &error));
    QVERIFY(error.contains(u"has 2"_s));
    QVERIFY(!error.contains(secret));
}

// With two, one would silently win: whichever it is, the application meant something else.
void tst_ConnectOptions::optionGivenTwiceIsRefused_data()
{
    QTest::addColumn<QString>("options");
    QTest::addColumn<QString>("key");
    QTest::newRow("policy") << u"QPSQLHA_POLICY=random;QPSQLHA_POLICY=fastest"_s
                            << u"QPSQLHA_POLICY"_s;
    QTest::newRow("same value") << u"QPSQLHA_DEBUG=1;connect_timeout=2;QPSQLHA_DEBUG=1"_s
                                << u"QPSQLHA_DEBUG"_s;
    QTest::newRow("other case") << u"QPSQLHA_READERS=a:1; qpsqlha_readers = b:2"_s
                                << u"QPSQLHA_READERS"_s;
    QTest::newRow("empty first") << u"QPSQLHA_READERS=;QPSQLHA_READERS=a:1"_s
                                 << u"QPSQLHA_READERS"_s;
    QTest::newRow("cluster") << u"QPSQLHA_CLUSTER=a;QPSQLHA_CLUSTER=b"_s << u"QPSQLHA_CLUSTER"_s;
}

void tst_ConnectOptions::optionGivenTwiceIsRefused()
{
    QFETCH(QString, options);
    QFETCH(QString, key);
    ClusterSettings settings;
    QString error;
    QVERIFY(!parseConnectionParameters(parameters(options), &settings, &error));
    QVERIFY2(error.contains(key) && error.contains(u"twice"_s), qPrintable(error));

    // Each of them once is fine, and so is a libpq keyword twice (libpq's rule: the last wins).
    QVERIFY2(parseConnectionParameters(parameters(options.section(u';', 0, 0)), &settings, &error),
             qPrintable(error));
    QVERIFY2(parseConnectionParameters(parameters(u"connect_timeout=2;connect_timeout=3"_s),
                                       &settings, &error),
             qPrintable(error));
}

// The C++ API hands its connect options to the same parser.
void tst_ConnectOptions::optionGivenTwiceInReplicationConfigIsRefused()
{
    ReplicationConfig config;
    config.appendWriteNodeConfig({u"w"_s, 9000, u"u"_s, secret, QString(), u"db"_s, false});
    config.setConnectOptions(u"QPSQLHA_MAX_LAG_MS=100;QPSQLHA_MAX_LAG_MS=0"_s);
    ClusterSettings settings;
    QString error;
    QVERIFY(!clusterSettingsFromConfig(u"twice"_s, config, false, &settings, &error));
    QVERIFY2(error.contains(u"QPSQLHA_MAX_LAG_MS"_s) && error.contains(u"twice"_s),
             qPrintable(error));
    QVERIFY(!error.contains(secret));
}

// A port is 1..65535 in ASCII digits, wherever a host:port list is read: QString::toInt()
// alone took a sign, surrounding spaces and more.
void tst_ConnectOptions::portIsDigitsOnly_data()
{
    QTest::addColumn<QString>("port");
    QTest::addColumn<int>("expected"); // -1: refused
    QTest::newRow("plain") << u"5433"_s << 5433;
    QTest::newRow("lowest") << u"1"_s << 1;
    QTest::newRow("highest") << u"65535"_s << 65535;
    QTest::newRow("leading zero") << u"05433"_s << 5433;
    QTest::newRow("plus sign") << u"+5433"_s << -1;
    QTest::newRow("minus sign") << u"-5433"_s << -1;
    QTest::newRow("leading space") << u" 5433"_s << -1;
    QTest::newRow("tab") << u"\t5433"_s << -1;
    QTest::newRow("hex") << u"0x1539"_s << -1;
    QTest::newRow("junk before") << u"a5433"_s << -1;
    QTest::newRow("junk after") << u"5433a"_s << -1;
    QTest::newRow("zero") << u"0"_s << -1;
    QTest::newRow("too big") << u"65536"_s << -1;
    QTest::newRow("far too big") << u"4294972729"_s << -1;
    QTest::newRow("arabic-indic digits") << u"\u0665\u0664\u0663\u0663"_s << -1;
    QTest::newRow("empty") << QString() << -1;
}

void tst_ConnectOptions::portIsDigitsOnly()
{
    QFETCH(QString, port);
    QFETCH(int, expected);
    QCOMPARE(parsePort(port), expected);

    // QPSQLHA_READERS, with a host name and an IPv6 address.
    for (const QString &host : {u"replica1"_s, u"[::1]"_s}) {
        ClusterSettings settings;
        QString error;
        const bool accepted = parseConnectionParameters(
            parameters(u"QPSQLHA_READERS="_s + host + u':' + port), &settings, &error);
        QVERIFY2(accepted == (expected > 0), qPrintable(error));
        if (accepted)
            QCOMPARE(settings.nodes.at(1).port, expected);
        else
            QVERIFY2(error.contains(u"QPSQLHA_READERS"_s) && error.contains(u"port"_s),
                     qPrintable(error));
    }
    // QPSQLHA_WEIGHTS (a reader on that port exists when the port is valid).
    if (!port.contains(u'=') && !port.contains(u';')) {
        ClusterSettings settings;
        QString error;
        const QString options = u"QPSQLHA_READERS=r:%1;QPSQLHA_WEIGHTS=r:%2=3"_s.arg(
            expected > 0 ? QString::number(expected) : u"5433"_s, port);
        const bool accepted = parseConnectionParameters(parameters(options), &settings, &error);
        QVERIFY2(accepted == (expected > 0), qPrintable(error));
        if (!accepted)
            QVERIFY2(error.contains(u"QPSQLHA_WEIGHTS"_s), qPrintable(error));
    }
    // What qpsqlha-ctl add-reader and the C++ API's node functions read.
    QString host;
    int parsed = 0;
    QString problem;
    QCOMPARE(parseNodeAddress(u"r:"_s + port, 5432, &host, &parsed, &problem), expected > 0);
}

QTEST_APPLESS_MAIN(tst_ConnectOptions)

#include "tst_connectoptions.moc"
