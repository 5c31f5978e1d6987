// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// A small application that uses QPSQLHA the way an application would: plain QSqlDatabase and
// QSqlQuery code, reads and writes, several worker threads. Every second it prints what each
// node has served, so one can watch reads spread over the readers and move when one dies.

#include <qpsqlhaapi.h>

#include <QtCore/qatomic.h>
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <cstdio>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

struct Totals
{
    QAtomicInteger<quint64> readsOk;
    QAtomicInteger<quint64> readsFailed;
    QAtomicInteger<quint64> writesOk;
    QAtomicInteger<quint64> writesFailed;
    QAtomicInt stop;
};

struct Options
{
    QString host;
    int port = 5432;
    QString readers;
    QString database;
    QString user;
    QString password;
    int threads = 4;
    int seconds = 30;
};

// What an application does once per connection: the primary as usual, the readers and the
// cluster name in the connect options. Every connection of the demo shares the cluster "demo".
QSqlDatabase addConnection(const Options &options, const QString &name)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, name);
    db.setHostName(options.host);
    db.setPort(options.port);
    db.setDatabaseName(options.database);
    db.setUserName(options.user);
    db.setPassword(options.password);
    db.setConnectOptions(u"QPSQLHA_READERS=%1;QPSQLHA_CLUSTER=demo;"
                         "QPSQLHA_HEALTH_INTERVAL=500;connect_timeout=2"_s.arg(options.readers));
    return db;
}

// One worker: its own connection (a QSqlDatabase belongs to one thread), 1 write per 10 reads.
void work(const Options &options, int id, Totals *totals)
{
    const QString name = u"demo-%1"_s.arg(id);
    {
        QSqlDatabase db = addConnection(options, name);
        if (!db.open()) {
            std::fprintf(stderr, "worker %d: %s\n", id, qPrintable(db.lastError().text()));
            return;
        }
        QSqlQuery read(db);
        read.prepare(u"SELECT payload FROM demo_events WHERE id = ?"_s);
        QSqlQuery write(db);
        write.prepare(u"INSERT INTO demo_events (payload) VALUES (?)"_s);
        for (quint64 i = 0; !totals->stop.loadRelaxed(); ++i) {
            if (i % 10 == 0) {
                write.addBindValue(u"worker %1 event %2"_s.arg(id).arg(i));
                (write.exec() ? totals->writesOk : totals->writesFailed).ref();
            } else {
                read.addBindValue(qlonglong(i % 100) + 1);
                (read.exec() ? totals->readsOk : totals->readsFailed).ref();
                if (!read.isActive() && totals->readsFailed.loadRelaxed() < 5) {
                    std::fprintf(stderr, "read failed: %s\n", qPrintable(read.lastError().text()));
                }
            }
            QThread::usleep(2000);
        }
    }
    QSqlDatabase::removeDatabase(name);
}

void printNodes(const Totals &totals, qint64 elapsedMs)
{
    std::printf(
        "\n[%5.1f s] reads ok %llu, reads failed %llu, writes ok %llu, writes failed %llu\n",
        elapsedMs / 1000.0, qulonglong(totals.readsOk.loadRelaxed()),
        qulonglong(totals.readsFailed.loadRelaxed()), qulonglong(totals.writesOk.loadRelaxed()),
        qulonglong(totals.writesFailed.loadRelaxed()));
    std::printf("  %-22s %-8s %-18s %10s %8s %8s\n", "node", "role", "state", "queries", "errors",
                "retries");
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        for (const QPsqlHa::NodeStatus &node : cluster.nodes) {
            const char *state = node.state == QPsqlHa::NodeState::Online ? "online"
                : node.state == QPsqlHa::NodeState::Failed               ? "offline: failed"
                                                                         : "offline: by hand";
            std::printf("  %-22s %-8s %-18s %10llu %8llu %8llu\n", qPrintable(node.address),
                        node.role == QPsqlHa::NodeRole::Primary ? "primary" : "reader", state,
                        qulonglong(node.queries), qulonglong(node.errors),
                        qulonglong(node.retries));
        }
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qpsqlha-demo"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Reads and writes through QPSQLHA and prints what every node served."_s);
    parser.addHelpOption();
    const QCommandLineOption host(u"host"_s, u"Primary host."_s, u"host"_s, u"127.0.0.1"_s);
    const QCommandLineOption port(u"port"_s, u"Primary port."_s, u"port"_s, u"5432"_s);
    const QCommandLineOption readers(u"readers"_s, u"Readers, host:port,host:port."_s, u"list"_s);
    const QCommandLineOption database(u"database"_s, u"Database name."_s, u"name"_s);
    const QCommandLineOption user(u"user"_s, u"User name."_s, u"name"_s);
    const QCommandLineOption passwordEnv(
        u"password-env"_s, u"Environment variable holding the password (default PGPASSWORD)."_s,
        u"variable"_s, u"PGPASSWORD"_s);
    const QCommandLineOption threads(u"threads"_s, u"Worker threads."_s, u"n"_s, u"4"_s);
    const QCommandLineOption seconds(u"seconds"_s, u"How long to run (0: until killed)."_s, u"n"_s,
                                     u"30"_s);
    parser.addOptions({host, port, readers, database, user, passwordEnv, threads, seconds});
    parser.process(app);

    Options options;
    options.host = parser.value(host);
    options.port = parser.value(port).toInt();
    options.readers = parser.value(readers);
    options.database = parser.value(database);
    options.user = parser.value(user);
    options.password = qEnvironmentVariable(qPrintable(parser.value(passwordEnv)));
    options.threads = qBound(1, parser.value(threads).toInt(), 64);
    options.seconds = qMax(0, parser.value(seconds).toInt());

    {
        // The schema, through the same driver: DDL goes to the primary.
        QSqlDatabase db = addConnection(options, u"setup"_s);
        if (!db.open()) {
            std::fprintf(stderr, "cannot open: %s\n", qPrintable(db.lastError().text()));
            return 1;
        }
        QSqlQuery query(db);
        if (!query.exec(u"CREATE TABLE IF NOT EXISTS demo_events (id bigserial PRIMARY KEY, "
                        "payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())"_s)) {
            std::fprintf(stderr, "cannot create the table: %s\n",
                         qPrintable(query.lastError().text()));
            return 1;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(u"setup"_s);

    Totals totals;
    std::vector<std::unique_ptr<QThread>> workers;
    for (int i = 0; i < options.threads; ++i) {
        workers.emplace_back(QThread::create(work, options, i, &totals));
        workers.back()->start();
    }

    QElapsedTimer elapsed;
    elapsed.start();
    QTimer report;
    QObject::connect(&report, &QTimer::timeout, &app, [&] {
        printNodes(totals, elapsed.elapsed());
        if (options.seconds > 0 && elapsed.elapsed() >= options.seconds * 1000)
            app.quit();
    });
    report.start(1000);
    app.exec();

    totals.stop.storeRelaxed(1);
    for (auto &worker : workers)
        worker->wait();
    printNodes(totals, elapsed.elapsed());
    return totals.readsFailed.loadRelaxed() == 0 ? 0 : 2;
}
