// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHANODECALL_P_H
#define QPSQLHANODECALL_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlharetrydecision_p.h"

#include <QtSql/qsqlerror.h>

QT_BEGIN_NAMESPACE
class QSqlDriver;
QT_END_NAMESPACE

namespace QPsqlHa {

class Session;

// One blocking call on a node's connection: anything that may wait for the server (executing,
// preparing, a streamed row, finishing a result, a transaction command, a catalog question, a
// round trip of our own). No such call is made outside one.
//
// Construction arms the session's watchdog slot with QPSQLHA_QUERY_TIMEOUT: past it the watchdog
// shuts the connection's socket down, so libpq's wait ends as if the node had vanished. finish()
// ends the call in one place: it settles a cut-off (the node is failed for everybody, the error
// says it timed out), classifies a failure, counts it on the node and marks the node failed when
// its connection is gone, and returns the outcome for nextStep(). A call left without finish()
// (an early return) is settled by the destructor.
//
// `driver` must be the session's current connection to `node`; any other is not watched. With a
// query timeout, the call costs a clock read and a few atomic operations; without, a branch.
class QPSQLHA_EXPORT NodeCall
{
    Q_DISABLE_COPY_MOVE(NodeCall)
public:
    inline NodeCall(Session *session, int node, const QSqlDriver *driver) noexcept;
    ~NodeCall()
    {
        if (!m_finished)
            finish();
    }

    // The call returned `ok`; on failure *error is what it left (the driver's or query's
    // lastError()). On a cut-off, *error becomes the timeout's ConnectionError.
    inline CallOutcome finish(bool ok, QSqlError *error);
    // For calls whose failure the caller learns otherwise (record(), lastInsertId(), finishing
    // a result): settles a cut-off; returns whether the watchdog cut the call off.
    inline bool finish();

private:
    CallOutcome finishSlow(bool ok, QSqlError *error);

    Session *m_session;
    const QSqlDriver *m_driver;
    int m_node;
    bool m_armed = false;
    bool m_finished = false;
};

} // namespace QPsqlHa

// The inline members (the statement path's cost: a branch without a query timeout, a clock read
// and a few atomic operations with one) follow Session's definition in qpsqlhasession_p.h.

#endif // QPSQLHANODECALL_P_H
