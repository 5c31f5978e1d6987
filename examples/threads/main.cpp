// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Worker threads with QPsqlHa::use(): the main thread registers one replication set with
// initDatabases(), and every worker asks use() for it. Each thread gets a connection of its own
// (a clone, made on first use and removed when the thread ends), so the workers need no
// bookkeeping; all of them share the cluster's node state and counters. At the end it prints
// what every node served and exits 1 if any statement failed.
//
// The cluster comes from the environment, as `qpsqlha-testcluster env DIR` prints it:
//   eval "$(qpsqlha-testcluster env /tmp/mycluster)"; qpsqlha-example-threads [THREADS] [ROUNDS]

#include <qpsqlhaapi.h>

#include <QtCore/qatomic.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qthread.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <cstdio>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

QString setting(const char *name)
{
    const QByteArray variable = QByteArray("QPSQLHA_TEST_") + name;
    return qEnvironmentVariable(variable.constData());
}

// The replication set "app": the primary, and every reader of QPSQLHA_TEST_READERS.
QPsqlHa::DatabaseConfig configFromEnvironment()
{
    const auto node = [](const QString &host, int port) {
        return QPsqlHa::NodeConfig {
            host, port, setting("USER"), setting("PASSWORD"), QString(), setting("DATABASE")};
    };
    QPsqlHa::ReplicationConfig replication;
    replication.appendWriteNodeConfig(node(setting("HOST"), setting("PORT").toInt()));
    for (const QString &reader : setting("READERS").split(u',', Qt::SkipEmptyParts)) {
        const qsizetype colon = reader.lastIndexOf(u':');
        replication.appendReadNodeConfig(node(reader.left(colon), reader.mid(colon + 1).toInt()));
    }
    QPsqlHa::DatabaseConfig config;
    config.appendReplicationConfig(u"app"_s, replication);
    return config;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    const int threadCount = arguments.size() > 1 ? arguments.at(1).toInt() : 4;
    const int rounds = arguments.size() > 2 ? arguments.at(2).toInt() : 200;
    if (setting("PORT").isEmpty()) {
        std::fprintf(stderr, "set QPSQLHA_TEST_* first: eval \"$(qpsqlha-testcluster env DIR)\"\n");
        return 2;
    }

    QString error;
    if (!QPsqlHa::initDatabases(configFromEnvironment(), /*debug=*/false, &error)) {
        std::fprintf(stderr, "initDatabases: %s\n", qPrintable(error));
        return 1;
    }
    // The main thread's connection: the table the workers write to.
    QSqlQuery setup(QPsqlHa::use(u"app"_s));
    if (!setup.exec(u"CREATE TABLE IF NOT EXISTS example_threads (thread int, round int)"_s)) {
        std::fprintf(stderr, "%s\n", qPrintable(setup.lastError().text()));
        return 1;
    }

    QAtomicInt failures;
    std::vector<std::unique_ptr<QThread>> workers;
    for (int t = 0; t < threadCount; ++t) {
        workers.emplace_back(QThread::create([t, rounds, &failures] {
            // This thread's own connection to "app", opened on first use.
            QSqlQuery query(QPsqlHa::use(u"app"_s));
            for (int round = 0; round < rounds; ++round) {
                // Every tenth statement a write (the primary), the others reads (a reader).
                const bool ok = round % 10 == 0
                    ? query.exec(u"INSERT INTO example_threads VALUES (%1, %2)"_s.arg(t).arg(round))
                    : query.exec(u"SELECT count(*) FROM pg_class"_s) && query.next();
                if (!ok) {
                    failures.fetchAndAddRelaxed(1);
                    std::fprintf(stderr, "thread %d: %s\n", t,
                                 qPrintable(query.lastError().text()));
                }
            }
        }));
        workers.back()->start();
    }
    for (const auto &worker : workers)
        worker->wait();

    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters()) {
        for (const QPsqlHa::NodeStatus &node : cluster.nodes) {
            std::printf("%-22s %-8s %6llu statements\n", qPrintable(node.address),
                        node.role == QPsqlHa::NodeRole::Primary ? "primary" : "reader",
                        static_cast<unsigned long long>(node.queries));
        }
    }
    std::printf("%d threads x %d statements, %d failed\n", threadCount, rounds,
                failures.loadRelaxed());
    return failures.loadRelaxed() == 0 ? 0 : 1;
}
