// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef CTLFLEET_H
#define CTLFLEET_H

#include <QtCore/qstringlist.h>

namespace QPsqlHaCtl {

// `qpsqlha-ctl fleet ...`: runs qpsqlha-fleet (next to qpsqlha-ctl, the PostgreSQL side, which
// links libpq so that this tool need not) with the same arguments, forwards what it prints and
// returns its exit status.
int runFleet(const QStringList &arguments);

} // namespace QPsqlHaCtl

#endif // CTLFLEET_H
