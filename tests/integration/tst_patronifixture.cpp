// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Checks the Patroni test cluster itself (tests/cluster/patronicluster.sh and
// PatroniTestCluster), so that a broken fixture shows up here and not as puzzling failures of
// the tests that follow Patroni. Plain QPSQL and Patroni's REST API only; no QPSQLHA.

#include <patronitestcluster.h>
#include <qpsqlhapatronitopology_p.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qset.h>
#include <QtCore/qthread.h>
#include <QtCore/qurl.h>
#include <QtCore/quuid.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;
using QPsqlHaTest::PatroniTestCluster;

namespace {

const QString ProbeTable = u"qpsqlha_patroni_probe"_s;
// A member joining or changing role: the script's own bound.
constexpr int RoleChangeTimeoutMs = 90 * 1000;

// Runs one statement on a fresh QPSQL connection to the member; the first column of the first
// row, or a null string with *error set.
QString queryOn(const QString &member, const QString &sql, QString *error = nullptr)
{
    const QString name = u"tst_patronifixture_"_s + member;
    QString result;
    {
        QSqlDatabase db = PatroniTestCluster::instance().openDirect(member, name);
        if (!db.isOpen()) {
            if (error)
                *error = db.lastError().text();
        } else {
            QSqlQuery query(db);
            if (!query.exec(sql)) {
                if (error)
                    *error = query.lastError().text();
            } else {
                result = query.next() ? query.value(0).toString() : u""_s;
                if (result.isNull())
                    result = u""_s;
            }
        }
    }
    QSqlDatabase::removeDatabase(name);
    return result;
}

} // namespace

class tst_PatroniFixture : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void environment();
    void clusterShowsLeaderAndReplicas();
    void parserReadsLiveCluster();
    void healthEndpoints();
    void leaderWritesReplicaReads();
    void switchover();

private:
    // Waits until every member but the leader is a running replica again (after a switchover
    // the old leader restarts).
    bool waitForReplicas(QString *why);
    // Inserts a fresh token on the member and returns it, or empty with a warning.
    QString insertToken(const QString &member);
    bool waitForToken(const QString &member, const QString &token, QString *why);

    PatroniTestCluster &cluster = PatroniTestCluster::instance();
};

void tst_PatroniFixture::initTestCase()
{
    if (!cluster.skipReason().isEmpty())
        QSKIP(qPrintable(cluster.skipReason()));
    QVERIFY2(cluster.isValid(), qPrintable(cluster.errorString()));
    QString why;
    QVERIFY2(waitForReplicas(&why), qPrintable(why));
    const QString leader = cluster.leader();
    QVERIFY(!leader.isEmpty());
    QString error;
    QVERIFY2(!queryOn(leader,
                      u"CREATE TABLE IF NOT EXISTS %1 (id bigserial PRIMARY KEY, token text)"_s.arg(
                          ProbeTable),
                      &error)
                  .isNull(),
             qPrintable(error));
}

void tst_PatroniFixture::cleanupTestCase()
{
    if (!cluster.isValid())
        return;
    const QString leader = cluster.leader();
    if (!leader.isEmpty())
        queryOn(leader, u"DROP TABLE IF EXISTS %1"_s.arg(ProbeTable));
}

bool tst_PatroniFixture::waitForReplicas(QString *why)
{
    QDeadlineTimer deadline(RoleChangeTimeoutMs);
    QString last;
    do {
        const QJsonArray members = QJsonDocument::fromJson(cluster.get(u"/cluster"_s))
                                       .object()
                                       .value("members"_L1)
                                       .toArray();
        int leaders = 0;
        int replicas = 0;
        for (const QJsonValue &m : members) {
            const QString role = m["role"_L1].toString();
            const QString state = m["state"_L1].toString();
            if (role == "leader"_L1 && state == "running"_L1)
                ++leaders;
            else if (role == "replica"_L1 && (state == "running"_L1 || state == "streaming"_L1))
                ++replicas;
        }
        if (leaders == 1 && replicas == cluster.members().size() - 1)
            return true;
        last = QString::fromUtf8(QJsonDocument(members).toJson(QJsonDocument::Compact));
        QThread::msleep(200);
    } while (!deadline.hasExpired());
    *why = u"not one running leader and %1 running replicas after %2 s: %3"_s
               .arg(cluster.members().size() - 1)
               .arg(RoleChangeTimeoutMs / 1000)
               .arg(last);
    return false;
}

QString tst_PatroniFixture::insertToken(const QString &member)
{
    const QString token = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString error;
    if (queryOn(member, u"INSERT INTO %1 (token) VALUES ('%2')"_s.arg(ProbeTable, token), &error)
            .isNull()) {
        qWarning().noquote() << "insert on" << member << "failed:" << error;
        return QString();
    }
    return token;
}

bool tst_PatroniFixture::waitForToken(const QString &member, const QString &token, QString *why)
{
    QDeadlineTimer deadline(10000);
    QString error;
    do {
        if (queryOn(member, u"SELECT count(*) FROM %1 WHERE token = '%2'"_s.arg(ProbeTable, token),
                    &error)
            == "1"_L1) {
            return true;
        }
        QThread::msleep(50);
    } while (!deadline.hasExpired());
    *why = u"%1 does not have the token after 10 s %2"_s.arg(member, error);
    return false;
}

void tst_PatroniFixture::environment()
{
    QCOMPARE(cluster.members(), QStringList({u"m0"_s, u"m1"_s, u"m2"_s}));
    QVERIFY(!cluster.scope().isEmpty());
    QVERIFY(!cluster.password().isEmpty());
    QSet<int> ports;
    for (const QString &member : cluster.members()) {
        QVERIFY(cluster.port(member) > 0);
        QVERIFY(cluster.restUrl(member).startsWith(u"http://"_s + cluster.host() + u':'));
        ports << cluster.port(member) << QUrl(cluster.restUrl(member)).port();
    }
    QCOMPARE(ports.size(), 6); // every port its own
    QCOMPARE(cluster.restUrlsOption().split(u',').size(), 3);
}

void tst_PatroniFixture::clusterShowsLeaderAndReplicas()
{
    // Every member answers for the whole cluster, with the same members.
    for (const QString &member : cluster.members()) {
        int status = 0;
        QString error;
        const QByteArray body
            = cluster.get(u"/cluster"_s, &status, &error, cluster.restUrl(member));
        QVERIFY2(status == 200, qPrintable(member + u": "_s + error));
        const QJsonArray members
            = QJsonDocument::fromJson(body).object().value("members"_L1).toArray();
        QCOMPARE(members.size(), 3);
        QStringList roles;
        for (const QJsonValue &m : members) {
            const QString name = m["name"_L1].toString();
            QCOMPARE(m["host"_L1].toString(), cluster.host());
            QCOMPARE(m["port"_L1].toInt(), cluster.port(name));
            QCOMPARE(m["api_url"_L1].toString(), cluster.restUrl(name) + u"/patroni"_s);
            roles << m["role"_L1].toString();
        }
        roles.sort();
        QCOMPARE(roles, QStringList({u"leader"_s, u"replica"_s, u"replica"_s}));
    }
}

void tst_PatroniFixture::parserReadsLiveCluster()
{
    int status = 0;
    const QByteArray body = cluster.get(u"/cluster"_s, &status);
    QCOMPARE(status, 200);
    QPsqlHa::PatroniTopology topology;
    QString error;
    QVERIFY2(QPsqlHa::parsePatroniCluster(body, &topology, &error), qPrintable(error));
    QVERIFY2(topology.warnings.isEmpty(), qPrintable(topology.warnings.join(u'\n')));
    QCOMPARE(topology.members.size(), 3);
    QVERIFY(topology.leader());
    QCOMPARE(topology.leader()->name, cluster.leader());
    for (const QPsqlHa::PatroniMember &member : std::as_const(topology.members)) {
        QCOMPARE(member.port, cluster.port(member.name));
        QVERIFY(member.timeline >= 1);
        QCOMPARE(member.isReadable(), member.name != cluster.leader());
    }
    qInfo().noquote() << "live /cluster:" << body;
}

void tst_PatroniFixture::healthEndpoints()
{
    // What HAProxy setups use: /primary is 200 on the leader only, /replica on replicas only.
    const QString leader = cluster.leader();
    for (const QString &member : cluster.members()) {
        int primary = 0;
        int replica = 0;
        int health = 0;
        cluster.get(u"/primary"_s, &primary, nullptr, cluster.restUrl(member));
        cluster.get(u"/replica"_s, &replica, nullptr, cluster.restUrl(member));
        cluster.get(u"/health"_s, &health, nullptr, cluster.restUrl(member));
        QCOMPARE(primary, member == leader ? 200 : 503);
        QCOMPARE(replica, member == leader ? 503 : 200);
        QCOMPARE(health, 200);
    }
}

void tst_PatroniFixture::leaderWritesReplicaReads()
{
    const QString leader = cluster.leader();
    QVERIFY(!leader.isEmpty());
    QCOMPARE(queryOn(leader, u"SELECT pg_is_in_recovery()"_s), u"false"_s);
    const QString token = insertToken(leader);
    QVERIFY(!token.isEmpty());
    for (const QString &member : cluster.members()) {
        if (member == leader)
            continue;
        QString why;
        QVERIFY2(waitForToken(member, token, &why), qPrintable(why));
        QCOMPARE(queryOn(member, u"SELECT pg_is_in_recovery()"_s), u"true"_s);
        QString error;
        QVERIFY(queryOn(member, u"INSERT INTO %1 (token) VALUES ('x')"_s.arg(ProbeTable), &error)
                    .isNull());
        QVERIFY2(error.contains("read-only transaction"_L1), qPrintable(error));
    }
}

void tst_PatroniFixture::switchover()
{
    const QString before = cluster.leader();
    QVERIFY(!before.isEmpty());
    QElapsedTimer timer;
    timer.start();
    const QString after = cluster.switchover();
    const double seconds = double(timer.elapsed()) / 1000;
    QVERIFY(!after.isEmpty());
    QVERIFY(after != before);
    qInfo().noquote() << u"switchover %1 -> %2 took %3 s (script returns once /cluster shows "
                         "the new leader)"_s.arg(before, after)
                             .arg(seconds, 0, 'f', 1);
    // Bounded by the script's own waits: a hang guard, not a timing goal.
    QVERIFY(seconds < RoleChangeTimeoutMs / 1000);

    QCOMPARE(cluster.leader(), after);
    QCOMPARE(queryOn(after, u"SELECT pg_is_in_recovery()"_s), u"false"_s);
    const QString token = insertToken(after);
    QVERIFY(!token.isEmpty());

    // The old leader comes back as a replica of the new one and has the new write.
    QString why;
    QVERIFY2(waitForReplicas(&why), qPrintable(why));
    qInfo().noquote() << u"all members running again %1 s after the switchover began"_s.arg(
        double(timer.elapsed()) / 1000, 0, 'f', 1);
    QVERIFY2(waitForToken(before, token, &why), qPrintable(why));
    QCOMPARE(queryOn(before, u"SELECT pg_is_in_recovery()"_s), u"true"_s);
}

QTEST_GUILESS_MAIN(tst_PatroniFixture)

#include "tst_patronifixture.moc"
