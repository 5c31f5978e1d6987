// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_STATEDELEGATE_H
#define QPSQLHAMONITOR_STATEDELEGATE_H

#include <QtWidgets/qstyleditemdelegate.h>

namespace QPsqlHaMonitor {

// Shows a node state: a round dot of the state's colour (Qt::DecorationRole) and the text in
// that colour (Qt::ForegroundRole), except on a selected row, where the text takes the
// palette's highlighted-text colour so that green, red or amber never sit on the highlight.
class StateDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit StateDelegate(QObject *parent = nullptr);

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_STATEDELEGATE_H
