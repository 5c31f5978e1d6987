// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "processwatcher.h"

#include <eventlogmodel.h>
#include <monitormodel.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qloggingcategory.h>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcMonitor, "qpsqlha.monitor")

namespace QPsqlHaMonitor {

static qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

ProcessWatcher::ProcessWatcher(MonitorModel *model, EventLogModel *eventLog, QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_eventLog(eventLog)
{
    m_timer.setInterval(DiscoveryIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ProcessWatcher::refresh);
}

ProcessWatcher::~ProcessWatcher()
{
    // The clients are children; their signals must not reach the models while they go.
    for (const Watched &watched : std::as_const(m_processes))
        watched.client->disconnect(this);
}

void ProcessWatcher::start()
{
    refresh();
    m_timer.start();
}

void ProcessWatcher::stop()
{
    m_timer.stop();
}

QString ProcessWatcher::socketPath(qint64 pid) const
{
    return m_processes.value(pid).socketPath;
}

void ProcessWatcher::refresh()
{
    const QList<QPsqlHa::ControlEndpoint> endpoints = QPsqlHa::discoverControlEndpoints();
    const int before = processCount();
    QSet<qint64> found;
    for (const QPsqlHa::ControlEndpoint &endpoint : endpoints) {
        found.insert(endpoint.pid);
        if (!m_processes.contains(endpoint.pid))
            watch(endpoint);
    }
    for (qint64 pid : m_processes.keys()) {
        if (!found.contains(pid))
            unwatch(pid);
    }
    m_unreachable.intersect(found);
    // Also the clock of "since change", and the rates of processes where nothing ran.
    m_model->tick(now());
    if (processCount() != before)
        Q_EMIT processesChanged(processCount());
}

void ProcessWatcher::watch(const QPsqlHa::ControlEndpoint &endpoint)
{
    const qint64 pid = endpoint.pid;
    auto *client = new QPsqlHa::ControlClient(this);
    if (!client->connectToProcess(endpoint.socketPath, ConnectTimeoutMs)) {
        // Tried again at the next discovery; said once, not every second.
        if (!m_unreachable.contains(pid)) {
            qCWarning(lcMonitor, "cannot connect to process %lld (%s): %s", pid,
                      qPrintable(endpoint.socketPath), qPrintable(client->errorString()));
            m_unreachable.insert(pid);
        }
        delete client;
        return;
    }
    m_unreachable.remove(pid);
    connect(client, &QPsqlHa::ControlClient::processStatusReceived, this,
            [this, pid](QPsqlHa::ProcessStatus status) {
                // Keyed by the socket's pid, so that unwatch() removes what watch() added.
                status.pid = pid;
                m_model->updateProcess(status, now());
            });
    connect(client, &QPsqlHa::ControlClient::stateChanged, this,
            [this, pid](QPsqlHa::StateEvent event) {
                event.pid = pid;
                m_model->applyStateEvent(event, now());
                m_eventLog->appendEvent(event, m_model->processName(pid));
            });
    connect(client, &QPsqlHa::ControlClient::requestFailed, this,
            [pid](const QString &code, const QString &message) {
                qCWarning(lcMonitor, "process %lld refused a request: %s: %s", pid,
                          qPrintable(code), qPrintable(message));
            });
    // The process ended or closed its control socket: it leaves the tree at once, not at the
    // next discovery. If its socket is still there, the next discovery connects again.
    connect(client, &QPsqlHa::ControlClient::disconnected, this, [this, pid] {
        unwatch(pid);
        Q_EMIT processesChanged(processCount());
    });
    m_processes.insert(pid, Watched {endpoint.socketPath, client});
    client->subscribe();
}

void ProcessWatcher::unwatch(qint64 pid)
{
    const Watched watched = m_processes.take(pid);
    if (watched.client) {
        watched.client->disconnect(this);
        // unwatch() may run inside one of the client's own signals.
        watched.client->deleteLater();
    }
    m_model->removeProcess(pid);
}

bool ProcessWatcher::setNodeOnline(qint64 pid, const QString &cluster, const QString &address,
                                   bool online, QString *error)
{
    const auto it = m_processes.constFind(pid);
    if (it == m_processes.constEnd()) {
        if (error)
            *error = tr("process %1 is not running any more").arg(pid);
        return false;
    }
    QPsqlHa::ControlClient client;
    QPsqlHa::NodeStatus node;
    if (!client.connectToProcess(it->socketPath, ConnectTimeoutMs)
        || !client.setNodeOnline(cluster, address, online, nullptr, &node, RequestTimeoutMs)) {
        if (error)
            *error = client.errorString();
        return false;
    }
    // The state event follows on the subscription; showing the reply now saves a round trip.
    m_model->updateNode(pid, cluster, node, now());
    return true;
}

} // namespace QPsqlHaMonitor
