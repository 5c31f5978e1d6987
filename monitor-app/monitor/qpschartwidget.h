// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_QPSCHARTWIDGET_H
#define QPSQLHAMONITOR_QPSCHARTWIDGET_H

#include <QtGui/qpolygon.h>
#include <QtWidgets/qwidget.h>

namespace QPsqlHaMonitor {

// The queries per second of one node over the last minute, with a scale: what the operator
// looks at after selecting a node. Without a series it shows a hint instead.
class QpsChartWidget : public QWidget
{
    Q_OBJECT
public:
    explicit QpsChartWidget(QWidget *parent = nullptr);

    // samples as in MonitorModel::QpsHistoryRole.
    void setSeries(const QString &title, const QPolygonF &samples, qint64 windowMs = 60000);
    void clearSeries(const QString &hint);

    QString title() const { return m_title; }
    QString hint() const { return m_hint; }
    QPolygonF samples() const { return m_samples; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    QString m_hint;
    QPolygonF m_samples;
    qint64 m_windowMs = 60000;
    bool m_hasSeries = false;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_QPSCHARTWIDGET_H
