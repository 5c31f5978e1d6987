// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Cluster::applyPatroniTopology() without a server: which members become nodes, which nodes
// leave, what noloadbalance does to reads, and that Patroni's word never moves the writes (the
// live cases are in tst_patronidiscovery).

#include <qpsqlhacluster_p.h>
#include <qpsqlhapatronitopology_p.h>

#include <QtTest/qtest.h>

#include <memory>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

// A cluster following Patroni, seeded with m0 (primary, port 5000) and m1 (reader, port 5001).
std::unique_ptr<Cluster> followingCluster()
{
    ClusterSettings settings;
    QString error;
    const bool parsed = parseConnectionParameters(
        {u"127.0.0.1"_s, 5000, u"db"_s, u"app"_s, u"pw"_s,
         u"QPSQLHA_PATRONI=http://127.0.0.1:8008;QPSQLHA_READERS=127.0.0.1:5001"_s},
        &settings, &error);
    if (!parsed)
        qFatal("%s", qPrintable(error));
    return std::make_unique<Cluster>(settings);
}

PatroniTopology topology(const QByteArray &members)
{
    PatroniTopology result;
    QString error;
    if (!parsePatroniCluster("{\"members\": [" + members + "]}", &result, &error))
        qFatal("%s", qPrintable(error));
    return result;
}

const QByteArray m0Leader = R"({"name": "m0", "role": "leader", "state": "running",
    "host": "127.0.0.1", "port": 5000, "timeline": 1})";
const QByteArray m1Replica = R"({"name": "m1", "role": "replica", "state": "streaming",
    "host": "127.0.0.1", "port": 5001, "timeline": 1, "lag": 128})";
const QByteArray m2Replica = R"({"name": "m2", "role": "replica", "state": "streaming",
    "host": "localhost", "port": 5002, "timeline": 1, "lag": 0})";

} // namespace

class tst_PatroniFollow : public QObject
{
    Q_OBJECT

private slots:
    void membersNoted();
    void memberAppearsAndLeaves();
    void noLoadBalanceTakesReadsAway();
    void leaderNeverMovesWrites();
    void failureKeepsTopology();
};

void tst_PatroniFollow::membersNoted()
{
    auto cluster = followingCluster();
    QCOMPARE(cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica),
                                           u"http://127.0.0.1:8008"_s),
             0);
    QCOMPARE(cluster->nodeCount(), 2);
    const PatroniMemberView m1 = cluster->node(1).patroniView();
    QVERIFY(m1.listed);
    QCOMPARE(m1.member, u"m1"_s);
    QCOMPARE(m1.role, u"replica"_s);
    QCOMPARE(m1.state, u"streaming"_s);
    QCOMPARE(m1.lagBytes, qint64(128));
    const PatroniClusterView view = cluster->patroniView();
    QVERIFY(view.enabled);
    QCOMPARE(view.members, QStringList({u"m0"_s, u"m1"_s}));
    QCOMPARE(view.url, u"http://127.0.0.1:8008"_s);
    QVERIFY(view.lastAnswer.isValid());
    QVERIFY(view.error.isEmpty());
}

void tst_PatroniFollow::memberAppearsAndLeaves()
{
    auto cluster = followingCluster();
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica + ',' + m2Replica),
                                  u"http://127.0.0.1:8008"_s);
    QCOMPARE(cluster->nodeCount(), 3);
    Node &added = cluster->node(2);
    QCOMPARE(added.settings().port, 5002);
    // With the connection's credentials, and no reads until its first probe.
    QCOMPARE(added.settings().user, u"app"_s);
    QCOMPARE(added.settings().database, u"db"_s);
    QVERIFY(!cluster->isReadable(2));
    QCOMPARE(added.patroniView().member, u"m2"_s);

    // m1 leaves Patroni: removed, index kept.
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m2Replica), u"http://x:1"_s);
    QVERIFY(cluster->node(1).isRemoved());
    QVERIFY(!cluster->node(2).isRemoved());
    QCOMPARE(cluster->indexOf(u"127.0.0.1:5001"_s), -1);
    // ... and comes back as a new node.
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica + ',' + m2Replica),
                                  u"http://x:1"_s);
    QCOMPARE(cluster->nodeCount(), 4);
    QCOMPARE(cluster->indexOf(u"127.0.0.1:5001"_s), 3);
}

void tst_PatroniFollow::noLoadBalanceTakesReadsAway()
{
    auto cluster = followingCluster();
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica), u"http://x:1"_s);
    QVERIFY(cluster->isReadable(1));
    QByteArray tagged = m1Replica;
    tagged.replace("\"lag\": 128", "\"lag\": 128, \"tags\": {\"noloadbalance\": true}");
    cluster->applyPatroniTopology(topology(m0Leader + ',' + tagged), u"http://x:1"_s);
    QVERIFY(cluster->node(1).isExcludedFromReads());
    QVERIFY(!cluster->isReadable(1));
    QCOMPARE(cluster->pickReader(0), -1);
    QVERIFY(cluster->node(1).patroniView().noLoadBalance);
    // Cleared: back in the read pool.
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica), u"http://x:1"_s);
    QVERIFY(cluster->isReadable(1));
    QCOMPARE(cluster->pickReader(0), 1);
}

void tst_PatroniFollow::leaderNeverMovesWrites()
{
    auto cluster = followingCluster();
    // Patroni says m1 leads; our probes have said nothing: writes stay on node 0.
    QByteArray m0 = m0Leader;
    m0.replace("\"leader\"", "\"replica\"");
    QByteArray m1 = m1Replica;
    m1.replace("\"replica\"", "\"leader\"");
    QCOMPARE(cluster->applyPatroniTopology(topology(m0 + ',' + m1), u"http://x:1"_s), 1);
    QCOMPARE(cluster->writeNode(), 0);
    // Nor does it remove the node taking writes when Patroni no longer lists it.
    QCOMPARE(cluster->applyPatroniTopology(topology(m1), u"http://x:1"_s), 1);
    QVERIFY(!cluster->node(0).isRemoved());
    QCOMPARE(cluster->writeNode(), 0);
    // Once our probe finds m1 out of recovery on a newer timeline, reconcile() moves the
    // writes, and the next answer removes m0.
    cluster->node(1).setRole(NodeRole::Primary);
    cluster->node(1).setTimeline(2);
    cluster->reconcile();
    QCOMPARE(cluster->writeNode(), 1);
    cluster->applyPatroniTopology(topology(m1), u"http://x:1"_s);
    QVERIFY(cluster->node(0).isRemoved());
}

void tst_PatroniFollow::failureKeepsTopology()
{
    auto cluster = followingCluster();
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica), u"http://x:1"_s);
    QVERIFY(cluster->notePatroniFailure(u"http://x:1/cluster: Connection refused"_s));
    QVERIFY(!cluster->notePatroniFailure(u"http://x:1/cluster: Connection refused"_s));
    QCOMPARE(cluster->nodeCount(), 2);
    QVERIFY(!cluster->node(1).isRemoved());
    const PatroniClusterView view = cluster->patroniView();
    QVERIFY(view.lastAnswer.isValid());
    QCOMPARE(view.members, QStringList({u"m0"_s, u"m1"_s}));
    QCOMPARE(view.error, u"http://x:1/cluster: Connection refused"_s);
    // A good answer clears the error.
    cluster->applyPatroniTopology(topology(m0Leader + ',' + m1Replica), u"http://x:1"_s);
    QVERIFY(cluster->patroniView().error.isEmpty());
}

QTEST_APPLESS_MAIN(tst_PatroniFollow)

#include "tst_patronifollow.moc"
