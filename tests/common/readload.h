// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_READLOAD_H
#define QPSQLHA_READLOAD_H

#include "threadgroup.h"

#include <QtCore/qatomic.h>
#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>
#include <QtCore/qstring.h>

class QSqlDatabase;

namespace QPsqlHaTest {

// Threads reading through connections of their own, all in one QPSQLHA_CLUSTER on the shared
// test cluster, until told to stop. Each read is counted by the node that served it and timed
// from exec() to its row, so that a test can take a node away underneath and see where the
// reads went, whether any failed and how long the slowest one waited.
class ReadLoad
{
    Q_DISABLE_COPY_MOVE(ReadLoad)
public:
    // How each thread's query fetches its row: held by exec() already, or forward-only, which
    // streams rows (QPSQL's single-row mode) so that fetching the row waits on the node too.
    enum class Fetch { Buffered, ForwardOnly };

    // Returns once every thread has opened its connection and read once (after 30 s at the
    // latest). `connectOptions` go after the cluster's own in each connection's connect options.
    ReadLoad(const QString &clusterName, int threads, const QString &connectOptions,
             Fetch fetch = Fetch::Buffered);
    ~ReadLoad();

    // Stops the threads and waits for them; their connections are closed and removed.
    void stop();

    int ok() const { return m_ok.loadRelaxed(); }
    int failed() const { return m_failed.loadRelaxed(); }
    // The slowest read in milliseconds. The first read of each thread opens the connections to
    // the readers and is not timed.
    qint64 worstMs() const { return m_worstMs.loadRelaxed(); }
    QString firstError() const;
    // Reads served by `port` since the last call.
    int takeServedBy(int port);

private:
    void run(int index);
    void readUntilStopped(const QSqlDatabase &db);
    void record(int port, const QString &error);
    void recordLatency(qint64 elapsedMs);

    const QString m_clusterName;
    const QString m_connectOptions;
    const Fetch m_fetch;
    ThreadGroup m_threads;
    QAtomicInt m_stop;
    QAtomicInt m_ready;
    QAtomicInt m_ok;
    QAtomicInt m_failed;
    QAtomicInteger<qint64> m_worstMs {0};
    mutable QMutex m_mutex;
    QHash<int, int> m_servedByPort;
    QString m_firstError;
};

} // namespace QPsqlHaTest

#endif // QPSQLHA_READLOAD_H
