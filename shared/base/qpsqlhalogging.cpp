// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhalogging_p.h"

namespace QPsqlHa {

Q_LOGGING_CATEGORY(lcRouting, "qpsqlha.routing", QtWarningMsg)
Q_LOGGING_CATEGORY(lcHealth, "qpsqlha.health", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQueries, "qpsqlha.queries", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStatus, "qpsqlha.status", QtInfoMsg)
Q_LOGGING_CATEGORY(lcControl, "qpsqlha.control", QtWarningMsg)

} // namespace QPsqlHa
