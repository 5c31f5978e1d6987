// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhacontrolserver_p.h"

#include "qpsqlhaapi.h"
#include "qpsqlhacluster_p.h"
#include "qpsqlhacontrolrequests_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhastatechanges_p.h"
#include "qpsqlhathreadhandoff_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qhash.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>

#include <sys/socket.h>
#include <unistd.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;
namespace Protocol = ControlProtocol;

namespace {

constexpr int CountersIntervalMs = 1000;
constexpr int MaximumClients = 64;
// A tool that stops reading must not make the application buffer without bound.
constexpr qint64 MaximumPendingBytes = 4 * 1024 * 1024;

// Only the user running the application may talk to it, whatever the file mode says.
bool peerIsSameUser(QLocalSocket *socket)
{
    ucred credentials {};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &credentials,
                     &length)
        != 0)
        return false;
    return credentials.uid == ::geteuid();
}

NodeStatus nodeStatus(const QString &cluster, const QString &address)
{
    const QSharedPointer<Cluster> found = ClusterRegistry::instance().find(cluster);
    const int index = found ? found->indexOf(address) : -1;
    if (index < 0)
        return NodeStatus();
    const NodeSettings &settings = found->node(index).settings();
    return node(cluster, settings.host, settings.port).status();
}

} // namespace

// Lives in the control thread; everything below runs there.
class ControlWorker : public QObject
{
    Q_OBJECT
public:
    explicit ControlWorker(const QString &path)
        : m_path(path)
    { }

    // Called with BlockingQueuedConnection from the thread that starts or ends the server, by
    // name and without arguments: what goes in and out is in members, handed over explicitly
    // (see qpsqlhathreadhandoff_p.h), not in Qt's argument copies that ThreadSanitizer cannot
    // order.
    Q_INVOKABLE void start()
    {
        takeOver(this);
        m_listening = listen(m_path, &m_problem);
        handOff(this);
    }
    bool isListening() const { return m_listening; }
    QString problem() const { return m_problem; }

    Q_INVOKABLE void stop()
    {
        takeOver(this);
        shutDown();
        handOff(this);
    }

private:
    bool listen(const QString &path, QString *errorMessage)
    {
        m_server = new QLocalServer(this);
        m_server->setSocketOptions(QLocalServer::UserAccessOption);
        m_server->setMaxPendingConnections(MaximumClients);
        QLocalServer::removeServer(path); // a file left by an earlier process with our pid
        if (!m_server->listen(path)) {
            *errorMessage = m_server->errorString();
            return false;
        }
        connect(m_server, &QLocalServer::newConnection, this, &ControlWorker::acceptClients);
        connect(&StateChangeHub::instance(), &StateChangeHub::changed, this,
                &ControlWorker::publishStateChange, Qt::QueuedConnection);
        StateChangeHub::instance().addListener();
        auto *counters = new QTimer(this);
        connect(counters, &QTimer::timeout, this, &ControlWorker::publishCounters);
        counters->start(CountersIntervalMs);
        return true;
    }

    void shutDown()
    {
        if (!m_server)
            return;
        StateChangeHub::instance().removeListener();
        m_server->close(); // removes the socket file
    }

    const QString m_path;
    bool m_listening = false;
    QString m_problem;

    struct Client
    {
        Protocol::LineReader reader;
        bool subscribed = false;
        QElapsedTimer window;
        int requestsInWindow = 0;
        QByteArray lastCounters;
    };

    void acceptClients()
    {
        while (QLocalSocket *socket = m_server->nextPendingConnection()) {
            if (m_clients.size() >= MaximumClients || !peerIsSameUser(socket)) {
                socket->abort();
                socket->deleteLater();
                continue;
            }
            Client &client = m_clients[socket];
            client.window.start();
            connect(socket, &QLocalSocket::readyRead, this, [this, socket] { serve(socket); });
            // Removed later, not now: disconnected() can fire inside send() while the client
            // is being served or iterated.
            connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
                QMetaObject::invokeMethod(
                    this,
                    [this, socket] {
                        m_clients.remove(socket);
                        socket->deleteLater();
                    },
                    Qt::QueuedConnection);
            });
        }
    }

    void send(QLocalSocket *socket, const QJsonObject &message)
    {
        if (socket->bytesToWrite() > MaximumPendingBytes) {
            socket->abort(); // disconnected() cleans up
            return;
        }
        socket->write(Protocol::encode(message));
    }

    // An error for a line that is not read as a request (too long, over the rate): it has no id
    // to answer to.
    void refuseLine(QLocalSocket *socket, const char *code, const QString &message)
    {
        send(socket,
             Protocol::errorReply(QJsonValue::Undefined, QString::fromLatin1(code), message));
    }

    bool withinRate(Client &client)
    {
        if (client.window.elapsed() >= 1000) {
            client.window.restart();
            client.requestsInWindow = 0;
        }
        return ++client.requestsInWindow <= Protocol::MaximumRequestsPerSecond;
    }

    void serve(QLocalSocket *socket)
    {
        auto it = m_clients.find(socket);
        if (it == m_clients.end())
            return;
        it->reader.append(socket->readAll());
        QByteArray line;
        while (socket->state() == QLocalSocket::ConnectedState) {
            Client &client = it.value();
            const Protocol::LineReader::Result result = client.reader.next(&line);
            if (result == Protocol::LineReader::Result::None)
                break;
            if (result == Protocol::LineReader::Result::TooLarge) {
                refuseLine(
                    socket, Protocol::Error::TooLarge,
                    u"a request line may be at most %1 bytes"_s.arg(Protocol::MaximumLineLength));
                continue;
            }
            Protocol::Request request;
            QString code;
            QString message;
            if (!withinRate(client)) {
                refuseLine(
                    socket, Protocol::Error::RateLimited,
                    u"at most %1 requests per second"_s.arg(Protocol::MaximumRequestsPerSecond));
                continue;
            }
            if (!Protocol::parseRequest(line, &request, &code, &message)) {
                send(socket, Protocol::errorReply(request.id, code, message));
                continue;
            }
            const QJsonObject reply = executeControlRequest(request);
            if (request.command == Protocol::Command::Subscribe) {
                client.subscribed = true;
                client.lastCounters = Protocol::encode(reply.value(u"process"_s).toObject());
            }
            send(socket, reply);
        }
    }

    void publishStateChange(const StateChange &change)
    {
        StateChangeHub::instance().receiving();
        QJsonObject event {
            {u"v"_s, Protocol::Version},
            {u"event"_s, u"state"_s},
            {u"pid"_s, double(::getpid())},
            {u"cluster"_s, change.cluster},
            {u"node"_s, Protocol::nodeToJson(nodeStatus(change.cluster, change.address))},
            {u"old"_s, nodeStateText(change.oldState)},
            {u"new"_s, nodeStateText(change.newState)},
            {u"reason"_s, change.reason},
            {u"time"_s, change.time.toUTC().toString(Qt::ISODateWithMs)},
        };
        for (auto it = m_clients.begin(); it != m_clients.end(); ++it) {
            if (it->subscribed)
                send(it.key(), event);
        }
    }

    void publishCounters()
    {
        QJsonObject process;
        QByteArray encoded;
        for (auto it = m_clients.begin(); it != m_clients.end(); ++it) {
            if (!it->subscribed)
                continue;
            if (encoded.isEmpty()) {
                process = Protocol::processToJson(currentProcessStatus());
                encoded = Protocol::encode(process);
            }
            if (encoded == it->lastCounters)
                continue; // nothing moved since the last one
            it->lastCounters = encoded;
            send(it.key(),
                 {{u"v"_s, Protocol::Version},
                  {u"event"_s, u"counters"_s},
                  {u"process"_s, process}});
        }
    }

    QLocalServer *m_server = nullptr;
    QHash<QLocalSocket *, Client> m_clients;
};

ControlServer &ControlServer::instance()
{
    static ControlServer server;
    return server;
}

ControlServer::ControlServer() = default;

ControlServer::~ControlServer()
{
    QMutexLocker locker(&m_mutex);
    if (!m_thread)
        return;
    handOff(m_worker);
    QMetaObject::invokeMethod(m_worker, "stop", Qt::BlockingQueuedConnection);
    takeOver(m_worker);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    // QLocalServer::close() leaves the file behind when it runs this late (static destruction);
    // a file without a listener would look like a live process with a hung channel.
    QFile::remove(m_socketPath);
}

bool ControlServer::requestedByEnvironment()
{
    const QByteArray value = qgetenv("QPSQLHA_CONTROL").trimmed().toLower();
    return value == "1" || value == "true" || value == "on" || value == "yes";
}

bool ControlServer::ensureRunning(QString *errorMessage)
{
    QMutexLocker locker(&m_mutex);
    if (m_thread)
        return true;

    const QString directory = controlSocketDirectory();
    if (directory.isEmpty() || !QDir().mkpath(directory)) {
        *errorMessage = u"cannot create the control socket directory '%1'"_s.arg(directory);
        return false;
    }
    // Only the owner may list or enter it: the sockets' names say which processes run.
    QFile::setPermissions(directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const QString path = directory + u'/' + QString::number(::getpid()) + u".sock"_s;

    auto *thread = new QThread;
    thread->setObjectName(u"qpsqlha-control"_s);
    auto *worker = new ControlWorker(path);
    worker->moveToThread(thread);
    QObject::connect(thread, &QThread::finished, worker, &QObject::deleteLater);
    thread->start();
    handOff(worker);
    QMetaObject::invokeMethod(worker, "start", Qt::BlockingQueuedConnection);
    takeOver(worker);
    if (!worker->isListening()) {
        const QString problem = worker->problem();
        thread->quit();
        thread->wait();
        delete thread;
        *errorMessage = u"cannot listen on '%1': %2"_s.arg(path, problem);
        return false;
    }
    m_thread = thread;
    m_worker = worker;
    m_socketPath = path;
    qCInfo(lcControl).noquote() << "control channel on" << path;
    return true;
}

bool ControlServer::isRunning() const
{
    QMutexLocker locker(&m_mutex);
    return m_thread != nullptr;
}

QString ControlServer::socketPath() const
{
    QMutexLocker locker(&m_mutex);
    return m_socketPath;
}

} // namespace QPsqlHa

#include "qpsqlhacontrolserver.moc"
