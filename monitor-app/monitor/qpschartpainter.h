// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_QPSCHARTPAINTER_H
#define QPSQLHAMONITOR_QPSCHARTPAINTER_H

#include <QtGui/qpalette.h>
#include <QtGui/qpolygon.h>

QT_BEGIN_NAMESPACE
class QPainter;
QT_END_NAMESPACE

namespace QPsqlHaMonitor {

// Draws queries per second over a time window, for the chart of the selected node and for the
// sparkline column alike. Samples are MonitorModel::QpsHistoryRole's: x in ms relative to now
// (-windowMs < x <= 0), y in queries per second. Every colour comes from the palette.
namespace QpsChartPainter {

enum class Detail {
    Sparkline, // the line only, scaled to its own (rounded) maximum
    Axes, // with a scale, grid lines and time labels
};

void paint(QPainter *painter, const QRectF &rect, const QPolygonF &samples, qint64 windowMs,
           const QPalette &palette, Detail detail, bool selected = false);

// The top of the scale: the maximum rounded up to 1, 2 or 5 times a power of ten (at least 1).
double niceMaximum(double maximum);

} // namespace QpsChartPainter
} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_QPSCHARTPAINTER_H
