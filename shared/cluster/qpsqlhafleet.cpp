// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhafleet_p.h"

#include "qpsqlhacluster_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhanodeprobe_p.h"
#include "qpsqlhawatchdog_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qsysinfo.h>

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

namespace {

// An agent whose cluster had no connection for this long closes its own.
constexpr qint64 IdleAfterMs = 10000;
// How long attach() waits, at most, for the first reading of the admin state.
constexpr int FirstReadWaitMs = 5000;

bool environmentFlag(const char *name)
{
    const QByteArray value = qgetenv(name).trimmed().toLower();
    return value == "1" || value == "true" || value == "on" || value == "yes";
}

QString quotedIdentifier(const QString &name)
{
    return u'"' + QString(name).replace(u'"', u"\"\""_s) + u'"';
}

QString pqMessage(PGconn *connection)
{
    return QString::fromUtf8(PQerrorMessage(connection)).simplified();
}

// One statement's answer: rows of text values (NULL reads as empty).
struct Answer
{
    QList<QList<QByteArray>> rows;
    QByteArray sqlState; // on failure, when the server said why
    QString error;
};

// The agent's libpq connection, driven without blocking: every wait has a deadline, so a server
// that does not answer costs one timeout, never a hang.
class FleetConnection
{
    Q_DISABLE_COPY_MOVE(FleetConnection)
public:
    FleetConnection() = default;
    ~FleetConnection() { close(); }

    bool isOpen() const { return m_connection && PQstatus(m_connection) == CONNECTION_OK; }
    void close()
    {
        if (m_connection)
            PQfinish(m_connection);
        m_connection = nullptr;
    }

    bool connect(const NodeSettings &node, const ClusterSettings &cluster, int timeoutMs,
                 const std::atomic<bool> *cancelled, QString *error)
    {
        close();
        m_cancelled = cancelled;
        const QDeadlineTimer deadline(timeoutMs);
        m_connection = startNodeConnection(node, cluster, u"qpsqlha-fleet"_s);
        if (!m_connection || PQstatus(m_connection) == CONNECTION_BAD) {
            *error = m_connection ? pqMessage(m_connection) : u"out of memory"_s;
            close();
            return false;
        }
        PostgresPollingStatusType status = PGRES_POLLING_WRITING;
        while (status != PGRES_POLLING_OK) {
            if (status == PGRES_POLLING_FAILED) {
                *error = pqMessage(m_connection);
                close();
                return false;
            }
            if (wait(status == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline) <= 0) {
                *error = u"no answer within %1 ms while connecting"_s.arg(timeoutMs);
                close();
                return false;
            }
            status = PQconnectPoll(m_connection);
        }
        PQsetnonblocking(m_connection, 1);
        return true;
    }

    // Runs one statement with text parameters. False and a closed connection on a broken or
    // silent connection; false with sqlState set when the server refused the statement.
    bool exec(const QString &sql, const QList<QByteArray> &parameters, int timeoutMs,
              Answer *answer)
    {
        *answer = Answer();
        const QByteArray text = sql.toUtf8();
        std::vector<const char *> values;
        for (const QByteArray &parameter : parameters)
            values.push_back(parameter.constData());
        if (!PQsendQueryParams(m_connection, text.constData(), int(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0)) {
            return broken(answer, pqMessage(m_connection));
        }
        const QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            const int flushed = PQflush(m_connection);
            if (flushed == 0)
                break;
            if (flushed < 0 || wait(POLLOUT, deadline) <= 0)
                return broken(answer, u"no answer within %1 ms"_s.arg(timeoutMs));
        }
        bool ok = true;
        for (;;) {
            while (PQisBusy(m_connection)) {
                if (wait(POLLIN, deadline) <= 0)
                    return broken(answer, u"no answer within %1 ms"_s.arg(timeoutMs));
                if (!PQconsumeInput(m_connection))
                    return broken(answer, pqMessage(m_connection));
            }
            PGresult *result = PQgetResult(m_connection);
            if (!result)
                break;
            const ExecStatusType status = PQresultStatus(result);
            if (status == PGRES_TUPLES_OK) {
                for (int row = 0; row < PQntuples(result); ++row) {
                    QList<QByteArray> values;
                    for (int column = 0; column < PQnfields(result); ++column)
                        values.append(QByteArray(PQgetvalue(result, row, column)));
                    answer->rows.append(values);
                }
            } else if (status != PGRES_COMMAND_OK && ok) {
                ok = false;
                answer->sqlState = QByteArray(PQresultErrorField(result, PG_DIAG_SQLSTATE));
                answer->error = QString::fromUtf8(PQresultErrorMessage(result)).simplified();
            }
            PQclear(result);
        }
        if (!ok && PQstatus(m_connection) != CONNECTION_OK)
            close();
        return ok;
    }

    // Waits up to `ms` for a NOTIFY; true if one (or more) came. A broken connection closes.
    bool waitForNotification(int ms)
    {
        if (!isOpen())
            return false;
        const QDeadlineTimer deadline(ms);
        const int ready = wait(POLLIN, deadline);
        if (ready > 0 && !PQconsumeInput(m_connection)) {
            close();
            return false;
        }
        bool notified = false;
        while (PGnotify *notification = PQnotifies(m_connection)) {
            notified = true;
            PQfreemem(notification);
        }
        return notified;
    }

private:
    bool broken(Answer *answer, const QString &why)
    {
        answer->error = why;
        close(); // whatever the connection was doing, the next round starts on a fresh one
        return false;
    }

    // >0: ready; 0: deadline or cancelled; <0: error.
    int wait(short events, const QDeadlineTimer &deadline) const
    {
        const int socket = PQsocket(m_connection);
        if (socket < 0)
            return -1;
        for (;;) {
            if (m_cancelled && m_cancelled->load(std::memory_order_relaxed))
                return 0;
            const qint64 remaining = deadline.remainingTime();
            if (remaining <= 0)
                return 0;
            pollfd descriptor {socket, events, 0};
            const int ready = ::poll(&descriptor, 1, int(qMin<qint64>(remaining, 100)));
            if (ready > 0)
                return 1;
            if (ready < 0 && errno != EINTR)
                return -1;
        }
    }

    PGconn *m_connection = nullptr;
    const std::atomic<bool> *m_cancelled = nullptr;
};

enum class FleetHealth { Starting, Ok, NotInitialised, Unreachable };

QString fleetHealthText(FleetHealth health)
{
    switch (health) {
    case FleetHealth::Starting:
        return u"fleet: starting"_s;
    case FleetHealth::Ok:
        return u"fleet: ok"_s;
    case FleetHealth::NotInitialised:
        return u"fleet: not initialised"_s;
    case FleetHealth::Unreachable:
        return u"fleet: unreachable"_s;
    }
    return {};
}

bool parseAdmin(const QByteArray &text, FleetAdmin *admin)
{
    for (FleetAdmin candidate : {FleetAdmin::Online, FleetAdmin::Offline, FleetAdmin::Drained}) {
        if (text == fleetAdminName(candidate)) {
            *admin = candidate;
            return true;
        }
    }
    return false;
}

} // namespace

class FleetAgent
{
    Q_DISABLE_COPY_MOVE(FleetAgent)
public:
    FleetAgent(QSharedPointer<Cluster> cluster, Fleet *fleet)
        : m_cluster(std::move(cluster))
        , m_fleet(fleet)
        , m_schema(fleetSchemaFor(m_cluster->settings()))
        , m_attachedAtMs(watchdogClockMs())
        , m_thread([this] { run(); })
    { }

    ~FleetAgent()
    {
        {
            std::lock_guard<std::mutex> locker(m_mutex);
            m_stopping = true;
        }
        m_cancelled.store(true, std::memory_order_relaxed);
        m_changed.notify_all();
        m_thread.join();
    }

    const Cluster *cluster() const { return m_cluster.data(); }

    // A connection of the cluster opens; waits for the first reading if none since the agent
    // started or went idle.
    void attach()
    {
        std::unique_lock<std::mutex> locker(m_mutex);
        m_attachedAtMs = watchdogClockMs();
        if (m_settled)
            return; // read already: every further connection of the cluster opens at once
        m_readSoon = true;
        m_changed.wait_for(locker, std::chrono::milliseconds(FirstReadWaitMs),
                           [this] { return m_stopping || m_settled; });
    }

    FleetHealth health() const
    {
        std::lock_guard<std::mutex> locker(m_mutex);
        return m_health;
    }

private:
    void run()
    {
        const ClusterSettings &settings = m_cluster->settings();
        const int interval = settings.healthIntervalMs;
        const int timeoutMs = qBound(1000, qMax(interval, settings.queryTimeoutMs), 10000);
        qint64 nextRead = 0;
        qint64 nextBeat = 0;
        qint64 nextConnect = 0;
        for (;;) {
            bool readSoon = false;
            {
                std::unique_lock<std::mutex> locker(m_mutex);
                if (m_stopping)
                    return;
                readSoon = std::exchange(m_readSoon, false);
                if (m_cluster->sessionCount() == 0
                    && watchdogClockMs() - m_attachedAtMs > IdleAfterMs) {
                    // Nobody uses the cluster: nothing of ours stays on the servers.
                    if (m_connection.isOpen())
                        qCDebug(lcHealth).noquote()
                            << "fleet: cluster" << m_cluster->name() << "idle, connection closed";
                    m_connection.close();
                    m_settled = false;
                    m_changed.wait_for(locker, std::chrono::milliseconds(200));
                    continue;
                }
            }
            if (readSoon)
                nextRead = nextConnect = 0;
            qint64 now = watchdogClockMs();
            if (!m_connection.isOpen()) {
                if (now < nextConnect) {
                    sleep(int(qMin<qint64>(nextConnect - now, 100)));
                    continue;
                }
                if (!open(timeoutMs)) {
                    nextConnect = watchdogClockMs() + interval;
                    continue;
                }
                nextRead = 0;
            }
            now = watchdogClockMs();
            if (now >= nextRead) {
                readState(timeoutMs);
                nextRead = watchdogClockMs() + interval;
                if (!m_connection.isOpen()) {
                    // Broken on the way: a fresh connection at the next interval, not at once
                    // (a server that drops every connection must not have us spin).
                    nextConnect = nextRead;
                    continue;
                }
                if (!m_onPrimary) {
                    // A reader stands in while the primary is down: try the primary again at
                    // the next reading.
                    m_connection.close();
                    nextConnect = nextRead;
                    continue;
                }
            }
            if (!m_connection.isOpen())
                continue;
            now = watchdogClockMs();
            if (m_initialised && now >= nextBeat) {
                heartbeat(timeoutMs);
                nextBeat = watchdogClockMs() + settings.fleetHeartbeatMs;
            }
            now = watchdogClockMs();
            const qint64 until = m_initialised ? qMin(nextRead, nextBeat) : nextRead;
            if (m_connection.waitForNotification(int(std::clamp<qint64>(until - now, 0, 100))))
                nextRead = 0; // an operator changed the admin state: read it now
        }
    }

    void sleep(int ms)
    {
        std::unique_lock<std::mutex> locker(m_mutex);
        m_changed.wait_for(locker, std::chrono::milliseconds(ms),
                           [this] { return m_stopping || m_readSoon; });
    }

    // The primary first (it takes the heartbeat and sends NOTIFYs), then any reader.
    bool open(int timeoutMs)
    {
        QStringList problems;
        QList<int> order {m_cluster->writeNode()};
        for (int i = 0; i < m_cluster->nodeCount(); ++i) {
            if (i != order.first() && !m_cluster->node(i).isRemoved())
                order.append(i);
        }
        for (int index : std::as_const(order)) {
            const Node &node = m_cluster->node(index);
            QString error;
            if (!m_connection.connect(node.settings(), m_cluster->settings(), timeoutMs,
                                      &m_cancelled, &error)) {
                problems.append(node.address() + u": "_s + error);
                continue;
            }
            Answer answer;
            if (!m_connection.exec(u"SELECT pg_is_in_recovery()"_s, {}, timeoutMs, &answer)
                || answer.rows.isEmpty()) {
                problems.append(node.address() + u": "_s + answer.error);
                m_connection.close();
                continue;
            }
            m_onPrimary = answer.rows.first().value(0) == "f";
            if (m_onPrimary
                && !m_connection.exec(u"LISTEN "_s + quotedIdentifier(m_schema), {}, timeoutMs,
                                      &answer)) {
                problems.append(node.address() + u": "_s + answer.error);
                m_connection.close();
                continue;
            }
            m_source = node.address();
            return true;
        }
        setHealth(FleetHealth::Unreachable, problems.join(u"; "_s));
        return false;
    }

    void readState(int timeoutMs)
    {
        const QString schema = quotedIdentifier(m_schema);
        Answer answer;
        const bool ok = m_connection.exec(
            u"SELECT node, state, reason, changed_by, "
            "to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
            "FROM %1.admin_state WHERE cluster = $1"_s.arg(schema),
            {m_cluster->name().toUtf8()}, timeoutMs, &answer);
        if (!ok) {
            // 3F000: no such schema; 42P01: no such table. Anything else is a failure.
            if (answer.sqlState == "3F000" || answer.sqlState == "42P01") {
                m_initialised = false;
                setHealth(FleetHealth::NotInitialised,
                          u"schema %1 not found on %2 (qpsqlha-ctl fleet init)"_s.arg(m_schema,
                                                                                      m_source));
            } else {
                // A broken connection is closed already; a refusal (no privilege) keeps it, and
                // the next reading is an interval away.
                setHealth(FleetHealth::Unreachable, m_source + u": "_s + answer.error);
            }
            return;
        }
        m_initialised = true;
        std::array<Node::FleetMark, MaximumNodes> marks {};
        for (const QList<QByteArray> &row : std::as_const(answer.rows)) {
            const int index = m_cluster->indexOf(QString::fromUtf8(row.value(0)));
            FleetAdmin admin = FleetAdmin::Online;
            if (index < 0 || !parseAdmin(row.value(1), &admin))
                continue;
            marks[size_t(index)]
                = {admin, QString::fromUtf8(row.value(2)), QString::fromUtf8(row.value(3)),
                   QDateTime::fromString(QString::fromLatin1(row.value(4)), Qt::ISODateWithMs)};
        }
        for (int i = 0; i < m_cluster->nodeCount(); ++i) {
            Node &node = m_cluster->node(i);
            if (!node.isRemoved())
                node.setFleetAdmin(marks[size_t(i)]);
        }
        setHealth(FleetHealth::Ok, m_source);
    }

    void heartbeat(int timeoutMs)
    {
        const Fleet::StatusProvider provider = m_fleet->statusProvider();
        const QByteArray status = provider ? provider() : QByteArray("{}");
        Answer answer;
        const bool ok = m_connection.exec(
            u"SELECT %1.heartbeat($1, $2, $3, $4, $5::jsonb)"_s.arg(quotedIdentifier(m_schema)),
            {Fleet::instanceId().toUtf8(), Fleet::hostName().toUtf8(),
             QByteArray::number(qint64(::getpid())),
             QByteArray::number(m_cluster->settings().fleetHeartbeatMs), status},
            timeoutMs, &answer);
        if (!ok) {
            qCDebug(lcHealth).noquote() << "fleet: heartbeat failed:" << answer.error;
            if (answer.sqlState == "42883" || answer.sqlState == "3F000")
                m_initialised = false; // the function went: read the state again first
        }
    }

    // One warning when the fleet becomes unusable, one note when it works again.
    void setHealth(FleetHealth health, const QString &detail)
    {
        FleetHealth before;
        {
            std::lock_guard<std::mutex> locker(m_mutex);
            before = m_health;
            m_health = health;
            m_settled = true;
        }
        m_changed.notify_all();
        if (before == health)
            return;
        if (health == FleetHealth::Ok) {
            qCInfo(lcHealth).noquote()
                << "QPSQLHA: fleet: cluster" << m_cluster->name() << "reads its admin state from"
                << detail << "(schema" << m_schema + u')';
        } else {
            qCWarning(lcHealth).noquote() << "QPSQLHA:" << fleetHealthText(health) + u':'
                                          << "cluster" << m_cluster->name() + u':' << detail;
        }
    }

    const QSharedPointer<Cluster> m_cluster;
    Fleet *const m_fleet;
    const QString m_schema;

    // The agent's thread only.
    FleetConnection m_connection;
    bool m_onPrimary = false;
    bool m_initialised = false;
    QString m_source; // the node the connection goes to

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_stopping = false;
    bool m_readSoon = false;
    bool m_settled = false; // a reading was tried since the agent started or went idle
    qint64 m_attachedAtMs = 0;
    FleetHealth m_health = FleetHealth::Starting;
    std::atomic<bool> m_cancelled {false};
    std::thread m_thread; // last: starts once everything above exists
};

bool fleetEnabledFor(const ClusterSettings &settings)
{
    static const bool wholeProcess = environmentFlag("QPSQLHA_FLEET");
    return settings.fleet || wholeProcess;
}

QString fleetSchemaFor(const ClusterSettings &settings)
{
    if (settings.fleetSchema != "qpsqlha"_L1)
        return settings.fleetSchema;
    const QString fromEnvironment = qEnvironmentVariable("QPSQLHA_FLEET_SCHEMA").trimmed();
    return fromEnvironment.isEmpty() ? settings.fleetSchema : fromEnvironment.toLower();
}

Fleet &Fleet::instance()
{
    static Fleet fleet;
    return fleet;
}

Fleet::Fleet() = default;

Fleet::~Fleet()
{
    // Joins every agent's thread; each stops within a tenth of a second.
    QMutexLocker locker(&m_mutex);
    m_agents.clear();
}

void Fleet::attach(const QSharedPointer<Cluster> &cluster)
{
    FleetAgent *agent = nullptr;
    {
        QMutexLocker locker(&m_mutex);
        for (const auto &existing : m_agents) {
            if (existing->cluster() == cluster.data())
                agent = existing.get();
        }
        if (!agent) {
            m_agents.push_back(std::make_unique<FleetAgent>(cluster, this));
            agent = m_agents.back().get();
        }
    }
    // Agents are never removed before the process ends: waiting outside the lock is safe.
    agent->attach();
}

void Fleet::setStatusProvider(StatusProvider provider)
{
    QMutexLocker locker(&m_mutex);
    m_provider = provider;
}

Fleet::StatusProvider Fleet::statusProvider() const
{
    QMutexLocker locker(&m_mutex);
    return m_provider;
}

QString Fleet::statusText() const
{
    QMutexLocker locker(&m_mutex);
    if (m_agents.empty())
        return {};
    FleetHealth worst = FleetHealth::Ok;
    for (const auto &agent : m_agents) {
        const FleetHealth health = agent->health();
        if (int(health) > int(worst)
            || (health == FleetHealth::Starting && worst == FleetHealth::Ok))
            worst = health;
    }
    return fleetHealthText(worst);
}

QString Fleet::hostName()
{
    static const QString name = [] {
        const QString given = qEnvironmentVariable("QPSQLHA_FLEET_HOSTNAME").trimmed();
        return given.isEmpty() ? QSysInfo::machineHostName() : given;
    }();
    return name;
}

QString Fleet::instanceId()
{
    static const QString id
        = u"%1:%2:%3"_s.arg(hostName())
              .arg(qint64(::getpid()))
              .arg(QRandomGenerator::system()->generate64(), 16, 16, QLatin1Char('0'));
    return id;
}

} // namespace QPsqlHa
