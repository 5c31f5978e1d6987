// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "testcluster.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qdebug.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qhash.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>
#include <QtTest/qtest.h>

#include <libpq-fe.h>

#include <memory>
#include <vector>

namespace QPsqlHaTest {

namespace {

constexpr int ScriptTimeoutMs = 120 * 1000; // pg_ctl itself gives up after 60 s
constexpr int StreamingTimeoutMs = 60 * 1000;
constexpr int PollIntervalMs = 20;

struct PGconnDeleter
{
    void operator()(PGconn *conn) const { PQfinish(conn); }
};
struct PGresultDeleter
{
    void operator()(PGresult *result) const { PQclear(result); }
};
using ConnectionPtr = std::unique_ptr<PGconn, PGconnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, PGresultDeleter>;

// libpq's messages end in a newline and sometimes span lines; one line reads better in test logs.
QString pqMessage(const char *message)
{
    return QString::fromUtf8(message).simplified();
}

// libpq connection parameters for one node, kept alive as long as libpq needs the pointers.
class ConnectParams
{
public:
    ConnectParams(const QString &host, int port, const QString &database, const QString &user,
                  const QString &password)
    {
        add("host", host.toUtf8());
        add("port", QByteArray::number(port));
        add("dbname", database.toUtf8());
        add("user", user.toUtf8());
        add("password", password.toUtf8());
        add("connect_timeout", QByteArrayLiteral("5"));
        add("application_name", QByteArrayLiteral("qpsqlha-testcluster"));
        // Whatever a developer's PGTARGETSESSIONATTRS says, the readers must be reachable.
        add("target_session_attrs", QByteArrayLiteral("any"));

        for (const QByteArray &value : m_storage)
            m_values.push_back(value.constData());
        m_keywords.push_back(nullptr);
        m_values.push_back(nullptr);
    }

    const char *const *keywords() const { return m_keywords.data(); }
    const char *const *values() const { return m_values.data(); }

private:
    void add(const char *keyword, const QByteArray &value)
    {
        m_keywords.push_back(keyword);
        m_storage.push_back(value);
    }

    std::vector<const char *> m_keywords;
    std::vector<QByteArray> m_storage;
    std::vector<const char *> m_values;
};

} // namespace

TestCluster &TestCluster::instance()
{
    static TestCluster cluster(qEnvironmentVariable("QPSQLHA_TEST_CLUSTER_ENV"));
    return cluster;
}

std::unique_ptr<TestCluster> TestCluster::startPrivate()
{
    const QString script = qEnvironmentVariable("QPSQLHA_CLUSTER_SCRIPT");
    // Beside the shared cluster's state directory, so that a crashed run's leftovers are found
    // and cleaned like the fixture's.
    const QString shared = qEnvironmentVariable("QPSQLHA_TEST_CLUSTER_ENV");
    const QString stateDir = QFileInfo(shared).absolutePath()
        + QStringLiteral("-private-%1").arg(QCoreApplication::applicationPid());
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    if (!script.isEmpty()) {
        process.start(QStringLiteral("bash"), {script, QStringLiteral("start"), stateDir});
        if (!process.waitForFinished(ScriptTimeoutMs) || process.exitCode() != 0)
            qWarning().noquote() << "TestCluster: could not start a private cluster in" << stateDir;
    }
    std::unique_ptr<TestCluster> cluster(
        new TestCluster(stateDir + QStringLiteral("/cluster.env")));
    cluster->m_ownsCluster = true;
    if (script.isEmpty())
        cluster->m_error = QStringLiteral("QPSQLHA_CLUSTER_SCRIPT is not set");
    return cluster;
}

TestCluster::~TestCluster()
{
    if (!m_ownsCluster || m_script.isEmpty())
        return;
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.start(QStringLiteral("bash"), {m_script, QStringLiteral("stop"), m_stateDir});
    if (process.waitForFinished(ScriptTimeoutMs) && process.exitCode() == 0)
        QDir(m_stateDir).removeRecursively();
}

TestCluster::TestCluster(const QString &envFile)
    : m_envFile(envFile)
{
    m_script = qEnvironmentVariable("QPSQLHA_CLUSTER_SCRIPT");
    if (m_envFile.isEmpty()) {
        m_error
            = QStringLiteral("QPSQLHA_TEST_CLUSTER_ENV is not set: it names the cluster.env "
                             "written by `qpsqlha-testcluster start STATE_DIR` (run the test via "
                             "ctest, which starts the cluster first)");
        return;
    }
    m_stateDir = QFileInfo(m_envFile).absolutePath();

    QFile file(m_envFile);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        m_error = QStringLiteral("cannot read %1: %2 (is the test cluster running?)")
                      .arg(m_envFile, file.errorString());
        return;
    }

    // KEY=VALUE lines as written by qpsqlha-testcluster; values never contain spaces or quotes.
    QHash<QString, QString> values;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const qsizetype equals = line.indexOf(u'=');
        if (equals <= 0)
            continue;
        values.insert(line.left(equals).trimmed(), line.mid(equals + 1).trimmed());
    }

    const QStringList required = {
        QStringLiteral("PGHA_HOST"),         QStringLiteral("PGHA_PRIMARY_PORT"),
        QStringLiteral("PGHA_READER1_PORT"), QStringLiteral("PGHA_READER2_PORT"),
        QStringLiteral("PGHA_DATABASE"),     QStringLiteral("PGHA_USER"),
        QStringLiteral("PGHA_PASSWORD"),     QStringLiteral("PGHA_SSL_CA"),
        QStringLiteral("PGHA_SSL_OTHER_CA"), QStringLiteral("PGHA_SOCKETDIR"),
    };
    QStringList missing;
    for (const QString &key : required) {
        if (values.value(key).isEmpty())
            missing.append(key);
    }
    if (!missing.isEmpty()) {
        m_error = QStringLiteral("%1 lacks %2").arg(m_envFile, missing.join(QStringLiteral(", ")));
        return;
    }

    const auto parsePort = [&](const QString &key, int *port) {
        bool ok = false;
        *port = values.value(key).toInt(&ok);
        if (ok && *port > 0 && *port < 65536)
            return true;
        m_error = QStringLiteral("%1: %2 is not a port: %3").arg(m_envFile, key, values.value(key));
        return false;
    };
    if (!parsePort(QStringLiteral("PGHA_PRIMARY_PORT"), &m_primaryPort)
        || !parsePort(QStringLiteral("PGHA_READER1_PORT"), &m_reader1Port)
        || !parsePort(QStringLiteral("PGHA_READER2_PORT"), &m_reader2Port)) {
        return;
    }

    m_host = values.value(QStringLiteral("PGHA_HOST"));
    m_database = values.value(QStringLiteral("PGHA_DATABASE"));
    m_user = values.value(QStringLiteral("PGHA_USER"));
    m_password = values.value(QStringLiteral("PGHA_PASSWORD"));
    m_sslCa = values.value(QStringLiteral("PGHA_SSL_CA"));
    m_sslOtherCa = values.value(QStringLiteral("PGHA_SSL_OTHER_CA"));
    m_serverSocketDirectory = values.value(QStringLiteral("PGHA_SOCKETDIR"));
    m_valid = true;
}

QString TestCluster::nodeName(Node node)
{
    switch (node) {
    case Node::Primary:
        return QStringLiteral("primary");
    case Node::Reader1:
        return QStringLiteral("reader1");
    case Node::Reader2:
        return QStringLiteral("reader2");
    }
    Q_UNREACHABLE();
    return QString();
}

int TestCluster::port(Node node) const
{
    switch (node) {
    case Node::Primary:
        return m_primaryPort;
    case Node::Reader1:
        return m_reader1Port;
    case Node::Reader2:
        return m_reader2Port;
    }
    Q_UNREACHABLE();
    return 0;
}

QString TestCluster::readersOption() const
{
    return m_host + u':' + QString::number(m_reader1Port) + u',' + m_host + u':'
        + QString::number(m_reader2Port);
}

bool TestCluster::runScript(const QStringList &arguments, int timeoutMs) const
{
    const QString what = arguments.join(u' ');
    if (!m_valid) {
        qWarning().noquote() << "TestCluster: cannot" << what << "-" << m_error;
        return false;
    }
    if (m_script.isEmpty()) {
        qWarning().noquote() << "TestCluster: cannot" << what
                             << "- QPSQLHA_CLUSTER_SCRIPT (path of qpsqlha-testcluster) is not set";
        return false;
    }

    QProcess process;
    process.setProgram(QStringLiteral("bash"));
    process.setArguments(QStringList {m_script} + arguments);
    process.start();
    if (!process.waitForStarted()) {
        qWarning().noquote() << "TestCluster: cannot run bash" << m_script << "-"
                             << process.errorString();
        return false;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        qWarning().noquote() << "TestCluster: qpsqlha-testcluster" << what << "timed out after"
                             << timeoutMs << "ms";
        return false;
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        qWarning().noquote() << "TestCluster: qpsqlha-testcluster" << what
                             << "failed with exit code" << process.exitCode() << ":\n"
                             << QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
        return false;
    }
    return true;
}

bool TestCluster::stopNode(Node node, bool immediate)
{
    return runScript({QStringLiteral("stop-node"), m_stateDir, nodeName(node),
                      immediate ? QStringLiteral("immediate") : QStringLiteral("fast")},
                     ScriptTimeoutMs);
}

bool TestCluster::startNode(Node node)
{
    return runScript({QStringLiteral("start-node"), m_stateDir, nodeName(node)}, ScriptTimeoutMs);
}

bool TestCluster::promote(Node node)
{
    return runScript({QStringLiteral("promote"), m_stateDir, nodeName(node)}, ScriptTimeoutMs);
}

bool TestCluster::freeze(Node node)
{
    return runScript({QStringLiteral("freeze"), m_stateDir, nodeName(node)}, ScriptTimeoutMs);
}

bool TestCluster::thaw(Node node)
{
    return runScript({QStringLiteral("thaw"), m_stateDir, nodeName(node)}, ScriptTimeoutMs);
}

bool TestCluster::isRunning(Node node) const
{
    if (!m_valid)
        return false;
    const ConnectParams params(m_host, port(node), m_database, m_user, m_password);
    return PQpingParams(params.keywords(), params.values(), 0) == PQPING_OK;
}

bool TestCluster::ensureAllRunning()
{
    if (!m_valid) {
        qWarning().noquote() << "TestCluster:" << m_error;
        return false;
    }
    // The primary first, so that the replicas find it when they come up.
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2}) {
        if (!isRunning(node) && !startNode(node))
            return false;
    }
    return waitForStreaming(StreamingTimeoutMs);
}

// Asks each replica itself rather than pg_stat_replication on the primary: after a replica
// restart the primary may still list the dead walsender for a moment.
bool TestCluster::waitForStreaming(int timeoutMs) const
{
    const QDeadlineTimer deadline(timeoutMs);
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        QString status;
        QString error;
        forever {
            status = queryValue(reader, QStringLiteral("SELECT status FROM pg_stat_wal_receiver"),
                                &error);
            if (status == QLatin1String("streaming"))
                break;
            if (deadline.hasExpired()) {
                qWarning().noquote()
                    << "TestCluster:" << nodeName(reader) << "is not streaming after" << timeoutMs
                    << "ms; status:" << (status.isNull() ? error : status);
                return false;
            }
            QTest::qWait(PollIntervalMs);
        }
    }
    return true;
}

QString TestCluster::queryValue(Node node, const QString &sql, QString *error) const
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return QString();
    };
    if (!m_valid)
        return fail(m_error);

    const ConnectParams params(m_host, port(node), m_database, m_user, m_password);
    const ConnectionPtr conn(PQconnectdbParams(params.keywords(), params.values(), 0));
    if (!conn)
        return fail(QStringLiteral("libpq could not allocate a connection"));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        return fail(QStringLiteral("cannot connect to %1 (%2:%3): %4")
                        .arg(nodeName(node), m_host, QString::number(port(node)),
                             pqMessage(PQerrorMessage(conn.get()))));
    }

    const ResultPtr result(PQexec(conn.get(), sql.toUtf8().constData()));
    switch (PQresultStatus(result.get())) {
    case PGRES_TUPLES_OK:
        if (PQntuples(result.get()) > 0 && PQnfields(result.get()) > 0
            && !PQgetisnull(result.get(), 0, 0)) {
            return QString::fromUtf8(PQgetvalue(result.get(), 0, 0));
        }
        return QStringLiteral("");
    case PGRES_COMMAND_OK:
        return QStringLiteral("");
    default:
        return fail(QStringLiteral("%1 on %2 failed: %3")
                        .arg(sql, nodeName(node),
                             pqMessage(result ? PQresultErrorMessage(result.get())
                                              : PQerrorMessage(conn.get()))));
    }
}

bool TestCluster::execOn(Node node, const QString &sql, QString *error) const
{
    QString message;
    const bool ok = !queryValue(node, sql, &message).isNull();
    if (!ok && error)
        *error = message;
    return ok;
}

bool TestCluster::waitForReplication(int timeoutMs) const
{
    QString error;
    // The write position covers every commit made so far; unlike the insert position it never
    // points past a page header, where replay would wait for the next record to reach it.
    const QString lsn
        = queryValue(Node::Primary, QStringLiteral("SELECT pg_current_wal_lsn()"), &error);
    if (lsn.isEmpty()) {
        qWarning().noquote() << "TestCluster: cannot read the primary's WAL position:" << error;
        return false;
    }

    const QString caughtUp
        = QStringLiteral("SELECT pg_last_wal_replay_lsn() >= '%1'::pg_lsn").arg(lsn);
    const QDeadlineTimer deadline(timeoutMs);
    for (Node reader : {Node::Reader1, Node::Reader2}) {
        if (!isRunning(reader))
            continue; // a stopped reader catches up when it comes back
        forever {
            if (queryValue(reader, caughtUp, &error) == QLatin1String("t"))
                break;
            if (deadline.hasExpired()) {
                const QString replayed
                    = queryValue(reader, QStringLiteral("SELECT pg_last_wal_replay_lsn()"), &error);
                qWarning().noquote() << "TestCluster:" << nodeName(reader) << "has replayed"
                                     << (replayed.isNull() ? error : replayed) << "but not" << lsn
                                     << "after" << timeoutMs << "ms";
                return false;
            }
            QTest::qWait(PollIntervalMs);
        }
    }
    return true;
}

QSqlDatabase TestCluster::openDirect(Node node, const QString &connectionName) const
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName);
    if (!m_valid)
        return db;
    db.setHostName(m_host);
    db.setPort(port(node));
    db.setDatabaseName(m_database);
    db.setUserName(m_user);
    db.setPassword(m_password);
    db.setConnectOptions(QStringLiteral("connect_timeout=5"));
    db.open();
    return db;
}

} // namespace QPsqlHaTest
