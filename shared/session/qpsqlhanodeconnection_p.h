// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHANODECONNECTION_P_H
#define QPSQLHANODECONNECTION_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhaconnectoptions_p.h"

#include <QtCore/qsharedpointer.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>

typedef struct pg_conn PGconn;

namespace QPsqlHa {

// What a failed statement or connection attempt says about the node it ran on.
enum class Failure : quint8 {
    None,
    NodeGone, // the connection is lost (libpq says so, or there is none): mark offline, move on
    ReadOnlyNode, // 25006: a write reached a standby; run it on the primary
    // 55000 (object_not_in_prerequisite_state): what a standby answers to what only a primary
    // can do (WAL control such as pg_switch_wal(), "recovery is in progress") and to the
    // session's sequence state (currval() after a nextval() that ran on the primary). A read
    // refused so runs on the primary; on the primary it is the caller's error.
    NeedsPrimary,
    RecoveryConflict, // 40001 on a standby: the statement was cancelled by replay; run elsewhere
    StatementError, // the caller's SQL (syntax, constraint, ...): returned as is
};

// Opens Qt's own QPSQL driver to one node, so that values, types and errors are exactly QPSQL's.
// Each node connection is a separate driver instance because QPSQL cannot reconnect one.
QPSQLHA_EXPORT QSharedPointer<QSqlDriver>
openNodeDriver(const NodeSettings &node, const ClusterSettings &cluster, QSqlError *error);

QPSQLHA_EXPORT Failure classifyFailure(const QSqlError &error, const QSqlDriver *driver);

// The libpq connection behind a QPSQL driver (null if it has none). Stable for the driver's life,
// so the session looks it up once per connection, not per statement.
QPSQLHA_EXPORT PGconn *nativeConnection(const QSqlDriver *driver);
// The connection's socket (libpq's PQsocket), -1 if it has none.
QPSQLHA_EXPORT int nativeSocket(PGconn *connection);
// The connect_timeout node connections get when the options name none and the query timeout
// is on: the query timeout in whole seconds, at least 2.
QPSQLHA_EXPORT int connectTimeoutSeconds(const ClusterSettings &cluster);
// Whether a server connection is gone (no round trip: libpq's own state).
QPSQLHA_EXPORT bool isConnectionBroken(PGconn *connection);
// Whether the connection is inside a transaction block (libpq's PQtransactionStatus).
QPSQLHA_EXPORT bool isInTransaction(PGconn *connection);
// Whether that transaction failed, so that its COMMIT will roll it back.
QPSQLHA_EXPORT bool isTransactionFailed(PGconn *connection);
// Whether a transaction block is open or failed on the connection (not: a command is running).
QPSQLHA_EXPORT bool isTransactionBlockOpen(PGconn *connection);
// Whether the next result (a streamed row) is not yet in libpq's buffer, so that getting it
// waits for the server (PQisBusy(); parsing what arrived is work the next call skips).
QPSQLHA_EXPORT bool mustWaitForServer(PGconn *connection);
// The server's value of a reported setting (standard_conforming_strings, in_hot_standby, ...),
// or null if the server did not report it.
QPSQLHA_EXPORT const char *reportedSetting(PGconn *connection, const char *name);

} // namespace QPsqlHa

#endif // QPSQLHANODECONNECTION_P_H
