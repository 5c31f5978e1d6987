// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Patroni's GET /cluster read into a topology: real documents captured from the test fixture
// (tests/cluster/patronicluster.sh), the variants Patroni documents, and input that must give
// a clear error or a warning instead of a wrong topology.

#include <qpsqlhapatronitopology_p.h>

#include <QtTest/qtest.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

// Captured from the fixture right after it started (Patroni 3.0.2).
const char CapturedBootstrap[]
    = R"({"members": [{"name": "m0", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:20210/patroni", "host": "127.0.0.1", "port": 27066, "timeline": 1}, {"name": "m1", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:29335/patroni", "host": "127.0.0.1", "port": 31706, "timeline": 1, "lag": 0}, {"name": "m2", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:27678/patroni", "host": "127.0.0.1", "port": 20396, "timeline": 1, "lag": 0}]})";

// Captured after a switchover, a failover, `set-tag m2 noloadbalance true` and `add-member`.
const char CapturedTagged[]
    = R"({"members": [{"name": "m0", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:20210/patroni", "host": "127.0.0.1", "port": 27066, "timeline": 3}, {"name": "m1", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:29335/patroni", "host": "127.0.0.1", "port": 31706, "timeline": 3, "lag": 0}, {"name": "m2", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:27678/patroni", "host": "127.0.0.1", "port": 20396, "timeline": 3, "tags": {"noloadbalance": true}, "lag": 0}, {"name": "m3", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:26154/patroni", "host": "127.0.0.1", "port": 23653, "timeline": 3, "lag": 0}]})";

// Captured right after `kill-leader` killed m0: its key expired with its lease (ttl 10 s) and m2
// took over on timeline 2.
const char CapturedFailover[]
    = R"({"members": [{"name": "m1", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:20264/patroni", "host": "127.0.0.1", "port": 31672, "timeline": 1, "lag": 0}, {"name": "m2", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:25238/patroni", "host": "127.0.0.1", "port": 28098, "timeline": 2}]})";

// As the fixture showed it during a switchover: the old leader restarting as a replica has no
// WAL position yet, so no timeline and an "unknown" lag.
const char DuringSwitchover[]
    = R"({"members": [{"name": "m0", "role": "replica", "state": "starting", "api_url": "http://127.0.0.1:20210/patroni", "host": "127.0.0.1", "port": 27066, "lag": "unknown"}, {"name": "m1", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:29335/patroni", "host": "127.0.0.1", "port": 31706, "timeline": 2}, {"name": "m2", "role": "replica", "state": "streaming", "api_url": "http://127.0.0.1:27678/patroni", "host": "127.0.0.1", "port": 20396, "timeline": 2, "lag": 16384}]})";

QByteArray members(const QByteArray &list)
{
    return R"({"members": [)" + list + "]}";
}

QByteArray member(const QByteArray &name, const QByteArray &role, const QByteArray &extra = {})
{
    QByteArray result = R"({"name": ")" + name + R"(", "role": ")" + role
        + R"(", "state": "running", "host": "10.0.0.1")";
    if (!extra.contains("\"port\""))
        result += R"(, "port": 5432)";
    if (!extra.isEmpty())
        result += ", " + extra;
    return result + '}';
}

// The topology in one comparable line: "leader=NAME" then per member
// "name@address role state [tl=N] [lag=N] [noloadbalance] [nofailover]".
QString summary(const PatroniTopology &topology)
{
    QStringList parts;
    if (!topology.scope.isEmpty())
        parts << u"scope="_s + topology.scope;
    if (topology.paused)
        parts << u"paused"_s;
    parts << u"leader="_s + (topology.leader() ? topology.leader()->name : u"-"_s);
    for (const PatroniMember &m : topology.members) {
        QString line
            = m.name + u'@' + m.address() + u' ' + patroniRoleName(m.role) + u' ' + m.state;
        if (m.timeline >= 0)
            line += u" tl="_s + QString::number(m.timeline);
        if (m.lagBytes >= 0)
            line += u" lag="_s + QString::number(m.lagBytes);
        if (m.noLoadBalance)
            line += u" noloadbalance"_s;
        if (m.noFailover)
            line += u" nofailover"_s;
        parts << line;
    }
    return parts.join(u"; "_s);
}

} // namespace

class tst_PatroniTopology : public QObject
{
    Q_OBJECT

private slots:
    void documents_data();
    void documents();
    void badDocuments_data();
    void badDocuments();
    void capturedDetails();
    void readable();
    void memberAt();
    void oversized();
};

void tst_PatroniTopology::documents_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    // Each warning must contain its entry, in order; no more warnings than listed.
    QTest::addColumn<QStringList>("warnings");

    QTest::newRow("captured bootstrap") << QByteArray(CapturedBootstrap)
                                        << u"leader=m0; m0@127.0.0.1:27066 leader running tl=1; "
                                           "m1@127.0.0.1:31706 replica running tl=1 lag=0; "
                                           "m2@127.0.0.1:20396 replica running tl=1 lag=0"_s
                                        << QStringList();
    QTest::newRow("captured tagged")
        << QByteArray(CapturedTagged)
        << u"leader=m0; m0@127.0.0.1:27066 leader running tl=3; "
           "m1@127.0.0.1:31706 replica running tl=3 lag=0; "
           "m2@127.0.0.1:20396 replica running tl=3 lag=0 noloadbalance; "
           "m3@127.0.0.1:23653 replica running tl=3 lag=0"_s
        << QStringList();
    QTest::newRow("captured failover")
        << QByteArray(CapturedFailover)
        << u"leader=m2; m1@127.0.0.1:31672 replica running tl=1 lag=0; "
           "m2@127.0.0.1:28098 leader running tl=2"_s
        << QStringList();
    QTest::newRow("during switchover") << QByteArray(DuringSwitchover)
                                       << u"leader=m1; m0@127.0.0.1:27066 replica starting; "
                                          "m1@127.0.0.1:31706 leader running tl=2; "
                                          "m2@127.0.0.1:20396 replica streaming tl=2 lag=16384"_s
                                       << QStringList();

    QTest::newRow("no members") << QByteArray(R"({"members": []})") << u"leader=-"_s
                                << QStringList();
    QTest::newRow("scope and pause (newer Patroni)")
        << QByteArray(R"({"scope": "orders", "pause": true, "members": [)" + member("a", "leader")
                      + "]}")
        << u"scope=orders; paused; leader=a; a@10.0.0.1:5432 leader running"_s << QStringList();
    QTest::newRow("sync standby")
        << members(member("a", "leader") + ',' + member("b", "sync_standby", R"("port": 5433)"))
        << u"leader=a; a@10.0.0.1:5432 leader running; b@10.0.0.1:5433 sync_standby running"_s
        << QStringList();
    QTest::newRow("standby cluster")
        << members(member("a", "standby_leader") + ',' + member("b", "replica", R"("port": 5433)"))
        << u"leader=a; a@10.0.0.1:5432 standby_leader running; b@10.0.0.1:5433 replica running"_s
        << QStringList();
    QTest::newRow("unknown role") << members(member("a", "quorum_standby"))
                                  << u"leader=-; a@10.0.0.1:5432 other running"_s << QStringList();
    QTest::newRow("ipv6 host") << QByteArray(
        R"({"members": [{"name": "a", "role": "leader", "host": "::1", "port": 5432}]})")
                               << u"leader=a; a@[::1]:5432 leader "_s << QStringList();
    QTest::newRow("host name") << QByteArray(
        R"({"members": [{"name": "a", "role": "replica", "host": "db-1.example.org",)"
        R"( "port": 6432}]})") << u"leader=-; a@db-1.example.org:6432 replica "_s
                               << QStringList();
    QTest::newRow("port limits")
        << members(member("a", "leader", R"("port": 1)") + ','
                   + member("b", "replica", R"("port": 65535)"))
        << u"leader=a; a@10.0.0.1:1 leader running; b@10.0.0.1:65535 replica running"_s
        << QStringList();

    // Tags: Patroni takes any non-empty value as true (Python's bool()).
    QTest::newRow("tags")
        << members(member("a", "leader") + ','
                   + member("b", "replica",
                            R"("port": 5433, "tags": {"noloadbalance": true, "nofailover": true})")
                   + ','
                   + member("c", "replica",
                            R"("port": 5434, "tags": {"noloadbalance": false, "x": "y"})")
                   + ',' + member("d", "replica", R"("port": 5435, "tags": {"noloadbalance": 1})"))
        << u"leader=a; a@10.0.0.1:5432 leader running; "
           "b@10.0.0.1:5433 replica running noloadbalance nofailover; "
           "c@10.0.0.1:5434 replica running; d@10.0.0.1:5435 replica running noloadbalance"_s
        << QStringList();
    QTest::newRow("tags as strings")
        << members(member("a", "replica", R"("tags": {"noloadbalance": "false"})") + ','
                   + member("b", "replica", R"("port": 5433, "tags": {"noloadbalance": ""})"))
        << u"leader=-; a@10.0.0.1:5432 replica running noloadbalance; "
           "b@10.0.0.1:5433 replica running"_s
        << QStringList();

    // One unusable member is left out; the others stay.
    QTest::newRow("port zero") << members(member("a", "leader") + ','
                                          + member("b", "replica", R"("port": 0)"))
                               << u"leader=a; a@10.0.0.1:5432 leader running"_s
                               << QStringList {u"\"b\" has port 0, not one in 1..65535: ignored"_s};
    QTest::newRow("port too large")
        << members(member("a", "leader") + ',' + member("b", "replica", R"("port": 65536)"))
        << u"leader=a; a@10.0.0.1:5432 leader running"_s << QStringList {u"\"b\" has port 65536"_s};
    QTest::newRow("port negative") << members(member("b", "replica", R"("port": -5432)"))
                                   << u"leader=-"_s << QStringList {u"port -5432"_s};
    QTest::newRow("port fraction") << members(member("b", "replica", R"("port": 5432.5)"))
                                   << u"leader=-"_s << QStringList {u"port 5432.5"_s};
    QTest::newRow("port huge") << members(member("b", "replica", R"("port": 1e300)"))
                               << u"leader=-"_s << QStringList {u"port 1e+300"_s};
    QTest::newRow("port as text") << members(member("b", "replica", R"("port": "5432")"))
                                  << u"leader=-"_s << QStringList {u"port \"5432\""_s};
    QTest::newRow("no port") << members(R"({"name": "b", "role": "replica", "host": "10.0.0.1"})")
                             << u"leader=-"_s << QStringList {u"\"b\" has no port: ignored"_s};
    QTest::newRow("no host") << members(
        R"({"name": "b", "role": "replica", "state": "starting", "port": 5432})")
                             << u"leader=-"_s << QStringList {u"\"b\" has no host: ignored"_s};
    QTest::newRow("host with a space")
        << members(R"({"name": "b", "role": "replica", "host": "a b", "port": 5432})")
        << u"leader=-"_s << QStringList {u"unusable host \"a b\""_s};
    QTest::newRow("host with conninfo")
        << members(R"({"name": "b", "role": "replica", "host": "x dbname=evil", "port": 5432})")
        << u"leader=-"_s << QStringList {u"unusable host"_s};
    QTest::newRow("host socket path")
        << members(R"({"name": "b", "role": "replica", "host": "/tmp", "port": 5432})")
        << u"leader=-"_s << QStringList {u"unusable host \"/tmp\""_s};
    QTest::newRow("empty host") << members(
        R"({"name": "b", "role": "replica", "host": "", "port": 5432})")
                                << u"leader=-"_s << QStringList {u"unusable host \"\""_s};
    QTest::newRow("member not an object")
        << members(R"(42, "x", null, )" + member("a", "leader"))
        << u"leader=a; a@10.0.0.1:5432 leader running"_s
        << QStringList {u"member #1 is 42, not an object"_s, u"member #2 is \"x\", not an object"_s,
                        u"member #3 is null, not an object"_s};
    QTest::newRow("no name") << members(R"({"role": "leader", "host": "10.0.0.1", "port": 5432})")
                             << u"leader=-"_s << QStringList {u"member #1 has no name"_s};
    QTest::newRow("leader left out") << members(member("a", "leader", R"("port": 99999)") + ','
                                                + member("b", "replica", R"("port": 5433)"))
                                     << u"leader=-; b@10.0.0.1:5433 replica running"_s
                                     << QStringList {u"\"a\" has port 99999"_s};

    // Usable members with a field that is ignored.
    QTest::newRow("lag unknown") << members(member("b", "replica", R"("lag": "unknown")"))
                                 << u"leader=-; b@10.0.0.1:5432 replica running"_s << QStringList();
    QTest::newRow("lag negative") << members(member("b", "replica", R"("lag": -1)"))
                                  << u"leader=-; b@10.0.0.1:5432 replica running"_s
                                  << QStringList {u"\"b\": lag -1 ignored"_s};
    QTest::newRow("lag as text") << members(member("b", "replica", R"("lag": "5 MB")"))
                                 << u"leader=-; b@10.0.0.1:5432 replica running"_s
                                 << QStringList {u"lag \"5 MB\" ignored"_s};
    QTest::newRow("lag huge") << members(member("b", "replica", R"("lag": 1e300)"))
                              << u"leader=-; b@10.0.0.1:5432 replica running"_s
                              << QStringList {u"lag 1e+300"_s};
    QTest::newRow("lag large") << members(member("b", "replica", R"("lag": 1099511627776)"))
                               << u"leader=-; b@10.0.0.1:5432 replica running lag=1099511627776"_s
                               << QStringList();
    QTest::newRow("timeline as text") << members(member("b", "replica", R"("timeline": "2")"))
                                      << u"leader=-; b@10.0.0.1:5432 replica running"_s
                                      << QStringList {u"timeline \"2\" ignored"_s};
    QTest::newRow("tags not an object")
        << members(member("b", "replica", R"("tags": ["noloadbalance"])"))
        << u"leader=-; b@10.0.0.1:5432 replica running"_s
        << QStringList {u"tags are an array, not an object"_s};
    QTest::newRow("no role") << members(R"({"name": "b", "host": "10.0.0.1", "port": 5432})")
                             << u"leader=-; b@10.0.0.1:5432 other "_s
                             << QStringList {u"\"b\" has no role"_s};
    QTest::newRow("scope not text") << QByteArray(R"({"scope": 7, "members": []})") << u"leader=-"_s
                                    << QStringList {u"scope 7 ignored"_s};
    QTest::newRow("control characters in a name")
        << members(member("a\\u0000\\n", "replica", R"("port": 0)")) << u"leader=-"_s
        << QStringList {u"\"a??\" has port 0"_s};
}

void tst_PatroniTopology::documents()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    QFETCH(QStringList, warnings);

    PatroniTopology topology;
    QString error;
    QVERIFY2(parsePatroniCluster(json, &topology, &error), qPrintable(error));
    QVERIFY(error.isEmpty());
    QCOMPARE(summary(topology), expected);
    QVERIFY2(topology.warnings.size() == warnings.size(),
             qPrintable(topology.warnings.join(u" | "_s)));
    for (qsizetype i = 0; i < warnings.size(); ++i) {
        QVERIFY2(topology.warnings.at(i).contains(warnings.at(i)),
                 qPrintable(topology.warnings.at(i)));
    }
}

void tst_PatroniTopology::badDocuments_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");

    QTest::newRow("empty") << QByteArray() << u"not JSON"_s;
    QTest::newRow("truncated") << QByteArray(CapturedBootstrap).left(100) << u"not JSON"_s;
    QTest::newRow("html (not Patroni)")
        << QByteArray("<html><body><h1>It works!</h1></body></html>") << u"not JSON"_s;
    QTest::newRow("array") << QByteArray(R"([{"name": "a"}])") << u"not a JSON object"_s;
    // Qt 6.4 takes only an object or an array as a document: either message is right.
    QTest::newRow("number") << QByteArray("42") << u"Patroni /cluster answer is not "_s;
    QTest::newRow("another service")
        << QByteArray(R"({"status": "ok", "version": "1.2"})") << u"has no \"members\""_s;
    QTest::newRow("patroni /patroni instead of /cluster")
        << QByteArray(R"({"state": "running", "role": "replica", "timeline": 1,)"
                      R"( "patroni": {"version": "3.0.2", "scope": "qpsqlha-test"}})")
        << u"has no \"members\""_s;
    QTest::newRow("members an object")
        << QByteArray(R"({"members": {"a": 1}})") << u"\"members\" that is an object, not a list"_s;
    QTest::newRow("members null") << QByteArray(R"({"members": null})")
                                  << u"\"members\" that is null"_s;
    QTest::newRow("two leaders") << members(member("a", "leader") + ','
                                            + member("b", "leader", R"("port": 5433)"))
                                 << u"two leaders, \"a\" and \"b\""_s;
    QTest::newRow("leader and standby leader")
        << members(member("a", "leader") + ',' + member("b", "standby_leader", R"("port": 5433)"))
        << u"two leaders"_s;
    QTest::newRow("duplicate address")
        << members(member("a", "leader") + ',' + member("b", "replica"))
        << u"members \"a\" and \"b\" one server, 10.0.0.1:5432"_s;
    QTest::newRow("duplicate address, other spelling")
        << members(R"({"name": "a", "role": "replica", "host": "127.0.0.1", "port": 5432},)"
                   R"({"name": "b", "role": "replica", "host": "localhost", "port": 5432})")
        << u"members \"a\" and \"b\" one server"_s;
    QTest::newRow("duplicate name")
        << members(member("a", "leader") + ',' + member("a", "replica", R"("port": 5433)"))
        << u"lists member \"a\" twice"_s;

    QByteArray many;
    for (int i = 0; i < 300; ++i) {
        if (i)
            many += ',';
        many += member("m" + QByteArray::number(i), "replica",
                       R"("port": )" + QByteArray::number(1000 + i));
    }
    QTest::newRow("too many members") << members(many) << u"300 members, more than 256"_s;
}

void tst_PatroniTopology::badDocuments()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);

    // What the caller knew stays as it was.
    PatroniTopology topology;
    topology.scope = u"known"_s;
    QString message;
    QVERIFY(!parsePatroniCluster(json, &topology, &message));
    QVERIFY2(message.contains(error), qPrintable(message));
    QVERIFY2(message.startsWith(u"Patroni /cluster answer"_s), qPrintable(message));
    QCOMPARE(topology.scope, u"known"_s);
    QVERIFY(topology.members.isEmpty());
}

void tst_PatroniTopology::capturedDetails()
{
    PatroniTopology topology;
    QString error;
    QVERIFY2(parsePatroniCluster(CapturedTagged, &topology, &error), qPrintable(error));
    QCOMPARE(topology.members.size(), 4);
    QCOMPARE(topology.leaderIndex, 0);
    const PatroniMember &m2 = topology.members.at(2);
    QCOMPARE(m2.name, u"m2"_s);
    QCOMPARE(m2.roleText, u"replica"_s);
    QCOMPARE(m2.apiUrl, u"http://127.0.0.1:27678/patroni"_s);
    QCOMPARE(m2.tags.value(u"noloadbalance"_s).toBool(), true);
    QCOMPARE(m2.tags.size(), 1);
    QVERIFY(m2.noLoadBalance);
    QVERIFY(!m2.noFailover);
    QCOMPARE(topology.leader()->lagBytes, -1); // Patroni gives the leader no lag
}

void tst_PatroniTopology::readable()
{
    const auto readableMembers = [](const QByteArray &json) {
        PatroniTopology topology;
        QString error;
        if (!parsePatroniCluster(json, &topology, &error))
            return QStringList {u"error: "_s + error};
        QStringList names;
        for (const PatroniMember &m : std::as_const(topology.members)) {
            if (m.isReadable())
                names << m.name;
        }
        return names;
    };
    // Replicas and synchronous standbys serve reads unless Patroni's noloadbalance says not;
    // leaders and roles we do not know never do.
    QCOMPARE(readableMembers(
                 members(member("a", "leader") + ',' + member("b", "replica", R"("port": 2)") + ','
                         + member("c", "sync_standby", R"("port": 3)") + ','
                         + member("d", "replica", R"("port": 4, "tags": {"noloadbalance": true})")
                         + ',' + member("f", "quorum_standby", R"("port": 6)"))),
             QStringList({u"b"_s, u"c"_s}));
    QCOMPARE(readableMembers(members(member("e", "standby_leader"))), QStringList());
}

void tst_PatroniTopology::memberAt()
{
    PatroniTopology topology;
    QString error;
    QVERIFY2(parsePatroniCluster(CapturedBootstrap, &topology, &error), qPrintable(error));
    const PatroniMember *m1 = topology.memberAt(u"127.0.0.1"_s, 31706);
    QVERIFY(m1);
    QCOMPARE(m1->name, u"m1"_s);
    // The spellings of this machine are one host, as for the nodes given in options.
    QCOMPARE(topology.memberAt(u"localhost"_s, 31706), m1);
    QVERIFY(!topology.memberAt(u"127.0.0.1"_s, 31707));
    QVERIFY(!topology.memberAt(u"10.0.0.1"_s, 31706));
}

void tst_PatroniTopology::oversized()
{
    QByteArray json = R"({"members": [], "padding": ")";
    json += QByteArray(MaximumPatroniDocumentSize, 'x');
    json += "\"}";
    PatroniTopology topology;
    QString error;
    QVERIFY(!parsePatroniCluster(json, &topology, &error));
    QVERIFY2(error.contains(u"too large"_s), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_PatroniTopology)

#include "tst_patronitopology.moc"
