// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The control channel end to end inside one process, no database needed: the server this
// process runs, reached through ControlClient and through a raw socket that misbehaves.

#include <qpsqlhacluster_p.h>
#include <qpsqlhacontrolclient.h>
#include <qpsqlhacontrolprotocol_p.h>
#include <qpsqlhacontrolserver_p.h>

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qtemporarydir.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

ClusterSettings clusterSettings(const QString &name)
{
    ClusterSettings settings;
    settings.name = name;
    for (int port : {15432, 15433, 15434}) {
        NodeSettings node;
        node.host = u"127.0.0.1"_s;
        node.port = port;
        node.password = u"never-shown-secret"_s;
        node.role = port == 15432 ? NodeRole::Primary : NodeRole::Reader;
        settings.nodes.append(node);
    }
    return settings;
}

// Sends raw bytes and reads the reply lines that come back within the timeout.
QList<QJsonObject> exchange(QLocalSocket &socket, const QByteArray &bytes, int expected)
{
    socket.write(bytes);
    socket.flush();
    QList<QJsonObject> replies;
    QByteArray buffer;
    QDeadlineTimer deadline(5000);
    while (replies.size() < expected && !deadline.hasExpired()) {
        if (!socket.waitForReadyRead(100))
            continue;
        buffer += socket.readAll();
        qsizetype newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
            replies.append(QJsonDocument::fromJson(buffer.left(newline)).object());
            buffer.remove(0, newline + 1);
        }
    }
    return replies;
}

} // namespace

class tst_ControlServer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void socketIsPrivate();
    void listShowsEveryCluster();
    void setStateChangesSharedNodeState();
    void noMatchErrors();
    void malformedInputGetsErrorReplies();
    void oversizedRequest();
    void rateLimit();
    void subscribePushesStateChangesAndCounters();
    void discoveryRemovesStaleSockets();
    void otherUsersAreRefused();

private:
    QTemporaryDir m_runtime;
    QSharedPointer<Cluster> m_cluster;
};

void tst_ControlServer::initTestCase()
{
    QVERIFY(m_runtime.isValid());
    QFile::setPermissions(m_runtime.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
    QString error;
    m_cluster = ClusterRegistry::instance().acquire(clusterSettings(u"control-test"_s), &error);
    QVERIFY2(m_cluster, qPrintable(error));
    QVERIFY2(ControlServer::instance().ensureRunning(&error), qPrintable(error));
    QVERIFY(ControlServer::instance().ensureRunning(&error)); // once per process
}

void tst_ControlServer::socketIsPrivate()
{
    const QString path = ControlServer::instance().socketPath();
    QCOMPARE(path, controlSocketDirectory() + u"/%1.sock"_s.arg(::getpid()));
    QVERIFY(QFileInfo::exists(path));
    const QFileInfo directory(controlSocketDirectory());
    QCOMPARE(directory.permissions()
                 & (QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup | QFile::ReadOther
                    | QFile::WriteOther | QFile::ExeOther),
             QFile::Permissions());
    const QFileInfo socket(path);
    QCOMPARE(socket.permissions()
                 & (QFile::ReadOther | QFile::WriteOther | QFile::ReadGroup | QFile::WriteGroup),
             QFile::Permissions());
}

void tst_ControlServer::listShowsEveryCluster()
{
    ControlClient client;
    QVERIFY2(client.connectToProcess(ControlServer::instance().socketPath()),
             qPrintable(client.errorString()));
    m_cluster->node(1).countQuery(0);
    ProcessStatus process;
    QVERIFY2(client.list(&process), qPrintable(client.errorString()));
    QCOMPARE(process.pid, qint64(::getpid()));
    QCOMPARE(process.protocol, 1);
    QVERIFY(!process.application.isEmpty());
    const auto it
        = std::find_if(process.clusters.cbegin(), process.clusters.cend(),
                       [](const ClusterStatus &c) { return c.name == u"control-test"_s; });
    QVERIFY(it != process.clusters.cend());
    QCOMPARE(it->nodes.size(), 3);
    QCOMPARE(it->nodes.at(0).role, NodeRole::Primary);
    QCOMPARE(it->nodes.at(1).address, u"127.0.0.1:15433"_s);
    QCOMPARE(it->nodes.at(1).queries, m_cluster->node(1).queries());
    // Only node state goes out: never a credential.
    QVERIFY(!QJsonDocument(ControlProtocol::processToJson(process))
                 .toJson()
                 .contains("never-shown-secret"));
}

void tst_ControlServer::setStateChangesSharedNodeState()
{
    ControlClient client;
    QVERIFY(client.connectToProcess(ControlServer::instance().socketPath()));
    bool changed = false;
    NodeStatus node;
    QVERIFY2(client.setNodeOnline(u"control-test"_s, u"127.0.0.1:15434"_s, false, &changed, &node),
             qPrintable(client.errorString()));
    QVERIFY(changed);
    QCOMPARE(node.state, NodeState::OfflineByHand);
    QCOMPARE(m_cluster->node(2).state(), NodeState::OfflineByHand); // the state the driver reads
    QVERIFY(client.setNodeOnline(u"control-test"_s, u"127.0.0.1:15434"_s, false, &changed));
    QVERIFY(!changed);
    QVERIFY(client.setNodeOnline(u"control-test"_s, u"127.0.0.1:15434"_s, true, &changed, &node));
    QVERIFY(changed);
    QCOMPARE(m_cluster->node(2).state(), NodeState::Online);
    // Setting a failed node online is not the operator's call: the probe decides.
    m_cluster->node(1).markFailed(u"test failure"_s);
    QVERIFY(client.setNodeOnline(u"control-test"_s, u"127.0.0.1:15433"_s, true, &changed));
    QVERIFY(!changed);
    QCOMPARE(m_cluster->node(1).state(), NodeState::Failed);
    m_cluster->node(1).markRecovered(u"test"_s);
}

void tst_ControlServer::noMatchErrors()
{
    ControlClient client;
    QVERIFY(client.connectToProcess(ControlServer::instance().socketPath()));
    QVERIFY(!client.setNodeOnline(u"no-such"_s, u"127.0.0.1:15434"_s, false));
    QVERIFY2(client.errorString().contains(u"no-such-cluster"_s), qPrintable(client.errorString()));
    QVERIFY(client.errorString().contains(u"control-test"_s)); // names what exists
    QVERIFY(!client.setNodeOnline(u"control-test"_s, u"127.0.0.1:1"_s, false));
    QVERIFY2(client.errorString().contains(u"no-such-node"_s), qPrintable(client.errorString()));
    QVERIFY(client.errorString().contains(u"127.0.0.1:15433"_s));
    ProcessStatus process;
    QVERIFY(client.list(&process)); // the connection survives errors
}

void tst_ControlServer::malformedInputGetsErrorReplies()
{
    QLocalSocket socket;
    socket.connectToServer(ControlServer::instance().socketPath());
    QVERIFY(socket.waitForConnected(2000));
    const QByteArray garbage = QByteArray("not json\n[1]\n{\"cmd\":\"list\"}\n")
        + QByteArray("\x00\x01\xff\n", 4)
        + "{\"v\":1,\"id\":9,\"cmd\":\"shutdown\"}\n"
          "{\"v\":1,\"id\":10,\"cmd\":\"set-state\",\"cluster\":\"control-test\"}\n"
          "{\"v\":1,\"id\":11,\"cmd\":\"list\"}\n";
    const QList<QJsonObject> replies = exchange(socket, garbage, 7);
    QCOMPARE(replies.size(), 7);
    const QStringList codes = {u"bad-json"_s, u"bad-json"_s,        u"bad-version"_s,
                               u"bad-json"_s, u"unknown-command"_s, u"bad-request"_s};
    for (int i = 0; i < codes.size(); ++i) {
        QCOMPARE(replies.at(i).value(u"ok"_s).toBool(), false);
        QCOMPARE(replies.at(i).value(u"error"_s).toString(), codes.at(i));
    }
    QCOMPARE(replies.at(4).value(u"id"_s).toInt(), 9);
    QCOMPARE(replies.at(6).value(u"id"_s).toInt(), 11);
    QVERIFY(replies.at(6).value(u"ok"_s).toBool());
}

void tst_ControlServer::oversizedRequest()
{
    QLocalSocket socket;
    socket.connectToServer(ControlServer::instance().socketPath());
    QVERIFY(socket.waitForConnected(2000));
    QByteArray huge = "{\"v\":1,\"cmd\":\"list\",\"pad\":\"";
    huge += QByteArray(200 * 1024, 'a');
    huge += "\"}\n{\"v\":1,\"id\":1,\"cmd\":\"list\"}\n";
    const QList<QJsonObject> replies = exchange(socket, huge, 2);
    QCOMPARE(replies.size(), 2);
    QCOMPARE(replies.at(0).value(u"error"_s).toString(), u"too-large"_s);
    QCOMPARE(replies.at(1).value(u"id"_s).toInt(), 1);
    QVERIFY(replies.at(1).value(u"ok"_s).toBool());
}

void tst_ControlServer::rateLimit()
{
    QLocalSocket socket;
    socket.connectToServer(ControlServer::instance().socketPath());
    QVERIFY(socket.waitForConnected(2000));
    QByteArray burst;
    for (int i = 0; i < 80; ++i)
        burst += "{\"v\":1,\"cmd\":\"list\"}\n";
    const QList<QJsonObject> replies = exchange(socket, burst, 80);
    QCOMPARE(replies.size(), 80);
    int limited = 0;
    for (const QJsonObject &reply : replies)
        limited += reply.value(u"error"_s).toString() == u"rate-limited"_s ? 1 : 0;
    QVERIFY2(limited >= 80 - ControlProtocol::MaximumRequestsPerSecond * 2,
             qPrintable(QString::number(limited)));
    QVERIFY(limited > 0);
    // A second later it is served again.
    QTest::qWait(1100);
    const QList<QJsonObject> later = exchange(socket, "{\"v\":1,\"cmd\":\"list\"}\n", 1);
    QCOMPARE(later.size(), 1);
    QVERIFY(later.first().value(u"ok"_s).toBool());
}

void tst_ControlServer::subscribePushesStateChangesAndCounters()
{
    ControlClient client;
    QVERIFY(client.connectToProcess(ControlServer::instance().socketPath()));
    QSignalSpy snapshots(&client, &ControlClient::processStatusReceived);
    QSignalSpy changes(&client, &ControlClient::stateChanged);
    client.subscribe();
    QVERIFY(snapshots.wait(2000)); // the snapshot

    m_cluster->node(2).markFailed(u"connection refused"_s);
    QTRY_COMPARE_WITH_TIMEOUT(changes.size(), 1, 2000);
    const auto event = changes.first().first().value<StateEvent>();
    QCOMPARE(event.pid, qint64(::getpid()));
    QCOMPARE(event.cluster, u"control-test"_s);
    QCOMPARE(event.node.address, u"127.0.0.1:15434"_s);
    QCOMPARE(event.oldState, NodeState::Online);
    QCOMPARE(event.newState, NodeState::Failed);
    QCOMPARE(event.reason, u"connection refused"_s);
    QVERIFY(event.time.isValid());
    m_cluster->node(2).markRecovered(u"probe succeeded"_s);
    QTRY_COMPARE_WITH_TIMEOUT(changes.size(), 2, 2000);
    QCOMPARE(changes.at(1).first().value<StateEvent>().reason, u"probe succeeded"_s);

    // Counters come at most once a second, and only when they moved.
    snapshots.clear();
    m_cluster->node(0).countQuery(0);
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 1, 3000);
    const int received = snapshots.size();
    QTest::qWait(2500);
    QCOMPARE(snapshots.size(), received); // nothing moved: nothing sent
}

void tst_ControlServer::discoveryRemovesStaleSockets()
{
    // A pid above pid_max cannot belong to a running process.
    QFile pidMax(u"/proc/sys/kernel/pid_max"_s);
    QVERIFY(pidMax.open(QIODevice::ReadOnly));
    const qint64 deadPid = pidMax.readAll().trimmed().toLongLong() + 1;
    const QString stale = controlSocketDirectory() + u"/%1.sock"_s.arg(deadPid);
    QFile file(stale);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();

    // A live pid (our parent) whose socket file nobody listens on: bound, never listening.
    const QString orphan = controlSocketDirectory() + u"/%1.sock"_s.arg(::getppid());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray native = QFile::encodeName(orphan);
    std::memcpy(address.sun_path, native.constData(), size_t(native.size()));
    QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);

    QStringList removed;
    const QList<ControlEndpoint> endpoints = discoverControlEndpoints(&removed);
    ::close(fd);
    removed.sort();
    QStringList expected {stale, orphan};
    expected.sort();
    QCOMPARE(removed, expected);
    QVERIFY(!QFileInfo::exists(stale));
    QVERIFY(!QFileInfo::exists(orphan));
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.first().pid, qint64(::getpid()));
    QCOMPARE(endpoints.first().socketPath, ControlServer::instance().socketPath());
}

void tst_ControlServer::otherUsersAreRefused()
{
    // The folder's 0700 keeps other users out; the server's uid check must hold even when the
    // folder and socket are opened up by mistake. Needs root to act as another user.
    if (::geteuid() != 0)
        QSKIP("acting as another user needs root (CI runs as root)");
    const QString path = ControlServer::instance().socketPath();
    const QString directory = controlSocketDirectory(); // before QStandardPaths sees 0707
    const QFile::Permissions everybody = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
        | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;
    QVERIFY(QFile::setPermissions(m_runtime.path(), everybody));
    QVERIFY(QFile::setPermissions(directory, everybody));
    QVERIFY(QFile::setPermissions(path, everybody));
    const QByteArray native = QFile::encodeName(path);

    const pid_t child = ::fork();
    if (child == 0) {
        // As "nobody": connect, ask, and report (exit code) whether anything came back.
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(3);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, native.constData(), size_t(native.size()));
        if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0)
            ::_exit(4);
        const char request[] = "{\"v\":1,\"cmd\":\"list\"}\n";
        (void)!::write(fd, request, sizeof(request) - 1);
        timeval timeout {3, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        char buffer[256];
        const ssize_t got = ::read(fd, buffer, sizeof(buffer));
        ::_exit(got > 0 ? 1 : 0);
    }
    QVERIFY(child > 0);
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QFile::setPermissions(directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QFile::setPermissions(m_runtime.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 0); // connected, but nothing served to another uid
    // Our own clients are still served.
    ControlClient client;
    QVERIFY(client.connectToProcess(path));
    ProcessStatus process;
    QVERIFY(client.list(&process));
}

QTEST_GUILESS_MAIN(tst_ControlServer)

#include "tst_controlserver.moc"
