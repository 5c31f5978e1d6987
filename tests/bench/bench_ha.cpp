// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// bench_ha: the client side of tests/bench/run-benchmarks.sh. One process runs one measurement
// and prints one JSON object on stdout, so that runs of different targets never share a
// process (plugins, caches, heap) and the script can interleave them.
//
// The client code is the same for every target; only the connection differs:
//   direct  QPSQL to the primary
//   ha      QPSQLHA: the primary plus both readers
//   pgpool  QPSQL to pgpool-II, which load-balances over the same three nodes
//   split   control: QPSQL with one connection per reader, the client picking one per read
//
//   bench_ha read     --env FILE --target T [--threads N] [--warmup S] [--duration S]
//                     [--write-percent P] [--simple] [--pgpool-port P]
//                     [--cpuacct NODE=FILE ...]   (run-capacity.sh: each node's cgroup CPU time,
//                                                  sampled at the bounds of the counted window)
//   bench_ha failover --env FILE --target T --cluster-script PATH --state DIR [--threads N]
//                     [--kill-at S] [--restart-at S] [--duration S] [--pgpool-port P]
//   bench_ha memory   --env FILE --target T [--connections N] [--pgpool-port P]
//   bench_ha classify [--duration S]
//   bench_ha profile  --env FILE --target T [--kind prepared|simple|rows] [--statements N]
//                     (run under valgrind --tool=callgrind --instr-atstart=no)
//
// For experiments, --ha-readers 1, --ha-readers-list LIST and --ha-options OPTIONS change the
// QPSQLHA connection; run-benchmarks.sh uses the defaults, run-capacity.sh one case per option
// set. When this build rejects an option of --ha-options, bench_ha prints {"skipped": "..."}.

#include "statementmix.h"

#include <qpsqlhaapi.h>
#include <qpsqlhastatementclassifier.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qthread.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include <libpq-fe.h>
#include <malloc.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int accounts = 1'000'000; // pgbench -i -s 10
const QString readSql = u"SELECT abalance FROM pgbench_accounts WHERE aid = ?"_s;
const QString updateSql = u"UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = ?"_s;
// The name under which the QPSQLHA connections share node state: the failover case reads the
// reader's counter through the C++ API to see when it serves again.
const QString haClusterName = u"bench"_s;

[[noreturn]] void fail(const QString &message)
{
    std::fprintf(stderr, "bench_ha: %s\n", qPrintable(message));
    std::exit(1);
}

// Split is a control experiment, not a contender: plain QPSQL with one connection per reader and
// the client itself picking one at random per read, i.e. QPSQLHA's routing without QPSQLHA.
enum class Target { Direct, Ha, Pgpool, Split };

Target parseTarget(const QString &name)
{
    if (name == "direct"_L1)
        return Target::Direct;
    if (name == "ha"_L1)
        return Target::Ha;
    if (name == "pgpool"_L1)
        return Target::Pgpool;
    if (name == "split"_L1)
        return Target::Split;
    fail(u"unknown target '%1' (expected direct, ha, pgpool or split)"_s.arg(name));
}

QString targetName(Target target)
{
    switch (target) {
    case Target::Direct:
        return u"direct"_s;
    case Target::Ha:
        return u"ha"_s;
    case Target::Pgpool:
        return u"pgpool"_s;
    case Target::Split:
        break;
    }
    return u"split"_s;
}

// Where the cluster is: testkit/qpsqlha-testcluster's cluster.env plus pgpool's port.
struct Endpoints
{
    QString host;
    int primary = 0;
    int reader1 = 0;
    int reader2 = 0;
    int pgpool = 0;
    QString database;
    QString user;
    QString password;
    // For experiments only (the report uses both readers and the defaults).
    int haReaders = 2;
    QString haOptions;
    QString haReadersOverride; // QPSQLHA_READERS as given (--ha-readers-list)
};

Endpoints readEndpoints(const QString &envFile, int pgpoolPort)
{
    QFile file(envFile);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        fail(u"cannot read %1: %2"_s.arg(envFile, file.errorString()));
    QHash<QString, QString> values;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        const qsizetype eq = line.indexOf(u'=');
        if (eq > 0)
            values.insert(line.left(eq), line.mid(eq + 1));
    }
    Endpoints endpoints;
    endpoints.host = values.value(u"PGHA_HOST"_s);
    endpoints.primary = values.value(u"PGHA_PRIMARY_PORT"_s).toInt();
    endpoints.reader1 = values.value(u"PGHA_READER1_PORT"_s).toInt();
    endpoints.reader2 = values.value(u"PGHA_READER2_PORT"_s).toInt();
    endpoints.database = values.value(u"PGHA_DATABASE"_s);
    endpoints.user = values.value(u"PGHA_USER"_s);
    endpoints.password = values.value(u"PGHA_PASSWORD"_s);
    endpoints.pgpool = pgpoolPort;
    if (endpoints.host.isEmpty() || !endpoints.primary || !endpoints.reader1 || !endpoints.reader2)
        fail(u"%1 does not describe a cluster"_s.arg(envFile));
    return endpoints;
}

// The only place where the targets differ.
QSqlDatabase addConnection(const Endpoints &endpoints, Target target, const QString &name)
{
    // No TLS on loopback for anybody, and the same bounded connect wait.
    const QString common = u"sslmode=disable;connect_timeout=3"_s;
    QSqlDatabase db;
    switch (target) {
    case Target::Direct:
    case Target::Split: // the primary connection; the readers' come from addReaderConnection()
        db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
        db.setPort(endpoints.primary);
        db.setConnectOptions(common);
        break;
    case Target::Ha: {
        db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, name);
        db.setPort(endpoints.primary);
        QString readers = u"%1:%2"_s.arg(endpoints.host).arg(endpoints.reader1);
        if (endpoints.haReaders > 1)
            readers += u",%1:%2"_s.arg(endpoints.host).arg(endpoints.reader2);
        if (!endpoints.haReadersOverride.isEmpty())
            readers = endpoints.haReadersOverride;
        QString options = u"QPSQLHA_READERS=%1;QPSQLHA_CLUSTER=%2;"_s.arg(readers, haClusterName);
        if (!endpoints.haOptions.isEmpty())
            options += endpoints.haOptions + u';';
        db.setConnectOptions(options + common);
        break;
    }
    case Target::Pgpool:
        if (!endpoints.pgpool)
            fail(u"target pgpool needs --pgpool-port"_s);
        db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
        db.setPort(endpoints.pgpool);
        db.setConnectOptions(common);
        break;
    }
    db.setHostName(endpoints.host);
    db.setDatabaseName(endpoints.database);
    db.setUserName(endpoints.user);
    db.setPassword(endpoints.password);
    return db;
}

QSqlDatabase addReaderConnection(const Endpoints &endpoints, int reader, const QString &name)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
    db.setHostName(endpoints.host);
    db.setPort(reader == 0 ? endpoints.reader1 : endpoints.reader2);
    db.setDatabaseName(endpoints.database);
    db.setUserName(endpoints.user);
    db.setPassword(endpoints.password);
    db.setConnectOptions(u"sslmode=disable;connect_timeout=3"_s);
    return db;
}

// What an application does: one connection, two prepared statements, forward-only results.
// On a failed statement it reconnects, as an application on plain QPSQL must.
class Client
{
    Q_DISABLE_COPY_MOVE(Client)
public:
    Client(const Endpoints &endpoints, Target target, const QString &name, bool simple = false)
        : m_endpoints(endpoints)
        , m_target(target)
        , m_name(name)
        , m_simple(simple)
    { }
    ~Client() { close(); }

    bool connect(QString *error)
    {
        close();
        const bool ok = openAndPrepare(error);
        if (!ok)
            close();
        return ok;
    }

    // Reconnects until it works or `deadline` passes.
    bool reconnect(Clock::time_point deadline)
    {
        QString error;
        while (!connect(&error)) {
            if (Clock::now() >= deadline)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }

    bool read(int aid)
    {
        if (m_simple) {
            QSqlQuery &plain
                = m_target == Target::Split ? *m_splitPlain[m_pick(m_random)] : *m_plain;
            // The value formatted into the text, as applications without prepare() do.
            if (!plain.exec(u"SELECT abalance FROM pgbench_accounts WHERE aid = "_s
                            + QString::number(aid))
                || !plain.next())
                return false;
            m_sink += plain.value(0).toInt();
            return true;
        }
        QSqlQuery &query = m_target == Target::Split ? *m_splitRead[m_pick(m_random)] : *m_read;
        query.bindValue(0, aid);
        if (!query.exec() || !query.next())
            return false;
        m_sink += query.value(0).toInt();
        return true;
    }

    bool update(int aid)
    {
        m_update->bindValue(0, aid);
        return m_update->exec();
    }

    // The server socket of a plain QPSQL connection (-1 otherwise): the watchdog shuts it down
    // when a proxy leaves a statement hanging, so that the run can end.
    int socket() const
    {
        if (m_target != Target::Direct && m_target != Target::Pgpool)
            return -1;
        const QSqlDatabase db = QSqlDatabase::database(m_name, false);
        const QVariant handle = db.isValid() && db.driver() ? db.driver()->handle() : QVariant();
        // QPSQL registers the handle under libpq's struct name ("pg_conn*" in Qt 6.4).
        const char *type = handle.isValid() ? handle.typeName() : nullptr;
        if (!type || (qstrcmp(type, "pg_conn*") != 0 && qstrcmp(type, "PGconn*") != 0))
            return -1;
        PGconn *connection = *static_cast<PGconn *const *>(handle.constData());
        return connection ? PQsocket(connection) : -1;
    }

    QString lastError() const
    {
        return m_read ? m_read->lastError().text() + u" / " + m_update->lastError().text()
                      : QString();
    }

private:
    bool openAndPrepare(QString *error)
    {
        QSqlDatabase db = addConnection(m_endpoints, m_target, m_name);
        if (!db.open()) {
            *error = db.lastError().text();
            return false;
        }
        m_read.emplace(db);
        m_read->setForwardOnly(true);
        m_plain.emplace(db);
        m_plain->setForwardOnly(true);
        m_update.emplace(db);
        if (!m_read->prepare(readSql) || !m_update->prepare(updateSql)) {
            *error = m_read->lastError().text() + u' ' + m_update->lastError().text();
            return false;
        }
        if (m_target != Target::Split)
            return true;
        for (int reader = 0; reader < 2; ++reader) {
            QSqlDatabase readerDb
                = addReaderConnection(m_endpoints, reader, m_name + u"-r%1"_s.arg(reader));
            if (!readerDb.open()) {
                *error = readerDb.lastError().text();
                return false;
            }
            m_splitRead[reader].emplace(readerDb);
            m_splitRead[reader]->setForwardOnly(true);
            m_splitPlain[reader].emplace(readerDb);
            m_splitPlain[reader]->setForwardOnly(true);
            if (!m_splitRead[reader]->prepare(readSql)) {
                *error = m_splitRead[reader]->lastError().text();
                return false;
            }
        }
        return true;
    }

    void close()
    {
        m_read.reset();
        m_update.reset();
        m_plain.reset();
        for (int reader = 0; reader < 2; ++reader) {
            m_splitRead[reader].reset();
            m_splitPlain[reader].reset();
            if (QSqlDatabase::contains(m_name + u"-r%1"_s.arg(reader)))
                QSqlDatabase::removeDatabase(m_name + u"-r%1"_s.arg(reader));
        }
        if (QSqlDatabase::contains(m_name))
            QSqlDatabase::removeDatabase(m_name);
    }

    const Endpoints m_endpoints;
    const Target m_target;
    const QString m_name;
    const bool m_simple; // reads without prepare()
    std::optional<QSqlQuery> m_read;
    std::optional<QSqlQuery> m_update;
    std::optional<QSqlQuery> m_plain;
    std::optional<QSqlQuery> m_splitRead[2];
    std::optional<QSqlQuery> m_splitPlain[2];
    std::mt19937 m_random {12345};
    std::uniform_int_distribution<int> m_pick {0, 1};
    qint64 m_sink = 0; // keeps the value conversion from being optimised away
};

qint64 nsSince(Clock::time_point start, Clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - start).count();
}

double percentile(std::vector<qint64> values, double p)
{
    if (values.empty())
        return 0;
    const size_t index = std::min(values.size() - 1, size_t(p * double(values.size())));
    std::nth_element(values.begin(), values.begin() + qsizetype(index), values.end());
    return double(values[index]);
}

// Set when a hung client thread had to be left running: main() then ends the process without
// running destructors under it.
std::atomic<bool> abandonedClients {false};

// One finished statement, for the failover timeline.
struct Event
{
    qint64 endNs; // since the start of the run
    qint64 latencyNs;
    bool ok;
};

struct ThreadResult
{
    std::vector<qint64> latenciesNs; // statements finished inside the measured window
    qint64 reads = 0;
    qint64 writes = 0;
    qint64 failed = 0;
    std::vector<Event> events; // failover only: every statement of the run
    QString error;
    int hung = 0; // 1 if the watchdog had to cut this client's connection
};

struct LoadSpec
{
    int threads = 1;
    int writePercent = 0;
    double warmupSeconds = 1;
    double durationSeconds = 5;
    bool timeline = false;
    bool simple = false; // reads as plain text statements instead of prepared ones
};

// Runs `spec.threads` clients as fast as they go. `during` runs in the calling thread once all
// clients are connected and have started (the failover case kills a node from there).
template<typename During>
std::vector<ThreadResult> runLoad(const Endpoints &endpoints, Target target, const LoadSpec &spec,
                                  Clock::time_point *startOut, During during)
{
    std::vector<ThreadResult> results(size_t(spec.threads));
    // Per client: its current server socket and whether it is done, for the watchdog.
    std::unique_ptr<std::atomic<int>[]> sockets(new std::atomic<int>[size_t(spec.threads)]);
    std::unique_ptr<std::atomic<bool>[]> done(new std::atomic<bool>[size_t(spec.threads)]);
    for (int i = 0; i < spec.threads; ++i) {
        sockets[size_t(i)] = -1;
        done[size_t(i)] = false;
    }
    std::atomic<int> ready {0};
    std::atomic<bool> go {false};
    std::atomic<bool> failedToConnect {false};
    Clock::time_point start;
    const auto warmup = std::chrono::nanoseconds(qint64(spec.warmupSeconds * 1e9));
    const auto duration = std::chrono::nanoseconds(qint64(spec.durationSeconds * 1e9));

    auto worker = [&](int id) {
        ThreadResult &result = results[size_t(id)];
        Client client(endpoints, target, u"bench-%1"_s.arg(id), spec.simple);
        QString error;
        if (!client.connect(&error)) {
            result.error = error;
            failedToConnect = true;
        }
        sockets[size_t(id)] = client.socket();
        ready.fetch_add(1);
        while (!go.load())
            std::this_thread::yield();
        if (failedToConnect) {
            done[size_t(id)] = true;
            return;
        }
        const Clock::time_point measureFrom = start + warmup;
        const Clock::time_point end = measureFrom + duration;
        std::mt19937 random(quint32(id) * 7919u + 1u);
        std::uniform_int_distribution<int> aids(1, accounts);
        std::uniform_int_distribution<int> percent(0, 99);
        if (spec.timeline)
            result.events.reserve(size_t(spec.durationSeconds * 30000 / spec.threads) + 1024);
        result.latenciesNs.reserve(size_t(spec.durationSeconds * 40000 / spec.threads) + 1024);
        for (;;) {
            const int aid = aids(random);
            const bool write = spec.writePercent > 0 && percent(random) < spec.writePercent;
            const Clock::time_point t0 = Clock::now();
            if (t0 >= end)
                break;
            const bool ok = write ? client.update(aid) : client.read(aid);
            const Clock::time_point t1 = Clock::now();
            if (spec.timeline)
                result.events.push_back({nsSince(start, t1), nsSince(t0, t1), ok});
            if (t0 >= measureFrom && t1 < end) {
                if (ok) {
                    result.latenciesNs.push_back(nsSince(t0, t1));
                    (write ? result.writes : result.reads) += 1;
                }
            }
            if (!ok) {
                // Counted over the whole run: the failover case kills a node at any time.
                result.failed += 1;
                if (result.error.isEmpty())
                    result.error = client.lastError();
                sockets[size_t(id)] = -1;
                if (!client.reconnect(end))
                    break;
                sockets[size_t(id)] = client.socket();
            }
        }
        done[size_t(id)] = true;
    };

    std::vector<std::thread> threads;
    for (int i = 0; i < spec.threads; ++i)
        threads.emplace_back(worker, i);
    while (ready.load() < spec.threads)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    start = Clock::now();
    go = true;
    if (!failedToConnect)
        during(start);
    // Watchdog: a client still inside a statement 10 s after the end waits for an answer that
    // will not come (seen with pgpool-II after a failover). Cutting its socket ends the wait;
    // the client is reported as hung.
    const Clock::time_point giveUp = start + warmup + duration + std::chrono::seconds(10);
    for (int i = 0; i < spec.threads; ++i) {
        while (!done[size_t(i)] && Clock::now() < giveUp)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!done[size_t(i)]) {
            results[size_t(i)].hung = 1;
            if (const int fd = sockets[size_t(i)]; fd >= 0)
                ::shutdown(fd, SHUT_RDWR);
        }
    }
    // A client whose socket could not be cut (no socket of its own, e.g. QPSQLHA) is left
    // behind after 5 more seconds: it is blocked in poll() and touches nothing until it returns,
    // and the process ends with _Exit() (see main()) instead of waiting for it.
    const Clock::time_point abandon = giveUp + std::chrono::seconds(5);
    for (int i = 0; i < spec.threads; ++i) {
        while (!done[size_t(i)] && Clock::now() < abandon)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (done[size_t(i)]) {
            threads[size_t(i)].join();
        } else {
            threads[size_t(i)].detach();
            abandonedClients = true;
        }
    }
    for (const ThreadResult &result : results) {
        if (failedToConnect && !result.error.isEmpty())
            fail(u"cannot connect (%1): %2"_s.arg(targetName(target), result.error));
    }
    if (startOut)
        *startOut = start;
    return results;
}

void print(const QJsonObject &object)
{
    const QByteArray json = QJsonDocument(object).toJson(QJsonDocument::Compact);
    std::fwrite(json.constData(), 1, size_t(json.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

QJsonObject loadFigures(const std::vector<ThreadResult> &results, double seconds)
{
    std::vector<qint64> latencies;
    qint64 reads = 0, writes = 0, failed = 0;
    for (const ThreadResult &result : results) {
        latencies.insert(latencies.end(), result.latenciesNs.begin(), result.latenciesNs.end());
        reads += result.reads;
        writes += result.writes;
        failed += result.failed;
    }
    QJsonObject figures;
    figures[u"rate"_s] = double(reads + writes) / seconds;
    figures[u"read_rate"_s] = double(reads) / seconds;
    figures[u"write_rate"_s] = double(writes) / seconds;
    figures[u"p50_us"_s] = percentile(latencies, 0.50) / 1000.0;
    figures[u"p99_us"_s] = percentile(latencies, 0.99) / 1000.0;
    figures[u"failed"_s] = double(failed);
    int hung = 0;
    for (const ThreadResult &result : results)
        hung += result.hung;
    figures[u"hung_clients"_s] = hung;
    return figures;
}

// --- cases --------------------------------------------------------------------------------------

// System-wide context switches and CPU time from /proc/stat: every process of the benchmark
// (client, servers, pgpool) runs on this machine, so they show what a target costs the machine.
struct CpuSample
{
    quint64 contextSwitches = 0;
    quint64 busy = 0; // jiffies not idle
    quint64 total = 0;
};

CpuSample sampleCpu()
{
    CpuSample sample;
    QFile stat(u"/proc/stat"_s);
    if (!stat.open(QIODevice::ReadOnly | QIODevice::Text))
        return sample;
    const QList<QByteArray> lines = stat.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.value(0) == "cpu") {
            // user nice system idle iowait irq softirq steal
            for (qsizetype i = 1; i < fields.size() && i <= 8; ++i) {
                const quint64 value = fields.at(i).toULongLong();
                sample.total += value;
                if (i != 4 && i != 5)
                    sample.busy += value;
            }
        } else if (fields.value(0) == "ctxt") {
            sample.contextSwitches = fields.value(1).toULongLong();
        }
    }
    return sample;
}

// One server node's CPU as the kernel counts it for its cgroup (run-capacity.sh puts each node's
// postmaster, and so every process it forks, in a cgroup of its own): cgroup v1's
// cpuacct.usage (nanoseconds) or cgroup v2's cpu.stat (usage_usec).
struct NodeCpu
{
    QString name;
    QString file;
    double firstS = 0;
    double lastS = 0;
};

double readCgroupCpuSeconds(const QString &file)
{
    QFile usage(file);
    if (!usage.open(QIODevice::ReadOnly | QIODevice::Text))
        fail(u"cannot read %1: %2"_s.arg(file, usage.errorString()));
    const QByteArray text = usage.readAll();
    if (file.endsWith("cpu.stat"_L1)) {
        for (const QByteArray &line : text.split('\n')) {
            if (line.startsWith("usage_usec "))
                return double(line.mid(11).trimmed().toULongLong()) / 1e6;
        }
        fail(u"no usage_usec in %1"_s.arg(file));
    }
    bool ok = false;
    const quint64 ns = text.trimmed().toULongLong(&ok);
    if (!ok)
        fail(u"%1 does not hold a CPU time"_s.arg(file));
    return double(ns) / 1e9;
}

void runRead(const Endpoints &endpoints, Target target, const LoadSpec &spec,
             std::vector<NodeCpu> nodeCpu)
{
    CpuSample first, last;
    const auto results = runLoad(endpoints, target, spec, nullptr, [&](Clock::time_point start) {
        const auto from = start + std::chrono::nanoseconds(qint64(spec.warmupSeconds * 1e9));
        std::this_thread::sleep_until(from);
        first = sampleCpu();
        for (NodeCpu &node : nodeCpu)
            node.firstS = readCgroupCpuSeconds(node.file);
        std::this_thread::sleep_until(
            from + std::chrono::nanoseconds(qint64(spec.durationSeconds * 1e9)));
        for (NodeCpu &node : nodeCpu)
            node.lastS = readCgroupCpuSeconds(node.file);
        last = sampleCpu();
    });
    QJsonObject figures = loadFigures(results, spec.durationSeconds);
    if (!nodeCpu.empty()) {
        // Sampled at the same instants that bound the counted statements.
        QJsonObject cpu;
        for (const NodeCpu &node : nodeCpu)
            cpu[node.name] = node.lastS - node.firstS;
        figures[u"node_cpu_s"_s] = cpu;
        figures[u"statements"_s] = figures.value(u"rate"_s).toDouble() * spec.durationSeconds;
    }
    const double statements = figures.value(u"rate"_s).toDouble() * spec.durationSeconds;
    if (statements > 0 && last.total > first.total) {
        figures[u"cs_per_stmt"_s]
            = double(last.contextSwitches - first.contextSwitches) / statements;
        figures[u"cpu_busy"_s] = double(last.busy - first.busy) / double(last.total - first.total);
    }
    figures[u"threads"_s] = spec.threads;
    figures[u"write_percent"_s] = spec.writePercent;
    figures[u"simple"_s] = spec.simple;
    figures[u"seconds"_s] = spec.durationSeconds;
    print(figures);
}

bool runClusterScript(const QString &script, const QStringList &arguments)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedChannels);
    process.start(u"bash"_s, QStringList {script} + arguments);
    return process.waitForFinished(120'000) && process.exitStatus() == QProcess::NormalExit
        && process.exitCode() == 0;
}

// 8 clients read while reader1 is killed (immediate shutdown: connections drop mid-statement)
// and later started again. The timeline of every statement gives failed reads, how long the
// throughput stayed down, the latency spike and, for QPSQLHA, when reader1 serves again.
void runFailover(const Endpoints &endpoints, Target target, LoadSpec spec, double killAt,
                 double restartAt, const QString &script, const QString &stateDir)
{
    spec.timeline = true;
    spec.warmupSeconds = 0;
    double killIssuedS = 0, killDoneS = 0, restartDoneS = -1, rejoinS = -1;
    Clock::time_point start;
    auto during = [&](Clock::time_point runStart) {
        auto at = [&](double seconds) {
            std::this_thread::sleep_until(runStart
                                          + std::chrono::nanoseconds(qint64(seconds * 1e9)));
        };
        auto now = [&] {
            return double(nsSince(runStart, Clock::now())) / 1e9;
        };
        at(killAt);
        killIssuedS = now();
        if (!runClusterScript(script, {u"stop-node"_s, stateDir, u"reader1"_s, u"immediate"_s}))
            fail(u"could not stop reader1"_s);
        killDoneS = now();
        at(restartAt);
        if (!runClusterScript(script, {u"start-node"_s, stateDir, u"reader1"_s}))
            fail(u"could not start reader1"_s);
        restartDoneS = now();
        // QPSQLHA's counters say when reader1 takes reads again (health check, then epoch).
        QPsqlHa::NodeHandle reader1
            = QPsqlHa::node(haClusterName, endpoints.host, endpoints.reader1);
        const quint64 before = reader1.isValid() ? reader1.queries() : 0;
        while (now() < spec.durationSeconds) {
            if (reader1.isValid() && rejoinS < 0 && reader1.queries() > before)
                rejoinS = now();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    };
    const auto results = runLoad(endpoints, target, spec, &start, during);

    // Successful statements per 50 ms window.
    constexpr qint64 windowNs = 50'000'000;
    const int windows = int(spec.durationSeconds * 1e9 / double(windowNs)) + 1;
    std::vector<qint64> perWindow(size_t(windows), 0);
    std::vector<qint64> before, after;
    qint64 failed = 0, maxAfterNs = 0;
    int hung = 0;
    const qint64 killNs = qint64(killIssuedS * 1e9);
    const qint64 restartNs = qint64(restartDoneS * 1e9);
    for (const ThreadResult &result : results) {
        failed += result.failed;
        hung += result.hung;
        for (const Event &event : result.events) {
            if (event.ok && event.endNs / windowNs < windows)
                perWindow[size_t(event.endNs / windowNs)] += 1;
            // From 0.5 s on: the first statements of a connection are not steady state.
            if (event.endNs >= 500'000'000 && event.endNs < killNs)
                before.push_back(event.latencyNs);
            else if (event.endNs >= killNs && event.endNs < killNs + 1'000'000'000)
                after.push_back(event.latencyNs);
            if (event.endNs >= killNs && event.endNs < restartNs)
                maxAfterNs = std::max(maxAfterNs, event.latencyNs);
        }
    }
    // Throughput dip: the worst window between the kill and the restart, relative to the mean
    // window between 0.5 s and the kill.
    const int firstBase = int(500'000'000 / windowNs), killWindow = int(killNs / windowNs);
    double baseline = 0;
    for (int w = firstBase; w < killWindow; ++w)
        baseline += double(perWindow[size_t(w)]);
    baseline /= std::max(1, killWindow - firstBase);
    double dip = 1;
    for (int w = killWindow; w < windows && qint64(w) * windowNs < restartNs; ++w)
        dip = std::min(dip, double(perWindow[size_t(w)]) / std::max(1.0, baseline));

    // Traffic has moved once every client is served again: per client, the longest time
    // without a result between the kill and the restart (statement retried inside the driver,
    // or error, reconnect and the next statement). Before the kill, the same measure gives the
    // normal longest gap. A hung client never gets served again and counts as the whole rest of
    // the run.
    const qint64 endNs = qint64(spec.durationSeconds * 1e9);
    qint64 stallNs = 0, normalGapNs = 0;
    for (const ThreadResult &result : results) {
        qint64 last = 0; // completion of the previous successful statement
        for (const Event &event : result.events) {
            if (!event.ok)
                continue;
            if (event.endNs >= killNs && event.endNs < restartNs)
                stallNs = std::max(stallNs, event.endNs - std::max(last, killNs));
            else if (event.endNs >= 500'000'000 && event.endNs < killNs)
                normalGapNs = std::max(normalGapNs, event.endNs - last);
            last = event.endNs;
        }
        if (result.hung)
            stallNs = std::max(stallNs, endNs - std::max(last, killNs));
    }
    const double movedMs = double(stallNs) / 1e6;
    // The slow statements around the kill, for a look by hand (stderr goes to the script's log).
    for (size_t t = 0; t < results.size(); ++t) {
        for (const Event &event : results[t].events) {
            if (event.latencyNs > 100'000'000 && event.endNs >= killNs) {
                std::fprintf(stderr,
                             "bench_ha: client %zu: statement from %+.1f ms to %+.1f ms after the "
                             "kill (%s)\n",
                             t, double(event.endNs - event.latencyNs - killNs) / 1e6,
                             double(event.endNs - killNs) / 1e6, event.ok ? "ok" : "failed");
            }
        }
    }

    QJsonObject figures;
    figures[u"failed"_s] = double(failed);
    figures[u"hung_clients"_s] = hung;
    figures[u"moved_ms"_s] = movedMs;
    figures[u"normal_gap_ms"_s] = double(normalGapNs) / 1e6;
    figures[u"dip"_s] = dip; // worst window after the kill, relative to the baseline
    figures[u"base_p99_ms"_s] = percentile(before, 0.99) / 1e6;
    figures[u"spike_p99_ms"_s] = percentile(after, 0.99) / 1e6;
    figures[u"spike_max_ms"_s] = double(maxAfterNs) / 1e6;
    figures[u"kill_s"_s] = killIssuedS;
    figures[u"kill_took_ms"_s] = (killDoneS - killIssuedS) * 1e3;
    figures[u"rejoin_ms"_s] = rejoinS < 0 ? -1 : (rejoinS - restartDoneS) * 1e3;
    figures[u"threads"_s] = spec.threads;
    QJsonArray timeline; // reads per second, 50 ms windows, for a look by hand
    for (qint64 count : perWindow)
        timeline.append(double(count) * 20);
    figures[u"timeline"_s] = timeline;
    print(figures);
}

qint64 residentKb()
{
    // /proc files have no size: read them whole instead of testing atEnd().
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly | QIODevice::Text))
        fail(u"cannot read /proc/self/status"_s);
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    fail(u"no VmRSS in /proc/self/status"_s);
}

// Resident size of `count` open connections, each having run its statements, after one
// connection has loaded every library and plugin. Freed heap is returned to the system before
// each reading, so that only what the connections hold counts.
void runMemory(const Endpoints &endpoints, Target target, int count)
{
    QString error;
    {
        Client warmup(endpoints, target, u"warmup"_s);
        if (!warmup.connect(&error) || !warmup.read(1) || !warmup.update(1))
            fail(u"cannot connect (%1): %2"_s.arg(targetName(target), error));
    }
    malloc_trim(0);
    const qint64 before = residentKb();
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < count; ++i) {
        clients.push_back(std::make_unique<Client>(endpoints, target, u"conn-%1"_s.arg(i)));
        if (!clients.back()->connect(&error))
            fail(u"cannot connect (%1): %2"_s.arg(targetName(target), error));
        // Enough reads that QPSQLHA uses (and prepares on) both readers, and one write.
        for (int aid = 1; aid <= 10; ++aid) {
            if (!clients.back()->read(aid))
                fail(u"read failed: %1"_s.arg(clients.back()->lastError()));
        }
        if (!clients.back()->update(1))
            fail(u"update failed: %1"_s.arg(clients.back()->lastError()));
    }
    malloc_trim(0);
    const qint64 after = residentKb();
    QJsonObject figures;
    figures[u"connections"_s] = count;
    figures[u"rss_before_kb"_s] = double(before);
    figures[u"rss_after_kb"_s] = double(after);
    figures[u"per_connection_kb"_s] = double(after - before) / count;
    print(figures);
}

void runClassify(double seconds)
{
    const QPsqlHa::StatementClassifier classifier({u"audit_touch"_s});
    qint64 rounds = 0, reads = 0;
    const Clock::time_point start = Clock::now();
    const auto end = start + std::chrono::nanoseconds(qint64(seconds * 1e9));
    do {
        for (int i = 0; i < 1000; ++i)
            reads += QPsqlHaBench::classifyMix(classifier);
        rounds += 1000;
    } while (Clock::now() < end);
    const double elapsedNs = double(nsSince(start, Clock::now()));
    if (reads != rounds * QPsqlHaBench::statementMixReads)
        fail(u"the classifier changed its mind"_s);
    QJsonObject figures;
    figures[u"ns_per_statement"_s] = elapsedNs / double(rounds * QPsqlHaBench::statementMixSize);
    figures[u"statements"_s] = QPsqlHaBench::statementMixSize;
    print(figures);
}

// The per-statement path for callgrind: only the loop is instrumented.
void runProfile(const Endpoints &endpoints, Target target, const QString &kind, int statements)
{
    const bool rows = kind == "rows"_L1;
    const bool prepared = kind == "prepared"_L1 || rows;
    if (!prepared && kind != "simple"_L1)
        fail(u"unknown kind '%1' (expected prepared, simple or rows)"_s.arg(kind));
    Client client(endpoints, target, u"profile"_s, !prepared);
    QString error;
    if (!client.connect(&error))
        fail(u"cannot connect (%1): %2"_s.arg(targetName(target), error));
    // rows: a prepared forward-only read of 1000 rows of three columns, every value read, so
    // that (I(2N) - I(N)) / 1000N is what one streamed row costs the client.
    std::optional<QSqlQuery> range;
    qint64 sink = 0;
    if (rows) {
        range.emplace(QSqlDatabase::database(u"profile"_s, false));
        range->setForwardOnly(true);
        if (!range->prepare(u"SELECT aid, bid, abalance FROM pgbench_accounts "
                            "WHERE aid BETWEEN ? AND ? ORDER BY aid"_s))
            fail(range->lastError().text());
    }
    auto once = [&](int aid) {
        if (!rows)
            return client.read(aid);
        const int first = qMin(aid, accounts - 1000);
        range->bindValue(0, first);
        range->bindValue(1, first + 999);
        if (!range->exec())
            return false;
        int count = 0;
        while (range->next()) {
            sink += range->value(0).toLongLong() + range->value(1).toLongLong()
                + range->value(2).toLongLong();
            ++count;
        }
        return count == 1000;
    };
    std::mt19937 random(42);
    std::uniform_int_distribution<int> aids(1, accounts);
    for (int i = 0; i < 200; ++i) { // both readers connected and prepared, caches warm
        if (!once(aids(random)))
            fail(u"statement failed"_s);
    }
    CALLGRIND_START_INSTRUMENTATION;
    for (int i = 0; i < statements; ++i) {
        if (!once(aids(random)))
            fail(u"statement failed"_s);
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    QJsonObject figures;
    figures[u"kind"_s] = kind;
    figures[u"statements"_s] = statements;
    figures[u"sink"_s] = double(sink);
    print(figures);
}

// A case that sets an option this build does not know (an option added after it was built) is
// reported as skipped, so that one script measures builds before and after the option lands:
// prints {"skipped": "..."} and ends the process. Any other failure to open stays an error.
void skipIfOptionsRejected(const Endpoints &endpoints)
{
    QString error;
    {
        Client probe(endpoints, Target::Ha, u"option-check"_s);
        if (probe.connect(&error))
            return;
    }
    bool namesOurOption = false;
    for (const QString &option : endpoints.haOptions.split(u';', Qt::SkipEmptyParts)) {
        const QString key = option.section(u'=', 0, 0).trimmed();
        if (error.contains(u"unknown option '%1'"_s.arg(key), Qt::CaseInsensitive)
            || error.contains(u"' for %1:"_s.arg(key), Qt::CaseInsensitive))
            namesOurOption = true;
    }
    if (!namesOurOption)
        return; // the load itself reports the failure
    QJsonObject figures;
    figures[u"skipped"_s] = u"option not supported by this build (%1)"_s.arg(error);
    print(figures);
    std::exit(0);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"QPSQLHA benchmark client (see tests/bench/run-benchmarks.sh)"_s);
    parser.addHelpOption();
    parser.addPositionalArgument(u"mode"_s, u"read, failover, memory, classify or profile"_s);
    const QCommandLineOption envOption(u"env"_s, u"cluster.env of qpsqlha-testcluster"_s,
                                       u"file"_s);
    const QCommandLineOption targetOption(u"target"_s, u"direct, ha or pgpool"_s, u"target"_s);
    const QCommandLineOption pgpoolOption(u"pgpool-port"_s, u"pgpool-II port"_s, u"port"_s);
    const QCommandLineOption threadsOption(u"threads"_s, u"client threads"_s, u"n"_s, u"1"_s);
    const QCommandLineOption warmupOption(u"warmup"_s, u"seconds not measured"_s, u"s"_s, u"1"_s);
    const QCommandLineOption durationOption(u"duration"_s, u"seconds measured"_s, u"s"_s, u"5"_s);
    const QCommandLineOption simpleOption(u"simple"_s, u"reads without prepare()"_s);
    const QCommandLineOption writeOption(u"write-percent"_s, u"share of updates"_s, u"p"_s, u"0"_s);
    const QCommandLineOption killOption(u"kill-at"_s, u"failover: kill reader1 at"_s, u"s"_s,
                                        u"3"_s);
    const QCommandLineOption restartOption(u"restart-at"_s, u"failover: restart it at"_s, u"s"_s,
                                           u"8"_s);
    const QCommandLineOption scriptOption(u"cluster-script"_s, u"qpsqlha-testcluster"_s, u"path"_s);
    const QCommandLineOption stateOption(u"state"_s, u"qpsqlha-testcluster state dir"_s, u"dir"_s);
    const QCommandLineOption connectionsOption(u"connections"_s, u"memory: connections"_s, u"n"_s,
                                               u"8"_s);
    const QCommandLineOption haReadersOption(u"ha-readers"_s, u"ha: readers used (1 or 2)"_s,
                                             u"n"_s, u"2"_s);
    const QCommandLineOption haReadersListOption(u"ha-readers-list"_s,
                                                 u"ha: QPSQLHA_READERS as given"_s, u"list"_s);
    const QCommandLineOption haOptionsOption(u"ha-options"_s, u"ha: extra connect options"_s,
                                             u"options"_s);
    const QCommandLineOption cpuacctOption(
        u"cpuacct"_s, u"read: a node's cgroup CPU file (cpuacct.usage or cpu.stat), repeatable"_s,
        u"name=file"_s);
    const QCommandLineOption kindOption(u"kind"_s, u"profile: prepared, simple or rows"_s,
                                        u"kind"_s, u"prepared"_s);
    const QCommandLineOption statementsOption(u"statements"_s, u"profile: statements"_s, u"n"_s,
                                              u"2000"_s);
    parser.addOptions({envOption, targetOption, pgpoolOption, threadsOption, warmupOption,
                       durationOption, simpleOption, writeOption, killOption, restartOption,
                       scriptOption, stateOption, connectionsOption, haReadersOption,
                       haReadersListOption, haOptionsOption, cpuacctOption, kindOption,
                       statementsOption});
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        parser.showHelp(2);
    const QString mode = parser.positionalArguments().constFirst();

    if (mode == "classify"_L1) {
        runClassify(parser.value(durationOption).toDouble());
        return 0;
    }
    if (!parser.isSet(envOption) || !parser.isSet(targetOption))
        fail(u"%1 needs --env and --target"_s.arg(mode));
    Endpoints endpoints
        = readEndpoints(parser.value(envOption), parser.value(pgpoolOption).toInt());
    endpoints.haReaders = qBound(1, parser.value(haReadersOption).toInt(), 2);
    endpoints.haOptions = parser.value(haOptionsOption);
    endpoints.haReadersOverride = parser.value(haReadersListOption);
    const Target target = parseTarget(parser.value(targetOption));
    LoadSpec spec;
    spec.threads = qMax(1, parser.value(threadsOption).toInt());
    spec.warmupSeconds = parser.value(warmupOption).toDouble();
    spec.durationSeconds = parser.value(durationOption).toDouble();
    spec.writePercent = qBound(0, parser.value(writeOption).toInt(), 100);
    spec.simple = parser.isSet(simpleOption);

    if (target == Target::Ha && !endpoints.haOptions.isEmpty())
        skipIfOptionsRejected(endpoints);
    if (mode == "read"_L1) {
        std::vector<NodeCpu> nodeCpu;
        for (const QString &value : parser.values(cpuacctOption)) {
            const qsizetype eq = value.indexOf(u'=');
            if (eq <= 0)
                fail(u"--cpuacct expects NAME=FILE, not '%1'"_s.arg(value));
            nodeCpu.push_back({value.left(eq), value.mid(eq + 1)});
        }
        runRead(endpoints, target, spec, std::move(nodeCpu));
    } else if (mode == "failover"_L1) {
        if (!parser.isSet(scriptOption) || !parser.isSet(stateOption))
            fail(u"failover needs --cluster-script and --state"_s);
        runFailover(endpoints, target, spec, parser.value(killOption).toDouble(),
                    parser.value(restartOption).toDouble(), parser.value(scriptOption),
                    parser.value(stateOption));
    } else if (mode == "memory"_L1) {
        runMemory(endpoints, target, qMax(1, parser.value(connectionsOption).toInt()));
    } else if (mode == "profile"_L1) {
        runProfile(endpoints, target, parser.value(kindOption),
                   qMax(1, parser.value(statementsOption).toInt()));
    } else {
        fail(u"unknown mode '%1'"_s.arg(mode));
    }
    if (abandonedClients) {
        std::fflush(stdout);
        std::_Exit(0);
    }
    return 0;
}
