// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The monitor's window watching the real demo application on the live cluster: the process and
// its nodes show up, the toggle takes a reader out of service and back (by mouse and by
// keyboard) and the traffic follows, changes made by another control client and the demo's
// exit show within a second, risky changes ask first, and the layout is remembered.
//
// The test gives itself (and the demo) a private XDG_RUNTIME_DIR, so the monitor sees this
// demo and nothing else running on the machine.

#include <testcluster.h>

#include <eventlogmodel.h>
#include <mainwindow.h>
#include <monitormodel.h>
#include <processwatcher.h>
#include <qpschartwidget.h>

#include <qpsqlhacontrolclient.h>

#include <QtCore/qdir.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtGui/qaction.h>
#include <QtTest/qtest.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qheaderview.h>
#include <QtWidgets/qlabel.h>
#include <QtWidgets/qsplitter.h>
#include <QtWidgets/qstackedwidget.h>
#include <QtWidgets/qtableview.h>
#include <QtWidgets/qtreeview.h>

#include <memory>

using namespace Qt::StringLiterals;
using namespace QPsqlHaMonitor;
using namespace QPsqlHaTest;

namespace {

// State events are pushed as they happen: one second is the promise, with margin for a loaded
// machine kept out of it.
constexpr int StateChangeMs = 1000;
// A rate covers the last counters interval (about 1 s); after a change the interval that
// straddles it still counts the old traffic, so the new rate shows one interval later.
constexpr int RateChangeMs = 5000;

QString runtimeDirectory;

} // namespace

class tst_MonitorGui : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void emptyWindowExplainsControlChannel();
    void showsDemoProcessAndNodes();
    void mouseToggleTakesReaderOffline();
    void keyboardToggleBringsReaderBack();
    void menuShortcutTogglesSelectedNode();
    void changeByAnotherClientShows();
    void riskyChangesAskFirst();
    void eventLogRecordsChanges();
    void lagIsShown();
    void nodesAddedAndRemovedAtRunTime();
    void noSecretInTheViews();
    void layoutIsRemembered();
    void demoExitRemovesProcess();

private:
    QModelIndex nodeIndex(int port, int column = 0) const;
    QString stateOf(int port) const;
    double qpsOf(int port) const;
    QRect checkBoxRect(const QModelIndex &index) const;
    bool setByOtherClient(int port, bool online);
    void maybeSaveScreenshot();

    TestCluster &m_cluster = TestCluster::instance();
    std::unique_ptr<MainWindow> m_window;
    QProcess m_demo;
    qint64 m_pid = 0;
    int m_confirmations = 0;
    bool m_confirmAnswer = true;
};

QModelIndex tst_MonitorGui::nodeIndex(int port, int column) const
{
    return m_window->model()->nodeIndex(m_pid, u"demo"_s, u"127.0.0.1:%1"_s.arg(port), column);
}

QString tst_MonitorGui::stateOf(int port) const
{
    return nodeIndex(port, MonitorModel::StateColumn).data().toString();
}

double tst_MonitorGui::qpsOf(int port) const
{
    const QVariant qps = nodeIndex(port).data(MonitorModel::QueriesPerSecondRole);
    return qps.isValid() ? qps.toDouble() : -1;
}

// Where the style puts the check box of a cell: what QStyledItemDelegate tests a click against.
QRect tst_MonitorGui::checkBoxRect(const QModelIndex &index) const
{
    QTreeView *view = m_window->nodeView();
    QStyleOptionViewItem option;
    option.initFrom(view->viewport());
    option.rect = view->visualRect(index);
    option.font = view->font();
    option.fontMetrics = view->fontMetrics();
    option.features = QStyleOptionViewItem::HasCheckIndicator | QStyleOptionViewItem::HasDisplay
        | QStyleOptionViewItem::HasDecoration;
    option.checkState = Qt::CheckState(index.data(Qt::CheckStateRole).toInt());
    option.text = index.data().toString();
    option.decorationSize = QSize(10, 10);
    return view->style()->subElementRect(QStyle::SE_ItemViewItemCheckIndicator, &option, view);
}

bool tst_MonitorGui::setByOtherClient(int port, bool online)
{
    // What `qpsqlha-ctl offline/online` does: a connection of its own to the process.
    QPsqlHa::ControlClient client;
    const QString socket = QPsqlHa::controlSocketDirectory() + u"/%1.sock"_s.arg(m_pid);
    if (!client.connectToProcess(socket)) {
        qWarning() << "connect:" << client.errorString();
        return false;
    }
    bool changed = false;
    if (!client.setNodeOnline(u"demo"_s, u"127.0.0.1:%1"_s.arg(port), online, &changed)) {
        qWarning() << "set-state:" << client.errorString();
        return false;
    }
    return changed;
}

void tst_MonitorGui::maybeSaveScreenshot()
{
    const QString file = qEnvironmentVariable("QPSQLHA_MONITOR_SCREENSHOT");
    if (!file.isEmpty())
        QVERIFY2(m_window->saveScreenshot(file), qPrintable(file));
}

void tst_MonitorGui::initTestCase()
{
    QVERIFY2(m_cluster.isValid(), qPrintable(m_cluster.errorString()));
    QVERIFY(m_cluster.ensureAllRunning());
    QCOMPARE(QPsqlHa::controlSocketDirectory(), runtimeDirectory + u"/qpsqlha"_s);
    QVERIFY(QFileInfo::exists(QStringLiteral(QPSQLHA_DEMO_PATH)));

    m_window = std::make_unique<MainWindow>(MainWindow::Layout::Default);
    m_window->setConfirmFunction([this](QWidget *, const QString &, const QString &) {
        ++m_confirmations;
        return m_confirmAnswer;
    });
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
}

void tst_MonitorGui::cleanupTestCase()
{
    if (m_demo.state() != QProcess::NotRunning) {
        m_demo.kill();
        m_demo.waitForFinished(5000);
    }
    m_window.reset();
}

void tst_MonitorGui::emptyWindowExplainsControlChannel()
{
    // Nothing runs in the private runtime directory yet.
    QCOMPARE(m_window->model()->rowCount(), 0);
    QWidget *placeholder = m_window->emptyPlaceholder();
    QVERIFY(placeholder->isVisible());
    QVERIFY(!m_window->nodeView()->isVisible());
    const QString text = qobject_cast<QLabel *>(placeholder)->text();
    QVERIFY2(text.contains(u"QPSQLHA_CONTROL=1"_s), qPrintable(text));
    QVERIFY(text.contains(u"setConnectOptions"_s));
    QVERIFY(!m_window->toggleAction()->isEnabled());
    QVERIFY(!m_window->chart()->hint().isEmpty());
}

void tst_MonitorGui::showsDemoProcessAndNodes()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QPSQLHA_CONTROL"_s, u"1"_s);
    environment.insert(u"XDG_RUNTIME_DIR"_s, runtimeDirectory);
    environment.insert(
        u"QT_PLUGIN_PATH"_s,
        QDir(QFileInfo(QStringLiteral(QPSQLHA_DEMO_PATH)).absolutePath() + u"/../plugins"_s)
            .canonicalPath());
    environment.insert(u"PGPASSWORD"_s, m_cluster.password());
    m_demo.setProcessEnvironment(environment);
    m_demo.setStandardOutputFile(QProcess::nullDevice()); // a table every second
    m_demo.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_demo.start(QStringLiteral(QPSQLHA_DEMO_PATH),
                 {u"--host"_s, m_cluster.host(), u"--port"_s,
                  QString::number(m_cluster.port(Node::Primary)), u"--readers"_s,
                  m_cluster.readersOption(), u"--database"_s, m_cluster.database(), u"--user"_s,
                  m_cluster.user(), u"--seconds"_s, u"0"_s, u"--threads"_s, u"2"_s});
    QVERIFY2(m_demo.waitForStarted(), qPrintable(m_demo.errorString()));
    m_pid = m_demo.processId();

    MonitorModel *model = m_window->model();
    QTRY_VERIFY_WITH_TIMEOUT(model->hasProcess(m_pid), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(nodeIndex(m_cluster.port(Node::Reader2)).isValid(), 10000);
    QCOMPARE(model->pids(), QList<qint64> {m_pid});
    QVERIFY(model->processName(m_pid).contains(u"qpsqlha-demo"_s));
    const QModelIndex cluster = model->clusterIndex(m_pid, u"demo"_s);
    QCOMPARE(model->rowCount(cluster), 3);
    QCOMPARE(model->index(0, MonitorModel::RoleColumn, cluster).data().toString(), u"primary"_s);
    QCOMPARE(nodeIndex(m_cluster.port(Node::Primary)).row(), 0);
    QCOMPARE(nodeIndex(m_cluster.port(Node::Reader1), MonitorModel::RoleColumn).data().toString(),
             u"reader"_s);
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2})
        QCOMPARE(stateOf(m_cluster.port(node)), u"online"_s);

    // The tree replaced the placeholder and is expanded down to the nodes.
    QVERIFY(m_window->nodeView()->isVisible());
    QVERIFY(!m_window->emptyPlaceholder()->isVisible());
    QVERIFY(m_window->nodeView()->isExpanded(cluster));

    // Traffic: both readers serve reads, and the rates show it.
    QTRY_VERIFY_WITH_TIMEOUT(qpsOf(m_cluster.port(Node::Reader1)) > 0, RateChangeMs);
    QTRY_VERIFY_WITH_TIMEOUT(qpsOf(m_cluster.port(Node::Reader2)) > 0, RateChangeMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        nodeIndex(m_cluster.port(Node::Reader1), MonitorModel::QueriesColumn).data().toULongLong()
            > 0,
        RateChangeMs);

    // A node got selected by itself (a reader), so the chart and the toggle have a subject.
    const QModelIndex current = m_window->nodeView()->currentIndex();
    QCOMPARE(current.data(MonitorModel::NodeRoleRole).toInt(), int(QPsqlHa::NodeRole::Reader));
    QVERIFY(m_window->toggleAction()->isEnabled());
    QVERIFY(m_window->chart()->title().startsWith(current.siblingAtColumn(0).data().toString()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->chart()->samples().isEmpty(), RateChangeMs);
}

void tst_MonitorGui::mouseToggleTakesReaderOffline()
{
    const int reader1 = m_cluster.port(Node::Reader1);
    const int reader2 = m_cluster.port(Node::Reader2);
    const QModelIndex state = nodeIndex(reader1, MonitorModel::StateColumn);
    QTreeView *view = m_window->nodeView();
    view->scrollTo(state);
    const QRect box = checkBoxRect(state);
    QVERIFY(view->viewport()->rect().contains(box));
    const int confirmations = m_confirmations;

    QElapsedTimer clicked;
    clicked.start();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, box.center());
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader1), u"offline: by hand"_s, StateChangeMs);
    qInfo("reader1 showed offline %lld ms after the click", clicked.elapsed());
    QCOMPARE(state.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    QCOMPARE(m_confirmations, confirmations); // the other reader serves: nothing to confirm
    // The process says so too, not only the window.
    QPsqlHa::ControlClient client;
    QVERIFY(client.connectToProcess(m_window->watcher()->socketPath(m_pid)));
    QPsqlHa::ProcessStatus status;
    QVERIFY2(client.list(&status), qPrintable(client.errorString()));
    QCOMPARE(status.clusters.value(0).nodes.value(1).state, QPsqlHa::NodeState::OfflineByHand);

    // The reads move off it: its rate falls to 0 while the other reader's stays up.
    QTRY_COMPARE_WITH_TIMEOUT(qpsOf(reader1), 0.0, RateChangeMs);
    QVERIFY(qpsOf(reader2) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->chart()->samples().constLast().y() == 0
                                 || view->currentIndex().siblingAtColumn(0) != nodeIndex(reader1),
                             RateChangeMs);
    maybeSaveScreenshot();
}

void tst_MonitorGui::keyboardToggleBringsReaderBack()
{
    const int reader1 = m_cluster.port(Node::Reader1);
    QTreeView *view = m_window->nodeView();
    view->setFocus();
    view->setCurrentIndex(nodeIndex(reader1));
    QTRY_VERIFY(view->hasFocus());
    QCOMPARE(m_window->toggleAction()->text().remove(u'&'), u"Put node online"_s);

    QTest::keyClick(view, Qt::Key_Space);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader1), u"online"_s, StateChangeMs);
    QCOMPARE(nodeIndex(reader1, MonitorModel::StateColumn).data(Qt::CheckStateRole).toInt(),
             int(Qt::Checked));
    QTRY_VERIFY_WITH_TIMEOUT(qpsOf(reader1) > 0, RateChangeMs);
}

void tst_MonitorGui::menuShortcutTogglesSelectedNode()
{
    const int reader2 = m_cluster.port(Node::Reader2);
    m_window->nodeView()->setCurrentIndex(nodeIndex(reader2, MonitorModel::QueriesColumn));
    QCOMPARE(m_window->toggleAction()->text().remove(u'&'), u"Take node offline"_s);

    QTest::keyClick(m_window.get(), Qt::Key_T, Qt::ControlModifier);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader2), u"offline: by hand"_s, StateChangeMs);
    QTest::keyClick(m_window.get(), Qt::Key_T, Qt::ControlModifier);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader2), u"online"_s, StateChangeMs);
}

void tst_MonitorGui::changeByAnotherClientShows()
{
    const int reader2 = m_cluster.port(Node::Reader2);
    QElapsedTimer changed;
    changed.start();
    QVERIFY(setByOtherClient(reader2, false));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader2), u"offline: by hand"_s, StateChangeMs);
    qInfo("a change by another client showed after %lld ms", changed.elapsed());
    QTRY_COMPARE_WITH_TIMEOUT(qpsOf(reader2), 0.0, RateChangeMs);
    QVERIFY(qpsOf(m_cluster.port(Node::Reader1)) > 0);

    QVERIFY(setByOtherClient(reader2, true));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader2), u"online"_s, StateChangeMs);
    QTRY_VERIFY_WITH_TIMEOUT(qpsOf(reader2) > 0, RateChangeMs);
}

void tst_MonitorGui::riskyChangesAskFirst()
{
    const int primary = m_cluster.port(Node::Primary);
    const int reader1 = m_cluster.port(Node::Reader1);
    const int reader2 = m_cluster.port(Node::Reader2);

    // The primary: asked, declined, nothing changes.
    m_confirmAnswer = false;
    int confirmations = m_confirmations;
    QVERIFY(!m_window->toggleNode(nodeIndex(primary)));
    QCOMPARE(m_confirmations, confirmations + 1);
    QTest::qWait(300);
    QCOMPARE(stateOf(primary), u"online"_s);

    // The last online reader: asked too.
    QVERIFY(setByOtherClient(reader2, false));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader2), u"offline: by hand"_s, StateChangeMs);
    confirmations = m_confirmations;
    QVERIFY(!m_window->toggleNode(nodeIndex(reader1)));
    QCOMPARE(m_confirmations, confirmations + 1);
    QCOMPARE(stateOf(reader1), u"online"_s);

    // Accepted: it goes; bringing nodes back never asks.
    m_confirmAnswer = true;
    QVERIFY(m_window->toggleNode(nodeIndex(reader1)));
    QCOMPARE(m_confirmations, confirmations + 2);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader1), u"offline: by hand"_s, StateChangeMs);
    QVERIFY(m_window->toggleNode(nodeIndex(reader1)));
    QVERIFY(m_window->toggleNode(nodeIndex(reader2)));
    QCOMPARE(m_confirmations, confirmations + 2);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader1), u"online"_s, StateChangeMs);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(reader2), u"online"_s, StateChangeMs);
}

void tst_MonitorGui::eventLogRecordsChanges()
{
    const EventLogModel *log = m_window->eventLog();
    // Ten changes so far. The window showed each from the set-state reply already; the pushed
    // events of the last ones may still be on their way.
    QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), 10, StateChangeMs);
    QCOMPARE(m_window->eventView()->model()->rowCount(), log->rowCount());
    const QString reader1 = u"127.0.0.1:%1"_s.arg(m_cluster.port(Node::Reader1));
    // The mouse click of mouseToggleTakesReaderOffline(), in full.
    bool found = false;
    for (int row = 0; row < log->rowCount() && !found; ++row) {
        const EventLogModel::Entry entry = log->entry(row);
        found = entry.node == reader1 && entry.pid == m_pid && entry.cluster == u"demo"_s
            && entry.oldState == QPsqlHa::NodeState::Online
            && entry.newState == QPsqlHa::NodeState::OfflineByHand && !entry.reason.isEmpty()
            && entry.time.isValid() && entry.process.contains(u"qpsqlha-demo"_s);
    }
    QVERIFY(found);
    const int last = log->rowCount() - 1;
    QCOMPARE(log->index(last, EventLogModel::NewStateColumn).data().toString(), u"online"_s);
}

void tst_MonitorGui::lagIsShown()
{
    // The primary has none; the readers' is measured every health interval (500 ms in the demo).
    QCOMPARE(nodeIndex(m_cluster.port(Node::Primary), MonitorModel::LagColumn).data().toString(),
             u"-"_s);
    for (Node node : {Node::Reader1, Node::Reader2}) {
        const QModelIndex lag = nodeIndex(m_cluster.port(node), MonitorModel::LagColumn);
        QTRY_VERIFY_WITH_TIMEOUT(lag.data(MonitorModel::LagBytesRole).toLongLong() >= 0, 5000);
        QVERIFY2(lag.data().toString().contains(u"B / "_s), qPrintable(lag.data().toString()));
    }
    QVERIFY(!m_window->nodeView()->isColumnHidden(MonitorModel::LagColumn));
    QVERIFY(m_window->nodeView()->columnWidth(MonitorModel::LagColumn) > 0);
}

void tst_MonitorGui::nodesAddedAndRemovedAtRunTime()
{
    // What `qpsqlha-ctl add-reader` / `remove-node` do, from another client: reader1 through its
    // socket directory is a fourth node.
    const QString added
        = u"%1:%2"_s.arg(m_cluster.serverSocketDirectory()).arg(m_cluster.port(Node::Reader1));
    MonitorModel *model = m_window->model();
    QTreeView *view = m_window->nodeView();
    const QModelIndex cluster = model->clusterIndex(m_pid, u"demo"_s);
    QPsqlHa::ControlClient client;
    QVERIFY(client.connectToProcess(m_window->watcher()->socketPath(m_pid)));

    QElapsedTimer timer;
    timer.start();
    QVERIFY2(client.addReader(u"demo"_s, added), qPrintable(client.errorString()));
    // The counters after the change list it (they go out at most a second apart).
    QTRY_VERIFY_WITH_TIMEOUT(model->nodeIndex(m_pid, u"demo"_s, added).isValid(), 3000);
    qInfo("an added reader showed in the tree after %lld ms", timer.elapsed());
    QCOMPARE(model->rowCount(cluster), 4);
    const QModelIndex row = model->nodeIndex(m_pid, u"demo"_s, added);
    QCOMPARE(row.row(), 3);
    QVERIFY(view->isExpanded(cluster));
    QVERIFY(view->visualRect(row).isValid()); // laid out in the tree, not only in the model
    QCOMPARE(row.siblingAtColumn(MonitorModel::RoleColumn).data().toString(), u"reader"_s);
    QTRY_COMPARE_WITH_TIMEOUT(row.siblingAtColumn(MonitorModel::StateColumn).data().toString(),
                              u"online"_s, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(
        row.siblingAtColumn(MonitorModel::LagColumn).data(MonitorModel::LagBytesRole).toLongLong()
            >= 0,
        5000);

    // Selected, then removed: the row goes, and the chart and the toggle let go of it.
    view->setCurrentIndex(row);
    QVERIFY(m_window->chart()->title().startsWith(added));
    timer.restart();
    QVERIFY2(client.removeNode(u"demo"_s, added), qPrintable(client.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(!model->nodeIndex(m_pid, u"demo"_s, added).isValid(), 3000);
    qInfo("a removed node left the tree after %lld ms", timer.elapsed());
    QCOMPARE(model->rowCount(cluster), 3);
    QVERIFY(!m_window->chart()->title().startsWith(added));
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2})
        QCOMPARE(stateOf(m_cluster.port(node)), u"online"_s);

    // The write node cannot be removed; the tree is unchanged.
    QVERIFY(!client.removeNode(u"demo"_s, u"127.0.0.1:%1"_s.arg(m_cluster.port(Node::Primary))));
    QVERIFY2(client.errorString().contains(u"takes the writes"_s),
             qPrintable(client.errorString()));
    QTest::qWait(1500);
    QCOMPARE(model->rowCount(cluster), 3);
}

// Every text the monitor shows, in every role, over the whole tree and the event log.
static QStringList allTexts(const QAbstractItemModel *model, const QModelIndex &parent = {})
{
    QStringList texts;
    for (int row = 0; row < model->rowCount(parent); ++row) {
        for (int column = 0; column < model->columnCount(parent); ++column) {
            const QModelIndex index = model->index(row, column, parent);
            for (int role : {Qt::DisplayRole, Qt::ToolTipRole, Qt::StatusTipRole, Qt::WhatsThisRole,
                             Qt::AccessibleTextRole})
                texts.append(index.data(role).toString());
        }
        texts += allTexts(model, model->index(row, 0, parent));
    }
    return texts;
}

void tst_MonitorGui::noSecretInTheViews()
{
    // The demo connects with the cluster's password; nothing the monitor shows may contain it.
    const QStringList texts = allTexts(m_window->model()) + allTexts(m_window->eventLog());
    QVERIFY(texts.size() > 20);
    for (const QString &text : texts)
        QVERIFY2(!text.contains(m_cluster.password()), qPrintable(text));
}

void tst_MonitorGui::layoutIsRemembered()
{
    // QSettings lives in the test's own XDG_CONFIG_HOME (see main()).
    QList<int> sizes;
    int nameWidth = 0;
    {
        MainWindow first(MainWindow::Layout::Remembered);
        first.show();
        QVERIFY(QTest::qWaitForWindowExposed(&first));
        auto *splitter = first.findChild<QSplitter *>(u"mainSplitter"_s);
        QVERIFY(splitter);
        splitter->setSizes({200, 400});
        sizes = splitter->sizes();
        first.nodeView()->header()->resizeSection(MonitorModel::NameColumn, 321);
        nameWidth = first.nodeView()->header()->sectionSize(MonitorModel::NameColumn);
        first.close();
    }
    MainWindow second(MainWindow::Layout::Remembered);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    QCOMPARE(second.findChild<QSplitter *>(u"mainSplitter"_s)->sizes(), sizes);
    QCOMPARE(second.nodeView()->header()->sectionSize(MonitorModel::NameColumn), nameWidth);
}

void tst_MonitorGui::demoExitRemovesProcess()
{
    QApplication::setActiveWindow(m_window.get());
    m_demo.kill();
    QVERIFY(m_demo.waitForFinished(5000));
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->model()->hasProcess(m_pid), 2000);
    QTRY_VERIFY(m_window->emptyPlaceholder()->isVisible());
    QVERIFY(!m_window->toggleAction()->isEnabled());
}

int main(int argc, char *argv[])
{
    // Before QApplication: the runtime directory is where the control sockets are looked for,
    // and the settings go to a directory of the test's own.
    QTemporaryDir runtime;
    if (!runtime.isValid())
        qFatal("cannot create a temporary directory");
    runtimeDirectory = runtime.path();
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(runtime.path() + u"/config"_s));
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    tst_MonitorGui test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_monitorgui.moc"
