// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAAPI_H
#define QPSQLHAAPI_H

#include <qpsqlhaconfig.h>
#include <qpsqlhaglobal.h>
#include <qpsqlhastatus.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qlist.h>
#include <QtCore/qsharedpointer.h>
#include <QtCore/qstring.h>
#include <QtSql/qsqldatabase.h>

namespace QPsqlHa {

class Cluster;

// Registers one QSqlDatabase connection per replication set, named like the set, using the
// QPSQLHA driver (the plugin must be loadable). With debug on, the status of every node is
// logged every 4 s (category qpsqlha.status). Returns false with *errorMessage set if a set is
// invalid; nothing is registered then.
QPSQLHA_EXPORT bool initDatabases(const DatabaseConfig &config, bool debug = false,
                                  QString *errorMessage = nullptr);

// The connection for `name` in the calling thread, opened. The thread that called
// initDatabases() gets the registered connection; any other thread gets its own clone, created
// on first use and removed when the thread ends, so worker threads need no bookkeeping.
// Returns an invalid QSqlDatabase if `name` was never registered; check isOpen()/lastError().
QPSQLHA_EXPORT QSqlDatabase use(const QString &name);

// Every cluster of this process (a cluster exists from the first open() that names it).
QPSQLHA_EXPORT QList<ClusterStatus> clusters();

// A live handle on one node, like the original connector's UseNode(): its counters and state
// read the shared node state at each call, and setOnline() takes the node out of service for
// every connection of the cluster in this process (statements running on it finish), or back.
class QPSQLHA_EXPORT NodeHandle
{
public:
    NodeHandle();
    bool isValid() const;

    QString host() const;
    int port() const;
    NodeRole role() const;
    NodeState state() const;
    bool isOnline() const;
    quint64 queries() const;
    quint64 errors() const;
    quint64 retries() const;
    QString lastError() const;
    NodeStatus status() const;

    // false: offline by hand (the health checker leaves it alone); true: back in service.
    void setOnline(bool online);

private:
    friend QPSQLHA_EXPORT NodeHandle node(const QString &cluster, const QString &host, int port);
    QSharedPointer<Cluster> m_cluster;
    int m_index = -1;
};

// Nodes on the fly: adds a reader (host:port, IPv6 in brackets; credentials and database are the
// primary's) to, or removes a node from, a cluster for every connection of it in this process,
// without reopening anything. Statements running on a removed node finish; the node taking the
// writes cannot be removed. On failure returns false and sets *errorMessage.
QPSQLHA_EXPORT bool addReader(const QString &cluster, const QString &address,
                              QString *errorMessage = nullptr);
QPSQLHA_EXPORT bool removeNode(const QString &cluster, const QString &address,
                               QString *errorMessage = nullptr);

// The node host:port of a cluster (the replication set's name for initDatabases() clusters,
// QPSQLHA_CLUSTER or the derived name otherwise); invalid if there is none.
QPSQLHA_EXPORT NodeHandle node(const QString &cluster, const QString &host, int port);

} // namespace QPsqlHa

#endif // QPSQLHAAPI_H
