// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpschartpainter.h"

#include <QtCore/qcoreapplication.h>
#include <QtGui/qfontmetrics.h>
#include <QtGui/qpainter.h>
#include <QtGui/qpainterpath.h>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace QPsqlHaMonitor::QpsChartPainter {

double niceMaximum(double maximum)
{
    if (!(maximum > 1))
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(maximum)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (maximum <= step * magnitude)
            return step * magnitude;
    }
    return 10 * magnitude;
}

static QString scaleText(double value)
{
    return value >= 10 || value == std::floor(value) ? QString::number(value, 'f', 0)
                                                     : QString::number(value, 'f', 1);
}

void paint(QPainter *painter, const QRectF &rect, const QPolygonF &samples, qint64 windowMs,
           const QPalette &palette, Detail detail, bool selected)
{
    if (rect.width() < 4 || rect.height() < 4 || windowMs <= 0)
        return;
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);

    double maximum = 0;
    for (const QPointF &sample : samples)
        maximum = std::max(maximum, sample.y());
    const double top = niceMaximum(maximum);

    QRectF plot = rect;
    const QColor textColor = palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
    if (detail == Detail::Axes) {
        const QFontMetricsF metrics(painter->font());
        const double labelWidth = metrics.horizontalAdvance(scaleText(top)) + 8;
        plot.adjust(labelWidth, metrics.height() / 2, -8, -(metrics.height() + 4));
        painter->fillRect(plot, palette.base());

        QColor grid = textColor;
        grid.setAlphaF(0.18f);
        painter->setPen(QPen(grid, 1));
        painter->drawRect(plot);
        QColor labels = textColor;
        labels.setAlphaF(0.7f);
        for (double fraction : {0.0, 0.5, 1.0}) {
            const double y = plot.bottom() - fraction * plot.height();
            painter->setPen(QPen(grid, 1));
            painter->drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
            painter->setPen(labels);
            painter->drawText(
                QRectF(rect.left(), y - metrics.height() / 2, labelWidth - 4, metrics.height()),
                Qt::AlignRight | Qt::AlignVCenter, scaleText(top * fraction));
        }
        const qint64 windowSeconds = windowMs / 1000;
        const struct
        {
            double fraction;
            QString text;
            Qt::Alignment alignment;
        } ticks[] = {{0.0, u"-%1 s"_s.arg(windowSeconds), Qt::AlignLeft},
                     {0.5, u"-%1 s"_s.arg(windowSeconds / 2), Qt::AlignHCenter},
                     {1.0, QCoreApplication::translate("QpsChartPainter", "now"), Qt::AlignRight}};
        for (const auto &tick : ticks) {
            const double x = plot.left() + tick.fraction * plot.width();
            painter->setPen(QPen(grid, 1));
            painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
            painter->setPen(labels);
            const double width = metrics.horizontalAdvance(tick.text) + 2;
            const double left = tick.alignment == Qt::AlignLeft ? x
                : tick.alignment == Qt::AlignRight              ? x - width
                                                                : x - width / 2;
            painter->drawText(QRectF(left, plot.bottom() + 2, width, metrics.height()),
                              tick.alignment | Qt::AlignTop, tick.text);
        }
    }

    if (!samples.isEmpty()) {
        const auto map = [&](const QPointF &sample) {
            const double x = plot.left()
                + (std::clamp(sample.x(), -double(windowMs), 0.0) + double(windowMs))
                    / double(windowMs) * plot.width();
            const double y = plot.bottom() - std::clamp(sample.y() / top, 0.0, 1.0) * plot.height();
            return QPointF(x, y);
        };
        const QColor line
            = palette.color(selected && detail == Detail::Sparkline ? QPalette::HighlightedText
                                                                    : QPalette::Highlight);
        QPainterPath path(map(samples.first()));
        for (qsizetype i = 1; i < samples.size(); ++i)
            path.lineTo(map(samples.at(i)));

        QPainterPath area = path;
        area.lineTo(map(samples.last()).x(), plot.bottom());
        area.lineTo(map(samples.first()).x(), plot.bottom());
        area.closeSubpath();
        QColor fill = line;
        fill.setAlphaF(0.25f);
        painter->fillPath(area, fill);

        painter->setPen(QPen(line, detail == Detail::Axes ? 2 : 1.5));
        painter->setBrush(Qt::NoBrush);
        if (samples.size() == 1)
            painter->drawEllipse(map(samples.first()), 1.5, 1.5);
        else
            painter->drawPath(path);
    }
    painter->restore();
}

} // namespace QPsqlHaMonitor::QpsChartPainter
