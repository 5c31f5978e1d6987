// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAHEALTHCHECKER_P_H
#define QPSQLHAHEALTHCHECKER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qobject.h>
#include <QtCore/qsharedpointer.h>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace QPsqlHa {

class Cluster;
class HealthWorker;

// Brings failed nodes back. It runs in a thread of its own with its own event loop, so that
// probing works in console applications without one and never blocks a caller's thread: every
// cluster gets a QTimer there that probes its nodes each health interval (nodes set offline by
// hand are left alone) while the cluster has an open connection; without one it probes nothing
// and holds no connection to any node. The same thread prints the debug status every 4 s.
class QPSQLHA_EXPORT HealthChecker
{
    Q_DISABLE_COPY_MOVE(HealthChecker)
public:
    static HealthChecker &instance();

    void watch(const QSharedPointer<Cluster> &cluster);
    // Probes the nodes of a cluster now rather than at the next tick (a write found the primary
    // read-only, a reader was added).
    void probeSoon(const QSharedPointer<Cluster> &cluster);
    // The cluster's first connection opened (probing starts now) or its last one closed (probing
    // stops and the probe connections close).
    void sessionsChanged(const QSharedPointer<Cluster> &cluster);

private:
    HealthChecker();
    ~HealthChecker();

    QThread *m_thread = nullptr;
    HealthWorker *m_worker = nullptr;
};

} // namespace QPsqlHa

#endif // QPSQLHAHEALTHCHECKER_P_H
