// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Built against an installed QPSQLHA: uses the C++ API and the installed plugin against the
// test cluster. Arguments: host port database user, password in PGPASSWORD, readers in
// QPSQLHA_TEST_READERS.

#include <qpsqlha.h>

#include <QtCore/qcoreapplication.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 5) {
        std::fprintf(stderr, "usage: consumer host port database user\n");
        return 2;
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQLHA"))) {
        std::fprintf(stderr, "the installed QPSQLHA plugin was not found\n");
        return 1;
    }
    QPsqlHa::NodeConfig primary;
    primary.host = args.at(1);
    primary.port = args.at(2).toInt();
    primary.database = args.at(3);
    primary.user = args.at(4);
    primary.password = qEnvironmentVariable("PGPASSWORD");
    QPsqlHa::ReplicationConfig replica;
    replica.appendWriteNodeConfig(primary);
    for (const QString &reader : qEnvironmentVariable("QPSQLHA_TEST_READERS").split(u',')) {
        QPsqlHa::NodeConfig node = primary;
        node.port = reader.section(u':', 1).toInt();
        replica.appendReadNodeConfig(node);
    }
    QPsqlHa::DatabaseConfig config;
    config.appendReplicationConfig(QStringLiteral("installed"), replica);
    QString error;
    if (!QPsqlHa::initDatabases(config, false, &error)) {
        std::fprintf(stderr, "initDatabases: %s\n", qPrintable(error));
        return 1;
    }
    QSqlQuery query(QPsqlHa::use(QStringLiteral("installed")));
    if (!query.exec(QStringLiteral("SELECT inet_server_port()")) || !query.next()) {
        std::fprintf(stderr, "read failed: %s\n", qPrintable(query.lastError().text()));
        return 1;
    }
    std::printf("read served by port %d\n", query.value(0).toInt());
    return query.value(0).toInt() == primary.port ? 1 : 0; // a reader must have served it
}
