// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The fleet at scale, simulated against the live test cluster (docs/fleet.md, "Figures"):
//   1. N instances heartbeating every 5 s (the default) for a while: heartbeats per second
//      reached and CPU used by the primary's processes meanwhile;
//   2. one admin change reaching L listening connections: time until the last one has it;
//   3. the instances table's size every 10 s of that: where it levels off.
// Usage: QPSQLHA_TEST_CLUSTER_ENV=<state>/cluster.env bench_fleet [instances] [seconds]
// [listeners]. Prints figures; asserts nothing (not part of ctest).

#include <testcluster.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qthread.h>

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

const QString Schema = u"fleetbench"_s;

PGconn *connectTo(const TestCluster &cluster, Node node)
{
    const QByteArray info = u"host=%1 port=%2 dbname=%3 user=%4 password=%5"_s.arg(cluster.host())
                                .arg(cluster.port(node))
                                .arg(cluster.database(), cluster.user(), cluster.password())
                                .toUtf8();
    PGconn *connection = PQconnectdb(info.constData());
    if (PQstatus(connection) != CONNECTION_OK) {
        std::fprintf(stderr, "connect: %s", PQerrorMessage(connection));
        std::exit(1);
    }
    return connection;
}

bool exec(PGconn *connection, const QByteArray &sql, QByteArray *value = nullptr)
{
    PGresult *result = PQexec(connection, sql.constData());
    const ExecStatusType status = PQresultStatus(result);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        std::fprintf(stderr, "%s: %s", sql.left(60).constData(), PQresultErrorMessage(result));
    else if (value && PQntuples(result) > 0)
        *value = QByteArray(PQgetvalue(result, 0, 0));
    PQclear(result);
    return ok;
}

// What one instance's heartbeat carries: the status of a process with one cluster of three
// nodes, as `qpsqlha-ctl list --json` shows it (about 1.3 kB).
QByteArray sampleStatus(int instance)
{
    QByteArray nodes;
    for (int i = 0; i < 3; ++i) {
        if (i > 0)
            nodes += ',';
        nodes += QByteArrayLiteral(R"({"address":"10.0.0.)") + QByteArray::number(i + 1)
            + QByteArrayLiteral(R"(:5432","host":"10.0.0.)") + QByteArray::number(i + 1)
            + QByteArrayLiteral(R"(","port":5432,"role":")") + (i == 0 ? "primary" : "reader")
            + QByteArrayLiteral(R"(","state":"online","queries":123456789,"errors":0,)"
                                R"("retries":0,"lastError":"","lastChange":)"
                                R"("2026-12-03T20:00:00.000Z","lagBytes":1024,"lagMs":3,)"
                                R"("inFlight":2,"weight":1,"servesReads":true,)"
                                R"("offlineByHand":false,"fleet":{"admin":"online",)"
                                R"("reason":"","by":"","at":""}})");
    }
    return QByteArrayLiteral(R"({"pid":)") + QByteArray::number(10000 + instance)
        + QByteArrayLiteral(R"(,"application":"orders-service","protocol":1,)"
                            R"("library":"0.1.0","fleet":"fleet: ok","clusters":[{"name":)"
                            R"("orders","nodes":[)")
        + nodes + "]}]}";
}

// utime + stime of every process of the server (postmaster, background workers, backends), in
// clock ticks; the pids are the server's own (pg_stat_activity lists them all).
qint64 serverCpuTicks(PGconn *connection)
{
    PGresult *result = PQexec(connection,
                              "SELECT pid FROM pg_stat_activity UNION "
                              "SELECT pg_backend_pid()");
    qint64 ticks = 0;
    for (int row = 0; row < PQntuples(result); ++row) {
        QFile stat(u"/proc/%1/stat"_s.arg(QString::fromLatin1(PQgetvalue(result, row, 0))));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        ticks += fields.value(11).toLongLong() + fields.value(12).toLongLong();
    }
    PQclear(result);
    return ticks;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = QCoreApplication::arguments();
    const int instances = arguments.value(1, u"500"_s).toInt();
    const int seconds = qMax(10, arguments.value(2, u"120"_s).toInt());
    const int listeners = arguments.value(3, u"150"_s).toInt();
    constexpr int HeartbeatMs = 5000;
    constexpr int Workers = 4; // connections the simulated instances share

    TestCluster &cluster = TestCluster::instance();
    if (!cluster.isValid()) {
        std::fprintf(stderr, "no test cluster: %s\n", qPrintable(cluster.errorString()));
        return 1;
    }
    PGconn *admin = connectTo(cluster, Node::Primary);
    exec(admin, "DROP SCHEMA IF EXISTS " + Schema.toUtf8() + " CASCADE");
    QProcess init;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"PGPASSWORD"_s, cluster.password());
    init.setProcessEnvironment(environment);
    init.start(QStringLiteral(QPSQLHA_FLEET_PATH),
               {u"init"_s, u"--schema"_s, Schema, u"--conninfo"_s,
                u"host=%1 port=%2 dbname=%3 user=%4"_s.arg(cluster.host())
                    .arg(cluster.port(Node::Primary))
                    .arg(cluster.database(), cluster.user())});
    if (!init.waitForFinished(60000) || init.exitCode() != 0) {
        std::fprintf(stderr, "init failed: %s\n", init.readAllStandardError().constData());
        return 1;
    }
    const long ticksPerSecond = sysconf(_SC_CLK_TCK);
    std::printf("fleet bench: %d instances, heartbeat %d ms, %d s; %d listeners\n", instances,
                HeartbeatMs, seconds, listeners);

    // 1. Heartbeats at the default interval, spread evenly.
    std::atomic<qint64> beats {0};
    std::atomic<bool> stop {false};
    const qint64 cpuBefore = serverCpuTicks(admin);
    QElapsedTimer wall;
    wall.start();
    std::vector<std::thread> workers;
    for (int w = 0; w < Workers; ++w) {
        workers.emplace_back([&, w] {
            PGconn *connection = connectTo(cluster, Node::Primary);
            const QByteArray sql
                = "SELECT " + Schema.toUtf8() + ".heartbeat($1, 'bench-host', $2, 5000, $3::jsonb)";
            QList<int> mine;
            for (int i = w; i < instances; i += Workers)
                mine.append(i);
            QElapsedTimer clock;
            clock.start();
            for (qint64 round = 0; !stop.load(); ++round) {
                for (int k = 0; k < mine.size() && !stop.load(); ++k) {
                    // Instance k of this worker beats at round*interval + its slot.
                    const qint64 due = round * HeartbeatMs + qint64(k) * HeartbeatMs / mine.size();
                    while (clock.elapsed() < due && !stop.load())
                        QThread::msleep(1);
                    const QByteArray id = "bench-" + QByteArray::number(mine.at(k));
                    const QByteArray pid = QByteArray::number(10000 + mine.at(k));
                    const QByteArray status = sampleStatus(mine.at(k));
                    const char *values[] = {id.constData(), pid.constData(), status.constData()};
                    PGresult *result = PQexecParams(connection, sql.constData(), 3, nullptr, values,
                                                    nullptr, nullptr, 0);
                    if (PQresultStatus(result) == PGRES_TUPLES_OK)
                        beats.fetch_add(1);
                    PQclear(result);
                }
            }
            PQfinish(connection);
        });
    }
    // The table's size while they beat: it levels off once pruning and autovacuum keep up.
    QByteArray sizes;
    for (int second = 10; second <= seconds; second += 10) {
        QThread::sleep(10);
        QByteArray size;
        exec(admin, "SELECT pg_total_relation_size('" + Schema.toUtf8() + ".instances')", &size);
        sizes += " " + QByteArray::number(second)
            + "s:" + QByteArray::number(size.toLongLong() / 1024) + "kB";
    }
    const qint64 cpuAfter = serverCpuTicks(admin);
    stop.store(true);
    for (std::thread &worker : workers)
        worker.join();
    const double elapsed = wall.elapsed() / 1000.0;
    std::printf("heartbeats: %lld in %.1f s = %.1f writes/s (expected %.1f)\n",
                qlonglong(beats.load()), elapsed, beats.load() / elapsed,
                instances * 1000.0 / HeartbeatMs);
    std::printf("primary CPU meanwhile: %.1f%% of one core (all its processes)\n",
                100.0 * double(cpuAfter - cpuBefore) / double(ticksPerSecond) / elapsed);
    std::printf("instances table (with TOAST and index) over time:%s\n", sizes.constData());

    // 2. One admin change to `listeners` LISTENing connections.
    std::vector<PGconn *> listening;
    for (int i = 0; i < listeners; ++i) {
        PGconn *connection = connectTo(cluster, Node::Primary);
        exec(connection, "LISTEN " + Schema.toUtf8());
        PQsetnonblocking(connection, 1);
        listening.push_back(connection);
    }
    QElapsedTimer change;
    change.start();
    exec(admin,
         "INSERT INTO " + Schema.toUtf8()
             + ".admin_state (cluster, node, state) VALUES ('orders', '10.0.0.2:5432', "
               "'offline')");
    const qint64 committed = change.nsecsElapsed();
    std::vector<bool> got(size_t(listeners), false);
    int reached = 0;
    qint64 lastNs = 0;
    while (reached < listeners && change.elapsed() < 10000) {
        std::vector<pollfd> descriptors;
        for (PGconn *connection : listening)
            descriptors.push_back({PQsocket(connection), POLLIN, 0});
        ::poll(descriptors.data(), descriptors.size(), 100);
        for (int i = 0; i < listeners; ++i) {
            if (got[size_t(i)] || !(descriptors[size_t(i)].revents & POLLIN))
                continue;
            PQconsumeInput(listening[size_t(i)]);
            if (PGnotify *notification = PQnotifies(listening[size_t(i)])) {
                PQfreemem(notification);
                got[size_t(i)] = true;
                ++reached;
                lastNs = change.nsecsElapsed();
            }
        }
    }
    std::printf("admin change: committed after %.2f ms, reached %d of %d listeners, the last "
                "%.2f ms after the commit\n",
                committed / 1e6, reached, listeners, (lastNs - committed) / 1e6);
    for (PGconn *connection : listening)
        PQfinish(connection);

    // 3. Not simulated in compressed time: an hour of heartbeats run in minutes leaves every old
    // row version younger than the replicas' xmin horizon (hot_standby_feedback), so nothing
    // can be pruned and the figure would say nothing about an hour of real time. The series
    // above, in real time, shows where the size levels off.
    exec(admin, "DROP SCHEMA " + Schema.toUtf8() + " CASCADE");
    PQfinish(admin);
    return 0;
}
