// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// qpsqlha-soak: mixed load through QPSQLHA with random faults, for a given time, against the test
// cluster of testkit/qpsqlha-testcluster (run-soak.sh starts and stops it). Not part of CI.
//
//   qpsqlha-soak --env STATE_DIR/cluster.env --script testkit/qpsqlha-testcluster
//                [--duration S] [--threads N] [--warmup S] [--fault-every S] [--seed N]
//
// N worker threads, each with its own QPSQLHA connection, run reads (70 %), single-row writes
// (20 %) and transactions of three statements (10 %). Every write the driver acknowledged (exec()
// or commit() returned true) is remembered. Meanwhile the main thread injects a random fault
// every few seconds: a reader killed and started again, our sessions on a node ended with
// pg_terminate_backend(), a reader frozen (SIGSTOP) and thawed, and now and then the primary
// restarted. At the end every node is started, and every acknowledged write is looked up on the
// primary: the number missing must be 0 (the exit code says so).
//
// Printed: statements and failures by cause, faults injected, acknowledged writes lost, and
// memory growth (VmRSS after the warm-up against VmRSS at the end, before disconnecting).

#include "hahelpers.h"
#include "testcluster.h"

#include <qpsqlhaapi.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qhash.h>
#include <QtCore/qmap.h>
#include <QtCore/qmutex.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qthread.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

const QString clusterName = u"soak"_s;
const QString applicationName = u"qpsqlha-soak"_s;

struct Settings
{
    int durationS = 600;
    int threads = 8;
    int warmupS = 20;
    int faultEveryS = 8;
    quint32 seed = 20261126;
    QString extraOptions; // QPSQLHA_QUERY_TIMEOUT when the driver knows it
};

void out(const QString &line)
{
    std::fprintf(stdout, "%s\n", qPrintable(line));
    std::fflush(stdout);
}

qint64 vmRssKb()
{
    QFile file(u"/proc/self/status"_s);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return -1;
    // /proc files report a size of 0: read them whole instead of testing atEnd().
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).simplified().split(' ').value(0).toLongLong();
    }
    return -1;
}

// The driver's and QPSQL's warnings (a node marked offline, a statement that could not be freed
// on a dead connection) come by the thousand under faults: counted by category, not printed.
QMutex messagesMutex;
QMap<QString, quint64> messages;

void countMessage(QtMsgType type, const QMessageLogContext &context, const QString &)
{
    if (type == QtFatalMsg)
        std::abort();
    static const char *const names[] = {"debug", "warning", "critical", "fatal", "info"};
    const QString key = QString::fromLatin1(context.category ? context.category : "default") + u' '
        + QLatin1StringView(names[qBound(0, int(type), 4)]);
    QMutexLocker locker(&messagesMutex);
    ++messages[key];
}

// Statements, failures by cause, acknowledged writes: shared by the workers.
class Totals
{
public:
    std::atomic<quint64> reads {0};
    std::atomic<quint64> writes {0};
    std::atomic<quint64> transactions {0};
    std::atomic<quint64> failed {0};

    void fail(const QString &what, const QSqlError &error)
    {
        ++failed;
        // The cause: SQLSTATE when the server sent one, else the error type and the start of
        // the text with the node's address cut off (the same cause on two nodes is one line).
        QString cause = error.nativeErrorCode();
        if (cause.isEmpty()) {
            QString text = error.text().simplified();
            static const QRegularExpression address(u"\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+"_s);
            text.replace(address, u"HOST:PORT"_s);
            cause = text.left(90);
        }
        QMutexLocker locker(&m_mutex);
        ++m_failures[what + u": "_s + cause];
    }

    void acknowledge(const std::vector<qint64> &ids)
    {
        QMutexLocker locker(&m_mutex);
        m_acknowledged.insert(m_acknowledged.end(), ids.begin(), ids.end());
    }

    QMap<QString, quint64> failures() const
    {
        QMutexLocker locker(&m_mutex);
        return m_failures;
    }
    std::vector<qint64> acknowledged() const
    {
        QMutexLocker locker(&m_mutex);
        return m_acknowledged;
    }
    // What the list of acknowledged ids itself takes: the soak's own growth, not the driver's.
    qint64 acknowledgedKb() const
    {
        QMutexLocker locker(&m_mutex);
        // Large vectors live in their own mappings, so what RSS holds is the part written.
        return qint64(m_acknowledged.size() * sizeof(qint64) / 1024);
    }

private:
    mutable QMutex m_mutex;
    QMap<QString, quint64> m_failures;
    std::vector<qint64> m_acknowledged;
};

QSqlDatabase addHaDatabase(const QString &connection, const Settings &settings)
{
    QString options
        = u"QPSQLHA_HEALTH_INTERVAL=500;sslmode=disable;application_name=%1"_s.arg(applicationName);
    if (!settings.extraOptions.isEmpty())
        options += u';' + settings.extraOptions;
    return haDatabaseOn(TestCluster::instance(), connection, clusterName, options);
}

void worker(int index, const Settings &settings, const std::atomic<bool> &stop, Totals &totals)
{
    const QString connection = u"soak-%1"_s.arg(index);
    {
        QSqlDatabase db = addHaDatabase(connection, settings);
        std::mt19937 random(settings.seed + quint32(index));
        // Ids of this thread's rows: thread in the high digits, so that ids never collide.
        qint64 nextId = qint64(index + 1) * 1'000'000'000;
        while (!stop && !db.isOpen()) {
            if (!db.open()) {
                totals.fail(u"open"_s, db.lastError());
                QThread::msleep(200);
            }
        }
        QSqlQuery read(db);
        read.prepare(u"SELECT count(*), max(id) FROM soak_writes WHERE thread = ? AND id > ?"_s);
        QSqlQuery write(db);
        write.prepare(u"INSERT INTO soak_writes (id, thread, payload) VALUES (?, ?, ?)"_s);
        QSqlQuery plain(db);

        while (!stop) {
            const int pick = int(random() % 100);
            if (pick < 70) {
                bool ok;
                if (pick < 35) {
                    read.addBindValue(index);
                    read.addBindValue(nextId - 100);
                    ok = read.exec();
                    while (ok && read.next()) { }
                } else if (pick < 55) {
                    ok = plain.exec(u"SELECT inet_server_port(), now()"_s) && plain.next();
                } else {
                    ok = plain.exec(u"SELECT g, md5(g::text) FROM generate_series(1, 50) g"_s);
                    while (ok && plain.next()) { }
                }
                ++totals.reads;
                if (!ok)
                    totals.fail(u"read"_s, pick < 35 ? read.lastError() : plain.lastError());
            } else if (pick < 90) {
                const qint64 id = nextId++;
                write.addBindValue(id);
                write.addBindValue(index);
                write.addBindValue(u"single %1"_s.arg(id));
                ++totals.writes;
                if (write.exec())
                    totals.acknowledge({id});
                else
                    totals.fail(u"write"_s, write.lastError());
            } else {
                ++totals.transactions;
                const qint64 first = nextId;
                nextId += 2;
                if (!db.transaction()) {
                    totals.fail(u"begin"_s, db.lastError());
                    continue;
                }
                QSqlQuery tx(db);
                const bool ok = tx.exec(u"INSERT INTO soak_writes (id, thread, payload) VALUES "
                                        "(%1, %2, 'tx a'), (%3, %2, 'tx b')"_s.arg(first)
                                            .arg(index)
                                            .arg(first + 1))
                    && tx.exec(u"SELECT count(*) FROM soak_writes WHERE thread = %1 AND id >= %2"_s
                                   .arg(index)
                                   .arg(first))
                    && tx.next() && tx.value(0).toInt() == 2
                    && tx.exec(
                        u"UPDATE soak_counters SET n = n + 2 WHERE thread = %1"_s.arg(index));
                if (!ok) {
                    totals.fail(u"transaction"_s, tx.lastError());
                    db.rollback();
                    continue;
                }
                tx.finish();
                if (db.commit())
                    totals.acknowledge({first, first + 1});
                else
                    totals.fail(u"commit"_s, db.lastError());
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);
}

// Ends every session of ours on the node (the node itself stays up).
bool terminateSessions(Node node, int *count)
{
    QString error;
    const QString value = TestCluster::instance().queryValue(
        node,
        u"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = '%1' AND pid <> pg_backend_pid()"_s.arg(applicationName),
        &error);
    *count = value.toInt();
    return !value.isNull();
}

bool driverKnowsQueryTimeout()
{
    QSqlDatabase db = addHaDatabase(u"soak-probe"_s, Settings {});
    db.setConnectOptions(db.connectOptions() + u";QPSQLHA_QUERY_TIMEOUT=2000"_s);
    const bool ok = db.open();
    if (!ok && !db.lastError().text().contains(u"QPSQLHA_QUERY_TIMEOUT"_s))
        out(u"soak: probe connection failed: %1"_s.arg(db.lastError().text()));
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(u"soak-probe"_s);
    return ok;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    qInstallMessageHandler(countMessage);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Mixed load through QPSQLHA with random faults."_s);
    parser.addHelpOption();
    const QCommandLineOption envOption(u"env"_s, u"cluster.env of qpsqlha-testcluster"_s,
                                       u"FILE"_s);
    const QCommandLineOption scriptOption(u"script"_s, u"path of qpsqlha-testcluster"_s, u"PATH"_s);
    const QCommandLineOption durationOption(u"duration"_s, u"seconds of load (600)"_s, u"S"_s,
                                            u"600"_s);
    const QCommandLineOption threadsOption(u"threads"_s, u"worker threads (8)"_s, u"N"_s, u"8"_s);
    const QCommandLineOption warmupOption(u"warmup"_s,
                                          u"seconds before the first fault and the "
                                          "first memory reading (20)"_s,
                                          u"S"_s, u"20"_s);
    const QCommandLineOption faultOption(u"fault-every"_s, u"mean seconds between faults (8)"_s,
                                         u"S"_s, u"8"_s);
    const QCommandLineOption seedOption(u"seed"_s, u"random seed"_s, u"N"_s, u"20261126"_s);
    parser.addOptions({envOption, scriptOption, durationOption, threadsOption, warmupOption,
                       faultOption, seedOption});
    parser.process(app);
    if (!parser.isSet(envOption) || !parser.isSet(scriptOption)) {
        std::fprintf(stderr, "qpsqlha-soak: --env and --script are required\n");
        return 2;
    }
    qputenv("QPSQLHA_TEST_CLUSTER_ENV", parser.value(envOption).toLocal8Bit());
    qputenv("QPSQLHA_CLUSTER_SCRIPT", parser.value(scriptOption).toLocal8Bit());

    Settings settings;
    settings.durationS = parser.value(durationOption).toInt();
    settings.threads = std::max(1, parser.value(threadsOption).toInt());
    settings.warmupS = parser.value(warmupOption).toInt();
    settings.faultEveryS = std::max(1, parser.value(faultOption).toInt());
    settings.seed = parser.value(seedOption).toUInt();

    TestCluster &cluster = TestCluster::instance();
    if (!cluster.isValid()) {
        std::fprintf(stderr, "qpsqlha-soak: %s\n", qPrintable(cluster.errorString()));
        return 2;
    }
    QString error;
    const QString setup[] = {
        u"DROP TABLE IF EXISTS soak_writes, soak_counters"_s,
        u"CREATE TABLE soak_writes (id bigint PRIMARY KEY, thread int NOT NULL, payload text)"_s,
        u"CREATE TABLE soak_counters (thread int PRIMARY KEY, n bigint NOT NULL)"_s,
        u"INSERT INTO soak_counters SELECT g, 0 FROM generate_series(0, %1) g"_s.arg(
            settings.threads),
    };
    for (const QString &sql : setup) {
        if (!cluster.execOn(Node::Primary, sql, &error)) {
            std::fprintf(stderr, "qpsqlha-soak: %s: %s\n", qPrintable(sql), qPrintable(error));
            return 2;
        }
    }
    cluster.waitForReplication();

    // Frozen nodes hang statements until thawed unless the driver bounds them.
    const bool queryTimeout = driverKnowsQueryTimeout();
    if (queryTimeout)
        settings.extraOptions = u"QPSQLHA_QUERY_TIMEOUT=2000"_s;
    out(u"soak: %1 threads, %2 s (warm-up %3 s), a fault every ~%4 s, seed %5; freeze faults %6"_s
            .arg(settings.threads)
            .arg(settings.durationS)
            .arg(settings.warmupS)
            .arg(settings.faultEveryS)
            .arg(settings.seed)
            .arg(queryTimeout ? u"on (QPSQLHA_QUERY_TIMEOUT=2000)"_s
                              : u"off (the driver has no QPSQLHA_QUERY_TIMEOUT)"_s));

    Totals totals;
    std::atomic<bool> stop {false};
    std::vector<std::thread> workers;
    for (int i = 0; i < settings.threads; ++i)
        workers.emplace_back(worker, i, std::cref(settings), std::cref(stop), std::ref(totals));

    QElapsedTimer clock;
    clock.start();
    const qint64 endMs = qint64(settings.durationS) * 1000;
    const auto sleepUntil = [&](qint64 ms) {
        while (clock.elapsed() < std::min(ms, endMs))
            QThread::msleep(50);
    };
    const auto sleepFor = [&](qint64 ms) {
        sleepUntil(clock.elapsed() + ms);
    };

    sleepUntil(qint64(settings.warmupS) * 1000);
    const qint64 rssStart = vmRssKb();
    const qint64 bookkeepingStart = totals.acknowledgedKb();
    out(u"soak: warm-up done, VmRSS %1 kB, %2 statements so far"_s.arg(rssStart).arg(
        totals.reads.load() + totals.writes.load() + totals.transactions.load()));

    std::mt19937 random(settings.seed);
    const Node readers[] = {Node::Reader1, Node::Reader2};
    QMap<QString, int> faults;
    // A fault step that did not happen is printed: the run would prove less than it claims.
    const auto step = [&](bool ok, const QString &what) {
        if (!ok) {
            faults[u"  steps that failed"_s]++;
            out(u"soak: %1 s: could not %2"_s.arg(clock.elapsed() / 1000).arg(what));
        }
    };
    qint64 nextReport = clock.elapsed() + 60'000;
    while (clock.elapsed() < endMs) {
        // Uniform between half and one and a half times the mean.
        sleepFor(settings.faultEveryS * (500 + qint64(random() % 1000)));
        if (clock.elapsed() >= endMs)
            break;
        const int pick = int(random() % 100);
        const Node reader = readers[random() % 2];
        const QString name = TestCluster::nodeName(reader);
        if (pick < 35) {
            faults[u"reader killed and restarted"_s]++;
            step(cluster.stopNode(reader, true), u"kill "_s + name);
            sleepFor(1000 + random() % 5000);
            step(cluster.startNode(reader), u"start "_s + name);
        } else if (pick < 60) {
            int count = 0;
            step(terminateSessions(reader, &count), u"end sessions on "_s + name);
            faults[u"pg_terminate_backend on a reader"_s]++;
            faults[u"  sessions ended on readers"_s] += count;
        } else if (pick < 70) {
            int count = 0;
            step(terminateSessions(Node::Primary, &count), u"end sessions on the primary"_s);
            faults[u"pg_terminate_backend on the primary"_s]++;
            faults[u"  sessions ended on the primary"_s] += count;
        } else if (pick < 88 && queryTimeout) {
            faults[u"reader frozen and thawed"_s]++;
            step(cluster.freeze(reader), u"freeze "_s + name);
            sleepFor(1000 + random() % 4000);
            step(cluster.thaw(reader), u"thaw "_s + name);
        } else if (pick < 88) {
            faults[u"reader stopped (fast) and restarted"_s]++;
            step(cluster.stopNode(reader, false), u"stop "_s + name);
            sleepFor(1000 + random() % 3000);
            step(cluster.startNode(reader), u"start "_s + name);
        } else {
            faults[u"primary restarted"_s]++;
            step(cluster.stopNode(Node::Primary, true), u"kill the primary"_s);
            sleepFor(1000 + random() % 3000);
            step(cluster.startNode(Node::Primary), u"start the primary"_s);
        }
        if (clock.elapsed() >= nextReport) {
            nextReport += 60'000;
            out(u"soak: %1 s: %2 statements, %3 failed, VmRSS %4 kB"_s.arg(clock.elapsed() / 1000)
                    .arg(totals.reads.load() + totals.writes.load() + totals.transactions.load())
                    .arg(totals.failed.load())
                    .arg(vmRssKb()));
        }
    }
    // Whatever the last fault left behind, every node runs again before the end.
    if (queryTimeout) {
        for (Node node : readers)
            cluster.thaw(node);
    }
    step(cluster.ensureAllRunning(), u"start every node at the end"_s);
    // A little load on a healthy cluster, so that the end reading is not taken mid-recovery.
    QThread::sleep(3);
    const qint64 rssEnd = vmRssKb();
    const qint64 bookkeepingEnd = totals.acknowledgedKb();
    stop = true;
    for (std::thread &thread : workers)
        thread.join();
    const qint64 elapsedMs = clock.elapsed();

    // Every acknowledged write must be on the primary.
    const std::vector<qint64> acknowledged = totals.acknowledged();
    std::unordered_set<qint64> stored;
    {
        const QByteArray port = QByteArray::number(cluster.port(Node::Primary));
        const QByteArray host = cluster.host().toUtf8(), db = cluster.database().toUtf8(),
                         user = cluster.user().toUtf8(), password = cluster.password().toUtf8();
        const char *keys[] = {"host", "port", "dbname", "user", "password", "sslmode", nullptr};
        const char *values[]
            = {host.constData(),     port.constData(), db.constData(), user.constData(),
               password.constData(), "disable",        nullptr};
        PGconn *conn = PQconnectdbParams(keys, values, 0);
        PGresult *result = PQexec(conn, "SELECT id FROM soak_writes");
        if (PQresultStatus(result) != PGRES_TUPLES_OK) {
            std::fprintf(stderr, "qpsqlha-soak: cannot read soak_writes on the primary: %s\n",
                         PQerrorMessage(conn));
            return 1;
        }
        for (int row = 0; row < PQntuples(result); ++row)
            stored.insert(std::strtoll(PQgetvalue(result, row, 0), nullptr, 10));
        PQclear(result);
        PQfinish(conn);
    }
    quint64 lost = 0;
    for (qint64 id : acknowledged) {
        if (!stored.count(id)) {
            if (++lost <= 10)
                out(u"soak: LOST acknowledged write id %1"_s.arg(id));
        }
    }
    const quint64 unacknowledgedStored = stored.size() - (acknowledged.size() - lost);

    const quint64 statements
        = totals.reads.load() + totals.writes.load() + totals.transactions.load();
    out(u"soak: --- totals after %1 s ---"_s.arg(elapsedMs / 1000));
    out(u"statements: %1 (%2/s): reads %3, writes %4, transactions %5"_s.arg(statements)
            .arg(statements * 1000 / quint64(std::max<qint64>(1, elapsedMs)))
            .arg(totals.reads.load())
            .arg(totals.writes.load())
            .arg(totals.transactions.load()));
    out(u"failures: %1"_s.arg(totals.failed.load()));
    const QMap<QString, quint64> failures = totals.failures();
    for (auto it = failures.cbegin(); it != failures.cend(); ++it)
        out(u"  %1  %2"_s.arg(it.value(), 7).arg(it.key()));
    out(u"faults injected:"_s);
    for (auto it = faults.cbegin(); it != faults.cend(); ++it)
        out(u"  %1  %2"_s.arg(it.value(), 7).arg(it.key()));
    out(u"acknowledged writes: %1 rows, lost: %2; rows stored whose write was reported failed "
        "(ambiguous commits): %3"_s.arg(acknowledged.size())
            .arg(lost)
            .arg(unacknowledgedStored));
    out(u"memory: VmRSS %1 kB after warm-up, %2 kB at the end: %3%4 kB (%5%)"_s.arg(rssStart)
            .arg(rssEnd)
            .arg(rssEnd >= rssStart ? u"+"_s : QString())
            .arg(rssEnd - rssStart)
            .arg(rssStart > 0 ? 100.0 * double(rssEnd - rssStart) / double(rssStart) : 0.0, 0, 'f',
                 1));
    out(u"memory: of that, the soak's own list of acknowledged ids (8 bytes each): %1 kB; "
        "the rest: %2 kB"_s.arg(bookkeepingEnd - bookkeepingStart)
            .arg(rssEnd - rssStart - (bookkeepingEnd - bookkeepingStart)));
    {
        QMutexLocker locker(&messagesMutex);
        out(u"log messages (not printed):"_s);
        for (auto it = messages.cbegin(); it != messages.cend(); ++it)
            out(u"  %1  %2"_s.arg(it.value(), 7).arg(it.key()));
    }
    for (const QPsqlHa::ClusterStatus &status : QPsqlHa::clusters()) {
        for (const QPsqlHa::NodeStatus &node : status.nodes)
            out(u"node %1: queries %2, errors %3, retries %4"_s.arg(node.address)
                    .arg(node.queries)
                    .arg(node.errors)
                    .arg(node.retries));
    }
    return lost == 0 ? 0 : 1;
}
