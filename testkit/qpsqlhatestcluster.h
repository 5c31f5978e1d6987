// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHATESTCLUSTER_H
#define QPSQLHATESTCLUSTER_H

// QPsqlHaTest::TestCluster: a throw-away PostgreSQL primary with streaming replicas for an
// application's own Qt Test runs, header-only. Create one in initTestCase() and delete it in
// cleanupTestCase() (or hold it in a std::unique_ptr member):
//
//   - inside a CTest fixture of qpsqlha_add_cluster_fixture() (QPSQLHA_TEST_CLUSTER_DIR is set)
//     it uses the fixture's cluster, shared by every test of the run;
//   - with QPSQLHA_TEST_PORT etc. in the environment (eval "$(qpsqlha-testcluster env DIR)") it
//     uses that cluster;
//   - otherwise it starts a cluster of its own with qpsqlha-testcluster and stops it again in
//     its destructor.
//
// The script is QPSQLHA_TESTCLUSTER, else the installed one, else qpsqlha-testcluster on PATH.

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qhash.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qtemporarydir.h>
#include <QtSql/qsqldatabase.h>

#include <memory>
#include <utility>

namespace QPsqlHaTest {

class TestCluster
{
public:
    explicit TestCluster(int replicas = 2)
    {
        const QString sharedDir = qEnvironmentVariable("QPSQLHA_TEST_CLUSTER_DIR");
        if (!sharedDir.isEmpty()) {
            readSettings(runScript({QStringLiteral("env"), sharedDir}));
            return;
        }
        if (qEnvironmentVariableIsSet("QPSQLHA_TEST_PORT")) {
            for (const char *name :
                 {"HOST", "PORT", "READERS", "USER", "PASSWORD", "DATABASE", "OPTIONS"})
                m_settings.insert(
                    QString::fromLatin1(name),
                    qEnvironmentVariable(QByteArray("QPSQLHA_TEST_").append(name).constData()));
            m_valid = true;
            return;
        }
        m_stateDir = std::make_unique<QTemporaryDir>(QDir::tempPath()
                                                     + QStringLiteral("/qpsqlha-test-XXXXXX"));
        const QString dir = m_stateDir->path() + QStringLiteral("/cluster");
        if (runScript({QStringLiteral("start"), dir, QStringLiteral("--replicas"),
                       QString::number(replicas)})
                .isNull())
            return;
        m_ownDir = dir;
        readSettings(runScript({QStringLiteral("env"), dir}));
    }

    // Closes and removes the connections addDatabase() made (before their servers go, and before
    // the process exits with them open), then stops the cluster if this object started it.
    ~TestCluster()
    {
        for (const QString &name : std::as_const(m_connections)) {
            QSqlDatabase::database(name, false).close();
            QSqlDatabase::removeDatabase(name);
        }
        if (!m_ownDir.isEmpty())
            runScript({QStringLiteral("stop"), m_ownDir});
    }

    TestCluster(const TestCluster &) = delete;
    TestCluster &operator=(const TestCluster &) = delete;

    bool isValid() const { return m_valid; }
    QString errorString() const { return m_error; }

    QString host() const { return m_settings.value(QStringLiteral("HOST")); }
    int port() const { return m_settings.value(QStringLiteral("PORT")).toInt(); }
    // "host:port,host:port", as QPSQLHA_READERS wants them.
    QString readers() const { return m_settings.value(QStringLiteral("READERS")); }
    QString user() const { return m_settings.value(QStringLiteral("USER")); }
    QString password() const { return m_settings.value(QStringLiteral("PASSWORD")); }
    QString database() const { return m_settings.value(QStringLiteral("DATABASE")); }
    // For QSqlDatabase::setConnectOptions(): the readers, and nothing else.
    QString connectOptions() const { return m_settings.value(QStringLiteral("OPTIONS")); }

    // A QPSQLHA connection to this cluster, not yet opened; extraOptions are appended to
    // connectOptions() (";"-separated, as for every Qt driver). Removed by the destructor: drop
    // every QSqlDatabase and QSqlQuery copy of it first.
    QSqlDatabase addDatabase(const QString &connectionName
                             = QLatin1String(QSqlDatabase::defaultConnection),
                             const QString &extraOptions = QString())
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQLHA"), connectionName);
        db.setHostName(host());
        db.setPort(port());
        db.setDatabaseName(database());
        db.setUserName(user());
        db.setPassword(password());
        QString options = connectOptions();
        if (!extraOptions.isEmpty())
            options += (options.isEmpty() ? QString() : QStringLiteral(";")) + extraOptions;
        db.setConnectOptions(options);
        m_connections.append(connectionName);
        return db;
    }

    static QString script()
    {
        const QString fromEnvironment = qEnvironmentVariable("QPSQLHA_TESTCLUSTER");
        if (!fromEnvironment.isEmpty())
            return fromEnvironment;
#ifdef QPSQLHA_TESTCLUSTER_EXECUTABLE
        if (QFile::exists(QStringLiteral(QPSQLHA_TESTCLUSTER_EXECUTABLE)))
            return QStringLiteral(QPSQLHA_TESTCLUSTER_EXECUTABLE);
#endif
        return QStandardPaths::findExecutable(QStringLiteral("qpsqlha-testcluster"));
    }

private:
    // The script's standard output, or a null string (and m_error) when it failed.
    QString runScript(const QStringList &arguments)
    {
        const QString program = script();
        if (program.isEmpty()) {
            m_error = QStringLiteral("qpsqlha-testcluster not found (set QPSQLHA_TESTCLUSTER)");
            return QString();
        }
        QProcess process;
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(QStringLiteral("bash"), QStringList {program} + arguments);
        // Starting a cluster takes seconds; the script's own timeouts end it before this does.
        if (!process.waitForFinished(300 * 1000) || process.exitStatus() != QProcess::NormalExit
            || process.exitCode() != 0) {
            m_error = QStringLiteral("%1 %2 failed (exit code %3)")
                          .arg(program, arguments.join(QLatin1Char(' ')))
                          .arg(process.exitCode());
            return QString();
        }
        return QString::fromLocal8Bit(process.readAllStandardOutput()) + QLatin1Char('\n');
    }

    // Lines "export QPSQLHA_TEST_NAME='value'" as `qpsqlha-testcluster env` prints them.
    void readSettings(const QString &output)
    {
        if (output.isNull())
            return;
        const QString prefix = QStringLiteral("export QPSQLHA_TEST_");
        for (const QString &line : output.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            const qsizetype equals = line.indexOf(QLatin1Char('='));
            if (!line.startsWith(prefix) || equals < 0)
                continue;
            QString value = line.mid(equals + 1);
            if (value.size() >= 2 && value.startsWith(QLatin1Char('\''))
                && value.endsWith(QLatin1Char('\'')))
                value = value.mid(1, value.size() - 2);
            m_settings.insert(line.mid(prefix.size(), equals - prefix.size()), value);
        }
        m_valid = port() > 0 && !host().isEmpty();
        if (!m_valid)
            m_error = QStringLiteral("qpsqlha-testcluster env printed no cluster");
    }

    bool m_valid = false;
    QString m_error;
    QHash<QString, QString> m_settings;
    std::unique_ptr<QTemporaryDir> m_stateDir;
    QString m_ownDir; // set when this object started the cluster and must stop it
    QStringList m_connections; // made by addDatabase()
};

} // namespace QPsqlHaTest

#endif // QPSQLHATESTCLUSTER_H
