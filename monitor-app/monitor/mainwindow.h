// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_MAINWINDOW_H
#define QPSQLHAMONITOR_MAINWINDOW_H

#include <QtCore/qabstractitemmodel.h>
#include <QtWidgets/qmainwindow.h>

#include <functional>

QT_BEGIN_NAMESPACE
class QAction;
class QLabel;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTreeView;
QT_END_NAMESPACE

namespace QPsqlHaMonitor {

class EventLogModel;
class MonitorModel;
class ProcessWatcher;
class QpsChartWidget;

// The monitor's window: the process → cluster → node tree with an online toggle per node, the
// selected node's queries per second over the last minute and the log of state changes. When
// no process serves the control channel, the tree's place explains how to turn it on.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // Asks the operator to confirm a risky change; returns true to go ahead. Replaceable so that
    // tests answer without a modal dialog.
    using ConfirmFunction
        = std::function<bool(QWidget *parent, const QString &title, const QString &text)>;

    enum class Layout {
        Remembered, // restore and save the window layout (QSettings "QPSQLHA"/"qpsqlha-monitor")
        Default, // neither: screenshots and tests look the same everywhere
    };

    explicit MainWindow(Layout layout = Layout::Remembered, QWidget *parent = nullptr);
    ~MainWindow() override;

    void setConfirmFunction(ConfirmFunction confirm);

    MonitorModel *model() const { return m_model; }
    EventLogModel *eventLog() const { return m_eventLog; }
    ProcessWatcher *watcher() const { return m_watcher; }
    QTreeView *nodeView() const { return m_nodeView; }
    QTableView *eventView() const { return m_eventView; }
    QpsChartWidget *chart() const { return m_chart; }
    QWidget *emptyPlaceholder() const;
    QAction *toggleAction() const { return m_toggleAction; }

    // Sets the node online or offline by hand. Taking the primary or the last online reader
    // offline asks for confirmation first. Returns true if the process made the change.
    bool setNodeOnline(qint64 pid, const QString &cluster, const QString &address, bool online);
    // Flips the node at `index` (any column of a node row).
    bool toggleNode(const QModelIndex &index);
    bool saveScreenshot(const QString &fileName);

public Q_SLOTS:
    void toggleCurrentNode();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createWidgets();
    void createActions();
    void restoreLayout();
    void saveLayout() const;
    void updatePlaceholder();
    void updateChart();
    void updateToggleAction();
    void updateStatus();
    void selectFirstNodeIfNone();

    Layout m_layout;
    MonitorModel *m_model = nullptr;
    EventLogModel *m_eventLog = nullptr;
    ProcessWatcher *m_watcher = nullptr;
    ConfirmFunction m_confirm;

    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_bottomSplitter = nullptr;
    QStackedWidget *m_treeStack = nullptr;
    QLabel *m_placeholder = nullptr;
    QTreeView *m_nodeView = nullptr;
    QTableView *m_eventView = nullptr;
    QpsChartWidget *m_chart = nullptr;
    QLabel *m_statusLabel = nullptr;
    QAction *m_toggleAction = nullptr;
    bool m_followLog = true;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_MAINWINDOW_H
