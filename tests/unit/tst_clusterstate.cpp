// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The cluster's decisions without a server: which reader a policy picks, which node takes the
// writes when servers report their roles, how lag is worked out and when a reader lags, and
// nodes added and removed at run time. The health checker feeds these from real probes; here
// the probe results are set by hand so that every rule can be checked exactly.

#include <qpsqlhacluster_p.h>
#include <qpsqlhamonotonicreads_p.h>
#include <qpsqlhareaderbursts_p.h>
#include <qpsqlhawatchdog_p.h>

#include <QtCore/qhash.h>

#include <QtTest/qtest.h>
#include <thread>
#include <vector>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

ClusterSettings settingsWith(const QString &options, const QString &primaryHost = u"10.0.0.1"_s)
{
    ClusterSettings settings;
    ConnectionParameters parameters;
    parameters.host = primaryHost;
    parameters.port = 5432;
    parameters.database = u"app"_s;
    parameters.user = u"app"_s;
    parameters.connectOptions
        = u"QPSQLHA_READERS=10.0.0.2,10.0.0.3;QPSQLHA_CLUSTER=state-test;"_s + options;
    QString error;
    if (!parseConnectionParameters(parameters, &settings, &error))
        qFatal("bad test options: %s", qPrintable(error));
    return settings;
}

QHash<int, int> picks(const Cluster &cluster, int rounds)
{
    QHash<int, int> counts;
    for (int i = 0; i < rounds; ++i)
        ++counts[cluster.pickReader(0)];
    return counts;
}

} // namespace

class tst_ClusterState : public QObject
{
    Q_OBJECT

private slots:
    void readersOnlyNeverThePrimary();
    void leastBusyAvoidsTheBusyReader();
    void fastestPrefersTheQuickReader();
    void weightsShareTheReads();
    void zeroWeightOnlyAsLastResort();
    void promotedReaderTakesTheWrites();
    void newerTimelineWins();
    void configuredPrimaryThatIsAStandbyServesReads();
    void lagIsMeasuredAgainstThePrimary();
    void laggingReaderGetsNoReadsUntilUnderHalf();
    void readYourWritesNeedsReplayedWal();
    void burstsDealAShuffledCycle();
    void burstsFollowWeightsAndAvailability();
    void primaryReadsPutThePrimaryInThePool();
    void monotonicReadsWaitForAProbeAfterTheRead();
    void noLagFigureWithoutAnAnswer();
    void readersAddedAndRemoved();
    void readerAddressesCompareAsServers();
    void sameServer_data();
    void sameServer();
    void countersAddUpOverStripes();
    void serverHealthIsSharedAcrossClusters();
    void serverHealthIsNotSharedWithoutABook();
};

void tst_ClusterState::readersOnlyNeverThePrimary()
{
    Cluster cluster(settingsWith(QString()));
    const QHash<int, int> counts = picks(cluster, 1000);
    QCOMPARE(counts.value(0), 0);
    QVERIFY(counts.value(1) > 300);
    QVERIFY(counts.value(2) > 300);
    // No reader online: none is picked (the session then uses the primary).
    cluster.node(1).markFailed(u"test"_s);
    cluster.node(2).markFailed(u"test"_s);
    QCOMPARE(cluster.pickReader(0), -1);
}

void tst_ClusterState::leastBusyAvoidsTheBusyReader()
{
    Cluster cluster(settingsWith(u"QPSQLHA_POLICY=least_busy"_s));
    cluster.node(1).statementStarted(0);
    for (int i = 0; i < 100; ++i)
        QCOMPARE(cluster.pickReader(0), 2);
    cluster.node(2).statementStarted(1); // two connections, counting on their own stripes
    cluster.node(2).statementStarted(2);
    for (int i = 0; i < 100; ++i)
        QCOMPARE(cluster.pickReader(0), 1);
    // All equal: ties are broken at random, both get reads.
    cluster.node(1).statementStarted(0);
    const QHash<int, int> counts = picks(cluster, 1000);
    QVERIFY(counts.value(1) > 300 && counts.value(2) > 300);
}

void tst_ClusterState::fastestPrefersTheQuickReader()
{
    Cluster cluster(settingsWith(u"QPSQLHA_POLICY=fastest"_s));
    cluster.node(1).recordResponseTime(5000);
    // Not measured yet counts as fastest: every reader gets measured.
    for (int i = 0; i < 50; ++i)
        QCOMPARE(cluster.pickReader(0), 2);
    cluster.node(2).recordResponseTime(300);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(cluster.pickReader(0), 2);
    // It slows down (moving average): the other one takes over.
    for (int i = 0; i < 100; ++i)
        cluster.node(2).recordResponseTime(20000);
    QVERIFY(cluster.node(2).responseTimeUs() > 5000);
    QCOMPARE(cluster.pickReader(0), 1);
}

void tst_ClusterState::weightsShareTheReads()
{
    for (const char *policy : {"random", "round_robin"}) {
        Cluster cluster(settingsWith(u"QPSQLHA_WEIGHTS=10.0.0.2:5432=3,10.0.0.3:5432=1;"
                                     "QPSQLHA_POLICY="_s
                                     + QLatin1StringView(policy)));
        QCOMPARE(cluster.node(1).weight(), 3);
        const QHash<int, int> counts = picks(cluster, 4000);
        qInfo() << policy << "weights 3:1 ->" << counts.value(1) << ":" << counts.value(2);
        QVERIFY(counts.value(1) > 2700 && counts.value(1) < 3300);
        // New connections keep readers in the same proportion.
        QHash<int, int> assigned;
        for (int i = 0; i < 400; ++i)
            ++assigned[cluster.assignReader()];
        QCOMPARE(assigned.value(1), 300);
        QCOMPARE(assigned.value(2), 100);
    }
}

void tst_ClusterState::zeroWeightOnlyAsLastResort()
{
    Cluster cluster(settingsWith(u"QPSQLHA_WEIGHTS=10.0.0.3:5432=0"_s));
    for (int i = 0; i < 200; ++i)
        QCOMPARE(cluster.pickReader(0), 1);
    cluster.node(1).markFailed(u"test"_s);
    QCOMPARE(cluster.pickReader(0), 2);
}

void tst_ClusterState::promotedReaderTakesTheWrites()
{
    Cluster cluster(settingsWith(QString()));
    QCOMPARE(cluster.writeNode(), 0);
    // The primary died; reader 1 was promoted and a probe says so.
    cluster.node(0).markFailed(u"gone"_s);
    cluster.node(1).setRole(NodeRole::Primary);
    cluster.node(1).setTimeline(2);
    cluster.reconcile();
    QCOMPARE(cluster.writeNode(), 1);
    QCOMPARE(&cluster.primary(), &cluster.node(1));
    // It takes no reads any more; the other reader does.
    for (int i = 0; i < 50; ++i)
        QCOMPARE(cluster.pickReader(0), 2);
}

void tst_ClusterState::newerTimelineWins()
{
    Cluster cluster(settingsWith(QString()));
    cluster.node(0).setTimeline(1);
    cluster.node(2).setRole(NodeRole::Primary);
    cluster.node(2).setTimeline(3);
    cluster.reconcile();
    QCOMPARE(cluster.writeNode(), 2);
    QVERIFY2(cluster.node(0).lastError().contains(u"also claims to be a primary"_s),
             qPrintable(cluster.node(0).lastError()));
    // The loser is neither written to nor read from.
    for (int i = 0; i < 50; ++i)
        QCOMPARE(cluster.pickReader(0), 1);
    // Equal timelines: the current write node stays (no flapping).
    cluster.node(0).setTimeline(3);
    cluster.reconcile();
    QCOMPARE(cluster.writeNode(), 2);
}

void tst_ClusterState::configuredPrimaryThatIsAStandbyServesReads()
{
    Cluster cluster(settingsWith(QString()));
    cluster.node(0).setRole(NodeRole::Reader);
    cluster.node(2).setRole(NodeRole::Primary);
    cluster.node(2).setTimeline(1);
    cluster.reconcile();
    QCOMPARE(cluster.writeNode(), 2);
    const QHash<int, int> counts = picks(cluster, 1000);
    QVERIFY(counts.value(0) > 300 && counts.value(1) > 300);
    QCOMPARE(counts.value(2), 0);
}

void tst_ClusterState::lagIsMeasuredAgainstThePrimary()
{
    Cluster cluster(settingsWith(QString()));
    cluster.node(0).setWalPosition(1000);
    cluster.node(1).setWalPosition(1000);
    cluster.node(2).setWalPosition(400);
    cluster.reconcile();
    QCOMPARE(cluster.node(0).lagBytes(), -1); // the primary has no lag
    QCOMPARE(cluster.node(1).lagBytes(), 0);
    QCOMPARE(cluster.node(1).lagMs(), 0);
    QCOMPARE(cluster.node(2).lagBytes(), 600);
    // Milliseconds: since the primary went past what the reader replayed.
    QTest::qWait(120);
    cluster.node(0).setWalPosition(1500);
    cluster.reconcile();
    QCOMPARE(cluster.node(1).lagBytes(), 500);
    QVERIFY2(cluster.node(1).lagMs() < 100, qPrintable(QString::number(cluster.node(1).lagMs())));
    QVERIFY2(cluster.node(2).lagMs() >= 100, qPrintable(QString::number(cluster.node(2).lagMs())));
    // Without limits nobody is declared lagging.
    QCOMPARE(cluster.node(2).state(), NodeState::Online);
}

void tst_ClusterState::laggingReaderGetsNoReadsUntilUnderHalf()
{
    Cluster cluster(settingsWith(u"QPSQLHA_MAX_LAG_BYTES=1000"_s));
    cluster.node(0).setWalPosition(10000);
    cluster.node(1).setWalPosition(10000);
    cluster.node(2).setWalPosition(8000);
    cluster.reconcile();
    QCOMPARE(cluster.node(2).state(), NodeState::Lagging);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(cluster.pickReader(0), 1);
    // Under the limit but not under half of it: still lagging (no flapping at the edge).
    cluster.node(2).setWalPosition(9200);
    cluster.reconcile();
    QCOMPARE(cluster.node(2).state(), NodeState::Lagging);
    cluster.node(2).setWalPosition(9600);
    cluster.reconcile();
    QCOMPARE(cluster.node(2).state(), NodeState::Online);
    // Every reader lagging: none is picked, reads go to the primary.
    cluster.node(0).setWalPosition(50000);
    cluster.reconcile();
    QCOMPARE(cluster.node(1).state(), NodeState::Lagging);
    QCOMPARE(cluster.node(2).state(), NodeState::Lagging);
    QCOMPARE(cluster.pickReader(0), -1);
    // A lagging reader that fails and comes back is judged again at the next probe.
    QVERIFY(cluster.node(1).markFailed(u"test"_s));
    QVERIFY(cluster.node(1).markRecovered(u"test"_s));
    cluster.reconcile();
    QCOMPARE(cluster.node(1).state(), NodeState::Lagging);
}

void tst_ClusterState::noLagFigureWithoutAnAnswer()
{
    Cluster cluster(settingsWith(u"QPSQLHA_MAX_LAG_BYTES=1000"_s));
    cluster.node(0).setWalPosition(5000000);
    cluster.node(1).setWalPosition(5000000);
    // reader 2 was never probed: no figure, and certainly not "5 MB behind".
    cluster.reconcile();
    QCOMPARE(cluster.node(2).lagBytes(), -1);
    QCOMPARE(cluster.node(2).state(), NodeState::Online);
    // A reader out of reach keeps no stale, growing figure either.
    cluster.node(2).setWalPosition(4999000);
    cluster.reconcile();
    QCOMPARE(cluster.node(2).lagBytes(), 1000);
    QVERIFY(cluster.node(2).setOfflineByHand(true));
    cluster.node(0).setWalPosition(6000000);
    cluster.reconcile();
    QCOMPARE(cluster.node(2).lagBytes(), -1);
    QCOMPARE(cluster.node(2).state(), NodeState::OfflineByHand);
}

void tst_ClusterState::readYourWritesNeedsReplayedWal()
{
    Cluster cluster(settingsWith(QString()));
    cluster.node(1).setWalPosition(700);
    cluster.node(2).setWalPosition(900);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(cluster.pickReader(0, 800), 2);
    QCOMPARE(cluster.pickReader(0, 1000), -1);
}

void tst_ClusterState::burstsDealAShuffledCycle()
{
    Cluster cluster(settingsWith(QString()));
    ReaderBursts bursts;
    constexpr int Length = 4;
    QList<int> order; // the reader of each burst
    QHash<int, int> counts;
    for (int burst = 0; burst < 100; ++burst) {
        const int reader = bursts.next(cluster, 0, 0, Length);
        QVERIFY(reader == 1 || reader == 2);
        for (int i = 1; i < Length; ++i)
            QCOMPARE(bursts.next(cluster, 0, 0, Length), reader);
        order.append(reader);
        counts[reader] += Length;
    }
    // Each cycle of two bursts gives each reader one: exactly half, whatever the draw.
    QCOMPARE(counts.value(1), 200);
    QCOMPARE(counts.value(2), 200);
    int firstIsReader1 = 0;
    for (int cycle = 0; cycle < 50; ++cycle) {
        QVERIFY(order.at(2 * cycle) != order.at(2 * cycle + 1));
        firstIsReader1 += order.at(2 * cycle) == 1 ? 1 : 0;
    }
    // ...in an order drawn anew each cycle (all 50 alike: probability 2^-49).
    QVERIFY2(firstIsReader1 > 0 && firstIsReader1 < 50,
             qPrintable(QString::number(firstIsReader1)));

    // A reader excluded by the caller (tried, not fit) ends the burst at once.
    const int current = bursts.next(cluster, 0, 0, Length);
    const int other = current == 1 ? 2 : 1;
    QCOMPARE(bursts.next(cluster, NodeMask(1) << current, 0, Length), other);
    // ...and so does a minimum WAL position it has not replayed.
    cluster.node(current).setWalPosition(100);
    cluster.node(other).setWalPosition(50);
    QCOMPARE(bursts.next(cluster, 0, 80, Length), current);
    QCOMPARE(bursts.next(cluster, 0, 200, Length), -1);
}

void tst_ClusterState::burstsFollowWeightsAndAvailability()
{
    Cluster cluster(settingsWith(u"QPSQLHA_WEIGHTS=10.0.0.2:5432=3,10.0.0.3:5432=1"_s));
    ReaderBursts bursts;
    QHash<int, int> counts;
    for (int i = 0; i < 4 * 25; ++i)
        ++counts[bursts.next(cluster, 0, 0, 1)];
    // 25 cycles of 3 + 1 bursts.
    QCOMPARE(counts.value(1), 75);
    QCOMPARE(counts.value(2), 25);

    // A failed reader is skipped; the burst moves off a reader that fails during it.
    cluster.node(2).markFailed(u"test"_s);
    for (int i = 0; i < 40; ++i)
        QCOMPARE(bursts.next(cluster, 0, 0, 8), 1);
    cluster.node(2).markRecovered(u"test"_s);
    cluster.node(1).markFailed(u"test"_s);
    QCOMPARE(bursts.next(cluster, 0, 0, 8), 2);
    cluster.node(2).markFailed(u"test"_s);
    QCOMPARE(bursts.next(cluster, 0, 0, 8), -1);

    // Weight 0 serves only when no reader of positive weight can.
    Cluster zero(settingsWith(u"QPSQLHA_WEIGHTS=10.0.0.3:5432=0"_s));
    ReaderBursts zeroBursts;
    for (int i = 0; i < 100; ++i)
        QCOMPARE(zeroBursts.next(zero, 0, 0, 3), 1);
    zero.node(1).markFailed(u"test"_s);
    QCOMPARE(zeroBursts.next(zero, 0, 0, 3), 2);
}

void tst_ClusterState::primaryReadsPutThePrimaryInThePool()
{
    Cluster without(settingsWith(QString()));
    QVERIFY(!without.isReadable(0));
    for (int i = 0; i < 300; ++i)
        QVERIFY(without.assignReader() != 0);

    Cluster cluster(
        settingsWith(u"QPSQLHA_PRIMARY_READS=1;"
                     "QPSQLHA_WEIGHTS=10.0.0.1:5432=2,10.0.0.2:5432=1,10.0.0.3:5432=1"_s));
    QVERIFY(cluster.isReadable(0));
    const QHash<int, int> counts = picks(cluster, 4000);
    qInfo() << "primary reads, weights 2:1:1 ->" << counts;
    QVERIFY(counts.value(0) > 1700 && counts.value(0) < 2300);
    QVERIFY(counts.value(1) > 800 && counts.value(2) > 800);
    QHash<int, int> assigned;
    for (int i = 0; i < 400; ++i)
        ++assigned[cluster.assignReader()];
    QCOMPARE(assigned.value(0), 200);
    QCOMPARE(assigned.value(1), 100);
    ReaderBursts bursts;
    QHash<int, int> dealt;
    for (int i = 0; i < 400; ++i)
        ++dealt[bursts.next(cluster, 0, 0, 1)];
    QCOMPARE(dealt.value(0), 200);
    QCOMPARE(dealt.value(1), 100);
    QCOMPARE(dealt.value(2), 100);
    // The write node has everything: no minimum WAL position keeps it out.
    cluster.node(0).setWalPosition(10);
    QCOMPARE(cluster.pickReader(NodeMask(0b110), 1000000), 0);

    // When a reader takes over the writes, it is the one in the pool as the primary; the old
    // primary, a standby now, is a reader like the others.
    cluster.node(0).setRole(NodeRole::Reader);
    cluster.node(2).setRole(NodeRole::Primary);
    cluster.reconcile();
    QCOMPARE(cluster.writeNode(), 2);
    QVERIFY(cluster.isReadable(0) && cluster.isReadable(1) && cluster.isReadable(2));
    // Taken offline, the primary serves no reads.
    cluster.node(2).setOfflineByHand(true);
    QVERIFY(!cluster.isReadable(2));
}

void tst_ClusterState::monotonicReadsWaitForAProbeAfterTheRead()
{
    Cluster cluster(settingsWith(QString()));
    // A probe that measured `wal` on `node` and started at `atClockMs`.
    const auto probe = [&](int node, quint64 wal, qint64 atClockMs) {
        cluster.node(node).setWalPosition(wal);
        cluster.node(node).setWalMeasuredAt(atClockMs);
    };
    const auto later = [] {
        return watchdogClockMs() + 1;
    }; // a probe that began after a read
    // Each read on a later tick of the coarse clock than the probes before it.
    const auto read = [](MonotonicReads &reads, int node) {
        QTest::qSleep(30);
        reads.recordRead(node);
    };
    const qint64 start = watchdogClockMs();
    probe(0, 1000, start);
    probe(1, 900, start);
    probe(2, 500, start); // replay paused
    MonotonicReads reads;
    QCOMPARE(reads.unfit(cluster), NodeMask(0)); // nothing read yet

    // A read on reader1: what it saw is not known until a probe that started after it, so no
    // other reader may serve meanwhile; reader1 itself and the primary may.
    read(reads, 1);
    QCOMPARE(reads.unfit(cluster), NodeMask(0b100));
    probe(1, 950, start); // a probe from before the read says nothing
    QCOMPARE(reads.unfit(cluster), NodeMask(0b100));
    probe(1, 960, later());
    QCOMPARE(reads.unfit(cluster), NodeMask(0b100)); // 500 < 960: reader2 is behind
    probe(2, 959, later());
    QCOMPARE(reads.unfit(cluster), NodeMask(0b100));
    probe(2, 960, later());
    QCOMPARE(reads.unfit(cluster), NodeMask(0)); // caught up

    // Reading on reader2 then needs reader1 to have replayed what reader2 served; reader2 is
    // never held back by its own reads.
    read(reads, 2);
    QCOMPARE(reads.unfit(cluster), NodeMask(0b010));
    probe(2, 2000, later());
    QCOMPARE(reads.unfit(cluster), NodeMask(0b010)); // reader1: 960 < 2000
    probe(1, 2000, later());
    QCOMPARE(reads.unfit(cluster), NodeMask(0));

    // A reader that fails after a read is bounded by the primary's position instead, so the
    // others are not held back forever.
    read(reads, 1);
    cluster.node(1).markFailed(u"test"_s);
    QCOMPARE(reads.unfit(cluster), NodeMask(0b100));
    probe(0, 3000, later());
    QCOMPARE(reads.unfit(cluster), NodeMask(0b100)); // reader2: 2000 < the primary's 3000
    probe(2, 3000, later());
    QCOMPARE(reads.unfit(cluster) & NodeMask(0b100), NodeMask(0));

    // A read on the primary counts like any other; the primary itself is never unfit.
    read(reads, 0);
    QCOMPARE(reads.unfit(cluster), NodeMask(0b110));
    probe(0, 3500, later());
    QCOMPARE(reads.unfit(cluster) & NodeMask(0b100), NodeMask(0b100));
    probe(2, 3500, later());
    QCOMPARE(reads.unfit(cluster) & NodeMask(0b100), NodeMask(0));

    // A node asked directly after its last read (the end of a burst) needs no probe.
    cluster.node(1).markRecovered(u"test"_s);
    read(reads, 2);
    QVERIFY(reads.isPending(2));
    QCOMPARE(reads.unfit(cluster), NodeMask(0b010));
    reads.recordRead(2);
    reads.recordRead(2);
    QCOMPARE(reads.lastNode(), 2);
    QCOMPARE(reads.readsSinceKnown(), 3); // how long the connection has been held on reader2
    reads.recordPosition(2, 3400);
    QVERIFY(!reads.isPending(2));
    QCOMPARE(reads.readsSinceKnown(), 0);
    probe(1, 3500, later()); // and what the read on the primary saw
    QCOMPARE(reads.unfit(cluster), NodeMask(0));
}

void tst_ClusterState::readersAddedAndRemoved()
{
    Cluster cluster(settingsWith(QString()));
    QString error;
    QCOMPARE(cluster.addReader(u"10.0.0.2"_s, &error), -1); // the port defaults to the primary's
    QVERIFY2(error.contains(u"already a node"_s), qPrintable(error));
    QCOMPARE(cluster.addReader(u"::1:5432"_s, &error), -1);
    QVERIFY2(error.contains(u"brackets"_s), qPrintable(error));
    const int added = cluster.addReader(u"10.0.0.4:6432"_s, &error);
    QCOMPARE(added, 3);
    QCOMPARE(cluster.nodeCount(), 4);
    QCOMPARE(cluster.node(added).address(), u"10.0.0.4:6432"_s);
    QCOMPARE(cluster.node(added).settings().user, u"app"_s);
    // No reads before the first probe has seen it answer.
    QCOMPARE(cluster.node(added).state(), NodeState::Failed);
    QVERIFY(cluster.node(added).markRecovered(u"probe"_s));
    QVERIFY(picks(cluster, 1000).value(added) > 200);

    QVERIFY(!cluster.removeNode(u"10.0.0.1:5432"_s, &error));
    QVERIFY2(error.contains(u"writes"_s), qPrintable(error));
    QVERIFY(!cluster.removeNode(u"10.9.9.9:5432"_s, &error));
    QVERIFY(cluster.removeNode(u"10.0.0.2:5432"_s, &error));
    QCOMPARE(cluster.indexOf(u"10.0.0.2:5432"_s), -1);
    QCOMPARE(picks(cluster, 1000).value(1), 0);
    // Gone for good, but the address can come back as a new node.
    QCOMPARE(cluster.addReader(u"10.0.0.2:5432"_s, &error), 4);
}

void tst_ClusterState::readerAddressesCompareAsServers()
{
    Cluster cluster(settingsWith(QString(), u"localhost"_s));
    QString error;
    for (const QString &primary :
         {u"localhost"_s, u"LocalHost:5432"_s, u"127.0.0.1:5432"_s, u"[::1]:5432"_s, u"[::1]"_s}) {
        QCOMPARE(cluster.addReader(primary, &error), -1);
        QVERIFY2(error.contains(u"already a node"_s), qPrintable(error));
        QVERIFY2(error.contains(u"localhost:5432"_s), qPrintable(error));
    }
    QCOMPARE(cluster.addReader(u"127.0.0.1:5433"_s, &error), 3);
    QCOMPARE(cluster.addReader(u"[::1]:5433"_s, &error), -1);
    QVERIFY2(error.contains(u"(as 127.0.0.1:5433)"_s), qPrintable(error));
    QCOMPARE(cluster.addReader(u"Db.Example.com"_s, &error), 4);
    QCOMPARE(cluster.addReader(u"db.example.COM:5432"_s, &error), -1);
    QVERIFY2(error.contains(u"(as Db.Example.com:5432)"_s), qPrintable(error));
    // remove-node names a node by its address; host names compare without case there too.
    QVERIFY(cluster.removeNode(u"DB.EXAMPLE.COM:5432"_s, &error));
    // ...and the server can be named another way (what ctl offline/online and the API use too).
    QCOMPARE(cluster.indexOf(u"localhost:5433"_s), 3);
    QCOMPARE(cluster.indexOf(u"[::1]:5433"_s), 3);
    QCOMPARE(cluster.indexOf(u"127.0.0.1"_s), 0); // the primary's port when none is given
    QCOMPARE(cluster.indexOf(u"127.0.0.1:5434"_s), -1);
    QCOMPARE(cluster.indexOf(u"not an address:x"_s), -1);
    // A removed reader's address can come back, spelt any way.
    QVERIFY(cluster.removeNode(u"localhost:5433"_s, &error));
    QCOMPARE(cluster.indexOf(u"127.0.0.1:5433"_s), -1);
    QCOMPARE(cluster.addReader(u"localhost:5433"_s, &error), 5);
}

void tst_ClusterState::sameServer_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("otherHost");
    QTest::addColumn<int>("otherPort");
    QTest::addColumn<bool>("same");
    QTest::newRow("same text") << u"10.0.0.1"_s << 5432 << u"10.0.0.1"_s << 5432 << true;
    QTest::newRow("other port") << u"10.0.0.1"_s << 5432 << u"10.0.0.1"_s << 5433 << false;
    QTest::newRow("name case") << u"DB1.example.com"_s << 5432 << u"db1.EXAMPLE.com"_s << 5432
                               << true;
    QTest::newRow("localhost, 127.0.0.1")
        << u"localhost"_s << 5432 << u"127.0.0.1"_s << 5432 << true;
    QTest::newRow("127.0.0.1, ::1") << u"127.0.0.1"_s << 5432 << u"::1"_s << 5432 << true;
    QTest::newRow("no host, localhost") << QString() << 5432 << u"localhost"_s << 5432 << true;
    QTest::newRow("another loopback address")
        << u"127.0.0.1"_s << 5432 << u"127.0.0.2"_s << 5432 << false;
    // Names are not resolved, even the ones that stand for this machine.
    QTest::newRow("name, address") << u"db1"_s << 5432 << u"10.0.0.1"_s << 5432 << false;
    QTest::newRow("socket directory case") << u"/run/PG"_s << 5432 << u"/run/pg"_s << 5432 << false;
    QTest::newRow("socket directory")
        << u"/run/postgresql"_s << 5432 << u"/run/postgresql"_s << 5432 << true;
}

void tst_ClusterState::sameServer()
{
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, otherHost);
    QFETCH(int, otherPort);
    QFETCH(bool, same);
    NodeSettings node;
    node.host = host;
    node.port = port;
    NodeSettings other;
    other.host = otherHost;
    other.port = otherPort;
    QCOMPARE(node.isSameServerAs(other), same);
    QCOMPARE(other.isSameServerAs(node), same);
}

void tst_ClusterState::countersAddUpOverStripes()
{
    // Each connection counts on a stripe of its own; the node's figures are the sums, whatever
    // the stripe numbers (more connections than stripes share them).
    Cluster cluster(settingsWith(QString()));
    Node &node = cluster.node(1);
    for (int stripe = 0; stripe < 21; ++stripe)
        node.countQuery(stripe);
    QCOMPARE(node.queries(), quint64(21));
    node.statementStarted(3);
    node.statementStarted(12);
    QCOMPARE(node.inFlight(), 2);
    node.statementFinished(3);
    QCOMPARE(node.inFlight(), 1);

    // Concurrent writers, some sharing a stripe: nothing is lost.
    constexpr int Threads = 12;
    constexpr int PerThread = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back([&node, t] {
            for (int i = 0; i < PerThread; ++i) {
                node.statementStarted(t);
                node.countQuery(t);
                node.statementFinished(t);
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(node.queries(), quint64(21 + Threads * PerThread));
    QCOMPARE(node.inFlight(), 1);
    QCOMPARE(cluster.node(2).queries(), quint64(0));
}

void tst_ClusterState::serverHealthIsSharedAcrossClusters()
{
    // Two clusters of one primary, as two connections with other reader lists make them; the
    // second spells the shared reader another way and has a reader of its own.
    const auto servers = std::make_shared<ServerHealthBook>();
    Cluster first(settingsWith(QString(), u"localhost"_s), servers);
    ClusterSettings otherSettings = settingsWith(QString(), u"127.0.0.1"_s);
    otherSettings.name = u"state-test#2"_s;
    otherSettings.nodes[1].host = u"10.0.0.9"_s; // not in the first cluster
    Cluster second(otherSettings, servers);
    Node &sharedReader = first.node(2); // 10.0.0.3:5432, second.node(2) too
    Node &sharedPrimary = first.node(0); // localhost and 127.0.0.1
    const quint32 epoch = second.node(2).epoch();

    // A failure seen in one cluster is the server's: the other cluster avoids it too.
    QVERIFY(sharedReader.markFailed(u"connection lost"_s));
    QCOMPARE(second.node(2).state(), NodeState::Failed);
    QCOMPARE(second.node(2).lastError(), u"connection lost"_s);
    QCOMPARE(first.node(1).state(), NodeState::Online); // other servers are untouched
    QCOMPARE(second.node(1).state(), NodeState::Online);
    QCOMPARE(second.pickReader(0), 1);
    QVERIFY(!second.node(2).markFailed(u"again"_s)); // already failed there as well

    // So is its return, seen by either; the epoch moves once, for both.
    QVERIFY(second.node(2).markRecovered(u"probe succeeded"_s));
    QCOMPARE(sharedReader.state(), NodeState::Online);
    QCOMPARE(sharedReader.epoch(), epoch + 1);
    QCOMPARE(second.node(2).epoch(), epoch + 1);
    QVERIFY(!sharedReader.markRecovered(u"probe succeeded"_s));
    QCOMPARE(sharedReader.epoch(), epoch + 1);

    // The primary is one server however it is spelt.
    QVERIFY(second.node(0).markFailed(u"gone"_s));
    QCOMPARE(sharedPrimary.state(), NodeState::Failed);
    QVERIFY(sharedPrimary.markRecovered(u"reconnected"_s));
    QCOMPARE(second.node(0).state(), NodeState::Online);

    // Lagging and offline by hand are each cluster's own; a failure moves a lagging node too but
    // never overrides an operator, and putting it back in service while the server is known to
    // be down leaves it failed until a probe says otherwise.
    QVERIFY(first.node(1).setLagging(true, u"lag"_s));
    QVERIFY(second.node(2).setOfflineByHand(true));
    QCOMPARE(sharedReader.state(), NodeState::Online);
    QVERIFY(sharedReader.markFailed(u"connection lost"_s));
    QCOMPARE(second.node(2).state(), NodeState::OfflineByHand);
    QVERIFY(second.node(2).setOfflineByHand(false));
    QCOMPARE(second.node(2).state(), NodeState::Failed);
    QVERIFY(sharedReader.markRecovered(u"probe succeeded"_s));
    QCOMPARE(second.node(2).state(), NodeState::Online);
    QCOMPARE(first.node(1).state(), NodeState::Lagging);

    // A cluster that starts listing a server known to be down starts with it down.
    QVERIFY(first.node(1).markFailed(u"refused"_s));
    ClusterSettings thirdSettings = settingsWith(QString(), u"localhost"_s);
    thirdSettings.name = u"state-test#3"_s;
    Cluster third(thirdSettings, servers);
    QCOMPARE(third.node(1).state(), NodeState::Failed);
    QCOMPARE(third.node(1).lastError(), u"refused"_s);
    QCOMPARE(third.node(2).state(), NodeState::Online);

    // A reader added to one cluster waits for its probe there only.
    QString error;
    const int added = third.addReader(u"10.0.0.9"_s, &error);
    QVERIFY2(added > 0, qPrintable(error));
    QCOMPARE(third.node(added).state(), NodeState::Failed);
    QCOMPARE(second.node(1).state(), NodeState::Online);
}

void tst_ClusterState::serverHealthIsNotSharedWithoutABook()
{
    // Clusters made on their own (as in these tests) share nothing.
    Cluster first(settingsWith(QString()));
    Cluster second(settingsWith(QString()));
    QVERIFY(first.node(1).markFailed(u"connection lost"_s));
    QCOMPARE(second.node(1).state(), NodeState::Online);
}

QTEST_GUILESS_MAIN(tst_ClusterState)

#include "tst_clusterstate.moc"
