// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_PROCESSWATCHER_H
#define QPSQLHAMONITOR_PROCESSWATCHER_H

#include <qpsqlhacontrolclient.h>

#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtCore/qset.h>
#include <QtCore/qtimer.h>

namespace QPsqlHaMonitor {

class EventLogModel;
class MonitorModel;

// Keeps the models in step with the processes that serve the control channel: looks for their
// sockets every second, holds one subscribed ControlClient per process, feeds the snapshots,
// counters and state events into the models and removes processes that went away.
class ProcessWatcher : public QObject
{
    Q_OBJECT
public:
    static constexpr int DiscoveryIntervalMs = 1000;
    static constexpr int ConnectTimeoutMs = 1000;
    static constexpr int RequestTimeoutMs = 2000;

    ProcessWatcher(MonitorModel *model, EventLogModel *eventLog, QObject *parent = nullptr);
    ~ProcessWatcher() override;

    void start();
    void stop();
    bool isRunning() const { return m_timer.isActive(); }

    int processCount() const { return int(m_processes.size()); }
    QString socketPath(qint64 pid) const;

    // Sets a node online or offline by hand over a connection of its own (the subscribed one
    // stays free for events) and shows the process's answer at once. On failure, *error says
    // why.
    bool setNodeOnline(qint64 pid, const QString &cluster, const QString &address, bool online,
                       QString *error = nullptr);

public Q_SLOTS:
    // Looks for processes now rather than at the next tick.
    void refresh();

Q_SIGNALS:
    void processesChanged(int count);

private:
    struct Watched
    {
        QString socketPath;
        QPsqlHa::ControlClient *client = nullptr;
    };

    void watch(const QPsqlHa::ControlEndpoint &endpoint);
    void unwatch(qint64 pid);

    MonitorModel *m_model;
    EventLogModel *m_eventLog;
    QHash<qint64, Watched> m_processes;
    QSet<qint64> m_unreachable; // warned about once
    QTimer m_timer;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_PROCESSWATCHER_H
