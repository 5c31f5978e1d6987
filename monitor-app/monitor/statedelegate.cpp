// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "statedelegate.h"

#include <QtGui/qpainter.h>
#include <QtWidgets/qwidget.h>

namespace QPsqlHaMonitor {

StateDelegate::StateDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{ }

static QIcon dotIcon(const QColor &color, int size, qreal devicePixelRatio)
{
    QPixmap pixmap(QSize(size, size) * devicePixelRatio);
    pixmap.setDevicePixelRatio(devicePixelRatio);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(color.darker(130), 1));
    painter.setBrush(color);
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2));
    painter.end();
    // The same pixmap when selected: styles tint a Normal-only icon on the highlight, and the
    // state's colour must stay recognisable.
    QIcon icon;
    icon.addPixmap(pixmap, QIcon::Normal);
    icon.addPixmap(pixmap, QIcon::Selected);
    return icon;
}

void StateDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const QVariant decoration = index.data(Qt::DecorationRole);
    if (decoration.userType() == QMetaType::QColor) {
        // A dot the height of the text's x, not the full-size square Qt draws for a colour.
        const int size = std::max(8, option->fontMetrics.height() * 2 / 3);
        const qreal ratio = option->widget ? option->widget->devicePixelRatioF() : 1.0;
        option->icon = dotIcon(decoration.value<QColor>(), size, ratio);
        option->decorationSize = QSize(size, size);
    }
    if (option->state.testFlag(QStyle::State_Selected))
        option->palette.setBrush(QPalette::Text, option->palette.highlightedText());
}

} // namespace QPsqlHaMonitor
