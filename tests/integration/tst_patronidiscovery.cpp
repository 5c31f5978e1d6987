// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// QPSQLHA following a real Patroni cluster (QPSQLHA_PATRONI, issue 13): the members, their
// roles and tags come from Patroni's REST API; our probes decide where writes go. Each case runs
// under four reading threads and a writer, checks that no read failed and that every write that
// was acknowledged is on the leader afterwards, and prints how long the change took.

#include <hahelpers.h>
#include <patronitestcluster.h>
#include <threadgroup.h>

#include <qpsqlhaapi.h>
#include <qpsqlhapatronitopology_p.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>
#include <QtCore/qprocess.h>
#include <QtCore/qset.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using QPsqlHaTest::PatroniTestCluster;
using QPsqlHaTest::ThreadGroup;

namespace {

constexpr int HealthIntervalMs = 500;
constexpr int RoleChangeTimeoutMs = 90 * 1000;
const QString WriteTable = u"qpsqlha_patroni_discovery"_s;

QString patroniOptions(const QString &clusterName, const QString &urls)
{
    return u"QPSQLHA_PATRONI=%1;QPSQLHA_CLUSTER=%2;QPSQLHA_HEALTH_INTERVAL=%3;connect_timeout=3"_s
        .arg(urls, clusterName)
        .arg(HealthIntervalMs);
}

// A QPSQLHA connection that knows nothing but Patroni's endpoints (no host, no readers).
QSqlDatabase patroniDatabase(const QString &connectionName, const QString &clusterName,
                             const QString &urls = QString())
{
    const PatroniTestCluster &cluster = PatroniTestCluster::instance();
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, connectionName);
    db.setDatabaseName(cluster.database());
    db.setUserName(cluster.user());
    db.setPassword(cluster.password());
    db.setConnectOptions(
        patroniOptions(clusterName, urls.isEmpty() ? cluster.restUrlsOption() : urls));
    return db;
}

QPsqlHa::ClusterStatus clusterStatus(const QString &name)
{
    for (const QPsqlHa::ClusterStatus &status : QPsqlHa::clusters()) {
        if (status.name == name)
            return status;
    }
    return {};
}

// The port of the node our cluster sends writes to; -1: none.
int primaryPort(const QString &name)
{
    for (const QPsqlHa::NodeStatus &node : clusterStatus(name).nodes) {
        if (node.role == QPsqlHa::NodeRole::Primary)
            return node.port;
    }
    return -1;
}

// Four threads reading and one writing, each through a QPSQLHA connection of its own in one
// cluster that follows Patroni. Reads are counted by the port that served them.
class PatroniLoad
{
public:
    explicit PatroniLoad(const QString &clusterName)
        : m_clusterName(clusterName)
    {
        for (int i = 0; i < 4; ++i)
            m_threads.add([this, i] { read(i); });
        m_threads.add([this] { write(); });
        m_threads.start();
        QDeadlineTimer ready(30000);
        while (m_ready.loadAcquire() < 5 && !ready.hasExpired())
            QThread::msleep(20);
    }
    ~PatroniLoad() { stop(); }

    void stop()
    {
        m_stop.storeRelease(1);
        m_threads.join();
    }

    int readsOk() const { return m_readsOk.loadRelaxed(); }
    int readsFailed() const { return m_readsFailed.loadRelaxed(); }
    QString firstReadError() const
    {
        QMutexLocker locker(&m_mutex);
        return m_firstReadError;
    }
    int takeServedBy(int port)
    {
        QMutexLocker locker(&m_mutex);
        return std::exchange(m_servedBy[port], 0);
    }
    // Reads served by `port` since the last takeServedBy(port), without resetting (for QTRY_*,
    // which evaluates its expression once more after it held).
    int servedBy(int port) const
    {
        QMutexLocker locker(&m_mutex);
        return m_servedBy.value(port);
    }
    // Milliseconds on the load's clock when `port` last served a read; -1: never.
    qint64 lastReadOn(int port) const
    {
        QMutexLocker locker(&m_mutex);
        return m_lastReadOn.value(port, -1);
    }
    qint64 now() const { return m_clock.elapsed(); }
    QList<qint64> acknowledged() const
    {
        QMutexLocker locker(&m_mutex);
        return m_acknowledged;
    }
    // When the last write was acknowledged, on now()'s clock; -1: none.
    qint64 lastWriteAt() const { return m_lastWriteAt.loadRelaxed(); }
    int writesFailed() const { return m_writesFailed.loadRelaxed(); }
    // The longest time between two acknowledged writes: how long writes were unavailable.
    qint64 longestWriteGapMs() const
    {
        QMutexLocker locker(&m_mutex);
        return m_longestWriteGapMs;
    }

private:
    void read(int index)
    {
        const QString name = u"%1-read-%2"_s.arg(m_clusterName).arg(index);
        {
            QSqlDatabase db = patroniDatabase(name, m_clusterName);
            bool first = true;
            if (!db.open()) {
                recordRead(-1, db.lastError().text());
            } else {
                QSqlQuery query(db);
                while (!m_stop.loadAcquire()) {
                    const int port = QPsqlHaTest::servedBy(query);
                    recordRead(port, query.lastError().text());
                    if (first) {
                        first = false;
                        m_ready.ref();
                    }
                    QThread::msleep(2);
                }
            }
            if (first)
                m_ready.ref();
        }
        QSqlDatabase::removeDatabase(name);
    }

    void write()
    {
        const QString name = m_clusterName + u"-write"_s;
        {
            QSqlDatabase db = patroniDatabase(name, m_clusterName);
            const bool opened = db.open();
            m_ready.ref();
            if (opened) {
                QSqlQuery query(db);
                for (qint64 id = 1; !m_stop.loadAcquire(); ++id) {
                    // Ids unique across the cases: the clock since the epoch, then a counter.
                    const qint64 key = m_base + id;
                    if (query.exec(u"INSERT INTO %1 (id) VALUES (%2)"_s.arg(WriteTable).arg(key))) {
                        QMutexLocker locker(&m_mutex);
                        m_acknowledged.append(key);
                        const qint64 now = m_clock.elapsed();
                        const qint64 previous = m_lastWriteAt.loadRelaxed();
                        if (previous >= 0)
                            m_longestWriteGapMs = qMax(m_longestWriteGapMs, now - previous);
                        m_lastWriteAt.storeRelaxed(now);
                    } else {
                        m_writesFailed.ref();
                    }
                    QThread::msleep(10);
                }
            }
        }
        QSqlDatabase::removeDatabase(name);
    }

    void recordRead(int port, const QString &error)
    {
        QMutexLocker locker(&m_mutex);
        if (port > 0) {
            m_readsOk.ref();
            ++m_servedBy[port];
            m_lastReadOn.insert(port, m_clock.elapsed());
            return;
        }
        m_readsFailed.ref();
        if (m_firstReadError.isEmpty())
            m_firstReadError = error;
    }

    const QString m_clusterName;
    const qint64 m_base = QDateTime::currentMSecsSinceEpoch() * 1000;
    QElapsedTimer m_clock = [] {
        QElapsedTimer timer;
        timer.start();
        return timer;
    }();
    QAtomicInt m_stop;
    QAtomicInt m_ready;
    QAtomicInt m_readsOk;
    QAtomicInt m_readsFailed;
    QAtomicInt m_writesFailed;
    QAtomicInteger<qint64> m_lastWriteAt {-1};
    mutable QMutex m_mutex;
    QHash<int, int> m_servedBy;
    QHash<int, qint64> m_lastReadOn;
    QList<qint64> m_acknowledged;
    qint64 m_longestWriteGapMs = 0;
    QString m_firstReadError;
    ThreadGroup m_threads; // last: joined before the members above go
};

// A server that answers every request with an HTML page: a URL that is not Patroni's.
class NotPatroni : public QTcpServer
{
public:
    NotPatroni()
    {
        listen(QHostAddress::LocalHost);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                    socket->readAll();
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                  "Content-Length: 21\r\nConnection: close\r\n\r\n"
                                  "<html>welcome</html>\n");
                    socket->disconnectFromHost();
                });
            }
        });
    }
    QString url() const { return u"http://127.0.0.1:%1"_s.arg(serverPort()); }
};

} // namespace

class tst_PatroniDiscovery : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void seededFromPatroniWithoutHost();
    void switchover();
    void leaderKilled();
    void memberAdded();
    void memberRemoved();
    void noLoadBalance();
    void patroniUnreachableKeepsWorking();
    void notPatroniIsRefused();

private:
    bool waitForReplicas(int expectedMembers, QString *why);
    // Checks what every case checks once the load stopped: no read failed, every acknowledged
    // write is on the leader.
    void verifyLoad(PatroniLoad &load);
    QString leaderDirect(const QString &sql, QString *error);

    PatroniTestCluster &cluster = PatroniTestCluster::instance();
    int m_caseNumber = 0;
    QString nextClusterName() { return u"patroni-discovery-%1"_s.arg(++m_caseNumber); }
};

void tst_PatroniDiscovery::initTestCase()
{
    if (!cluster.skipReason().isEmpty())
        QSKIP(qPrintable(cluster.skipReason()));
    QVERIFY2(cluster.isValid(), qPrintable(cluster.errorString()));
    QString why;
    QVERIFY2(waitForReplicas(3, &why), qPrintable(why));
    QString error;
    QVERIFY2(
        !leaderDirect(u"CREATE TABLE IF NOT EXISTS %1 (id bigint PRIMARY KEY)"_s.arg(WriteTable),
                      &error)
             .isNull(),
        qPrintable(error));
}

void tst_PatroniDiscovery::cleanupTestCase()
{
    if (!cluster.isValid() || !cluster.skipReason().isEmpty())
        return;
    QString error;
    leaderDirect(u"DROP TABLE IF EXISTS %1"_s.arg(WriteTable), &error);
}

QString tst_PatroniDiscovery::leaderDirect(const QString &sql, QString *error)
{
    QDeadlineTimer deadline(RoleChangeTimeoutMs);
    QString leader;
    while ((leader = cluster.leader()).isEmpty() && !deadline.hasExpired())
        QThread::msleep(200);
    QString result;
    {
        QSqlDatabase db = cluster.openDirect(leader, u"tst_patronidiscovery_direct"_s);
        if (!db.isOpen()) {
            *error = leader + u": "_s + db.lastError().text();
        } else {
            QSqlQuery query(db);
            if (!query.exec(sql)) {
                *error = query.lastError().text();
            } else {
                QStringList rows;
                while (query.next())
                    rows.append(query.value(0).toString());
                result = rows.join(u',');
                if (result.isNull())
                    result = u""_s;
            }
        }
    }
    QSqlDatabase::removeDatabase(u"tst_patronidiscovery_direct"_s);
    return result;
}

bool tst_PatroniDiscovery::waitForReplicas(int expectedMembers, QString *why)
{
    QDeadlineTimer deadline(RoleChangeTimeoutMs);
    QString last;
    do {
        QPsqlHa::PatroniTopology topology;
        QString error;
        if (QPsqlHa::parsePatroniCluster(cluster.get(u"/cluster"_s), &topology, &error)) {
            int leaders = 0;
            int replicas = 0;
            for (const QPsqlHa::PatroniMember &member : std::as_const(topology.members)) {
                const bool running = member.state == "running"_L1 || member.state == "streaming"_L1;
                if (member.role == QPsqlHa::PatroniRole::Leader && running)
                    ++leaders;
                else if (member.role == QPsqlHa::PatroniRole::Replica && running)
                    ++replicas;
            }
            if (leaders == 1 && replicas == expectedMembers - 1
                && topology.members.size() == expectedMembers)
                return true;
            last = u"%1 leader(s), %2 running replica(s) of %3 members"_s.arg(leaders)
                       .arg(replicas)
                       .arg(topology.members.size());
        } else {
            last = error;
        }
        QThread::msleep(200);
    } while (!deadline.hasExpired());
    *why = u"Patroni did not settle with %1 members: %2"_s.arg(expectedMembers).arg(last);
    return false;
}

void tst_PatroniDiscovery::verifyLoad(PatroniLoad &load)
{
    load.stop();
    QVERIFY2(load.readsOk() > 0, "no read succeeded");
    QVERIFY2(load.readsFailed() == 0,
             qPrintable(u"%1 of %2 reads failed, the first: %3"_s.arg(load.readsFailed())
                            .arg(load.readsOk() + load.readsFailed())
                            .arg(load.firstReadError())));
    const QList<qint64> acknowledged = load.acknowledged();
    QVERIFY2(!acknowledged.isEmpty(), "no write was acknowledged");
    QString error;
    const QString present
        = leaderDirect(u"SELECT id FROM %1 WHERE id BETWEEN %2 AND %3"_s.arg(WriteTable)
                           .arg(acknowledged.first())
                           .arg(acknowledged.last()),
                       &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QSet<qint64> stored;
    for (const QString &id : present.split(u',', Qt::SkipEmptyParts))
        stored.insert(id.toLongLong());
    int missing = 0;
    for (qint64 id : acknowledged)
        missing += stored.contains(id) ? 0 : 1;
    qInfo("reads: %d ok, %d failed; writes: %lld acknowledged (all present: %s), %d refused, "
          "longest time without an acknowledged write %.1f s",
          load.readsOk(), load.readsFailed(), qint64(acknowledged.size()),
          missing == 0 ? "yes" : "no", load.writesFailed(), load.longestWriteGapMs() / 1000.0);
    QVERIFY2(
        missing == 0,
        qPrintable(u"%1 of %2 acknowledged writes are missing on the leader"_s.arg(missing).arg(
            acknowledged.size())));
}

void tst_PatroniDiscovery::seededFromPatroniWithoutHost()
{
    const QString name = nextClusterName();
    {
        QSqlDatabase db = patroniDatabase(u"seeded"_s, name);
        db.setConnectOptions(db.connectOptions() + u";QPSQLHA_CONTROL=1"_s);
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        // Writes (a transaction runs on the write node) reach Patroni's leader though no host
        // was given.
        QVERIFY(db.transaction());
        {
            QSqlQuery query(db);
            QVERIFY2(query.exec(u"SELECT inet_server_port()"_s),
                     qPrintable(query.lastError().text()));
            QVERIFY(query.next());
            QCOMPARE(query.value(0).toInt(), cluster.port(cluster.leader()));
        }
        QVERIFY(db.commit());

        const QPsqlHa::ClusterStatus status = clusterStatus(name);
        QVERIFY(status.source.patroni);
        QCOMPARE(status.source.members, cluster.members());
        QVERIFY(status.source.lastAnswer.isValid());
        QVERIFY2(status.source.error.isEmpty(), qPrintable(status.source.error));
        QCOMPARE(status.nodes.size(), cluster.members().size());
        // The scope comes from /patroni (3.0's /cluster has none): within an interval or two.
        QTRY_COMPARE_WITH_TIMEOUT(clusterStatus(name).source.scope, cluster.scope(), 5000);
        for (const QPsqlHa::NodeStatus &node : clusterStatus(name).nodes) {
            QVERIFY(!node.patroniMember.isEmpty());
            QCOMPARE(node.port, cluster.port(node.patroniMember));
            QCOMPARE(node.role == QPsqlHa::NodeRole::Primary, node.patroniRole == "leader"_L1);
        }

        // What an operator sees: qpsqlha-ctl list on this process (QPSQLHA_CONTROL=1 above).
        QProcess ctl;
        ctl.start(QStringLiteral(QPSQLHA_CTL_PATH),
                  {u"list"_s, u"--pid"_s, QString::number(QCoreApplication::applicationPid())});
        QVERIFY(ctl.waitForFinished(30000));
        const QString listing = QString::fromUtf8(ctl.readAllStandardOutput());
        qInfo().noquote() << listing;
        QCOMPARE(ctl.exitCode(), 0);
        QVERIFY2(listing.contains(u"PATRONI"_s), qPrintable(listing));
        QVERIFY2(
            listing.contains(u"cluster %1: members from Patroni scope %2 (%3), last answer"_s.arg(
                name, cluster.scope(), cluster.members().join(u", "_s))),
            qPrintable(listing));
        QVERIFY2(listing.contains(u" leader"_s) && listing.contains(u" replica lag "_s),
                 qPrintable(listing));
    }
    QSqlDatabase::removeDatabase(u"seeded"_s);
}

void tst_PatroniDiscovery::switchover()
{
    const QString name = nextClusterName();
    PatroniLoad load(name);
    QVERIFY2(load.readsOk() > 0, qPrintable(load.firstReadError()));
    const QString before = cluster.leader();
    QElapsedTimer timer;
    timer.start();
    const QString after = cluster.switchover();
    const qint64 started = timer.elapsed();
    QVERIFY2(!after.isEmpty() && after != before, "patronictl switchover failed");
    // Our probes move the writes to the new leader, and writes are acknowledged there.
    QTRY_VERIFY_WITH_TIMEOUT(primaryPort(name) == cluster.port(after), RoleChangeTimeoutMs);
    const double movedSeconds = timer.elapsed() / 1000.0;
    const qint64 moved = load.now();
    QTRY_VERIFY_WITH_TIMEOUT(load.lastWriteAt() > moved, RoleChangeTimeoutMs);
    qInfo("switchover %s -> %s (patronictl returned after %.1f s): our writes go to the new "
          "leader after %.1f s, first write acknowledged there after %.1f s",
          qPrintable(before), qPrintable(after), double(started) / 1000.0, movedSeconds,
          timer.elapsed() / 1000.0);
    QString why;
    QVERIFY2(waitForReplicas(3, &why), qPrintable(why));
    QThread::msleep(2 * HealthIntervalMs);
    verifyLoad(load);
}

void tst_PatroniDiscovery::leaderKilled()
{
    const QString name = nextClusterName();
    PatroniLoad load(name);
    QVERIFY2(load.readsOk() > 0, qPrintable(load.firstReadError()));
    QElapsedTimer timer;
    timer.start();
    const QString killed = cluster.killLeader();
    QVERIFY2(!killed.isEmpty(), "kill-leader failed");
    QString leader;
    QTRY_VERIFY_WITH_TIMEOUT(!(leader = cluster.leader()).isEmpty() && leader != killed,
                             RoleChangeTimeoutMs);
    const double patroniSeconds = timer.elapsed() / 1000.0;
    QTRY_VERIFY_WITH_TIMEOUT(primaryPort(name) == cluster.port(leader), RoleChangeTimeoutMs);
    const double writesSeconds = timer.elapsed() / 1000.0;
    // The killed member leaves once its key's TTL runs out; then it is no node of ours.
    QTRY_VERIFY_WITH_TIMEOUT(!clusterStatus(name).source.members.contains(killed),
                             RoleChangeTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(clusterStatus(name).nodes.size(), 2, 5 * HealthIntervalMs);
    qInfo("failover (%s killed): Patroni names %s after %.1f s, our writes go there after %.1f "
          "s, %s removed after %.1f s",
          qPrintable(killed), qPrintable(leader), patroniSeconds, writesSeconds, qPrintable(killed),
          timer.elapsed() / 1000.0);

    // It comes back as a replica (pg_rewind) and is a reader again, with no option changed.
    QVERIFY(cluster.startMember(killed));
    QString why;
    QVERIFY2(waitForReplicas(3, &why), qPrintable(why));
    load.takeServedBy(cluster.port(killed));
    QTRY_VERIFY_WITH_TIMEOUT(load.servedBy(cluster.port(killed)) > 0, RoleChangeTimeoutMs);
    qInfo("%s serves reads again %.1f s after it was killed", qPrintable(killed),
          timer.elapsed() / 1000.0);
    verifyLoad(load);
}

void tst_PatroniDiscovery::memberAdded()
{
    const QString name = nextClusterName();
    PatroniLoad load(name);
    QVERIFY2(load.readsOk() > 0, qPrintable(load.firstReadError()));
    QElapsedTimer timer;
    timer.start();
    const QString added = cluster.addMember();
    QVERIFY2(!added.isEmpty(), "add-member failed");
    const double patroniSeconds = timer.elapsed() / 1000.0;
    const int port = cluster.port(added);
    QTRY_VERIFY_WITH_TIMEOUT(load.servedBy(port) > 0, RoleChangeTimeoutMs);
    qInfo("%s added: streaming in Patroni after %.1f s, serving our reads after %.1f s",
          qPrintable(added), patroniSeconds, timer.elapsed() / 1000.0);
    QCOMPARE(clusterStatus(name).nodes.size(), 4);
    verifyLoad(load);
}

void tst_PatroniDiscovery::memberRemoved()
{
    // The member the previous case added, if it ran; else any replica.
    QStringList members = cluster.members();
    const QString leader = cluster.leader();
    members.removeAll(leader);
    QVERIFY(!members.isEmpty());
    const QString removed = members.last();
    const int port = cluster.port(removed);
    const int before = cluster.members().size();

    const QString name = nextClusterName();
    PatroniLoad load(name);
    QVERIFY2(load.readsOk() > 0, qPrintable(load.firstReadError()));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(cluster.removeMember(removed));
    const double patroniSeconds = timer.elapsed() / 1000.0;
    QTRY_COMPARE_WITH_TIMEOUT(clusterStatus(name).nodes.size(), before - 1, RoleChangeTimeoutMs);
    const double removedSeconds = timer.elapsed() / 1000.0;
    load.takeServedBy(port);
    QThread::msleep(2 * HealthIntervalMs);
    QCOMPARE(load.takeServedBy(port), 0);
    qInfo("%s removed: gone from Patroni after %.1f s, from our nodes after %.1f s",
          qPrintable(removed), patroniSeconds, removedSeconds);
    verifyLoad(load);
    if (before > 3)
        return;
    // Keep three members for the cases that follow.
    QVERIFY(!cluster.addMember().isEmpty());
}

void tst_PatroniDiscovery::noLoadBalance()
{
    QStringList members = cluster.members();
    members.removeAll(cluster.leader());
    QVERIFY(members.size() >= 2);
    const QString tagged = members.first();
    const int port = cluster.port(tagged);

    const QString name = nextClusterName();
    PatroniLoad load(name);
    QVERIFY2(load.readsOk() > 0, qPrintable(load.firstReadError()));
    QTRY_VERIFY_WITH_TIMEOUT(load.servedBy(port) > 0, 10000);

    QElapsedTimer timer;
    timer.start();
    QVERIFY(cluster.setTag(tagged, u"noloadbalance"_s, u"true"_s));
    // set-tag returns once /cluster shows the tag: from here, one interval (one poll) at most.
    const qint64 reported = load.now();
    const double patroniSeconds = timer.elapsed() / 1000.0;
    QThread::msleep(HealthIntervalMs + 300); // the poll, plus a read already under way
    const qint64 lastRead = load.lastReadOn(port);
    load.takeServedBy(port);
    QThread::msleep(4 * HealthIntervalMs);
    const int readsAfter = load.takeServedBy(port);
    qInfo("noloadbalance on %s: in Patroni after %.1f s, last read on it %lld ms after Patroni "
          "reported it (interval %d ms)",
          qPrintable(tagged), patroniSeconds, qMax<qint64>(0, lastRead - reported),
          HealthIntervalMs);
    QCOMPARE(readsAfter, 0);
    const QPsqlHa::ClusterStatus status = clusterStatus(name);
    bool shown = false;
    for (const QPsqlHa::NodeStatus &node : status.nodes) {
        if (node.port == port)
            shown = node.patroniNoLoadBalance && !node.servesReads;
    }
    QVERIFY(shown);

    // Cleared: it serves reads again.
    QVERIFY(cluster.setTag(tagged, u"noloadbalance"_s, u"false"_s));
    QTRY_VERIFY_WITH_TIMEOUT(load.servedBy(port) > 0, 10000);
    verifyLoad(load);
}

void tst_PatroniDiscovery::patroniUnreachableKeepsWorking()
{
    // The first endpoint answers nothing (a closed port): the next one is used, and with only
    // dead endpoints after the start the cluster keeps its nodes and says why.
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const QString deadUrl = u"http://127.0.0.1:%1"_s.arg(closed.serverPort());
    closed.close();

    const QString name = nextClusterName();
    {
        QSqlDatabase db
            = patroniDatabase(u"unreachable"_s, name, deadUrl + u',' + cluster.restUrlsOption());
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QSqlQuery query(db);
        QVERIFY2(QPsqlHaTest::servedBy(query) > 0, qPrintable(query.lastError().text()));
        QTRY_VERIFY_WITH_TIMEOUT(clusterStatus(name).source.lastAnswer.isValid(), 5000);
        QVERIFY(clusterStatus(name).source.url != deadUrl);
    }
    QSqlDatabase::removeDatabase(u"unreachable"_s);

    // Only the dead endpoint, with the leader given as the first node: it opens, serves, and
    // status says Patroni does not answer.
    const QString onlyDead = nextClusterName();
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, u"dead"_s);
        db.setHostName(cluster.host());
        db.setPort(cluster.port(cluster.leader()));
        db.setDatabaseName(cluster.database());
        db.setUserName(cluster.user());
        db.setPassword(cluster.password());
        db.setConnectOptions(patroniOptions(onlyDead, deadUrl));
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QSqlQuery query(db);
        for (int i = 0; i < 20; ++i)
            QVERIFY2(QPsqlHaTest::servedBy(query) > 0, qPrintable(query.lastError().text()));
        QVERIFY2(
            query.exec(u"INSERT INTO %1 (id) VALUES (-1) ON CONFLICT DO NOTHING"_s.arg(WriteTable)),
            qPrintable(query.lastError().text()));
        QTRY_VERIFY_WITH_TIMEOUT(!clusterStatus(onlyDead).source.error.isEmpty(), 5000);
        const QPsqlHa::ClusterStatus status = clusterStatus(onlyDead);
        qInfo("status with Patroni unreachable: %s", qPrintable(status.source.error));
        QVERIFY(status.source.error.contains(deadUrl));
        QVERIFY(!status.source.lastAnswer.isValid());
        QCOMPARE(status.nodes.size(), 1);
    }
    QSqlDatabase::removeDatabase(u"dead"_s);

    // Without a node to start from and no endpoint answering, opening fails with a clear error.
    {
        QSqlDatabase db = patroniDatabase(u"nothing"_s, nextClusterName(), deadUrl);
        QVERIFY(!db.open());
        QVERIFY2(db.lastError().text().contains(u"no Patroni endpoint"_s),
                 qPrintable(db.lastError().text()));
    }
    QSqlDatabase::removeDatabase(u"nothing"_s);
}

void tst_PatroniDiscovery::notPatroniIsRefused()
{
    NotPatroni server;
    QVERIFY(server.isListening());
    QString error;
    {
        QSqlDatabase db = patroniDatabase(u"html"_s, nextClusterName(), server.url());
        // The server runs in this thread: open() waits in a local event loop, which serves it.
        QVERIFY(!db.open());
        error = db.lastError().text();
    }
    QSqlDatabase::removeDatabase(u"html"_s);
    qInfo("a web page instead of Patroni: %s", qPrintable(error));
    QVERIFY2(error.contains(server.url()) && error.contains(u"JSON"_s, Qt::CaseInsensitive),
             qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_PatroniDiscovery)

#include "tst_patronidiscovery.moc"
