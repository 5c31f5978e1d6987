// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhacontrolclient.h"

#include "qpsqlhacontrolprotocol_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qscopedvaluerollback.h>
#include <QtCore/qstandardpaths.h>
#include <QtNetwork/qlocalsocket.h>

#include <cerrno>
#include <cstring>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;
namespace Protocol = ControlProtocol;

QString controlSocketDirectory()
{
    const QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    return runtime.isEmpty() ? QString() : runtime + u"/qpsqlha"_s;
}

namespace {

// Whether something listens on a local socket file, without waiting: connection refused means
// the file is a leftover.
bool hasListener(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    sockaddr_un address {};
    if (size_t(native.size()) >= sizeof(address.sun_path))
        return true; // cannot tell; leave it to the connection attempt
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, native.constData(), size_t(native.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true;
    const bool refused = ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0
        && (errno == ECONNREFUSED || errno == ENOENT || errno == ENOTSOCK);
    ::close(fd);
    return !refused;
}

} // namespace

QList<ControlEndpoint> discoverControlEndpoints(QStringList *removed)
{
    QList<ControlEndpoint> endpoints;
    const QString directory = controlSocketDirectory();
    if (directory.isEmpty())
        return endpoints;
    const QDir dir(directory);
    for (const QString &name : dir.entryList({u"*.sock"_s}, QDir::System | QDir::Files)) {
        bool ok = false;
        const qint64 pid = name.chopped(5).toLongLong(&ok);
        if (!ok || pid <= 0)
            continue;
        const QString path = dir.filePath(name);
        // A process that is gone left its socket behind (it crashed or was killed); so did one
        // whose pid now belongs to another program, which nothing listens for.
        if ((::kill(pid_t(pid), 0) != 0 && errno == ESRCH) || !hasListener(path)) {
            QFile::remove(path);
            if (removed)
                removed->append(path);
            continue;
        }
        endpoints.append({pid, path});
    }
    std::sort(endpoints.begin(), endpoints.end(),
              [](const ControlEndpoint &a, const ControlEndpoint &b) { return a.pid < b.pid; });
    return endpoints;
}

class ControlClientPrivate
{
public:
    explicit ControlClientPrivate(ControlClient *q)
        : q(q)
    { }

    // Handles one message that is not the reply a blocking call waits for.
    void dispatch(const QJsonObject &message)
    {
        const QString event = message.value(u"event"_s).toString();
        if (event == "state"_L1) {
            StateEvent state;
            state.pid = Protocol::integerFromJson(message.value(u"pid"_s));
            state.cluster = message.value(u"cluster"_s).toString();
            Protocol::nodeFromJson(message.value(u"node"_s).toObject(), &state.node);
            state.node.cluster = state.cluster;
            Protocol::stateFromText(message.value(u"old"_s).toString(), &state.oldState);
            Protocol::stateFromText(message.value(u"new"_s).toString(), &state.newState);
            state.reason = message.value(u"reason"_s).toString();
            state.time
                = QDateTime::fromString(message.value(u"time"_s).toString(), Qt::ISODateWithMs);
            emit q->stateChanged(state);
            return;
        }
        const QJsonValue process = message.value(u"process"_s);
        if (process.isObject()) { // the subscribe reply or a counters event
            ProcessStatus status;
            if (Protocol::processFromJson(process.toObject(), &status))
                emit q->processStatusReceived(status);
            return;
        }
        if (message.value(u"ok"_s) == QJsonValue(false)) {
            emit q->requestFailed(message.value(u"error"_s).toString(),
                                  message.value(u"message"_s).toString());
        }
    }

    // Reads what has arrived; returns the reply with `id` if it came, dispatching the rest.
    bool readMessages(int waitingFor, QJsonObject *reply)
    {
        reader.append(socket.readAll());
        QByteArray line;
        bool found = false;
        for (;;) {
            const auto result = reader.next(&line);
            if (result == Protocol::LineReader::Result::None)
                break;
            if (result == Protocol::LineReader::Result::TooLarge)
                continue;
            const QJsonObject message = QJsonDocument::fromJson(line).object();
            if (waitingFor >= 0 && !found && message.value(u"id"_s) == QJsonValue(waitingFor)) {
                *reply = message;
                found = true;
                continue;
            }
            dispatch(message);
        }
        return found;
    }

    bool request(QJsonObject message, QJsonObject *reply, int timeoutMs)
    {
        if (socket.state() != QLocalSocket::ConnectedState) {
            error = u"not connected"_s;
            return false;
        }
        const int id = nextId++;
        // The readyRead handler must leave the reply to this loop.
        const QScopedValueRollback<bool> blocking(inRequest, true);
        message.insert(u"v"_s, Protocol::Version);
        message.insert(u"id"_s, id);
        socket.write(Protocol::encode(message));
        socket.flush();
        const QDeadlineTimer deadline(timeoutMs);
        while (!readMessages(id, reply)) {
            if (deadline.hasExpired() || !socket.waitForReadyRead(int(deadline.remainingTime()))) {
                error = socket.state() == QLocalSocket::ConnectedState
                    ? u"no answer within %1 ms"_s.arg(timeoutMs)
                    : u"the process closed the connection"_s;
                return false;
            }
        }
        if (!reply->value(u"ok"_s).toBool()) {
            error = u"%1: %2"_s.arg(reply->value(u"error"_s).toString(),
                                    reply->value(u"message"_s).toString());
            return false;
        }
        return true;
    }

    // add-reader, remove-node: the same request and the same answer.
    bool changeNodes(const QString &command, const QString &cluster, const QString &nodeAddress,
                     ProcessStatus *status, int timeoutMs)
    {
        QJsonObject reply;
        if (!request({{u"cmd"_s, command}, {u"cluster"_s, cluster}, {u"node"_s, nodeAddress}},
                     &reply, timeoutMs))
            return false;
        if (status)
            Protocol::processFromJson(reply.value(u"process"_s).toObject(), status);
        return true;
    }

    ControlClient *q;
    QLocalSocket socket;
    Protocol::LineReader reader;
    QString error;
    int nextId = 1;
    bool inRequest = false;
};

ControlClient::ControlClient(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ControlClientPrivate>(this))
{
    qRegisterMetaType<QPsqlHa::ProcessStatus>();
    qRegisterMetaType<QPsqlHa::StateEvent>();
    connect(&d->socket, &QLocalSocket::readyRead, this, [this] {
        if (!d->inRequest)
            d->readMessages(-1, nullptr);
    });
    connect(&d->socket, &QLocalSocket::disconnected, this, &ControlClient::disconnected);
}

ControlClient::~ControlClient() = default;

bool ControlClient::connectToProcess(const QString &socketPath, int timeoutMs)
{
    d->socket.abort();
    d->reader = Protocol::LineReader();
    d->socket.connectToServer(socketPath);
    if (!d->socket.waitForConnected(timeoutMs)) {
        d->error = d->socket.errorString();
        return false;
    }
    return true;
}

void ControlClient::disconnectFromProcess()
{
    d->socket.abort();
}

bool ControlClient::isConnected() const
{
    return d->socket.state() == QLocalSocket::ConnectedState;
}

QString ControlClient::errorString() const
{
    return d->error;
}

bool ControlClient::list(ProcessStatus *status, int timeoutMs)
{
    QJsonObject reply;
    if (!d->request({{u"cmd"_s, u"list"_s}}, &reply, timeoutMs))
        return false;
    if (!Protocol::processFromJson(reply.value(u"process"_s).toObject(), status)) {
        d->error = u"malformed reply"_s;
        return false;
    }
    return true;
}

bool ControlClient::setNodeOnline(const QString &cluster, const QString &nodeAddress, bool online,
                                  bool *changed, NodeStatus *node, int timeoutMs)
{
    QJsonObject reply;
    if (!d->request({{u"cmd"_s, u"set-state"_s},
                     {u"cluster"_s, cluster},
                     {u"node"_s, nodeAddress},
                     {u"online"_s, online}},
                    &reply, timeoutMs))
        return false;
    if (changed)
        *changed = reply.value(u"changed"_s).toBool();
    if (node) {
        Protocol::nodeFromJson(reply.value(u"node"_s).toObject(), node);
        node->cluster = cluster;
    }
    return true;
}

bool ControlClient::addReader(const QString &cluster, const QString &nodeAddress,
                              ProcessStatus *status, int timeoutMs)
{
    return d->changeNodes(u"add-reader"_s, cluster, nodeAddress, status, timeoutMs);
}

bool ControlClient::removeNode(const QString &cluster, const QString &nodeAddress,
                               ProcessStatus *status, int timeoutMs)
{
    return d->changeNodes(u"remove-node"_s, cluster, nodeAddress, status, timeoutMs);
}

void ControlClient::subscribe()
{
    d->socket.write(Protocol::encode(
        {{u"v"_s, Protocol::Version}, {u"id"_s, d->nextId++}, {u"cmd"_s, u"subscribe"_s}}));
}

} // namespace QPsqlHa
