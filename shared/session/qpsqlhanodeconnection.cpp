// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhanodeconnection_p.h"

#include <qpsqlhamessages_p.h>

#include <QtCore/qmutex.h>
#include <QtCore/qpluginloader.h>
#include <QtSql/qsqldriverplugin.h>

#include <libpq-fe.h>

#include <vector>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

namespace {

// Qt's QPSQL plugin, found the way Qt finds SQL drivers: "sqldrivers/" under each library path.
QSqlDriverPlugin *psqlPlugin(QString *errorMessage)
{
    static QMutex mutex;
    static QPluginLoader *loader = nullptr;
    QMutexLocker locker(&mutex);
    if (!loader)
        loader = new QPluginLoader(u"sqldrivers/qsqlpsql"_s);
    auto *plugin = qobject_cast<QSqlDriverPlugin *>(loader->instance());
    if (!plugin) {
        *errorMessage
            = Messages::tr("QPSQLHA needs Qt's QPSQL driver plugin (Debian: libqt6sql6-psql): ")
            + loader->errorString();
    }
    return plugin;
}

bool hasLibpqOption(const ClusterSettings &cluster, QLatin1StringView keyword)
{
    for (const auto &option : cluster.libpqOptions) {
        if (option.first == keyword)
            return true;
    }
    return false;
}

QString nodeConnectOptions(const NodeSettings &node, const ClusterSettings &cluster)
{
    QString options = cluster.qpsqlConnectOptions();
    auto append = [&options](const QString &option) {
        if (!options.isEmpty())
            options += u';';
        options += option;
    };
    if (!node.sslmode.isEmpty() && !hasLibpqOption(cluster, "sslmode"_L1))
        append(u"sslmode="_s + quoteConninfoValue(node.sslmode));
    // The watchdog bounds statements, not connecting: a hung node still completes the TCP
    // handshake (the kernel does it) and then never answers, so without a connect_timeout
    // libpq would wait for it forever.
    if (cluster.queryTimeoutMs > 0 && !hasLibpqOption(cluster, "connect_timeout"_L1))
        append(u"connect_timeout="_s + QString::number(connectTimeoutSeconds(cluster)));
    return options;
}

} // namespace

QSharedPointer<QSqlDriver> openNodeDriver(const NodeSettings &node, const ClusterSettings &cluster,
                                          QSqlError *error)
{
    QString problem;
    QSqlDriverPlugin *plugin = psqlPlugin(&problem);
    if (!plugin) {
        *error = QSqlError(Messages::tr("QPSQLHA: cannot load QPSQL"), problem,
                           QSqlError::ConnectionError);
        return {};
    }
    QSharedPointer<QSqlDriver> driver(plugin->create(u"QPSQL"_s));
    if (!driver) {
        *error = QSqlError(Messages::tr("QPSQLHA: the QPSQL plugin did not create a driver"),
                           QString(), QSqlError::ConnectionError);
        return {};
    }
    // QPSQL quotes host, database, user and password itself (qQuote), so no value injects
    // another conninfo keyword; the options were validated and quoted by our parser.
    if (!driver->open(node.database, node.user, node.password, node.host, node.port,
                      nodeConnectOptions(node, cluster))) {
        *error = driver->lastError();
        return {};
    }
    return driver;
}

Failure classifyFailure(const QSqlError &error, const QSqlDriver *driver)
{
    if (error.type() == QSqlError::NoError)
        return Failure::None;
    // A node is gone when its connection is, as libpq sees it: never because of what the server
    // said over a working connection. dblink and postgres_fdw report an unreachable remote
    // server as 08001, and that is the caller's error, not ours. A server that really shuts
    // down or terminates the backend (57P01-57P03) also closes the socket, which libpq has
    // seen by the time the statement returns.
    const QString code = error.nativeErrorCode();
    // Replay on a standby cancels a query, or ends its session, that stands in its way: the
    // server is well and the statement can run elsewhere (a broken link is made anew on its
    // next use).
    if (code == "40001"_L1 && error.databaseText().contains("conflict with recovery"_L1))
        return Failure::RecoveryConflict;
    if (!driver || !driver->isOpen() || isConnectionBroken(nativeConnection(driver)))
        return Failure::NodeGone;
    if (code == "25006"_L1)
        return Failure::ReadOnlyNode;
    if (code == "55000"_L1)
        return Failure::NeedsPrimary;
    return Failure::StatementError;
}

int connectTimeoutSeconds(const ClusterSettings &cluster)
{
    // libpq counts whole seconds and treats 1 as 2.
    return qMax(2, (cluster.queryTimeoutMs + 999) / 1000);
}

int nativeSocket(PGconn *connection)
{
    return connection ? PQsocket(connection) : -1;
}

PGconn *nativeConnection(const QSqlDriver *driver)
{
    if (!driver)
        return nullptr;
    // QPSQL registers the metatype under libpq's struct name, "pg_conn*" in Qt 6.4.
    const QVariant handle = driver->handle();
    const char *type = handle.typeName();
    if (!type || (qstrcmp(type, "pg_conn*") != 0 && qstrcmp(type, "PGconn*") != 0))
        return nullptr;
    return *static_cast<PGconn *const *>(handle.constData());
}

bool isConnectionBroken(PGconn *connection)
{
    return !connection || PQstatus(connection) != CONNECTION_OK;
}

bool isInTransaction(PGconn *connection)
{
    if (!connection)
        return false;
    const PGTransactionStatusType status = PQtransactionStatus(connection);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool isTransactionFailed(PGconn *connection)
{
    return connection && PQtransactionStatus(connection) == PQTRANS_INERROR;
}

bool mustWaitForServer(PGconn *connection)
{
    return !connection || PQisBusy(connection) != 0;
}

bool isTransactionBlockOpen(PGconn *connection)
{
    if (!connection)
        return false;
    const PGTransactionStatusType status = PQtransactionStatus(connection);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

const char *reportedSetting(PGconn *connection, const char *name)
{
    return connection ? PQparameterStatus(connection, name) : nullptr;
}

} // namespace QPsqlHa
