// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// qpsqlha-ctl end to end: the demo application runs against the live cluster with the control
// channel on, and the tool is run as an operator would run it. Every process gets
// XDG_RUNTIME_DIR set to a directory of this test, so no other process's socket is ever seen.

#include <hahelpers.h>
#include <testcluster.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtNetwork/qlocalserver.h>
#include <QtTest/qtest.h>

#include <cerrno>
#include <csignal>
#include <memory>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

constexpr int CtlTimeoutMs = 30 * 1000;

struct CtlResult
{
    int exitCode = -1;
    bool crashed = true;
    QString out;
    QString err;
};

// For failure messages: what the tool said.
QByteArray describe(const CtlResult &result)
{
    return u"exit %1%2\n--- stdout:\n%3--- stderr:\n%4"_s.arg(result.exitCode)
        .arg(result.crashed ? u" (crashed or timed out)"_s : QString())
        .arg(result.out, result.err)
        .toLocal8Bit();
}

// A pid no process has, for sockets that dead processes left behind.
qint64 deadPid(qint64 from = 999999)
{
    qint64 pid = from;
    while (!(::kill(pid_t(pid), 0) != 0 && errno == ESRCH))
        ++pid;
    return pid;
}

// A Unix socket file with nobody listening on it, as a process killed with SIGKILL leaves.
bool createAbandonedSocket(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const QByteArray bytes = QFile::encodeName(path);
    if (size_t(bytes.size()) >= sizeof(address.sun_path)) {
        ::close(fd);
        return false;
    }
    memcpy(address.sun_path, bytes.constData(), size_t(bytes.size()));
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0;
    ::close(fd);
    return bound;
}

QJsonObject findNode(const QJsonArray &processes, qint64 pid, const QString &address)
{
    for (const QJsonValue &process : processes) {
        if (qint64(process[u"pid"_s].toDouble()) != pid)
            continue;
        for (const QJsonValue &cluster : process[u"clusters"_s].toArray()) {
            if (cluster[u"name"_s].toString() != "demo"_L1)
                continue;
            for (const QJsonValue &node : cluster[u"nodes"_s].toArray()) {
                if (node[u"address"_s].toString() == address)
                    return node.toObject();
            }
        }
    }
    return {};
}

} // namespace

class tst_Ctl : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    void helpAndVersion();
    void usageErrors_data();
    void usageErrors();
    void listWithoutProcesses();
    void listTable();
    void listJson();
    void offlineAndOnline();
    void offlineOnlyInGivenPid();
    void wrongPid();
    void unknownCluster();
    void unknownNode();
    void staleSocketsAreRemovedSilently();
    void unresponsiveProcessIsSkipped();
    void watchPrintsChanges();
    void watchJson();
    void watchEndsOnSignal_data();
    void watchEndsOnSignal();
    void watchFindsNewProcesses();
    void addReaderErrors();
    void addAndRemoveReader();
    void removeWriteNodeIsRefused();
    void removeAndAddBackReader();
    void laggingReaderIsShownAndWatched();
    void primaryTakingReadsIsShown();

private:
    mutable QStringList m_secretShown; // ctl commands whose output contained the password
    CtlResult runCtl(const QStringList &arguments, const QString &runtimeDir = QString()) const;
    std::unique_ptr<QProcess> startCtl(const QStringList &arguments,
                                       const QString &runtimeDir = QString()) const;
    std::unique_ptr<QProcess> startDemo(int threads, const QString &logName) const;
    bool waitForListed(qint64 pid, int timeoutMs) const;
    QJsonArray listProcesses() const;
    quint64 queries(const QString &address) const;
    bool waitForStderr(QProcess *process, QByteArray *seen, const QByteArray &text) const;
    QString demoLog() const;
    void restoreDemoNodes();

    QString readerAddress(Node node) const
    {
        return u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(node));
    }
    QString socketDirectory() const { return m_runtime.path() + u"/qpsqlha"_s; }

    TestCluster &m_test = TestCluster::instance();
    QTemporaryDir m_runtime;
    // laggingReaderIsShownAndWatched(): this process serves its own control channel there.
    QTemporaryDir m_selfRuntime;
    bool m_replayPaused = false;
    std::unique_ptr<QProcess> m_demo;
    qint64 m_demoPid = 0;
    QString m_demoLabel; // "pid 123 (qpsqlha-demo)"
};

CtlResult tst_Ctl::runCtl(const QStringList &arguments, const QString &runtimeDir) const
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"XDG_RUNTIME_DIR"_s, runtimeDir.isEmpty() ? m_runtime.path() : runtimeDir);
    environment.remove(u"QPSQLHA_CONTROL"_s);
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(QPSQLHA_CTL_PATH), arguments);
    CtlResult result;
    if (!process.waitForFinished(CtlTimeoutMs)) {
        process.kill();
        process.waitForFinished();
    } else {
        result.crashed = process.exitStatus() != QProcess::NormalExit;
    }
    result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    // The applications run with the cluster's password; no ctl output may ever show it.
    if (result.out.contains(m_test.password()) || result.err.contains(m_test.password()))
        m_secretShown.append(arguments.join(u' '));
    return result;
}

std::unique_ptr<QProcess> tst_Ctl::startCtl(const QStringList &arguments,
                                            const QString &runtimeDir) const
{
    auto process = std::make_unique<QProcess>();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"XDG_RUNTIME_DIR"_s, runtimeDir.isEmpty() ? m_runtime.path() : runtimeDir);
    environment.remove(u"QPSQLHA_CONTROL"_s);
    process->setProcessEnvironment(environment);
    process->start(QStringLiteral(QPSQLHA_CTL_PATH), arguments);
    process->waitForStarted();
    return process;
}

std::unique_ptr<QProcess> tst_Ctl::startDemo(int threads, const QString &logName) const
{
    auto process = std::make_unique<QProcess>();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QPSQLHA_CONTROL"_s, u"1"_s);
    environment.insert(u"XDG_RUNTIME_DIR"_s, m_runtime.path());
    environment.insert(u"QT_PLUGIN_PATH"_s, QStringLiteral(QPSQLHA_PLUGIN_PATH));
    environment.insert(u"PGPASSWORD"_s, m_test.password());
    process->setProcessEnvironment(environment);
    // Its table every second is of no use here; its complaints are, when a test fails.
    process->setStandardOutputFile(QProcess::nullDevice());
    process->setStandardErrorFile(m_runtime.filePath(logName));
    process->start(
        QStringLiteral(QPSQLHA_DEMO_PATH),
        {u"--host"_s, m_test.host(), u"--port"_s, QString::number(m_test.port(Node::Primary)),
         u"--readers"_s, m_test.readersOption(), u"--database"_s, m_test.database(), u"--user"_s,
         m_test.user(), u"--seconds"_s, u"0"_s, u"--threads"_s, QString::number(threads)});
    return process;
}

QJsonArray tst_Ctl::listProcesses() const
{
    const CtlResult result = runCtl({u"list"_s, u"--json"_s});
    if (result.crashed || result.exitCode != 0)
        return {};
    return QJsonDocument::fromJson(result.out.toUtf8()).array();
}

bool tst_Ctl::waitForListed(qint64 pid, int timeoutMs) const
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        for (const QJsonValue &process : listProcesses()) {
            if (qint64(process[u"pid"_s].toDouble()) == pid)
                return true;
        }
        QTest::qWait(200);
    }
    return false;
}

quint64 tst_Ctl::queries(const QString &address) const
{
    return quint64(findNode(listProcesses(), m_demoPid, address)[u"queries"_s].toDouble());
}

bool tst_Ctl::waitForStderr(QProcess *process, QByteArray *seen, const QByteArray &text) const
{
    const QDeadlineTimer deadline(15 * 1000);
    while (!seen->contains(text)) {
        if (deadline.hasExpired() || process->state() == QProcess::NotRunning)
            return false;
        // Waits on the current channel (stdout), but reads whatever stderr has meanwhile too.
        process->waitForReadyRead(100);
        *seen += process->readAllStandardError();
    }
    return true;
}

QString tst_Ctl::demoLog() const
{
    QFile log(m_runtime.filePath(u"demo.log"_s));
    return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
}

void tst_Ctl::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QVERIFY2(m_runtime.isValid(), qPrintable(m_runtime.errorString()));

    m_demo = startDemo(2, u"demo.log"_s);
    QVERIFY2(m_demo->waitForStarted(), qPrintable(m_demo->errorString()));
    m_demoPid = m_demo->processId();
    m_demoLabel = u"pid %1 (qpsqlha-demo)"_s.arg(m_demoPid);
    QVERIFY2(
        waitForListed(m_demoPid, 30 * 1000),
        qPrintable(u"the demo never showed up in `qpsqlha-ctl list`; its log:\n"_s + demoLog()));
}

void tst_Ctl::cleanupTestCase()
{
    if (m_demo) {
        m_demo->kill();
        m_demo->waitForFinished();
    }
}

void tst_Ctl::cleanup()
{
    if (m_replayPaused) {
        m_test.execOn(Node::Reader1, u"SELECT pg_wal_replay_resume()"_s);
        m_replayPaused = false;
    }
    QVERIFY2(
        m_secretShown.isEmpty(),
        qPrintable(u"the password appeared in the output of: "_s + m_secretShown.join(u"; "_s)));
    // Whatever a failed test left out of service comes back, so that the next one starts alike.
    if (m_demoPid) {
        restoreDemoNodes();
        runCtl({u"online"_s, u"demo"_s, readerAddress(Node::Reader1)});
        runCtl({u"online"_s, u"demo"_s, readerAddress(Node::Reader2)});
    }
}

void tst_Ctl::helpAndVersion()
{
    CtlResult result = runCtl({u"--help"_s});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    for (const char *word : {"list", "offline", "online", "add-reader", "remove-node", "watch",
                             "lag", "QPSQLHA_CONTROL=1", "--pid"})
        QVERIFY2(result.out.contains(QLatin1StringView(word)), describe(result));

    result = runCtl({u"--version"_s});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.out.startsWith(u"qpsqlha-ctl "_s), describe(result));
}

void tst_Ctl::usageErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");

    const QString reader = readerAddress(Node::Reader1);
    QTest::newRow("no command") << QStringList {} << u"no command"_s;
    QTest::newRow("unknown command") << QStringList {u"frobnicate"_s} << u"frobnicate"_s;
    QTest::newRow("unknown option") << QStringList {u"list"_s, u"--bogus"_s} << u"bogus"_s;
    QTest::newRow("list with arguments") << QStringList {u"list"_s, u"demo"_s} << u"demo"_s;
    QTest::newRow("offline without node")
        << QStringList {u"offline"_s, u"demo"_s} << u"CLUSTER HOST:PORT"_s;
    QTest::newRow("online without anything") << QStringList {u"online"_s} << u"CLUSTER HOST:PORT"_s;
    QTest::newRow("offline too many")
        << QStringList {u"offline"_s, u"demo"_s, reader, reader} << u"CLUSTER HOST:PORT"_s;
    QTest::newRow("node without port")
        << QStringList {u"offline"_s, u"demo"_s, u"127.0.0.1"_s} << u"127.0.0.1"_s;
    QTest::newRow("port not a number")
        << QStringList {u"offline"_s, u"demo"_s, u"127.0.0.1:abc"_s} << u"port"_s;
    QTest::newRow("port out of range")
        << QStringList {u"offline"_s, u"demo"_s, u"127.0.0.1:65536"_s} << u"port"_s;
    QTest::newRow("port with a sign")
        << QStringList {u"offline"_s, u"demo"_s, u"127.0.0.1:+5433"_s} << u"port"_s;
    QTest::newRow("add-reader port with a space")
        << QStringList {u"add-reader"_s, u"demo"_s, u"127.0.0.1: 5433"_s} << u"port"_s;
    QTest::newRow("host missing") << QStringList {u"offline"_s, u"demo"_s, u":5432"_s} << u"host"_s;
    QTest::newRow("bare IPv6") << QStringList {u"offline"_s, u"demo"_s, u"::1:5432"_s}
                               << u"[address]:port"_s;
    QTest::newRow("pid not a number")
        << QStringList {u"offline"_s, u"demo"_s, reader, u"--pid"_s, u"abc"_s} << u"abc"_s;
    QTest::newRow("pid negative") << QStringList {u"offline"_s, u"demo"_s, reader, u"--pid=-5"_s}
                                  << u"-5"_s;
    QTest::newRow("count zero") << QStringList {u"watch"_s, u"--count"_s, u"0"_s} << u"count"_s;
    QTest::newRow("count with list")
        << QStringList {u"list"_s, u"--count"_s, u"1"_s} << u"--count"_s;
    QTest::newRow("json with offline")
        << QStringList {u"offline"_s, u"demo"_s, reader, u"--json"_s} << u"--json"_s;
    QTest::newRow("bad timeout") << QStringList {u"list"_s, u"--timeout"_s, u"soon"_s} << u"soon"_s;
    QTest::newRow("add-reader without node")
        << QStringList {u"add-reader"_s, u"demo"_s} << u"add-reader needs CLUSTER HOST:PORT"_s;
    QTest::newRow("add-reader without port")
        << QStringList {u"add-reader"_s, u"demo"_s, u"localhost"_s} << u"'localhost'"_s;
    QTest::newRow("add-reader port zero")
        << QStringList {u"add-reader"_s, u"demo"_s, u"localhost:0"_s} << u"port"_s;
    QTest::newRow("add-reader empty cluster")
        << QStringList {u"add-reader"_s, u""_s, reader} << u"cluster name is empty"_s;
    QTest::newRow("remove-node too many")
        << QStringList {u"remove-node"_s, u"demo"_s, reader, reader} << u"CLUSTER HOST:PORT"_s;
    QTest::newRow("remove-node bare IPv6")
        << QStringList {u"remove-node"_s, u"demo"_s, u"::1:5432"_s} << u"[address]:port"_s;
    QTest::newRow("json with add-reader")
        << QStringList {u"add-reader"_s, u"demo"_s, reader, u"--json"_s} << u"--json"_s;
}

void tst_Ctl::usageErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const CtlResult result = runCtl(arguments);
    QVERIFY2(!result.crashed && result.exitCode == 2, describe(result));
    QVERIFY2(result.err.contains(message), describe(result));
    QVERIFY2(result.err.contains(u"--help"_s), describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
}

void tst_Ctl::listWithoutProcesses()
{
    QTemporaryDir empty;
    QVERIFY(empty.isValid());

    CtlResult result = runCtl({u"list"_s}, empty.path());
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    QVERIFY2(result.err.contains(u"QPSQLHA_CONTROL=1"_s), describe(result));

    result = runCtl({u"list"_s, u"--json"_s}, empty.path());
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out.trimmed(), u"[]"_s);
    QVERIFY2(result.err.contains(u"QPSQLHA_CONTROL=1"_s), describe(result));

    // Changing a node needs a process to change it in.
    result = runCtl({u"offline"_s, u"demo"_s, readerAddress(Node::Reader1)}, empty.path());
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(u"QPSQLHA_CONTROL=1"_s), describe(result));
}

void tst_Ctl::listTable()
{
    // The readers' lag is known from the first health interval after the demo started.
    const auto lagKnown = [this](Node node) {
        return findNode(listProcesses(), m_demoPid, readerAddress(node))[u"lagBytes"_s].toDouble()
            >= 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(lagKnown(Node::Reader1) && lagKnown(Node::Reader2), 10'000);
    const CtlResult result = runCtl({u"list"_s});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.err.isEmpty(), describe(result));
    const QStringList lines = result.out.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4); // the header and three nodes
    const QStringList header = lines.first().split(u' ', Qt::SkipEmptyParts);
    QCOMPARE(header,
             QStringList({u"PID"_s, u"APPLICATION"_s, u"CLUSTER"_s, u"NODE"_s, u"ROLE"_s,
                          u"STATE"_s, u"LAG"_s, u"QUERIES"_s, u"ERRORS"_s, u"RETRIES"_s}));

    const QString primary = readerAddress(Node::Primary);
    const QStringList addresses
        = {primary, readerAddress(Node::Reader1), readerAddress(Node::Reader2)};
    const qsizetype stateColumn = lines.first().indexOf(u"STATE"_s);
    const qsizetype queriesEnd = lines.first().indexOf(u"QUERIES"_s) + 7;
    const qsizetype lagEnd = lines.first().indexOf(u"LAG"_s) + 3;
    // The primary has no lag; a reader's is measured every health interval (500 ms in the demo)
    // and shown right-aligned under LAG, as "<size> / <time>".
    static const QRegularExpression readerLag(u"(^| )\\d+(\\.\\d)? [kMGT]?B / \\d+ (ms|s|min)$"_s);
    for (int i = 0; i < 3; ++i) {
        const QString &line = lines.at(i + 1);
        // Aligned: every column starts where its header does.
        QCOMPARE(line.mid(stateColumn, 6), u"online"_s);
        QVERIFY2(line.at(queriesEnd - 1).isDigit(), qPrintable(line));
        const QString lag = line.left(lagEnd).mid(stateColumn + 6).trimmed();
        if (i == 0)
            QCOMPARE(lag, u"-"_s);
        else
            QVERIFY2(readerLag.match(lag).hasMatch(), qPrintable(line));
        const QStringList fields = line.split(u' ', Qt::SkipEmptyParts);
        QCOMPARE(fields.at(0), QString::number(m_demoPid));
        QCOMPARE(fields.at(1), u"qpsqlha-demo"_s);
        QCOMPARE(fields.at(2), u"demo"_s);
        QCOMPARE(fields.at(3), addresses.at(i)); // the primary first
        QCOMPARE(fields.at(4), i == 0 ? u"primary"_s : u"reader"_s);
    }
}

void tst_Ctl::listJson()
{
    const CtlResult first = runCtl({u"list"_s, u"--json"_s});
    QVERIFY2(!first.crashed && first.exitCode == 0, describe(first));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(first.out.toUtf8(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QVERIFY(document.isArray());
    const QJsonArray processes = document.array();
    QCOMPARE(processes.size(), 1);
    const QJsonObject process = processes.first().toObject();
    QCOMPARE(qint64(process[u"pid"_s].toDouble()), m_demoPid);
    QCOMPARE(process[u"application"_s].toString(), u"qpsqlha-demo"_s);
    QCOMPARE(process[u"protocol"_s].toInt(), 1);
    QVERIFY(!process[u"library"_s].toString().isEmpty());
    const QJsonArray clusters = process[u"clusters"_s].toArray();
    QCOMPARE(clusters.size(), 1);
    QCOMPARE(clusters.first()[u"name"_s].toString(), u"demo"_s);
    const QJsonArray nodes = clusters.first()[u"nodes"_s].toArray();
    QCOMPARE(nodes.size(), 3);
    QCOMPARE(nodes.at(0)[u"role"_s].toString(), u"primary"_s);
    QCOMPARE(nodes.at(0)[u"port"_s].toInt(), m_test.port(Node::Primary));
    QCOMPARE(nodes.at(1)[u"address"_s].toString(), readerAddress(Node::Reader1));
    QCOMPARE(nodes.at(2)[u"address"_s].toString(), readerAddress(Node::Reader2));
    for (const QJsonValue &node : nodes) {
        QCOMPARE(node[u"state"_s].toString(), u"online"_s);
        for (const char *key : {"host", "queries", "errors", "retries", "lastError", "lastChange",
                                "lagBytes", "lagMs", "inFlight", "weight"})
            QVERIFY2(node.toObject().contains(QLatin1StringView(key)), key);
        QCOMPARE(node[u"weight"_s].toInt(), 1);
        QVERIFY(node[u"inFlight"_s].toInt() >= 0);
        // The demo runs without QPSQLHA_PRIMARY_READS: readers, and only they, serve reads.
        QCOMPARE(node[u"servesReads"_s].toBool(), node[u"role"_s].toString() == "reader"_L1);
    }
    // Lag: none for the primary (-1, not a reader), measured for the readers (bytes and ms >= 0).
    QCOMPARE(nodes.at(0)[u"lagBytes"_s].toDouble(), -1.0);
    QCOMPARE(nodes.at(0)[u"lagMs"_s].toDouble(), -1.0);
    for (int i = 1; i < 3; ++i) {
        QVERIFY2(nodes.at(i)[u"lagBytes"_s].toDouble() >= 0, qPrintable(first.out));
        QVERIFY2(nodes.at(i)[u"lagMs"_s].toDouble() >= 0, qPrintable(first.out));
    }

    // The counters are live: the demo keeps reading on both readers.
    const quint64 reader1 = nodes.at(1)[u"queries"_s].toDouble();
    const quint64 reader2 = nodes.at(2)[u"queries"_s].toDouble();
    QTRY_VERIFY_WITH_TIMEOUT(queries(readerAddress(Node::Reader1)) > reader1
                                 && queries(readerAddress(Node::Reader2)) > reader2,
                             5000);
}

void tst_Ctl::offlineAndOnline()
{
    const QString reader1 = readerAddress(Node::Reader1);
    const QString reader2 = readerAddress(Node::Reader2);
    const QString prefix = u"%1: cluster demo node %2: "_s.arg(m_demoLabel, reader1);

    CtlResult result = runCtl({u"offline"_s, u"demo"_s, reader1});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out, prefix + u"online -> offline: by hand\n"_s);

    result = runCtl({u"list"_s});
    QVERIFY2(result.exitCode == 0, describe(result));
    bool seen = false;
    for (const QString &line : result.out.split(u'\n')) {
        if (line.contains(reader1)) {
            QVERIFY2(line.contains(u"offline: by hand"_s), qPrintable(line));
            // Not probed while out by hand: no lag figures, which would only be stale.
            static const QRegularExpression noLag(u"offline: by hand +- +\\d+ "_s);
            QVERIFY2(noLag.match(line).hasMatch(), qPrintable(line));
            seen = true;
        } else if (line.contains(reader2)) {
            QVERIFY2(line.contains(u" online "_s), qPrintable(line));
        }
    }
    QVERIFY2(seen, describe(result));

    // Statements already running on it finish; after that it serves nothing, reader2 serves all.
    QTest::qWait(300);
    const quint64 reader1Before = queries(reader1);
    const quint64 reader2Before = queries(reader2);
    QTest::qWait(1000);
    QCOMPARE(queries(reader1), reader1Before);
    QVERIFY(queries(reader2) > reader2Before);

    // Asking twice changes nothing and says so.
    result = runCtl({u"offline"_s, u"demo"_s, reader1});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out, prefix + u"already offline: by hand\n"_s);

    result = runCtl({u"online"_s, u"demo"_s, reader1});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out, prefix + u"offline: by hand -> online\n"_s);
    QCOMPARE(findNode(listProcesses(), m_demoPid, reader1)[u"state"_s].toString(), u"online"_s);
    const quint64 reader1Back = queries(reader1);
    QTRY_VERIFY_WITH_TIMEOUT(queries(reader1) > reader1Back, 5000);

    result = runCtl({u"online"_s, u"demo"_s, reader1});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out, prefix + u"already online\n"_s);
}

void tst_Ctl::offlineOnlyInGivenPid()
{
    const QString reader2 = readerAddress(Node::Reader2);
    const QString pid = QString::number(m_demoPid);
    CtlResult result = runCtl({u"offline"_s, u"demo"_s, reader2, u"--pid"_s, pid});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out,
             u"%1: cluster demo node %2: online -> offline: by hand\n"_s.arg(m_demoLabel, reader2));
    QCOMPARE(findNode(listProcesses(), m_demoPid, reader2)[u"state"_s].toString(),
             u"offline: by hand"_s);

    // list takes --pid too.
    result = runCtl({u"list"_s, u"--pid"_s, pid});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.out.contains(u"offline: by hand"_s), describe(result));

    result = runCtl({u"online"_s, u"demo"_s, reader2, u"--pid"_s, pid});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out,
             u"%1: cluster demo node %2: offline: by hand -> online\n"_s.arg(m_demoLabel, reader2));
}

void tst_Ctl::wrongPid()
{
    const QString reader2 = readerAddress(Node::Reader2);
    const QString wrong = QString::number(QCoreApplication::applicationPid());
    CtlResult result = runCtl({u"offline"_s, u"demo"_s, reader2, u"--pid"_s, wrong});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    // It names the pid asked for and the ones that exist.
    QVERIFY2(result.err.contains(u"pid "_s + wrong), describe(result));
    QVERIFY2(result.err.contains(QString::number(m_demoPid)), describe(result));
    QCOMPARE(findNode(listProcesses(), m_demoPid, reader2)[u"state"_s].toString(), u"online"_s);

    result = runCtl({u"list"_s, u"--pid"_s, wrong});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(QString::number(m_demoPid)), describe(result));
}

void tst_Ctl::unknownCluster()
{
    const CtlResult result
        = runCtl({u"offline"_s, u"nosuchcluster"_s, readerAddress(Node::Reader1)});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    QVERIFY2(result.err.contains(u"'nosuchcluster'"_s), describe(result));
    QVERIFY2(result.err.contains(u"demo (pid %1)"_s.arg(m_demoPid)), describe(result));
}

void tst_Ctl::unknownNode()
{
    const CtlResult result = runCtl({u"online"_s, u"demo"_s, u"127.0.0.1:1"_s});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    QVERIFY2(result.err.contains(u"127.0.0.1:1;"_s), describe(result));
    for (Node node : {Node::Primary, Node::Reader1, Node::Reader2})
        QVERIFY2(result.err.contains(readerAddress(node)), describe(result));
}

void tst_Ctl::staleSocketsAreRemovedSilently()
{
    // What dead processes leave: a socket nobody listens on, and a plain file by that name.
    const qint64 firstDead = deadPid();
    const QString abandoned = socketDirectory() + u"/%1.sock"_s.arg(firstDead);
    const QString plainFile = socketDirectory() + u"/%1.sock"_s.arg(deadPid(firstDead + 1));
    QVERIFY(createAbandonedSocket(abandoned));
    QFile file(plainFile);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    QVERIFY(QFile::exists(abandoned));
    QVERIFY(QFile::exists(plainFile));

    const CtlResult result = runCtl({u"list"_s, u"--json"_s});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.err.isEmpty(), describe(result));
    const QJsonArray processes = QJsonDocument::fromJson(result.out.toUtf8()).array();
    QCOMPARE(processes.size(), 1);
    QCOMPARE(qint64(processes.first()[u"pid"_s].toDouble()), m_demoPid);
    QVERIFY(!QFile::exists(abandoned));
    QVERIFY(!QFile::exists(plainFile));
}

void tst_Ctl::unresponsiveProcessIsSkipped()
{
    // A live process (this one) whose socket accepts but never answers: as a hung application.
    QLocalServer silent;
    silent.setSocketOptions(QLocalServer::UserAccessOption);
    const QString path = socketDirectory() + u"/%1.sock"_s.arg(QCoreApplication::applicationPid());
    QVERIFY2(silent.listen(path), qPrintable(silent.errorString()));
    const QString silentPid = u"pid %1"_s.arg(QCoreApplication::applicationPid());

    QElapsedTimer timer;
    timer.start();
    CtlResult result = runCtl({u"list"_s, u"--timeout"_s, u"500"_s});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(timer.elapsed() < 10 * 1000, describe(result));
    QVERIFY2(result.err.contains(silentPid + u": skipped"_s), describe(result));
    QVERIFY2(result.out.contains(u"qpsqlha-demo"_s), describe(result));

    // The others are still operated on.
    const QString reader1 = readerAddress(Node::Reader1);
    result = runCtl({u"offline"_s, u"demo"_s, reader1, u"--timeout"_s, u"500"_s});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.err.contains(silentPid + u": skipped"_s), describe(result));
    QVERIFY2(result.out.contains(u"online -> offline: by hand"_s), describe(result));

    // Only that one process, and it does not answer: a failure.
    result = runCtl({u"list"_s, u"--timeout"_s, u"500"_s, u"--pid"_s,
                     QString::number(QCoreApplication::applicationPid())});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(silentPid + u": skipped"_s), describe(result));

    silent.close();
}

void tst_Ctl::watchPrintsChanges()
{
    std::unique_ptr<QProcess> watch = startCtl({u"watch"_s, u"--count"_s, u"2"_s});
    QByteArray err;
    QVERIFY2(waitForStderr(watch.get(), &err, "watching " + m_demoLabel.toUtf8()), err);

    const QString reader1 = readerAddress(Node::Reader1);
    CtlResult result = runCtl({u"offline"_s, u"demo"_s, reader1});
    QVERIFY2(result.exitCode == 0, describe(result));
    result = runCtl({u"online"_s, u"demo"_s, reader1});
    QVERIFY2(result.exitCode == 0, describe(result));

    QVERIFY(watch->waitForFinished(15 * 1000));
    QCOMPARE(watch->exitStatus(), QProcess::NormalExit);
    QCOMPARE(watch->exitCode(), 0);
    const QStringList lines
        = QString::fromUtf8(watch->readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    const QString change = u" %1: cluster demo node %2: "_s.arg(m_demoLabel, reader1);
    QVERIFY2(lines.at(0).endsWith(change + u"online -> offline: by hand (set by hand)"_s),
             qPrintable(lines.at(0)));
    QVERIFY2(lines.at(1).endsWith(change + u"offline: by hand -> online (set by hand)"_s),
             qPrintable(lines.at(1)));
    // It starts with the time of the change.
    const QDateTime time
        = QDateTime::fromString(lines.at(0).left(23), u"yyyy-MM-dd hh:mm:ss.zzz"_s);
    QVERIFY2(time.isValid(), qPrintable(lines.at(0)));
    QVERIFY(qAbs(time.secsTo(QDateTime::currentDateTime())) < 60);
}

void tst_Ctl::watchJson()
{
    std::unique_ptr<QProcess> watch = startCtl({u"watch"_s, u"--json"_s, u"--count=2"_s});
    QByteArray err;
    QVERIFY2(waitForStderr(watch.get(), &err, "watching " + m_demoLabel.toUtf8()), err);

    const QString reader2 = readerAddress(Node::Reader2);
    QCOMPARE(runCtl({u"offline"_s, u"demo"_s, reader2}).exitCode, 0);
    QCOMPARE(runCtl({u"online"_s, u"demo"_s, reader2}).exitCode, 0);

    QVERIFY(watch->waitForFinished(15 * 1000));
    QCOMPARE(watch->exitCode(), 0);
    const QList<QByteArray> lines = watch->readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    const QList<std::pair<QString, QString>> changes
        = {{u"online"_s, u"offline: by hand"_s}, {u"offline: by hand"_s, u"online"_s}};
    for (int i = 0; i < 2; ++i) {
        QJsonParseError error;
        const QJsonObject event = QJsonDocument::fromJson(lines.at(i), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, lines.at(i));
        QCOMPARE(event[u"v"_s].toInt(), 1);
        QCOMPARE(event[u"event"_s].toString(), u"state"_s);
        QCOMPARE(qint64(event[u"pid"_s].toDouble()), m_demoPid);
        QCOMPARE(event[u"cluster"_s].toString(), u"demo"_s);
        QCOMPARE(event[u"node"_s][u"address"_s].toString(), reader2);
        QCOMPARE(event[u"node"_s][u"state"_s].toString(), changes.at(i).second);
        QCOMPARE(event[u"old"_s].toString(), changes.at(i).first);
        QCOMPARE(event[u"new"_s].toString(), changes.at(i).second);
        QCOMPARE(event[u"reason"_s].toString(), u"set by hand"_s);
        QVERIFY(QDateTime::fromString(event[u"time"_s].toString(), Qt::ISODateWithMs).isValid());
    }
}

void tst_Ctl::watchEndsOnSignal_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGINT") << SIGINT;
    QTest::newRow("SIGTERM") << SIGTERM;
}

void tst_Ctl::watchEndsOnSignal()
{
    QFETCH(int, signal);
    std::unique_ptr<QProcess> watch = startCtl({u"watch"_s});
    QByteArray err;
    QVERIFY2(waitForStderr(watch.get(), &err, "watching " + m_demoLabel.toUtf8()), err);
    QCOMPARE(::kill(pid_t(watch->processId()), signal), 0);
    QVERIFY(watch->waitForFinished(10 * 1000));
    QCOMPARE(watch->exitStatus(), QProcess::NormalExit);
    QCOMPARE(watch->exitCode(), 0);
}

void tst_Ctl::watchFindsNewProcesses()
{
    std::unique_ptr<QProcess> watch = startCtl({u"watch"_s});
    QByteArray err;
    QVERIFY2(waitForStderr(watch.get(), &err, "watching " + m_demoLabel.toUtf8()), err);

    // A second application starts while watch runs; it is found within a second or so.
    std::unique_ptr<QProcess> second = startDemo(1, u"second.log"_s);
    QVERIFY2(second->waitForStarted(), qPrintable(second->errorString()));
    const QByteArray secondLabel = "pid " + QByteArray::number(second->processId());
    QVERIFY2(waitForStderr(watch.get(), &err, "watching " + secondLabel), err);

    // Its events are shown, labelled with its pid.
    const QString reader1 = readerAddress(Node::Reader1);
    const QString pid = QString::number(second->processId());
    QCOMPARE(runCtl({u"offline"_s, u"demo"_s, reader1, u"--pid"_s, pid}).exitCode, 0);
    QByteArray out;
    const QDeadlineTimer deadline(10 * 1000);
    while (!out.contains(QByteArray(secondLabel + " (qpsqlha-demo): cluster demo node "))
           && !deadline.hasExpired()) {
        watch->waitForReadyRead(100);
        out += watch->readAllStandardOutput();
    }
    QVERIFY2(out.contains("online -> offline: by hand"), out);
    QVERIFY2(!out.contains(m_demoLabel.toUtf8()), out); // the first demo did not change

    // Killed, it drops out; what it leaves behind is cleaned up by the next discovery.
    const QString socket = socketDirectory() + u"/%1.sock"_s.arg(pid);
    QVERIFY(QFile::exists(socket));
    second->kill();
    QVERIFY(second->waitForFinished());
    QVERIFY2(waitForStderr(watch.get(), &err,
                           QByteArray(secondLabel + " (qpsqlha-demo): no longer watched")),
             err);
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(socket), 5000);
    QVERIFY(watch->state() == QProcess::Running);

    watch->terminate();
    QVERIFY(watch->waitForFinished(10 * 1000));
    QCOMPARE(watch->exitCode(), 0);
}

// Nodes on the fly. The demo's cluster is changed for real: these run last, and cleanup() puts
// back what a failed one left (see restoreDemoNodes()).

void tst_Ctl::addReaderErrors()
{
    const QString reader1 = readerAddress(Node::Reader1);

    // An unknown cluster: nothing is sent, the message names the clusters there are.
    CtlResult result = runCtl({u"add-reader"_s, u"nosuchcluster"_s, u"localhost:5432"_s});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    QVERIFY2(result.err.contains(u"'nosuchcluster'"_s), describe(result));
    QVERIFY2(result.err.contains(u"demo (pid %1)"_s.arg(m_demoPid)), describe(result));

    // A node the cluster has: the process refuses and says why.
    result = runCtl({u"add-reader"_s, u"demo"_s, reader1});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    QVERIFY2(
        result.err.contains(u"%1: cluster demo node %2: refused: "_s.arg(m_demoLabel, reader1)),
        describe(result));
    QVERIFY2(result.err.contains(u"already a node of cluster 'demo'"_s), describe(result));

    // A bad address is a usage error, before any process is asked.
    result = runCtl({u"add-reader"_s, u"demo"_s, u"127.0.0.1:99999"_s});
    QVERIFY2(!result.crashed && result.exitCode == 2, describe(result));
    QVERIFY2(result.err.contains(u"'127.0.0.1:99999'"_s), describe(result));

    // --pid of no process.
    result = runCtl({u"add-reader"_s, u"demo"_s, u"localhost:5432"_s, u"--pid"_s,
                     QString::number(QCoreApplication::applicationPid())});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(QString::number(m_demoPid)), describe(result));

    // Removing what is not there: the message lists the nodes.
    result = runCtl({u"remove-node"_s, u"demo"_s, u"127.0.0.1:1"_s});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(u"no node 127.0.0.1:1;"_s), describe(result));
    QVERIFY2(result.err.contains(reader1), describe(result));
    result = runCtl({u"remove-node"_s, u"nosuchcluster"_s, reader1});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(u"'nosuchcluster'"_s), describe(result));

    // None of that changed the cluster.
    const QJsonArray processes = listProcesses();
    QCOMPARE(processes.first()[u"clusters"_s][0][u"nodes"_s].toArray().size(), 3);
}

void tst_Ctl::addAndRemoveReader()
{
    // reader1 through its socket directory: to QPSQLHA a node of its own (nodes are host:port).
    const QString added
        = u"%1:%2"_s.arg(m_test.serverSocketDirectory()).arg(m_test.port(Node::Reader1));
    const QString prefix = u"%1: cluster demo node %2: "_s.arg(m_demoLabel, added);

    CtlResult result = runCtl({u"add-reader"_s, u"demo"_s, added});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.err.isEmpty(), describe(result));
    // Until its first probe answers it gets no reads, and says so.
    QVERIFY2(result.out == prefix + u"added as a reader, online\n"_s
                 || result.out
                     == prefix
                         + u"added as a reader, offline: failed until a health probe finds it "
                           "answering\n"_s,
             describe(result));

    // The demo's own status (QPsqlHa::clusters(), which `list --json` shows) has it, last.
    QJsonArray processes = listProcesses();
    QJsonArray nodes = processes.first()[u"clusters"_s][0][u"nodes"_s].toArray();
    QCOMPARE(nodes.size(), 4);
    QCOMPARE(nodes.at(3)[u"address"_s].toString(), added);
    QCOMPARE(nodes.at(3)[u"role"_s].toString(), u"reader"_s);
    // The health checker (every 500 ms in the demo) finds it answering, and measures its lag.
    QTRY_COMPARE_WITH_TIMEOUT(findNode(listProcesses(), m_demoPid, added)[u"state"_s].toString(),
                              u"online"_s, 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(
        findNode(listProcesses(), m_demoPid, added)[u"lagBytes"_s].toDouble() >= 0, 10'000);
    result = runCtl({u"list"_s});
    QVERIFY2(result.exitCode == 0, describe(result));
    bool listed = false;
    for (const QString &line : result.out.split(u'\n')) {
        if (line.contains(u" %1 "_s.arg(added))) {
            listed = line.contains(u" reader "_s) && line.contains(u" online "_s);
            QVERIFY2(listed, qPrintable(line));
        }
    }
    QVERIFY2(listed, describe(result));

    // Asked twice, or for reader1 over TCP spelt another way: refused, nothing changes.
    result = runCtl({u"add-reader"_s, u"demo"_s, added});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(u"already a node"_s), describe(result));
    result
        = runCtl({u"add-reader"_s, u"demo"_s, u"LocalHost:%1"_s.arg(m_test.port(Node::Reader1))});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(u"already a node"_s)
                 && result.err.contains(u"(as %1)"_s.arg(readerAddress(Node::Reader1))),
             describe(result));
    QCOMPARE(listProcesses().first()[u"clusters"_s][0][u"nodes"_s].toArray().size(), 4);

    // Removed: gone from the listing.
    result = runCtl({u"remove-node"_s, u"demo"_s, added, u"--pid"_s, QString::number(m_demoPid)});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QCOMPARE(result.out, prefix + u"removed (statements running on it finish)\n"_s);
    nodes = listProcesses().first()[u"clusters"_s][0][u"nodes"_s].toArray();
    QCOMPARE(nodes.size(), 3);
    QVERIFY(findNode(listProcesses(), m_demoPid, added).isEmpty());

    // Once gone, it cannot be removed again.
    result = runCtl({u"remove-node"_s, u"demo"_s, added});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.err.contains(u"no node %1;"_s.arg(added)), describe(result));

    // The demo kept running all along.
    const quint64 before
        = queries(readerAddress(Node::Reader1)) + queries(readerAddress(Node::Reader2));
    QTRY_VERIFY_WITH_TIMEOUT(
        queries(readerAddress(Node::Reader1)) + queries(readerAddress(Node::Reader2)) > before,
        5000);
}

void tst_Ctl::removeWriteNodeIsRefused()
{
    const QString primary = readerAddress(Node::Primary);
    const CtlResult result = runCtl({u"remove-node"_s, u"demo"_s, primary});
    QVERIFY2(!result.crashed && result.exitCode == 1, describe(result));
    QVERIFY2(result.out.isEmpty(), describe(result));
    QVERIFY2(
        result.err.contains(u"%1: cluster demo node %2: refused: "_s.arg(m_demoLabel, primary)),
        describe(result));
    QVERIFY2(result.err.contains(u"takes the writes"_s), describe(result));
    QCOMPARE(findNode(listProcesses(), m_demoPid, primary)[u"role"_s].toString(), u"primary"_s);
    const quint64 writes = queries(primary);
    QTRY_VERIFY_WITH_TIMEOUT(queries(primary) > writes, 5000);
}

void tst_Ctl::removeAndAddBackReader()
{
    const QString reader1 = readerAddress(Node::Reader1);
    const QString reader2 = readerAddress(Node::Reader2);

    CtlResult result = runCtl({u"remove-node"_s, u"demo"_s, reader2});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY(findNode(listProcesses(), m_demoPid, reader2).isEmpty());
    // Every read goes to reader1 now.
    const quint64 reader1Before = queries(reader1);
    QTRY_VERIFY_WITH_TIMEOUT(queries(reader1) > reader1Before + 10, 5000);

    result = runCtl({u"add-reader"_s, u"demo"_s, reader2});
    QVERIFY2(!result.crashed && result.exitCode == 0, describe(result));
    QVERIFY2(result.out.startsWith(
                 u"%1: cluster demo node %2: added as a reader"_s.arg(m_demoLabel, reader2)),
             describe(result));
    QTRY_COMPARE_WITH_TIMEOUT(findNode(listProcesses(), m_demoPid, reader2)[u"state"_s].toString(),
                              u"online"_s, 10'000);
    const QJsonArray nodes = listProcesses().first()[u"clusters"_s][0][u"nodes"_s].toArray();
    QCOMPARE(nodes.size(), 3);
    QCOMPARE(nodes.at(2)[u"address"_s].toString(), reader2);
}

void tst_Ctl::laggingReaderIsShownAndWatched()
{
    // The demo has no lag limit: this test process is the application instead, with
    // QPSQLHA_MAX_LAG_BYTES and its own control channel in a runtime directory of its own (so
    // the other tests never saw it).
    QVERIFY2(m_selfRuntime.isValid(), qPrintable(m_selfRuntime.errorString()));
    const QByteArray runtimeBefore
        = qEnvironmentVariableIsSet("XDG_RUNTIME_DIR") ? qgetenv("XDG_RUNTIME_DIR") : QByteArray();
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_selfRuntime.path()));
    const QString self = m_selfRuntime.path();
    const QString cluster = uniqueClusterName("lag");
    constexpr qint64 MaxLagBytes = 64 * 1024;
    {
        QSqlDatabase db = haDatabase(u"ctl-lag"_s, cluster,
                                     u"QPSQLHA_CONTROL=1;QPSQLHA_HEALTH_INTERVAL=200;"
                                     "QPSQLHA_MAX_LAG_BYTES=%1"_s.arg(MaxLagBytes));
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        if (runtimeBefore.isNull())
            qunsetenv("XDG_RUNTIME_DIR");
        else
            qputenv("XDG_RUNTIME_DIR", runtimeBefore);
        const qint64 pid = QCoreApplication::applicationPid();
        const QString reader1 = readerAddress(Node::Reader1);
        const auto reader1Status = [&] {
            const CtlResult result = runCtl({u"list"_s, u"--json"_s}, self);
            for (const QJsonValue &process : QJsonDocument::fromJson(result.out.toUtf8()).array()) {
                for (const QJsonValue &item : process[u"clusters"_s].toArray()) {
                    if (item[u"name"_s].toString() != cluster)
                        continue;
                    for (const QJsonValue &node : item[u"nodes"_s].toArray()) {
                        if (node[u"address"_s].toString() == reader1)
                            return node.toObject();
                    }
                }
            }
            return QJsonObject();
        };
        // Settled: measured, small, online. (The first probes after the open may see a reader
        // before its replay position is known.)
        const auto settled = [&] {
            const QJsonObject node = reader1Status();
            const double bytes = node[u"lagBytes"_s].toDouble(-1);
            return node[u"state"_s].toString() == "online"_L1 && bytes >= 0
                && bytes < MaxLagBytes / 2;
        };
        QTRY_VERIFY_WITH_TIMEOUT(settled(), 10'000);

        // Without --count: reader2 may lag past the limit for a moment too while it replays.
        std::unique_ptr<QProcess> watch = startCtl({u"watch"_s}, self);
        QByteArray err;
        QVERIFY2(waitForStderr(watch.get(), &err, "watching pid " + QByteArray::number(pid)), err);

        // Replay stops on reader1 while the primary writes about 1 MB of WAL.
        QString error;
        QVERIFY2(m_test.execOn(Node::Reader1, u"SELECT pg_wal_replay_pause()"_s, &error),
                 qPrintable(error));
        m_replayPaused = true;
        QVERIFY2(m_test.execOn(Node::Primary,
                               u"DROP TABLE IF EXISTS ctl_lag; CREATE TABLE ctl_lag (x text); "
                               "INSERT INTO ctl_lag SELECT repeat(md5(i::text), 32) "
                               "FROM generate_series(1, 1000) i"_s,
                               &error),
                 qPrintable(error));

        QTRY_COMPARE_WITH_TIMEOUT(reader1Status()[u"state"_s].toString(), u"lagging"_s, 10'000);
        const QJsonObject lagging = reader1Status();
        QVERIFY2(lagging[u"lagBytes"_s].toDouble() > MaxLagBytes, QJsonDocument(lagging).toJson());
        QVERIFY2(lagging[u"lagMs"_s].toDouble() >= 0, QJsonDocument(lagging).toJson());
        qInfo("reader1 lagging with %.0f bytes / %.0f ms of replay lag",
              lagging[u"lagBytes"_s].toDouble(), lagging[u"lagMs"_s].toDouble());

        // The table: the state, and the figures in the LAG column.
        CtlResult result = runCtl({u"list"_s}, self);
        QVERIFY2(result.exitCode == 0, describe(result));
        bool seen = false;
        static const QRegularExpression bigLag(
            u" lagging +\\d+(\\.\\d)? [kMG]B / \\d+ (ms|s|min) "_s);
        for (const QString &line : result.out.split(u'\n')) {
            if (line.contains(u" %1 "_s.arg(reader1)) && line.contains(cluster)) {
                seen = true;
                QVERIFY2(bigLag.match(line).hasMatch(), qPrintable(line));
            }
        }
        QVERIFY2(seen, describe(result));

        // Replay resumes: back online once under half the limit.
        QVERIFY2(m_test.execOn(Node::Reader1, u"SELECT pg_wal_replay_resume()"_s, &error),
                 qPrintable(error));
        m_replayPaused = false;
        QTRY_COMPARE_WITH_TIMEOUT(reader1Status()[u"state"_s].toString(), u"online"_s, 10'000);

        // watch printed both changes of reader1, like any other.
        const QString change = u": cluster %1 node %2: "_s.arg(cluster, reader1);
        QByteArray out;
        const QDeadlineTimer deadline(10 * 1000);
        while (!out.contains((change + u"lagging -> online"_s).toUtf8())
               && !deadline.hasExpired()) {
            watch->waitForReadyRead(100);
            out += watch->readAllStandardOutput();
        }
        watch->terminate();
        QVERIFY(watch->waitForFinished(10 * 1000));
        QCOMPARE(watch->exitCode(), 0);
        out += watch->readAllStandardOutput();
        QStringList lines;
        for (const QString &line : QString::fromUtf8(out).split(u'\n', Qt::SkipEmptyParts)) {
            if (line.contains(change))
                lines.append(line);
        }
        QVERIFY2(lines.size() == 2, out);
        QVERIFY2(lines.at(0).contains(change + u"online -> lagging (replay lag "_s),
                 qPrintable(lines.at(0)));
        QVERIFY2(lines.at(1).contains(change + u"lagging -> online (replay lag "_s),
                 qPrintable(lines.at(1)));

        m_test.execOn(Node::Primary, u"DROP TABLE IF EXISTS ctl_lag"_s);
        db.close();
    }
    QSqlDatabase::removeDatabase(u"ctl-lag"_s);
}

void tst_Ctl::restoreDemoNodes()
{
    // What a failed nodes-on-the-fly test may have left: an extra node, or reader2 missing.
    if (!m_demoPid)
        return;
    const QJsonArray processes = listProcesses();
    for (const QJsonValue &process : processes) {
        if (qint64(process[u"pid"_s].toDouble()) != m_demoPid)
            continue;
        QStringList present;
        for (const QJsonValue &node : process[u"clusters"_s][0][u"nodes"_s].toArray())
            present.append(node[u"address"_s].toString());
        const QStringList wanted = {readerAddress(Node::Primary), readerAddress(Node::Reader1),
                                    readerAddress(Node::Reader2)};
        for (const QString &address : present) {
            if (!wanted.contains(address))
                runCtl({u"remove-node"_s, u"demo"_s, address});
        }
        for (const QString &address : wanted) {
            if (!present.contains(address))
                runCtl({u"add-reader"_s, u"demo"_s, address});
        }
    }
}

void tst_Ctl::primaryTakingReadsIsShown()
{
    // This process is the application, with QPSQLHA_PRIMARY_READS=1 (see
    // laggingReaderIsShownAndWatched() for its control channel).
    QVERIFY2(m_selfRuntime.isValid(), qPrintable(m_selfRuntime.errorString()));
    const QByteArray runtimeBefore
        = qEnvironmentVariableIsSet("XDG_RUNTIME_DIR") ? qgetenv("XDG_RUNTIME_DIR") : QByteArray();
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_selfRuntime.path()));
    const QString self = m_selfRuntime.path();
    const QString cluster = uniqueClusterName("primary-reads");
    const QString primary = readerAddress(Node::Primary);
    {
        QSqlDatabase db = haDatabase(u"ctl-primary-reads"_s, cluster,
                                     u"QPSQLHA_CONTROL=1;QPSQLHA_PRIMARY_READS=1"_s);
        const bool opened = db.open();
        if (runtimeBefore.isNull())
            qunsetenv("XDG_RUNTIME_DIR");
        else
            qputenv("XDG_RUNTIME_DIR", runtimeBefore);
        QVERIFY2(opened, qPrintable(db.lastError().text()));
        QSqlQuery query(db);
        int onPrimary = 0;
        for (int i = 0; i < 90; ++i)
            onPrimary += servedBy(query) == m_test.port(Node::Primary) ? 1 : 0;
        QVERIFY(onPrimary > 0);

        // The table says it in the ROLE column...
        const CtlResult table = runCtl({u"list"_s}, self);
        QVERIFY2(!table.crashed && table.exitCode == 0, describe(table));
        QStringList roles;
        for (const QString &line : table.out.split(u'\n', Qt::SkipEmptyParts)) {
            const QStringList fields = line.split(u' ', Qt::SkipEmptyParts);
            if (fields.size() > 4 && fields.at(2) == cluster)
                roles.append(fields.at(3) + u' ' + fields.at(4));
        }
        QCOMPARE(
            roles,
            QStringList({primary + u" primary+reads"_s, readerAddress(Node::Reader1) + u" reader"_s,
                         readerAddress(Node::Reader2) + u" reader"_s}));

        // ... and --json beside the role, which stays "primary".
        const CtlResult json = runCtl({u"list"_s, u"--json"_s}, self);
        QVERIFY2(!json.crashed && json.exitCode == 0, describe(json));
        int checked = 0;
        for (const QJsonValue &process : QJsonDocument::fromJson(json.out.toUtf8()).array()) {
            for (const QJsonValue &item : process[u"clusters"_s].toArray()) {
                if (item[u"name"_s].toString() != cluster)
                    continue;
                for (const QJsonValue &node : item[u"nodes"_s].toArray()) {
                    QCOMPARE(node[u"servesReads"_s].toBool(), true);
                    if (node[u"address"_s].toString() == primary) {
                        QCOMPARE(node[u"role"_s].toString(), u"primary"_s);
                        QVERIFY(node[u"queries"_s].toDouble() >= onPrimary);
                    }
                    ++checked;
                }
            }
        }
        QCOMPARE(checked, 3);
    }
    dropDatabase(u"ctl-primary-reads"_s);
}

QTEST_GUILESS_MAIN(tst_Ctl)
#include "tst_ctl.moc"
