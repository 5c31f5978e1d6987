// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef CTLWATCH_H
#define CTLWATCH_H

#include "ctlcommandline.h"

#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtCore/qset.h>
#include <QtCore/qtimer.h>

namespace QPsqlHa {
class ControlClient;
struct ControlEndpoint;
struct StateEvent;
} // namespace QPsqlHa

namespace QPsqlHaCtl {

// `watch`: subscribes to every process and prints each state change. Processes that start
// later are found by looking at the socket directory every second; processes that end drop out.
// Progress (which process is watched, which is gone) goes to stderr so that stdout holds only
// events.
class Watcher : public QObject
{
    Q_OBJECT
public:
    explicit Watcher(const Options &options, QObject *parent = nullptr);
    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    struct Watched
    {
        QPsqlHa::ControlClient *client = nullptr;
        QString application;
        bool subscribed = false;
    };

    void discover();
    void watch(const QPsqlHa::ControlEndpoint &endpoint);
    void forget(qint64 pid, const QString &why);
    void report(const QPsqlHa::StateEvent &event);

    Options m_options;
    QTimer m_discovery;
    QHash<qint64, Watched> m_watched;
    QSet<qint64> m_unreachable; // reported once, retried silently
    bool m_hinted = false;
    bool m_finished = false;
    int m_events = 0;
};

// Runs `watch` until --count events, SIGINT or SIGTERM; needs the QCoreApplication.
int runWatch(const Options &options);

} // namespace QPsqlHaCtl

#endif // CTLWATCH_H
