// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// A QSqlTableModel editor over QPSQLHA: plain Qt SQL code (QSqlDatabase, QSqlTableModel,
// QTableView) that does not know about replicas. Selecting reads from a reader, "Save" writes on
// the primary; the status bar says which node served the last read and the last write, found by
// comparing the nodes' statement counters (QPsqlHa::clusters()) before and after each of the
// model's reads and row writes.
//
// The cluster comes from the environment, as `qpsqlha-testcluster env DIR` prints it:
//   eval "$(qpsqlha-testcluster env /tmp/mycluster)"; qpsqlha-example-tablemodel
// --selftest edits a row, saves, reloads until the replica has it, checks which nodes served
// and exits (0: passed); with QT_QPA_PLATFORM=offscreen it needs no display.

#include <qpsqlhaapi.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qthread.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtSql/qsqlrecord.h>
#include <QtSql/qsqltablemodel.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qmainwindow.h>
#include <QtWidgets/qmessagebox.h>
#include <QtWidgets/qstatusbar.h>
#include <QtWidgets/qtableview.h>
#include <QtWidgets/qtoolbar.h>

#include <cstdio>
#include <functional>

using namespace Qt::StringLiterals;

namespace {

QString setting(const char *name)
{
    const QByteArray variable = QByteArray("QPSQLHA_TEST_") + name;
    return qEnvironmentVariable(variable.constData());
}

// Statements each node has run so far, by address.
QHash<QString, quint64> statementCounts()
{
    QHash<QString, quint64> counts;
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        for (const QPsqlHa::NodeStatus &node : cluster.nodes)
            counts[node.address] += node.queries;
    }
    return counts;
}

// The nodes that ran statements since `before`, with their role: "127.0.0.1:5433 (reader)".
QString nodesSince(const QHash<QString, quint64> &before)
{
    QStringList served;
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        for (const QPsqlHa::NodeStatus &node : cluster.nodes) {
            if (node.queries > before.value(node.address))
                served.append(u"%1 (%2)"_s.arg(
                    node.address,
                    node.role == QPsqlHa::NodeRole::Primary ? u"primary"_s : u"reader"_s));
        }
    }
    return served.isEmpty() ? u"-"_s : served.join(u", "_s);
}

// A QSqlTableModel that notes which nodes served its reads (select(), also the one submitAll()
// makes afterwards) and its writes (each row's INSERT, UPDATE or DELETE).
class NodeTrackingModel : public QSqlTableModel
{
public:
    using QSqlTableModel::QSqlTableModel;

    QString lastRead() const { return m_lastRead; }
    QString lastWrite() const { return m_lastWrite; }
    std::function<void()> onServed;

    bool select() override
    {
        return track(&m_lastRead, [this] { return QSqlTableModel::select(); });
    }

protected:
    bool insertRowIntoTable(const QSqlRecord &values) override
    {
        return track(&m_lastWrite, [&] { return QSqlTableModel::insertRowIntoTable(values); });
    }
    bool updateRowInTable(int row, const QSqlRecord &values) override
    {
        return track(&m_lastWrite, [&] { return QSqlTableModel::updateRowInTable(row, values); });
    }
    bool deleteRowFromTable(int row) override
    {
        return track(&m_lastWrite, [&] { return QSqlTableModel::deleteRowFromTable(row); });
    }

private:
    template<typename Call> bool track(QString *served, Call call)
    {
        const auto before = statementCounts();
        const bool ok = call();
        *served = nodesSince(before);
        if (onServed)
            onServed();
        return ok;
    }

    QString m_lastRead = u"-"_s;
    QString m_lastWrite = u"-"_s;
};

class Editor : public QMainWindow
{
public:
    explicit Editor(const QString &table)
    {
        m_model = new NodeTrackingModel(this, QSqlDatabase::database());
        m_model->setTable(table);
        m_model->setEditStrategy(QSqlTableModel::OnManualSubmit);
        m_model->onServed = [this] {
            statusBar()->showMessage(
                u"last read: %1 | last write: %2"_s.arg(m_model->lastRead(), m_model->lastWrite()));
        };
        auto *view = new QTableView(this);
        view->setModel(m_model);
        setCentralWidget(view);
        QToolBar *tools = addToolBar(u"Table"_s);
        tools->addAction(u"Reload"_s, this, [this] { m_model->select(); });
        tools->addAction(u"Add row"_s, this, [this] { m_model->insertRow(m_model->rowCount()); });
        tools->addAction(u"Save"_s, this, [this] {
            if (!m_model->submitAll())
                QMessageBox::warning(this, u"Save"_s, m_model->lastError().text());
        });
        setWindowTitle(u"QPSQLHA: %1"_s.arg(table));
        m_model->select();
    }

    NodeTrackingModel *model() const { return m_model; }

private:
    NodeTrackingModel *m_model = nullptr;
};

// Edits the first row, saves, and reloads until the reader has the change.
int selfTest(Editor &editor)
{
    NodeTrackingModel *model = editor.model();
    // The table was just created on the primary: the reader may not have it yet.
    QElapsedTimer waited;
    waited.start();
    while (model->rowCount() < 1 && waited.elapsed() < 10000) {
        QThread::msleep(50);
        model->select();
    }
    const QString value = u"edited %1"_s.arg(QCoreApplication::applicationPid());
    if (model->rowCount() < 1 || !model->setData(model->index(0, 1), value)
        || !model->submitAll()) {
        std::fprintf(stderr, "selftest: edit failed: %s\n", qPrintable(model->lastError().text()));
        return 1;
    }
    const QString write = model->lastWrite();
    waited.restart();
    while (model->index(0, 1).data().toString() != value && waited.elapsed() < 10000) {
        QThread::msleep(50);
        model->select();
    }
    std::printf("%s\n", qPrintable(editor.statusBar()->currentMessage()));
    const bool seen = model->index(0, 1).data().toString() == value;
    const bool ok = seen && write.contains(u"(primary)"_s) && !write.contains(u"(reader)"_s)
        && model->lastRead().contains(u"(reader)"_s);
    std::printf("selftest: %s\n", ok ? "passed" : "FAILED");
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    const bool selftest = app.arguments().contains(u"--selftest"_s);
    if (setting("PORT").isEmpty()) {
        std::fprintf(stderr, "set QPSQLHA_TEST_* first: eval \"$(qpsqlha-testcluster env DIR)\"\n");
        return 2;
    }

    // An ordinary Qt SQL connection; only the driver name and the connect options say QPSQLHA.
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s);
    db.setHostName(setting("HOST"));
    db.setPort(setting("PORT").toInt());
    db.setDatabaseName(setting("DATABASE"));
    db.setUserName(setting("USER"));
    db.setPassword(setting("PASSWORD"));
    db.setConnectOptions(setting("OPTIONS"));
    if (!db.open()) {
        std::fprintf(stderr, "open: %s\n", qPrintable(db.lastError().text()));
        return 1;
    }

    // A table of its own per self-test run, so that runs side by side do not meet.
    const QString table = selftest ? u"example_items_%1"_s.arg(QCoreApplication::applicationPid())
                                   : u"example_items"_s;
    QSqlQuery setup(db);
    if (!setup.exec(u"CREATE TABLE IF NOT EXISTS %1 (id serial PRIMARY KEY, name text, "
                    "quantity int)"_s.arg(table))
        || !setup.exec(u"INSERT INTO %1 (name, quantity) SELECT 'first', 1 "
                       "WHERE NOT EXISTS (SELECT 1 FROM %1)"_s.arg(table))) {
        std::fprintf(stderr, "setup: %s\n", qPrintable(setup.lastError().text()));
        return 1;
    }

    int result = 0;
    {
        Editor editor(table);
        editor.resize(640, 360);
        editor.show();
        if (selftest)
            result = selfTest(editor);
        else
            result = app.exec();
    }
    if (selftest)
        setup.exec(u"DROP TABLE %1"_s.arg(table));
    return result;
}
