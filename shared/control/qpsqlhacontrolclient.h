// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACONTROLCLIENT_H
#define QPSQLHACONTROLCLIENT_H

#include <qpsqlhaglobal.h>
#include <qpsqlhastatus.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

#include <memory>

namespace QPsqlHa {

// One control socket found in the socket directory.
struct ControlEndpoint
{
    qint64 pid = 0;
    QString socketPath;
};

// <runtime dir>/qpsqlha: where applications put their control sockets.
QPSQLHA_CONTROL_EXPORT QString controlSocketDirectory();

// The control sockets of running processes, by pid. Sockets whose process is gone are deleted;
// their paths are appended to *removed.
QPSQLHA_CONTROL_EXPORT QList<ControlEndpoint> discoverControlEndpoints(QStringList *removed
                                                                       = nullptr);

class ControlClientPrivate;

// The tools' side of the control channel: one connection to one process.
// The blocking calls need no event loop (qpsqlha-ctl); subscribe() delivers events as signals
// and needs one (qpsqlha-monitor, qpsqlha-ctl watch).
class QPSQLHA_CONTROL_EXPORT ControlClient : public QObject
{
    Q_OBJECT
public:
    explicit ControlClient(QObject *parent = nullptr);
    ~ControlClient() override;

    bool connectToProcess(const QString &socketPath, int timeoutMs = 1000);
    void disconnectFromProcess();
    bool isConnected() const;
    QString errorString() const; // the last failure, including the server's error message

    // Blocking request/reply. Events that arrive meanwhile are emitted from inside the call:
    // a slot must not delete this client or start another blocking call on it.
    bool list(ProcessStatus *status, int timeoutMs = 2000);
    bool setNodeOnline(const QString &cluster, const QString &nodeAddress, bool online,
                       bool *changed = nullptr, NodeStatus *node = nullptr, int timeoutMs = 2000);

    // Nodes on the fly (see QPsqlHa::addReader()): the process's status after the change.
    bool addReader(const QString &cluster, const QString &nodeAddress,
                   ProcessStatus *status = nullptr, int timeoutMs = 2000);
    bool removeNode(const QString &cluster, const QString &nodeAddress,
                    ProcessStatus *status = nullptr, int timeoutMs = 2000);

    // Asks for events; the reply arrives as processStatusReceived().
    void subscribe();

Q_SIGNALS:
    // The snapshot after subscribe(), then the counters (at most once a second).
    void processStatusReceived(const QPsqlHa::ProcessStatus &status);
    void stateChanged(const QPsqlHa::StateEvent &event);
    // An error reply to an asynchronous request: code and message from the server.
    void requestFailed(const QString &code, const QString &message);
    void disconnected();

private:
    std::unique_ptr<ControlClientPrivate> d;
};

} // namespace QPsqlHa

Q_DECLARE_METATYPE(QPsqlHa::ProcessStatus)
Q_DECLARE_METATYPE(QPsqlHa::StateEvent)

#endif // QPSQLHACONTROLCLIENT_H
