// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHALOGGING_P_H
#define QPSQLHALOGGING_P_H

#include <qpsqlhaglobal.h>

#include <QtCore/qloggingcategory.h>

namespace QPsqlHa {

// Routing decisions and node failures seen by statements (debug off by default).
QPSQLHA_EXPORT Q_DECLARE_LOGGING_CATEGORY(lcRouting)
// Health checker: probes, nodes coming back (debug off by default).
QPSQLHA_EXPORT Q_DECLARE_LOGGING_CATEGORY(lcHealth)
// QPSQLHA_LOG_QUERIES=1: each statement with the node that ran it (info).
QPSQLHA_EXPORT Q_DECLARE_LOGGING_CATEGORY(lcQueries)
// QPSQLHA_DEBUG=1: the status of every node every 4 s (info).
QPSQLHA_EXPORT Q_DECLARE_LOGGING_CATEGORY(lcStatus)
// The control channel: where it listens, clients refused (info).
QPSQLHA_EXPORT Q_DECLARE_LOGGING_CATEGORY(lcControl)

} // namespace QPsqlHa

#endif // QPSQLHALOGGING_P_H
