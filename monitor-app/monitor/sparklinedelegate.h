// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_SPARKLINEDELEGATE_H
#define QPSQLHAMONITOR_SPARKLINEDELEGATE_H

#include <QtWidgets/qstyleditemdelegate.h>

namespace QPsqlHaMonitor {

// Draws MonitorModel::QpsHistoryRole as a small line in its cell, so every node's last minute
// can be compared at a glance without selecting it.
class SparklineDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit SparklineDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_SPARKLINEDELEGATE_H
