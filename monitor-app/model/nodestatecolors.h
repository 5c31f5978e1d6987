// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_NODESTATECOLORS_H
#define QPSQLHAMONITOR_NODESTATECOLORS_H

#include <qpsqlhaconfig.h>

#include <QtGui/qcolor.h>
#include <QtGui/qpalette.h>

namespace QPsqlHaMonitor {

// True when text is drawn light on dark (the view's base colour is dark).
bool isDarkPalette(const QPalette &palette);

// Green for online, red for failed, amber for offline by hand, blue for lagging (a reader too
// far behind the primary to get reads): a darker shade on light palettes
// and a lighter one on dark palettes, so the state text stays readable on either.
QColor nodeStateColor(QPsqlHa::NodeState state, const QPalette &palette);
// The same for the application's palette (a light one without a QGuiApplication).
QColor nodeStateColor(QPsqlHa::NodeState state);

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_NODESTATECOLORS_H
