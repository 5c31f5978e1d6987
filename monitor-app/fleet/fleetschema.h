// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef FLEETSCHEMA_H
#define FLEETSCHEMA_H

#include <QtCore/qstringlist.h>

// The fleet schema (docs/fleet.md): its tables, triggers, heartbeat function, roles and grants.
namespace QPsqlHaFleet {

// Raised with every change to the schema; `init` brings any older one up to it in place.
constexpr int SchemaVersion = 1;

// "name" as an SQL identifier.
QString quoted(const QString &identifier);
// The LISTEN/NOTIFY channel of a schema's admin-state changes.
QString channelOf(const QString &schema);
// What `init` runs, in order, in one transaction; idempotent.
QStringList initStatements(const QString &schema);

} // namespace QPsqlHaFleet

#endif // FLEETSCHEMA_H
