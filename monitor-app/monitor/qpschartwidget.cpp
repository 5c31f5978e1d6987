// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpschartwidget.h"

#include "qpschartpainter.h"

#include <QtGui/qpainter.h>

namespace QPsqlHaMonitor {

QpsChartWidget::QpsChartWidget(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void QpsChartWidget::setSeries(const QString &title, const QPolygonF &samples, qint64 windowMs)
{
    m_title = title;
    m_samples = samples;
    m_windowMs = windowMs;
    m_hasSeries = true;
    m_hint.clear();
    setToolTip(title);
    update();
}

void QpsChartWidget::clearSeries(const QString &hint)
{
    m_title.clear();
    m_samples.clear();
    m_hasSeries = false;
    m_hint = hint;
    setToolTip(QString());
    update();
}

QSize QpsChartWidget::sizeHint() const
{
    return QSize(fontMetrics().averageCharWidth() * 60, fontMetrics().height() * 10);
}

QSize QpsChartWidget::minimumSizeHint() const
{
    return QSize(fontMetrics().averageCharWidth() * 24, fontMetrics().height() * 6);
}

void QpsChartWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QRect area = contentsRect();
    if (!m_hasSeries) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(area.adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, m_hint);
        return;
    }
    const int titleHeight = fontMetrics().height() + 6;
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(area.adjusted(4, 0, -4, 0).topLeft() + QPoint(0, fontMetrics().ascent() + 2),
                     fontMetrics().elidedText(m_title, Qt::ElideRight, area.width() - 8));
    QpsChartPainter::paint(&painter, QRectF(area.adjusted(0, titleHeight, 0, 0)), m_samples,
                           m_windowMs, palette(), QpsChartPainter::Detail::Axes);
}

} // namespace QPsqlHaMonitor
