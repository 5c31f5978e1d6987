// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_HAHELPERS_H
#define QPSQLHA_HAHELPERS_H

#include "testcluster.h"

#include <qpsqlhaapi.h>

#include <QtCore/qatomic.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace QPsqlHaTest {

// A cluster name of its own for each test case, so that node state and counters of one case
// never leak into the next (clusters live as long as the process).
inline QString uniqueClusterName(const char *prefix)
{
    static QAtomicInt counter;
    return QStringLiteral("%1-%2")
        .arg(QLatin1StringView(prefix))
        .arg(counter.fetchAndAddRelaxed(1));
}

// A QPSQLHA connection to the test cluster: primary plus both readers unless `readers` says
// otherwise. Not opened: tests call open() and look at the result.
inline QSqlDatabase haDatabaseOn(const TestCluster &cluster, const QString &connectionName,
                                 const QString &clusterName,
                                 const QString &extraOptions = QString(),
                                 const QString &readers = QString())
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQLHA"), connectionName);
    db.setHostName(cluster.host());
    db.setPort(cluster.port(Node::Primary));
    db.setDatabaseName(cluster.database());
    db.setUserName(cluster.user());
    db.setPassword(cluster.password());
    QString options = QStringLiteral("QPSQLHA_READERS=%1;QPSQLHA_CLUSTER=%2;connect_timeout=3")
                          .arg(readers.isNull() ? cluster.readersOption() : readers, clusterName);
    if (!extraOptions.isEmpty())
        options += u';' + extraOptions;
    db.setConnectOptions(options);
    return db;
}

// The same on the shared test cluster.
inline QSqlDatabase haDatabase(const QString &connectionName, const QString &clusterName,
                               const QString &extraOptions = QString(),
                               const QString &readers = TestCluster::instance().readersOption())
{
    return haDatabaseOn(TestCluster::instance(), connectionName, clusterName, extraOptions,
                        readers);
}

inline QPsqlHa::NodeHandle nodeHandleOn(const TestCluster &cluster, const QString &clusterName,
                                        Node node)
{
    return QPsqlHa::node(clusterName, cluster.host(), cluster.port(node));
}

// The port of the server that ran `SELECT inet_server_port()`: which node served a read.
inline int servedBy(QSqlQuery &query,
                    const QString &sql = QStringLiteral("SELECT inet_server_port()"))
{
    if (!query.exec(sql) || !query.next())
        return -1;
    return query.value(0).toInt();
}

inline QPsqlHa::NodeHandle nodeHandle(const QString &clusterName, Node node)
{
    const TestCluster &cluster = TestCluster::instance();
    return QPsqlHa::node(clusterName, cluster.host(), cluster.port(node));
}

// Polls `condition` until it holds or `timeoutMs` passes; returns the elapsed milliseconds, or
// -1 on timeout.
template<typename Condition> qint64 waitUntil(Condition condition, int timeoutMs, int stepMs = 10)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return -1;
        QThread::msleep(stepMs);
    }
    return timer.elapsed();
}

// Removes a connection after the last handle on it is gone.
inline void dropDatabase(const QString &connectionName)
{
    {
        QSqlDatabase db = QSqlDatabase::database(connectionName, false);
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
}

// A loopback TCP port nothing listens on (the kernel just handed it out and took it back).
inline int unusedPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

} // namespace QPsqlHaTest

#endif // QPSQLHA_HAHELPERS_H
