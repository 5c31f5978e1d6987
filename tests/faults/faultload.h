// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_FAULTLOAD_H
#define QPSQLHA_FAULTLOAD_H

#include <testcluster.h>
#include <threadgroup.h>

#include <QtCore/qatomic.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qmap.h>
#include <QtCore/qmutex.h>
#include <QtCore/qstringlist.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>

class QSqlQuery;

namespace QPsqlHaTest {

// One statement that failed under load, as the application saw it.
struct FaultFailure
{
    QString stage; // "open", "read", "insert", "begin", "insert in transaction", "commit"
    QList<qint64> ids; // writes: the ids the failed statement (or transaction) carried
    QString error; // QSqlError::text()
    QSqlError::ErrorType type = QSqlError::NoError;
    QString cause; // causeOf(error)
    qint64 atMs = 0; // since the load started
    // The statement reached the server before the connection broke, so it may have been applied;
    // a present id is then an "unknown outcome", not a half-applied write.
    bool mayBeApplied = false;
};

// A short name for why a statement failed, for the totals: "primary unreachable" (the
// connection broke while the statement ran), "primary offline" (never sent), "transaction lost",
// "no node", "timeout", "connection" (any other ConnectionError) or "statement".
QString causeOf(const QSqlError &error);

struct FaultLoadOptions
{
    // Names the connections' application_name (qpsqlha-faults-<case>) and the rows it writes.
    QString caseName;
    // The shared fixture cluster unless a case brings its own (TestCluster::startPrivate()).
    const TestCluster *cluster = nullptr;
    // Where every acknowledged write must be found afterwards.
    Node writeNode = Node::Primary;
    int readers = 4;
    bool writer = true;
    // Appended to the connect options of every connection of the load.
    QString extraOptions;
    // Pauses that leave the 2-core test machine some air for the servers and the test itself.
    int readPauseMs = 2;
    int writePauseMs = 5;
    int failurePauseMs = 20;
};

// The load every fault case runs under: reader threads, each with its own QPSQLHA connection,
// reading continuously, and a writer inserting rows with unique ids into fault_writes and
// recording which ids it was told succeeded. Afterwards checkWrites() compares that record with
// what the write node holds, and waitForNoSessions() looks for server connections left behind.
//
// All connections of a load share one QPSQLHA_CLUSTER name and the same options, so that other
// threads of a case can open more connections of the same cluster with addDatabase().
class FaultLoad
{
    Q_DISABLE_COPY_MOVE(FaultLoad)
public:
    explicit FaultLoad(const FaultLoadOptions &options);
    ~FaultLoad();

    // Creates fault_writes on `node` if needed and removes the rows of `caseName`.
    static bool prepareTable(const TestCluster &cluster, Node node, const QString &caseName,
                             QString *error);

    // Starts the threads and returns once each has opened its connection and run its first
    // statement (or failed to open). False with *error if a thread could not open at all.
    bool start(QString *error);
    // Stops and joins the threads; their connections are closed and removed. Idempotent.
    void stop();

    const TestCluster &cluster() const { return *m_cluster; }
    QString caseName() const { return m_options.caseName; }
    QString clusterName() const { return m_clusterName; }
    QString applicationName() const;
    QString connectOptions() const { return m_connectOptions; }
    // A QPSQLHA connection of this load's cluster, options and application_name; not opened.
    QSqlDatabase addDatabase(const QString &connectionName) const;
    // A connection name no other thread of the process uses.
    QString uniqueConnectionName(const QString &what);
    // Milliseconds since start().
    qint64 elapsedMs() const { return m_clock.elapsed(); }

    // Write bookkeeping, also for a case's own threads (thread-safe).
    qint64 nextId() { return m_nextId.fetchAndAddRelaxed(1); }
    // A failure as recorded: `mayCommit` says the statement could have committed (an insert
    // outside a transaction, or COMMIT), so that a lost connection leaves its outcome unknown.
    static FaultFailure describe(const char *stage, const QList<qint64> &ids,
                                 const QSqlError &error, bool mayCommit = false);
    QString insertSql(qint64 id) const;
    void acknowledge(const QList<qint64> &ids);
    void recordWriteFailure(FaultFailure failure);
    void recordRead(int port, qint64 latencyMs);
    void recordReadFailure(FaultFailure failure);

    qint64 reads() const { return m_reads.loadRelaxed(); }
    qint64 acknowledged() const;
    // Acknowledged writes whose acknowledgement came at or after `ms` (elapsedMs() clock).
    qint64 acknowledgedSince(qint64 ms) const;
    // When the first write acknowledged at or after `ms` was acknowledged; -1 if none was.
    qint64 firstAcknowledgedSince(qint64 ms) const;
    QList<FaultFailure> readFailures() const;
    QList<FaultFailure> writeFailures() const;
    // Reads served by `port` since the last call.
    int takeServedBy(int port);
    qint64 maxReadLatencyMs() const { return m_maxReadLatency.loadRelaxed(); }
    // The writer's longest write (or transaction), whether it succeeded or failed.
    qint64 maxWriteLatencyMs() const { return m_maxWriteLatency.loadRelaxed(); }

    struct WriteCheck
    {
        qint64 acknowledged = 0;
        qint64 present = 0; // rows of this case on the write node
        qint64 lost = 0; // acknowledged but missing: always a failure
        qint64 unknownOutcome = 0; // failed as "unreachable" while running, yet applied
        qint64 halfApplied = 0; // failed before it could run, or rolled back, yet present
        qint64 unexplained = 0; // present but never attempted
        QStringList problems; // empty if the record and the write node agree
    };
    // Call after stop(): what the write node holds against what the writer was told.
    WriteCheck checkWrites() const;

    // "reads 1234 (failed 0), writes acknowledged 456 (write failures 12: primary offline 11,
    // primary unreachable 1), unknown outcome 0, lost 0, half-applied 0, worst read 9 ms, ..."
    QString summary(const WriteCheck &check) const;

private:
    void readerLoop(int index);
    void writerLoop();
    bool writeOnce(QSqlDatabase &db, QSqlQuery &query, bool inTransaction);
    void markReady() { m_ready.ref(); }
    static void noteMaximum(QAtomicInteger<qint64> &maximum, qint64 value);

    const FaultLoadOptions m_options;
    const TestCluster *m_cluster;
    QString m_clusterName;
    QString m_connectOptions;
    QElapsedTimer m_clock;
    ThreadGroup m_threads;
    QAtomicInt m_stop;
    QAtomicInt m_ready;
    QAtomicInteger<qint64> m_nextId {1};
    QAtomicInteger<qint64> m_reads {0};
    QAtomicInteger<qint64> m_maxReadLatency {0};
    QAtomicInteger<qint64> m_maxWriteLatency {0};

    mutable QMutex m_mutex;
    QList<qint64> m_acknowledged;
    QList<qint64> m_acknowledgedAt; // parallel to m_acknowledged
    QList<FaultFailure> m_readFailures;
    QList<FaultFailure> m_writeFailures;
    QHash<int, int> m_servedBy;
    bool m_stopped = true;
};

// Counts the server connections whose application_name is `applicationName` on every running
// node of `cluster` until none is left or `timeoutMs` passes. Returns an empty string when none
// is left, otherwise which node still has how many.
QString waitForNoSessions(const TestCluster &cluster, const QString &applicationName,
                          int timeoutMs = 5000);

// "failed 3: primary offline 2, timeout 1" style totals of failures by cause.
QString failureTotals(const QList<FaultFailure> &failures);

} // namespace QPsqlHaTest

#endif // QPSQLHA_FAULTLOAD_H
