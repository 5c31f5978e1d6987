// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "faultload.h"

#include <hahelpers.h>

#include <QtCore/qset.h>
#include <QtCore/qthread.h>
#include <QtSql/qsqlquery.h>

#include <algorithm>

namespace QPsqlHaTest {

using namespace Qt::StringLiterals;

namespace {

constexpr int HealthIntervalMs = 200;
constexpr int StartTimeoutMs = 30000;
constexpr int ProblemsListed = 20;

// What every reader thread runs: light, and it says which node answered.
const QString ReadSql = u"SELECT inet_server_port()"_s;

QAtomicInt connectionSerial; // connection names are process-wide

void addProblem(QStringList *problems, qint64 *counter, const QString &text)
{
    ++*counter;
    if (problems->size() < ProblemsListed)
        problems->append(text);
}

} // namespace

QString causeOf(const QSqlError &error)
{
    const QString text = error.text();
    if (text.contains("transaction was lost"_L1))
        return u"transaction lost"_s;
    if (text.contains(" is unreachable"_L1))
        return u"primary unreachable"_s;
    if (text.contains(" is offline"_L1))
        return text.contains("primary"_L1) ? u"primary offline"_s : u"node offline"_s;
    if (text.contains("no node of cluster"_L1))
        return u"no node"_s;
    if (text.contains("timeout"_L1, Qt::CaseInsensitive)
        || text.contains("timed out"_L1, Qt::CaseInsensitive))
        return u"timeout"_s;
    if (error.type() == QSqlError::ConnectionError)
        return u"connection"_s;
    if (error.type() == QSqlError::NoError)
        return u"no error reported"_s;
    return u"statement"_s;
}

QString failureTotals(const QList<FaultFailure> &failures)
{
    if (failures.isEmpty())
        return u"0"_s;
    QMap<QString, int> byCause;
    for (const FaultFailure &failure : failures)
        ++byCause[failure.cause];
    QStringList parts;
    for (auto it = byCause.cbegin(); it != byCause.cend(); ++it)
        parts.append(u"%1 %2"_s.arg(it.key()).arg(it.value()));
    return u"%1: %2"_s.arg(failures.size()).arg(parts.join(u", "_s));
}

FaultLoad::FaultLoad(const FaultLoadOptions &options)
    : m_options(options)
    , m_cluster(options.cluster ? options.cluster : &TestCluster::instance())
{
    m_clusterName = uniqueClusterName(qPrintable(u"faults-"_s + options.caseName));
    m_connectOptions = u"QPSQLHA_HEALTH_INTERVAL=%1;QPSQLHA_READER_AFFINITY=statement;"
                       "application_name=%2"_s.arg(HealthIntervalMs)
                           .arg(applicationName());
    if (!options.extraOptions.isEmpty())
        m_connectOptions += u';' + options.extraOptions;
}

FaultLoad::~FaultLoad()
{
    stop();
}

QString FaultLoad::applicationName() const
{
    return u"qpsqlha-faults-"_s + m_options.caseName;
}

bool FaultLoad::prepareTable(const TestCluster &cluster, Node node, const QString &caseName,
                             QString *error)
{
    return cluster.execOn(node,
                          u"CREATE TABLE IF NOT EXISTS fault_writes (run text NOT NULL, "
                          "id bigint NOT NULL, PRIMARY KEY (run, id)); "
                          "DELETE FROM fault_writes WHERE run = '%1'"_s.arg(caseName),
                          error);
}

QSqlDatabase FaultLoad::addDatabase(const QString &connectionName) const
{
    return haDatabaseOn(*m_cluster, connectionName, m_clusterName, m_connectOptions);
}

QString FaultLoad::uniqueConnectionName(const QString &what)
{
    return u"faults-%1-%2-%3"_s.arg(m_options.caseName, what)
        .arg(connectionSerial.fetchAndAddRelaxed(1));
}

QString FaultLoad::insertSql(qint64 id) const
{
    // Plain text, not prepared: the same statement whatever node state it meets.
    return u"INSERT INTO fault_writes (run, id) VALUES ('%1', %2)"_s.arg(m_options.caseName)
        .arg(id);
}

bool FaultLoad::start(QString *error)
{
    m_stop.storeRelaxed(0);
    m_ready.storeRelaxed(0);
    m_stopped = false;
    m_clock.start();
    for (int i = 0; i < m_options.readers; ++i)
        m_threads.add([this, i] { readerLoop(i); });
    if (m_options.writer)
        m_threads.add([this] { writerLoop(); });
    m_threads.start();

    const int threads = m_threads.size();
    if (waitUntil([&] { return m_ready.loadRelaxed() == threads; }, StartTimeoutMs) < 0) {
        *error = u"only %1 of %2 load threads got going within %3 ms"_s.arg(m_ready.loadRelaxed())
                     .arg(threads)
                     .arg(StartTimeoutMs);
        return false;
    }
    QMutexLocker locker(&m_mutex);
    for (const QList<FaultFailure> *failures : {&m_readFailures, &m_writeFailures}) {
        for (const FaultFailure &failure : *failures) {
            if (failure.stage == "open"_L1) {
                *error = u"a load thread could not open its connection: "_s + failure.error;
                return false;
            }
        }
    }
    return true;
}

void FaultLoad::stop()
{
    if (m_stopped)
        return;
    m_stop.storeRelaxed(1);
    m_threads.join();
    m_stopped = true;
}

void FaultLoad::readerLoop(int index)
{
    const QString name = uniqueConnectionName(u"reader%1"_s.arg(index));
    {
        QSqlDatabase db = addDatabase(name);
        if (!db.open()) {
            recordReadFailure(describe("open", {}, db.lastError()));
            markReady();
        } else {
            QSqlQuery query(db);
            bool first = true;
            QElapsedTimer timer;
            while (!m_stop.loadRelaxed()) {
                timer.start();
                const bool ok = query.exec(ReadSql) && query.next();
                const qint64 latency = timer.elapsed();
                if (ok) {
                    recordRead(query.value(0).toInt(), latency);
                } else {
                    recordReadFailure(describe("read", {}, query.lastError()));
                    noteMaximum(m_maxReadLatency, latency);
                }
                if (first)
                    markReady();
                first = false;
                if (m_options.readPauseMs > 0)
                    QThread::msleep(ulong(m_options.readPauseMs));
            }
        }
    }
    dropDatabase(name);
}

void FaultLoad::writerLoop()
{
    const QString name = uniqueConnectionName(u"writer"_s);
    {
        QSqlDatabase db = addDatabase(name);
        if (!db.open()) {
            recordWriteFailure(describe("open", {}, db.lastError()));
            markReady();
        } else {
            QSqlQuery query(db);
            bool first = true;
            for (int n = 1; !m_stop.loadRelaxed(); ++n) {
                // Every fifth write is a transaction of two rows: COMMIT is then what succeeds
                // or fails, and a transaction cut in half must leave nothing behind.
                QElapsedTimer timer;
                timer.start();
                const bool ok = writeOnce(db, query, n % 5 == 0);
                noteMaximum(m_maxWriteLatency, timer.elapsed());
                if (first)
                    markReady();
                first = false;
                const int pause = ok ? m_options.writePauseMs : m_options.failurePauseMs;
                if (pause > 0)
                    QThread::msleep(ulong(pause));
            }
        }
    }
    dropDatabase(name);
}

bool FaultLoad::writeOnce(QSqlDatabase &db, QSqlQuery &query, bool inTransaction)
{
    const auto fail = [this](const char *stage, const QList<qint64> &ids, const QSqlError &error,
                             bool mayCommit) {
        recordWriteFailure(describe(stage, ids, error, mayCommit));
        return false;
    };

    if (!inTransaction) {
        const qint64 id = nextId();
        if (!query.exec(insertSql(id)))
            return fail("insert", {id}, query.lastError(), true);
        acknowledge({id});
        return true;
    }

    const QList<qint64> ids {nextId(), nextId()};
    if (!db.transaction())
        return fail("begin", ids, db.lastError(), false);
    for (qint64 id : ids) {
        if (!query.exec(insertSql(id))) {
            fail("insert in transaction", ids, query.lastError(), false);
            db.rollback();
            return false;
        }
    }
    if (!db.commit())
        return fail("commit", ids, db.lastError(), true);
    acknowledge(ids);
    return true;
}

FaultFailure FaultLoad::describe(const char *stage, const QList<qint64> &ids,
                                 const QSqlError &error, bool mayCommit)
{
    FaultFailure failure;
    failure.stage = QString::fromLatin1(stage);
    failure.ids = ids;
    failure.error = error.text();
    failure.type = error.type();
    failure.cause = causeOf(error);
    // Only a statement that could commit and lost its connection while running (or was given
    // up on a hung primary after QPSQLHA_QUERY_TIMEOUT: it still runs once the node wakes) may
    // have been applied; one refused before it was sent, or rolled back, must leave nothing.
    failure.mayBeApplied
        = mayCommit && (failure.cause == "primary unreachable"_L1 || failure.cause == "timeout"_L1);
    return failure;
}

void FaultLoad::acknowledge(const QList<qint64> &ids)
{
    const qint64 at = elapsedMs();
    QMutexLocker locker(&m_mutex);
    for (qint64 id : ids) {
        m_acknowledged.append(id);
        m_acknowledgedAt.append(at);
    }
}

void FaultLoad::recordWriteFailure(FaultFailure failure)
{
    if (failure.atMs == 0)
        failure.atMs = elapsedMs();
    QMutexLocker locker(&m_mutex);
    m_writeFailures.append(std::move(failure));
}

void FaultLoad::recordRead(int port, qint64 latencyMs)
{
    m_reads.fetchAndAddRelaxed(1);
    noteMaximum(m_maxReadLatency, latencyMs);
    QMutexLocker locker(&m_mutex);
    ++m_servedBy[port];
}

void FaultLoad::noteMaximum(QAtomicInteger<qint64> &maximum, qint64 value)
{
    // Retried until ours is in or a larger one got there first.
    qint64 seen = maximum.loadRelaxed();
    while (value > seen && !maximum.testAndSetRelaxed(seen, value, seen)) { }
}

void FaultLoad::recordReadFailure(FaultFailure failure)
{
    if (failure.atMs == 0)
        failure.atMs = elapsedMs();
    QMutexLocker locker(&m_mutex);
    m_readFailures.append(std::move(failure));
}

qint64 FaultLoad::acknowledged() const
{
    QMutexLocker locker(&m_mutex);
    return m_acknowledged.size();
}

qint64 FaultLoad::acknowledgedSince(qint64 ms) const
{
    QMutexLocker locker(&m_mutex);
    return std::count_if(m_acknowledgedAt.cbegin(), m_acknowledgedAt.cend(),
                         [ms](qint64 at) { return at >= ms; });
}

qint64 FaultLoad::firstAcknowledgedSince(qint64 ms) const
{
    QMutexLocker locker(&m_mutex);
    // Acknowledgements are appended in time order per thread, not across threads.
    qint64 first = -1;
    for (qint64 at : m_acknowledgedAt) {
        if (at >= ms && (first < 0 || at < first))
            first = at;
    }
    return first;
}

QList<FaultFailure> FaultLoad::readFailures() const
{
    QMutexLocker locker(&m_mutex);
    return m_readFailures;
}

QList<FaultFailure> FaultLoad::writeFailures() const
{
    QMutexLocker locker(&m_mutex);
    return m_writeFailures;
}

int FaultLoad::takeServedBy(int port)
{
    QMutexLocker locker(&m_mutex);
    return std::exchange(m_servedBy[port], 0);
}

FaultLoad::WriteCheck FaultLoad::checkWrites() const
{
    WriteCheck check;
    QString error;
    const QString list = m_cluster->queryValue(
        m_options.writeNode,
        u"SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM fault_writes "
        "WHERE run = '%1'"_s.arg(m_options.caseName),
        &error);
    if (list.isNull()) {
        check.problems.append(u"cannot read the writes back from %1: %2"_s.arg(
            TestCluster::nodeName(m_options.writeNode), error));
        return check;
    }
    QSet<qint64> present;
    for (QStringView id : QStringView(list).split(u',', Qt::SkipEmptyParts))
        present.insert(id.toLongLong());
    check.present = present.size();

    QMutexLocker locker(&m_mutex);
    check.acknowledged = m_acknowledged.size();
    QSet<qint64> attempted;
    for (qint64 id : std::as_const(m_acknowledged)) {
        attempted.insert(id);
        if (!present.contains(id)) {
            addProblem(&check.problems, &check.lost,
                       u"acknowledged write %1 is not on %2"_s.arg(id).arg(
                           TestCluster::nodeName(m_options.writeNode)));
        }
    }
    for (const FaultFailure &failure : std::as_const(m_writeFailures)) {
        for (qint64 id : failure.ids) {
            attempted.insert(id);
            if (!present.contains(id))
                continue;
            if (failure.mayBeApplied) {
                ++check.unknownOutcome;
                continue;
            }
            addProblem(
                &check.problems, &check.halfApplied,
                u"write %1 is present although its %2 failed before it could apply: %3"_s.arg(id)
                    .arg(failure.stage, failure.error.simplified()));
        }
    }
    for (qint64 id : std::as_const(present)) {
        if (!attempted.contains(id)) {
            addProblem(&check.problems, &check.unexplained,
                       u"write %1 is present but was never attempted"_s.arg(id));
        }
    }
    const qint64 total = check.lost + check.halfApplied + check.unexplained;
    if (total > check.problems.size())
        check.problems.append(u"... and %1 more"_s.arg(total - check.problems.size()));
    return check;
}

QString FaultLoad::summary(const WriteCheck &check) const
{
    return u"reads %1 (failed %2), writes acknowledged %3 (write failures %4), unknown outcome "
           "%5, lost %6, half-applied %7, worst read %8 ms, worst write %9 ms"_s.arg(reads())
               .arg(failureTotals(readFailures()))
               .arg(check.acknowledged)
               .arg(failureTotals(writeFailures()))
               .arg(check.unknownOutcome)
               .arg(check.lost)
               .arg(check.halfApplied)
               .arg(maxReadLatencyMs())
               .arg(maxWriteLatencyMs());
}

QString waitForNoSessions(const TestCluster &cluster, const QString &applicationName, int timeoutMs)
{
    const QString sql
        = u"SELECT count(*) FROM pg_stat_activity WHERE application_name = '%1'"_s.arg(
            applicationName);
    QElapsedTimer timer;
    timer.start();
    forever {
        QStringList left;
        for (Node node : {Node::Primary, Node::Reader1, Node::Reader2}) {
            // A stopped node has no sessions left; the cases never leave one frozen.
            if (!cluster.isRunning(node))
                continue;
            QString error;
            const QString count = cluster.queryValue(node, sql, &error);
            if (count.isNull())
                left.append(u"%1: %2"_s.arg(TestCluster::nodeName(node), error));
            else if (count != "0"_L1)
                left.append(u"%1: %2"_s.arg(TestCluster::nodeName(node), count));
        }
        if (left.isEmpty())
            return QString();
        if (timer.elapsed() > timeoutMs) {
            return u"server connections of %1 still open after %2 ms: %3"_s.arg(applicationName)
                .arg(timer.elapsed())
                .arg(left.join(u", "_s));
        }
        QThread::msleep(100);
    }
}

} // namespace QPsqlHaTest
