// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhahealthchecker_p.h"

#include "qpsqlhacluster_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhanodeprobe_p.h"
#include "qpsqlhapatronipoller_p.h"
#include "qpsqlhawatchdog_p.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

constexpr int DebugStatusIntervalMs = 4000;
// Bounds of a probe's deadline (see probeTimeoutMs()).
constexpr int MinimumProbeTimeoutMs = 1000;
constexpr int MaximumProbeTimeoutMs = 30000;

// One node's prober: a thread of its own that runs a probe when asked and is idle otherwise, so
// that a node that does not answer delays nobody else's probe. A request while a probe runs is
// dropped, not queued: a hung node gets one probe at a time. Plain std::thread, mutex and
// condition variable, so that ThreadSanitizer sees every hand-over (Qt's thread pool is not
// instrumented in Debian's build).
class NodeProber
{
    Q_DISABLE_COPY_MOVE(NodeProber)
public:
    using Done
        = void (*)(Cluster &cluster, Node &node, const ProbeResult &result, qint64 startedClockMs);

    NodeProber(QSharedPointer<Cluster> cluster, Node *node, Done done)
        : m_cluster(std::move(cluster))
        , m_node(node)
        , m_done(done)
        , m_thread([this] { run(); })
    { }

    ~NodeProber()
    {
        stop();
        m_thread.join();
    }

    // Asks every prober to stop first, so that joining them all takes one probe's tenth of a
    // second, not one per node.
    void stop()
    {
        {
            std::lock_guard<std::mutex> locker(m_mutex);
            m_stopping = true;
        }
        m_cancelled.store(true, std::memory_order_relaxed);
        m_wake.notify_one();
    }

    void probe(int timeoutMs)
    {
        {
            std::lock_guard<std::mutex> locker(m_mutex);
            if (m_requested || m_running)
                return;
            m_requested = true;
            m_timeoutMs = timeoutMs;
        }
        m_wake.notify_one();
    }

private:
    void run()
    {
        std::unique_lock<std::mutex> locker(m_mutex);
        for (;;) {
            m_wake.wait(locker, [this] { return m_stopping || m_requested; });
            if (m_stopping)
                return;
            m_requested = false;
            m_running = true;
            const int timeoutMs = m_timeoutMs;
            locker.unlock();
            const qint64 started = watchdogClockMs();
            const ProbeResult result
                = m_probe.run(m_node->settings(), m_cluster->settings(), timeoutMs, &m_cancelled);
            if (!m_cancelled.load(std::memory_order_relaxed))
                m_done(*m_cluster, *m_node, result, started);
            locker.lock();
            m_running = false;
        }
    }

    const QSharedPointer<Cluster> m_cluster;
    Node *const m_node;
    const Done m_done;
    NodeProbe m_probe; // used by the prober's thread only
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    bool m_requested = false;
    bool m_running = false;
    int m_timeoutMs = 0;
    std::atomic<bool> m_cancelled {false};
    std::thread m_thread; // last: starts once everything above exists
};

// Lives in the health thread; the timers run there. The probes themselves run in a pool, one
// task per node, so that a node that does not answer delays nobody else's probe.
class HealthWorker : public QObject
{
    Q_OBJECT
public:
    HealthWorker() = default;
    ~HealthWorker() override
    {
        for (const auto &[node, prober] : m_probers)
            prober->stop();
        m_probers.clear(); // joins them
    }

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
                sync(request.cluster);
        }
    }

    void watch(const QSharedPointer<Cluster> &cluster)
    {
        if (m_timers.contains(cluster.data()))
            return;
        auto *timer = new QTimer(this);
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(cluster->settings().healthIntervalMs);
        connect(timer, &QTimer::timeout, this, [this, cluster] { sync(cluster); });
        m_timers.insert(cluster.data(), timer);
        m_clusters.append(cluster);
        if (cluster->settings().patroni.isEnabled()) {
            // Patroni is read in this thread, each interval, beside the probes.
            m_pollers.insert(cluster.data(),
                             new PatroniPoller(
                                 cluster, [this, cluster] { probeNodes(cluster); }, this));
        }

        if (!m_statusTimer) {
            m_statusTimer = new QTimer(this);
            m_statusTimer->setInterval(DebugStatusIntervalMs);
            connect(m_statusTimer, &QTimer::timeout, this, &HealthWorker::logStatus);
            m_statusTimer->start();
        }
        sync(cluster);
    }

    // Brings probing in line with the cluster's connections, as they are now (requests may
    // arrive in another order than the counts changed, so the count is read here, not sent):
    // with a connection, every node is probed now and every interval; without one, nothing is
    // probed and every probe connection of the cluster is closed, so that an application that
    // closed its connections leaves nothing of ours on the servers. A cluster not watched yet
    // is synced when it is (watch()).
    void sync(const QSharedPointer<Cluster> &cluster)
    {
        QTimer *timer = m_timers.value(cluster.data());
        if (!timer)
            return;
        if (cluster->sessionCount() == 0) {
            timer->stop();
            closeProbes(*cluster);
            return;
        }
        if (!timer->isActive())
            timer->start();
        // Roles and WAL positions are known before the first interval has passed.
        probeNodes(cluster);
        if (PatroniPoller *poller = m_pollers.value(cluster.data()))
            poller->poll();
    }

    // Every node is probed every interval, online ones included: the probe is how roles
    // (a promoted reader, a demoted primary) and replication lag are learnt. A node whose
    // previous probe still runs (it does not answer) is skipped, not queued up.
    void probeNodes(const QSharedPointer<Cluster> &cluster)
    {
        const int timeoutMs = probeTimeoutMs(cluster->settings());
        for (int i = 0; i < cluster->nodeCount(); ++i) {
            Node *node = &cluster->node(i);
            if (node->isRemoved() || node->state() == NodeState::OfflineByHand)
                continue;
            std::unique_ptr<NodeProber> &prober = m_probers[node];
            if (!prober)
                prober = std::make_unique<NodeProber>(cluster, node, &HealthWorker::probed);
            prober->probe(timeoutMs);
        }
    }

    // Ends the probers of a cluster: their threads and their connections to the servers. A
    // probe under way is cancelled (within a tenth of a second) and its finding dropped.
    void closeProbes(const Cluster &cluster)
    {
        std::vector<std::unique_ptr<NodeProber>> closing;
        for (int i = 0; i < cluster.nodeCount(); ++i) {
            const auto found = m_probers.find(&cluster.node(i));
            if (found == m_probers.end())
                continue;
            found->second->stop();
            closing.push_back(std::move(found->second));
            m_probers.erase(found);
        }
        if (closing.empty())
            return;
        closing.clear(); // joins them, all stopped at once
        qCDebug(lcHealth).noquote()
            << "cluster" << cluster.name() << ": no connection left, probes closed";
    }

private:
    // A probe that gives up too early marks a healthy node failed: a TLS handshake with SCRAM on
    // a loaded machine (or under a sanitizer) can take seconds. So it waits as long as a
    // statement would (QPSQLHA_QUERY_TIMEOUT, else 5 s) and at least one interval. A node that
    // does not answer costs only its own probe that long: probes run side by side, and hung
    // statements are cut by the watchdog, not by probes.
    static int probeTimeoutMs(const ClusterSettings &settings)
    {
        const int statementMs = settings.queryTimeoutMs > 0 ? settings.queryTimeoutMs : 5000;
        return qBound(MinimumProbeTimeoutMs, qMax(settings.healthIntervalMs, statementMs),
                      MaximumProbeTimeoutMs);
    }

    // In the node's prober thread.
    static void probed(Cluster &cluster, Node &node, const ProbeResult &result,
                       qint64 startedClockMs)
    {
        if (result.ok)
            node.setAnsweredAt(startedClockMs);
        apply(node, result);
        if (result.ok)
            node.setWalMeasuredAt(startedClockMs); // after the position apply() stored
        cluster.reconcile();
    }

    static void apply(Node &node, const ProbeResult &result)
    {
        if (!result.ok) {
            if (!node.markFailed(result.error)) {
                node.setLastError(result.error);
                qCDebug(lcHealth).noquote()
                    << "probe of" << node.address() << "failed:" << result.error;
            }
            return;
        }
        const NodeRole role = result.inRecovery ? NodeRole::Reader : NodeRole::Primary;
        if (role != node.role()) {
            qCWarning(lcHealth).noquote() << "node" << node.address() << "is now a"
                                          << (role == NodeRole::Primary ? "primary" : "standby");
            node.setRole(role);
        }
        node.setTimeline(result.timeline);
        node.setWalPosition(result.walPosition);
        if (node.state() == NodeState::Failed)
            node.markRecovered(QStringLiteral("probe succeeded"));
    }

private:
    void logStatus()
    {
        for (const auto &cluster : std::as_const(m_clusters)) {
            if (!cluster->isDebugEnabled())
                continue;
            for (int i = 0; i < cluster->nodeCount(); ++i) {
                const Node &node = cluster->node(i);
                if (node.isRemoved())
                    continue;
                const QString lag = node.lagBytes() < 0
                    ? QString()
                    : u", lag %1 bytes / %2 ms"_s.arg(node.lagBytes()).arg(node.lagMs());
                qCInfo(lcStatus).noquote()
                    << u"cluster %1 node %2 %3: %4, queries %5, errors %6, retries %7%8"_s
                           .arg(cluster->name(), node.address(),
                                i == cluster->writeNode() ? u"primary"_s : u"reader"_s,
                                QLatin1StringView(nodeStateName(node.state())))
                           .arg(node.queries())
                           .arg(node.errors())
                           .arg(node.retries())
                           .arg(lag
                                + (node.isOnline() ? QString()
                                                   : u", last error: "_s + node.lastError()));
            }
        }
    }

    struct Request
    {
        QSharedPointer<Cluster> cluster;
        bool watch; // else sync: probe now, or close the probes if nobody uses the cluster
    };

    QList<QSharedPointer<Cluster>> m_clusters;
    QHash<const Cluster *, QTimer *> m_timers; // each watched cluster's probing interval
    QHash<const Cluster *, PatroniPoller *> m_pollers; // clusters following Patroni (children)
    QMutex m_requestsMutex;
    QList<Request> m_requests;
    std::unordered_map<const Node *, std::unique_ptr<NodeProber>> m_probers;
    QTimer *m_statusTimer = nullptr;
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

void HealthChecker::sessionsChanged(const QSharedPointer<Cluster> &cluster)
{
    m_worker->request(cluster, false);
}

} // namespace QPsqlHa

#include "qpsqlhahealthchecker.moc"
