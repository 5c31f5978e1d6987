// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "mainwindow.h"

#include "processwatcher.h"
#include "qpschartwidget.h"
#include "sparklinedelegate.h"
#include "statedelegate.h"

#include <eventlogmodel.h>
#include <monitormodel.h>
#include <qpshistory.h>

#include <QtCore/qsettings.h>
#include <QtGui/qaction.h>
#include <QtGui/qevent.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qboxlayout.h>
#include <QtWidgets/qgroupbox.h>
#include <QtWidgets/qheaderview.h>
#include <QtWidgets/qlabel.h>
#include <QtWidgets/qmenubar.h>
#include <QtWidgets/qmessagebox.h>
#include <QtWidgets/qscrollbar.h>
#include <QtWidgets/qsplitter.h>
#include <QtWidgets/qstackedwidget.h>
#include <QtWidgets/qstatusbar.h>
#include <QtWidgets/qtableview.h>
#include <QtWidgets/qtreeview.h>

using namespace Qt::StringLiterals;
using QPsqlHa::NodeRole;

namespace QPsqlHaMonitor {

namespace {

bool askWithMessageBox(QWidget *parent, const QString &title, const QString &text)
{
    return QMessageBox::question(parent, title, text, QMessageBox::Yes | QMessageBox::Cancel,
                                 QMessageBox::Cancel)
        == QMessageBox::Yes;
}

QString placeholderText()
{
    return MainWindow::tr(
               "<h3>No QPSQLHA application found</h3>"
               "<p>The monitor shows the applications that serve their node state on the "
               "QPSQLHA control channel. It is off unless the application asks for it, "
               "with either</p>"
               "<ul><li>the environment variable <code>QPSQLHA_CONTROL=1</code>, e.g.<br>"
               "<code>QPSQLHA_CONTROL=1 ./orders-service</code>, or</li>"
               "<li>the connect option <code>QPSQLHA_CONTROL=1</code> in "
               "<code>QSqlDatabase::setConnectOptions()</code>.</li></ul>"
               "<p>Only applications of the same user are shown. Their sockets are looked for "
               "in <code>%1</code> every second.</p>")
        .arg(QPsqlHa::controlSocketDirectory().toHtmlEscaped());
}

const auto SettingsOrganization = u"QPSQLHA"_s;
const auto SettingsApplication = u"qpsqlha-monitor"_s;

} // namespace

MainWindow::MainWindow(Layout layout, QWidget *parent)
    : QMainWindow(parent)
    , m_layout(layout)
    , m_model(new MonitorModel(this))
    , m_eventLog(new EventLogModel(this))
    , m_watcher(new ProcessWatcher(m_model, m_eventLog, this))
    , m_confirm(askWithMessageBox)
{
    setWindowTitle(tr("QPSQLHA monitor"));
    createWidgets();
    createActions();
    restoreLayout();

    connect(m_watcher, &ProcessWatcher::processesChanged, this, &MainWindow::updateStatus);
    // The toggle's click arrives inside the view's mouse handling: confirm and ask the process
    // once that has returned, not from within it.
    connect(m_model, &MonitorModel::onlineChangeRequested, this, &MainWindow::setNodeOnline,
            Qt::QueuedConnection);

    updatePlaceholder();
    updateChart();
    updateToggleAction();
    updateStatus();
    m_watcher->start();
}

MainWindow::~MainWindow()
{
    // Stop feeding the models before the views that show them go.
    m_watcher->stop();
    delete m_watcher;
    m_watcher = nullptr;
}

QWidget *MainWindow::emptyPlaceholder() const
{
    return m_placeholder;
}

void MainWindow::setConfirmFunction(ConfirmFunction confirm)
{
    m_confirm = confirm ? std::move(confirm) : ConfirmFunction(askWithMessageBox);
}

void MainWindow::createWidgets()
{
    m_nodeView = new QTreeView;
    m_nodeView->setObjectName(u"nodeView"_s);
    m_nodeView->setModel(m_model);
    m_nodeView->setUniformRowHeights(true);
    m_nodeView->setAllColumnsShowFocus(true);
    m_nodeView->setAlternatingRowColors(true);
    m_nodeView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_nodeView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_nodeView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_nodeView->setItemDelegateForColumn(MonitorModel::HistoryColumn,
                                         new SparklineDelegate(m_nodeView));
    m_nodeView->setItemDelegateForColumn(MonitorModel::StateColumn, new StateDelegate(m_nodeView));
    m_nodeView->setAccessibleName(tr("Processes, clusters and nodes"));
    QHeaderView *header = m_nodeView->header();
    header->setStretchLastSection(true);
    header->setSectionsMovable(true);
    const QFontMetrics metrics = m_nodeView->fontMetrics();
    const auto chars = [&metrics](int count) {
        return metrics.averageCharWidth() * count;
    };
    // Wide enough for typical content and never narrower than the column's title.
    const std::pair<int, int> widths[]
        = {{MonitorModel::NameColumn, 34},    {MonitorModel::RoleColumn, 9},
           {MonitorModel::StateColumn, 24},   {MonitorModel::LagColumn, 16},
           {MonitorModel::QueriesColumn, 11}, {MonitorModel::QpsColumn, 10},
           {MonitorModel::HistoryColumn, 18}, {MonitorModel::ErrorsColumn, 8},
           {MonitorModel::RetriesColumn, 8},  {MonitorModel::SinceChangeColumn, 13}};
    for (const auto &[column, width] : widths)
        header->resizeSection(column, std::max(chars(width), header->sectionSizeHint(column)));

    m_placeholder = new QLabel(placeholderText());
    m_placeholder->setObjectName(u"emptyPlaceholder"_s);
    m_placeholder->setTextFormat(Qt::RichText);
    m_placeholder->setWordWrap(true);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setMargin(metrics.height());
    m_placeholder->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_treeStack = new QStackedWidget;
    m_treeStack->addWidget(m_placeholder);
    m_treeStack->addWidget(m_nodeView);

    m_chart = new QpsChartWidget;
    m_chart->setObjectName(u"qpsChart"_s);
    auto *chartBox = new QGroupBox(tr("Queries per second, last minute"));
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->addWidget(m_chart);

    m_eventView = new QTableView;
    m_eventView->setObjectName(u"eventLogView"_s);
    m_eventView->setModel(m_eventLog);
    m_eventView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_eventView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_eventView->setAlternatingRowColors(true);
    m_eventView->setWordWrap(false);
    m_eventView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_eventView->verticalHeader()->hide();
    m_eventView->verticalHeader()->setDefaultSectionSize(metrics.height() + 6);
    m_eventView->horizontalHeader()->setStretchLastSection(true);
    m_eventView->horizontalHeader()->setSectionsMovable(true);
    // Sized for typical content; the reason takes the rest.
    const auto textWidth = [&metrics](const QString &sample) {
        return metrics.horizontalAdvance(sample) + metrics.averageCharWidth() * 2;
    };
    m_eventView->setColumnWidth(EventLogModel::TimeColumn, textWidth(u"00:00:00.000"_s));
    m_eventView->setColumnWidth(EventLogModel::ProcessColumn,
                                textWidth(u"qpsqlha-demo (pid 12345)"_s));
    m_eventView->setColumnWidth(EventLogModel::ClusterColumn, textWidth(u"cluster"_s));
    m_eventView->setColumnWidth(EventLogModel::NodeColumn, textWidth(u"127.0.0.1:54321"_s));
    m_eventView->setColumnWidth(EventLogModel::OldStateColumn, textWidth(u"offline: by hand"_s));
    m_eventView->setColumnWidth(EventLogModel::NewStateColumn, textWidth(u"offline: by hand"_s));
    for (int column : {EventLogModel::OldStateColumn, EventLogModel::NewStateColumn})
        m_eventView->setItemDelegateForColumn(column, new StateDelegate(m_eventView));
    m_eventView->setAccessibleName(tr("Event log"));
    auto *logBox = new QGroupBox(tr("Event log"));
    auto *logLayout = new QVBoxLayout(logBox);
    logLayout->addWidget(m_eventView);

    m_bottomSplitter = new QSplitter(Qt::Horizontal);
    m_bottomSplitter->setObjectName(u"bottomSplitter"_s);
    m_bottomSplitter->addWidget(chartBox);
    m_bottomSplitter->addWidget(logBox);
    m_bottomSplitter->setStretchFactor(0, 2);
    m_bottomSplitter->setStretchFactor(1, 3);

    m_mainSplitter = new QSplitter(Qt::Vertical);
    m_mainSplitter->setObjectName(u"mainSplitter"_s);
    m_mainSplitter->addWidget(m_treeStack);
    m_mainSplitter->addWidget(m_bottomSplitter);
    m_mainSplitter->setStretchFactor(0, 3);
    m_mainSplitter->setStretchFactor(1, 2);
    m_mainSplitter->setChildrenCollapsible(false);
    setCentralWidget(m_mainSplitter);

    m_statusLabel = new QLabel;
    statusBar()->addPermanentWidget(m_statusLabel);

    setTabOrder(m_nodeView, m_eventView);

    // New processes show expanded, down to their nodes.
    connect(m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parent, int first, int last) {
                for (int row = first; row <= last; ++row)
                    m_nodeView->expandRecursively(m_model->index(row, 0, parent));
                updatePlaceholder();
                selectFirstNodeIfNone();
            });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] {
        updatePlaceholder();
        updateChart();
        updateToggleAction();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::updatePlaceholder);
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                const QModelIndex current = m_nodeView->currentIndex();
                if (current.isValid() && current.parent() == topLeft.parent()
                    && current.row() >= topLeft.row() && current.row() <= bottomRight.row()) {
                    updateChart();
                    updateToggleAction();
                }
            });
    connect(m_nodeView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        updateChart();
        updateToggleAction();
    });

    // The log follows new rows unless the operator scrolled up to read older ones.
    connect(m_eventLog, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        const QScrollBar *bar = m_eventView->verticalScrollBar();
        m_followLog = bar->value() == bar->maximum();
    });
    connect(m_eventLog, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_followLog)
            m_eventView->scrollToBottom();
    });
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    QMenu *node = menuBar()->addMenu(tr("&Node"));
    m_toggleAction = node->addAction(tr("&Toggle online"), this, &MainWindow::toggleCurrentNode);
    m_toggleAction->setObjectName(u"toggleAction"_s);
    m_toggleAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_toggleAction->setStatusTip(tr("Take the selected node offline by hand, or put it back"));
    // Space flips the selected node while the tree has the focus, like a check box.
    auto *space = new QAction(m_nodeView);
    space->setShortcut(QKeySequence(Qt::Key_Space));
    space->setShortcutContext(Qt::WidgetShortcut);
    connect(space, &QAction::triggered, this, &MainWindow::toggleCurrentNode);
    m_nodeView->addAction(space);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *refresh
        = view->addAction(tr("&Look for processes now"), m_watcher, &ProcessWatcher::refresh);
    refresh->setShortcut(QKeySequence(Qt::Key_F5));
    QAction *expand = view->addAction(tr("&Expand all"), m_nodeView, &QTreeView::expandAll);
    expand->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    QAction *clearLog = view->addAction(tr("&Clear event log"), m_eventLog, &EventLogModel::clear);
    clearLog->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    view->addSeparator();
    QAction *focusTree = view->addAction(tr("Go to &nodes"), this,
                                         [this] { m_nodeView->setFocus(Qt::ShortcutFocusReason); });
    focusTree->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
    QAction *focusLog = view->addAction(tr("Go to event &log"), this,
                                        [this] { m_eventView->setFocus(Qt::ShortcutFocusReason); });
    focusLog->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *howTo = help->addAction(tr("&Showing an application…"), this, [this] {
        QMessageBox box(QMessageBox::Information, tr("Showing an application"), placeholderText(),
                        QMessageBox::Ok, this);
        box.setTextFormat(Qt::RichText);
        box.exec();
    });
    howTo->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(
            this, tr("About the QPSQLHA monitor"),
            tr("<p><b>qpsqlha-monitor</b> %1</p><p>Shows the nodes of every application using "
               "the QPSQLHA Qt SQL driver with its control channel on, and takes nodes out of "
               "service by hand.</p>")
                .arg(QCoreApplication::applicationVersion().toHtmlEscaped()));
    });
}

void MainWindow::restoreLayout()
{
    resize(1280, 760);
    m_mainSplitter->setSizes({330, 400});
    m_bottomSplitter->setSizes({440, 840});
    if (m_layout != Layout::Remembered)
        return;
    const QSettings settings(SettingsOrganization, SettingsApplication);
    restoreGeometry(settings.value(u"geometry"_s).toByteArray());
    restoreState(settings.value(u"windowState"_s).toByteArray());
    m_mainSplitter->restoreState(settings.value(u"mainSplitter"_s).toByteArray());
    m_bottomSplitter->restoreState(settings.value(u"bottomSplitter"_s).toByteArray());
    // A header saved by a version with other columns would put titles over the wrong data.
    if (settings.value(u"nodeColumns"_s).toInt() == MonitorModel::ColumnCount)
        m_nodeView->header()->restoreState(settings.value(u"nodeHeader"_s).toByteArray());
    m_eventView->horizontalHeader()->restoreState(settings.value(u"eventHeader"_s).toByteArray());
}

void MainWindow::saveLayout() const
{
    if (m_layout != Layout::Remembered)
        return;
    QSettings settings(SettingsOrganization, SettingsApplication);
    settings.setValue(u"geometry"_s, saveGeometry());
    settings.setValue(u"windowState"_s, saveState());
    settings.setValue(u"mainSplitter"_s, m_mainSplitter->saveState());
    settings.setValue(u"bottomSplitter"_s, m_bottomSplitter->saveState());
    settings.setValue(u"nodeHeader"_s, m_nodeView->header()->saveState());
    settings.setValue(u"nodeColumns"_s, int(MonitorModel::ColumnCount));
    settings.setValue(u"eventHeader"_s, m_eventView->horizontalHeader()->saveState());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    QMainWindow::closeEvent(event);
}

void MainWindow::updatePlaceholder()
{
    const bool empty = m_model->rowCount() == 0;
    QWidget *shown = empty ? static_cast<QWidget *>(m_placeholder) : m_nodeView;
    if (m_treeStack->currentWidget() == shown)
        return;
    const bool hadFocus = m_treeStack->currentWidget()->hasFocus();
    m_treeStack->setCurrentWidget(shown);
    if (hadFocus && !empty)
        m_nodeView->setFocus();
}

void MainWindow::selectFirstNodeIfNone()
{
    if (m_nodeView->currentIndex().isValid())
        return;
    // A reader, if there is one: its chart is the one that moves.
    QModelIndex first;
    for (const QModelIndex &node : m_model->nodeIndexes()) {
        if (node.data(MonitorModel::NodeRoleRole).toInt() == int(NodeRole::Reader)) {
            first = node;
            break;
        }
        if (!first.isValid())
            first = node;
    }
    if (first.isValid())
        m_nodeView->setCurrentIndex(first);
}

void MainWindow::updateChart()
{
    const QModelIndex current = m_nodeView->currentIndex().siblingAtColumn(0);
    const auto kind = MonitorModel::ItemKind(current.data(MonitorModel::ItemKindRole).toInt());
    if (!current.isValid() || kind != MonitorModel::ItemKind::Node) {
        m_chart->clearSeries(m_model->rowCount() == 0
                                 ? tr("No application to show.")
                                 : tr("Select a node to see its queries per second over the "
                                      "last minute."));
        return;
    }
    const QVariant qps = current.data(MonitorModel::QueriesPerSecondRole);
    const QString rate = qps.isValid() ? MonitorModel::rateText(qps.toDouble()) : u"–"_s;
    // Short enough for a narrow pane; the process is in the tooltip.
    const QString title = tr("%1 (%2 of %3): %4 queries/s")
                              .arg(current.data().toString(),
                                   QPsqlHa::nodeRoleText(
                                       NodeRole(current.data(MonitorModel::NodeRoleRole).toInt())),
                                   current.data(MonitorModel::ClusterRole).toString(), rate);
    m_chart->setSeries(title, current.data(MonitorModel::QpsHistoryRole).value<QPolygonF>(),
                       QpsHistory::DefaultWindowMs);
    m_chart->setToolTip(
        tr("%1 in %2")
            .arg(title, m_model->processName(current.data(MonitorModel::PidRole).toLongLong())));
}

void MainWindow::updateToggleAction()
{
    const QModelIndex current = m_nodeView->currentIndex();
    const bool isNode = current.isValid()
        && current.data(MonitorModel::ItemKindRole).toInt() == int(MonitorModel::ItemKind::Node);
    m_toggleAction->setEnabled(isNode);
    if (!isNode) {
        m_toggleAction->setText(tr("&Toggle online"));
        return;
    }
    m_toggleAction->setText(current.data(MonitorModel::InServiceRole).toBool()
                                ? tr("&Take node offline")
                                : tr("&Put node online"));
}

void MainWindow::updateStatus()
{
    const int count = m_watcher->processCount();
    m_statusLabel->setText(count == 1 ? tr("1 application") : tr("%1 applications").arg(count));
    m_statusLabel->setToolTip(tr("Control sockets in %1").arg(QPsqlHa::controlSocketDirectory()));
}

void MainWindow::toggleCurrentNode()
{
    toggleNode(m_nodeView->currentIndex());
}

bool MainWindow::toggleNode(const QModelIndex &index)
{
    if (!index.isValid()
        || index.data(MonitorModel::ItemKindRole).toInt() != int(MonitorModel::ItemKind::Node)) {
        return false;
    }
    return setNodeOnline(index.data(MonitorModel::PidRole).toLongLong(),
                         index.data(MonitorModel::ClusterRole).toString(),
                         index.data(MonitorModel::AddressRole).toString(),
                         !index.data(MonitorModel::InServiceRole).toBool());
}

bool MainWindow::setNodeOnline(qint64 pid, const QString &cluster, const QString &address,
                               bool online)
{
    if (!online) {
        const QString warning = m_model->offlineWarning(m_model->nodeIndex(pid, cluster, address));
        if (!warning.isEmpty()
            && !m_confirm(this, tr("Take %1 offline?").arg(address),
                          warning + u"\n\n"_s + tr("Take it offline anyway?"))) {
            statusBar()->showMessage(tr("%1 left online").arg(address), 5000);
            return false;
        }
    }
    QString error;
    if (!m_watcher->setNodeOnline(pid, cluster, address, online, &error)) {
        statusBar()->showMessage(tr("Could not set %1 %2: %3")
                                     .arg(address, online ? tr("online") : tr("offline"), error),
                                 10000);
        return false;
    }
    statusBar()->showMessage(online ? tr("%1 is back in service").arg(address)
                                    : tr("%1 is offline by hand").arg(address),
                             5000);
    return true;
}

bool MainWindow::saveScreenshot(const QString &fileName)
{
    return grab().save(fileName);
}

} // namespace QPsqlHaMonitor
