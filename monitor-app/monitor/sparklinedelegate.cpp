// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "sparklinedelegate.h"

#include "qpschartpainter.h"

#include <monitormodel.h>
#include <qpshistory.h>

#include <QtWidgets/qapplication.h>

namespace QPsqlHaMonitor {

SparklineDelegate::SparklineDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{ }

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const
{
    // The cell's background, selection and focus as the style draws them; then the line.
    QStyleOptionViewItem cell(option);
    initStyleOption(&cell, index);
    QStyle *style = cell.widget ? cell.widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &cell, painter, cell.widget);

    const QPolygonF samples = index.data(MonitorModel::QpsHistoryRole).value<QPolygonF>();
    if (samples.isEmpty())
        return;
    QpsChartPainter::paint(painter, QRectF(cell.rect.adjusted(3, 3, -3, -3)), samples,
                           QpsHistory::DefaultWindowMs, cell.palette,
                           QpsChartPainter::Detail::Sparkline,
                           cell.state.testFlag(QStyle::State_Selected));
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option,
                                  const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(std::max(size.width(), option.fontMetrics.averageCharWidth() * 14));
    return size;
}

} // namespace QPsqlHaMonitor
