// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhahealthchecker_p.h"

#include "qpsqlhacluster_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhanodeconnection_p.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qmutex.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

constexpr int DebugStatusIntervalMs = 4000;

// Lives in the health thread; everything below runs there.
class HealthWorker : public QObject
{
    Q_OBJECT
public:
    // From any thread. The clusters are handed over under a mutex, not captured in a queued
    // functor: ThreadSanitizer cannot see the locking of Qt's own event queue, but sees this.
    void request(const QSharedPointer<Cluster> &cluster, bool watch)
    {
        {
            QMutexLocker locker(&m_requestsMutex);
            m_requests.append({cluster, watch});
        }
        QMetaObject::invokeMethod(this, "takeRequests", Qt::QueuedConnection);
    }

    Q_INVOKABLE void takeRequests()
    {
        QList<Request> requests;
        {
            QMutexLocker locker(&m_requestsMutex);
            requests.swap(m_requests);
        }
        for (const Request &request : std::as_const(requests)) {
            if (request.watch)
                watch(request.cluster);
            else
                probeFailedNodes(*request.cluster);
        }
    }

    void watch(const QSharedPointer<Cluster> &cluster)
    {
        auto *timer = new QTimer(this);
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(cluster->settings().healthIntervalMs);
        connect(timer, &QTimer::timeout, this, [this, cluster] { probeFailedNodes(*cluster); });
        timer->start();
        m_clusters.append(cluster);

        if (!m_statusTimer) {
            m_statusTimer = new QTimer(this);
            m_statusTimer->setInterval(DebugStatusIntervalMs);
            connect(m_statusTimer, &QTimer::timeout, this, &HealthWorker::logStatus);
            m_statusTimer->start();
        }
    }

    void probeFailedNodes(const Cluster &cluster)
    {
        if (cluster.sessionCount() == 0)
            return;
        // A probe waits at most about one interval (libpq counts whole seconds, at least 2).
        const int timeoutSeconds = qBound(2, cluster.settings().healthIntervalMs / 1000, 10);
        for (int i = 0; i < cluster.nodeCount(); ++i) {
            Node &node = cluster.node(i);
            if (node.state() != NodeState::Failed)
                continue;
            QString problem;
            if (probeNode(node.settings(), cluster.settings(), timeoutSeconds, &problem)) {
                node.markRecovered(QStringLiteral("probe succeeded"));
            } else {
                node.setLastError(problem);
                qCDebug(lcHealth).noquote() << "probe of" << node.address() << "failed:" << problem;
            }
        }
    }

private:
    void logStatus()
    {
        for (const auto &cluster : std::as_const(m_clusters)) {
            if (!cluster->isDebugEnabled())
                continue;
            for (int i = 0; i < cluster->nodeCount(); ++i) {
                const Node &node = cluster->node(i);
                qCInfo(lcStatus).noquote()
                    << u"cluster %1 node %2 %3: %4, queries %5, errors %6, retries %7%8"_s
                           .arg(cluster->name(), node.address(),
                                node.role() == NodeRole::Primary ? u"primary"_s : u"reader"_s,
                                QLatin1StringView(nodeStateName(node.state())))
                           .arg(node.queries())
                           .arg(node.errors())
                           .arg(node.retries())
                           .arg(node.isOnline() ? QString()
                                                : u", last error: "_s + node.lastError());
            }
        }
    }

    struct Request
    {
        QSharedPointer<Cluster> cluster;
        bool watch; // else probe now
    };

    QList<QSharedPointer<Cluster>> m_clusters;
    QTimer *m_statusTimer = nullptr;
    QMutex m_requestsMutex;
    QList<Request> m_requests;
};

HealthChecker &HealthChecker::instance()
{
    static HealthChecker checker;
    return checker;
}

HealthChecker::HealthChecker()
    : m_thread(new QThread)
    , m_worker(new HealthWorker)
{
    m_thread->setObjectName(u"qpsqlha-health"_s);
    m_worker->moveToThread(m_thread);
    // Deleting the worker in its own thread, as the thread ends, stops its timers cleanly.
    QObject::connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

HealthChecker::~HealthChecker()
{
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

void HealthChecker::watch(const QSharedPointer<Cluster> &cluster)
{
    m_worker->request(cluster, true);
}

void HealthChecker::probeSoon(const QSharedPointer<Cluster> &cluster)
{
    m_worker->request(cluster, false);
}

} // namespace QPsqlHa

#include "qpsqlhahealthchecker.moc"
