// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "readload.h"

#include "hahelpers.h"

#include <QtCore/qelapsedtimer.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <utility>

using namespace Qt::StringLiterals;

namespace QPsqlHaTest {

namespace {

const QString ReadStatement = u"SELECT inet_server_port() FROM pg_sleep(0.001)"_s;
constexpr int StartTimeoutMs = 30000;

} // namespace

ReadLoad::ReadLoad(const QString &clusterName, int threads, const QString &connectOptions,
                   Fetch fetch)
    : m_clusterName(clusterName)
    , m_connectOptions(connectOptions)
    , m_fetch(fetch)
{
    for (int i = 0; i < threads; ++i)
        m_threads.add([this, i] { run(i); });
    m_threads.start();
    waitUntil([this] { return m_ready.loadRelaxed() == m_threads.size(); }, StartTimeoutMs);
}

ReadLoad::~ReadLoad()
{
    stop();
}

void ReadLoad::stop()
{
    m_stop.storeRelaxed(1);
    m_threads.join();
}

QString ReadLoad::firstError() const
{
    QMutexLocker locker(&m_mutex);
    return m_firstError;
}

int ReadLoad::takeServedBy(int port)
{
    QMutexLocker locker(&m_mutex);
    return std::exchange(m_servedByPort[port], 0);
}

void ReadLoad::run(int index)
{
    const QString connectionName = u"read-load-%1"_s.arg(index);
    {
        QSqlDatabase db = haDatabase(connectionName, m_clusterName, m_connectOptions);
        if (db.open()) {
            readUntilStopped(db);
        } else {
            record(-1, db.lastError().text());
            m_ready.ref();
        }
    }
    QSqlDatabase::removeDatabase(connectionName);
}

void ReadLoad::readUntilStopped(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    query.setForwardOnly(m_fetch == Fetch::ForwardOnly);
    // The first read opens the connections to the readers: counted, but not timed.
    record(servedBy(query, ReadStatement), query.lastError().text());
    m_ready.ref();
    QElapsedTimer timer;
    while (!m_stop.loadRelaxed()) {
        timer.start();
        const int port = servedBy(query, ReadStatement);
        recordLatency(timer.elapsed());
        record(port, query.lastError().text());
    }
}

void ReadLoad::record(int port, const QString &error)
{
    if (port > 0) {
        m_ok.ref();
        QMutexLocker locker(&m_mutex);
        ++m_servedByPort[port];
        return;
    }
    m_failed.ref();
    QMutexLocker locker(&m_mutex);
    if (m_firstError.isEmpty())
        m_firstError = error;
}

void ReadLoad::recordLatency(qint64 elapsedMs)
{
    for (qint64 worst = m_worstMs.loadRelaxed(); elapsedMs > worst;) {
        if (m_worstMs.testAndSetRelaxed(worst, elapsedMs, worst))
            break;
    }
}

} // namespace QPsqlHaTest
