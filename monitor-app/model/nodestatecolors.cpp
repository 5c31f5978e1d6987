// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "nodestatecolors.h"

#include <QtGui/qguiapplication.h>

namespace QPsqlHaMonitor {

bool isDarkPalette(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor nodeStateColor(QPsqlHa::NodeState state, const QPalette &palette)
{
    // Shades with a contrast ratio of at least 4.5 against white (light) or #1e1e1e (dark).
    const bool dark = isDarkPalette(palette);
    switch (state) {
    case QPsqlHa::NodeState::Online:
        return dark ? QColor(0x3f, 0xb9, 0x50) : QColor(0x1a, 0x7f, 0x37);
    case QPsqlHa::NodeState::Failed:
        return dark ? QColor(0xf8, 0x51, 0x49) : QColor(0xcf, 0x22, 0x2e);
    case QPsqlHa::NodeState::OfflineByHand:
        return dark ? QColor(0xd2, 0x99, 0x22) : QColor(0x9a, 0x67, 0x00);
    case QPsqlHa::NodeState::Lagging:
        // Blue: it answers, only behind; apart from the amber an operator chose.
        return dark ? QColor(0x58, 0xa6, 0xff) : QColor(0x09, 0x69, 0xda);
    }
    return palette.color(QPalette::Text);
}

QColor nodeStateColor(QPsqlHa::NodeState state)
{
    // The model lives without widgets and may run without a QGuiApplication (unit tests).
    if (qobject_cast<QGuiApplication *>(QCoreApplication::instance()))
        return nodeStateColor(state, QGuiApplication::palette());
    return nodeStateColor(state, QPalette(Qt::black, Qt::white));
}

} // namespace QPsqlHaMonitor
