// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhanodeprobe_p.h"

#include <qpsqlhamessages_p.h>

#include <QtCore/qdeadlinetimer.h>

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <vector>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

namespace {

// One round trip says what the node is and how far its WAL is. The CASEs keep functions that
// fail on a standby (pg_current_wal_lsn) or on a primary (pg_last_wal_replay_lsn is NULL there)
// away from the wrong kind of server. The timeline of a primary comes from its current WAL
// file name: pg_control_checkpoint() only changes at the next checkpoint after a promotion.
constexpr char ProbeSql[]
    = "SELECT pg_is_in_recovery(), "
      "COALESCE((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
      "ELSE pg_current_wal_lsn() END) - '0/0'::pg_lsn, 0)::text, "
      "CASE WHEN pg_is_in_recovery() THEN 0 "
      "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END";

QString pqMessage(PGconn *connection)
{
    return QString::fromUtf8(PQerrorMessage(connection)).simplified();
}

} // namespace

// Waits until the socket is ready for `events`, the deadline passes or the probe is cancelled.
bool NodeProbe::waitFor(short events, qint64 deadlineMs) const
{
    const int socket = PQsocket(m_connection);
    if (socket < 0)
        return false;
    const QDeadlineTimer deadline(deadlineMs);
    for (;;) {
        if (m_cancelled && m_cancelled->load(std::memory_order_relaxed))
            return false;
        const qint64 remaining = deadline.remainingTime();
        if (remaining <= 0)
            return false;
        pollfd descriptor {socket, events, 0};
        const int ready = ::poll(&descriptor, 1, int(qMin<qint64>(remaining, 100)));
        if (ready > 0)
            return true;
        if (ready < 0 && errno != EINTR)
            return false;
    }
}

PGconn *startNodeConnection(const NodeSettings &node, const ClusterSettings &cluster,
                            const QString &applicationName)
{
    // Keyword/value arrays: nothing is parsed from a string, so nothing can be injected.
    std::vector<QByteArray> storage;
    auto add = [&](const QString &key, const QString &value) {
        storage.push_back(key.toUtf8());
        storage.push_back(value.toUtf8());
    };
    for (const auto &[key, value] : cluster.libpqOptions)
        add(key, value);
    if (!node.sslmode.isEmpty())
        add(u"sslmode"_s, node.sslmode);
    if (!node.host.isEmpty())
        add(u"host"_s, node.host);
    add(u"port"_s, QString::number(node.port));
    if (!node.database.isEmpty())
        add(u"dbname"_s, node.database);
    if (!node.user.isEmpty())
        add(u"user"_s, node.user);
    if (!node.password.isEmpty())
        add(u"password"_s, node.password);
    add(u"application_name"_s, applicationName);
    std::vector<const char *> keywords;
    std::vector<const char *> values;
    for (size_t i = 0; i < storage.size(); i += 2) {
        keywords.push_back(storage[i].constData());
        values.push_back(storage[i + 1].constData());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);

    return PQconnectStartParams(keywords.data(), values.data(), 0);
}

NodeProbe::~NodeProbe()
{
    close();
}

void NodeProbe::close()
{
    if (m_connection)
        PQfinish(m_connection);
    m_connection = nullptr;
}

bool NodeProbe::connect(const NodeSettings &node, const ClusterSettings &cluster, qint64 deadlineMs,
                        QString *error)
{
    const QDeadlineTimer deadline(deadlineMs);
    m_connection = startNodeConnection(node, cluster, u"qpsqlha-health"_s);
    if (!m_connection || PQstatus(m_connection) == CONNECTION_BAD) {
        *error = m_connection ? pqMessage(m_connection) : Messages::tr("out of memory");
        close();
        return false;
    }
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    for (;;) {
        if (status == PGRES_POLLING_OK)
            break;
        if (status == PGRES_POLLING_FAILED) {
            *error = pqMessage(m_connection);
            close();
            return false;
        }
        if (!waitFor(status == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                     deadline.remainingTime())) {
            *error = Messages::tr("no answer within %1 ms while connecting").arg(deadlineMs);
            close();
            return false;
        }
        status = PQconnectPoll(m_connection);
    }
    PQsetnonblocking(m_connection, 1);
    return true;
}

ProbeResult NodeProbe::run(const NodeSettings &node, const ClusterSettings &cluster, int timeoutMs,
                           const std::atomic<bool> *cancelled)
{
    m_cancelled = cancelled;
    ProbeResult result;
    if (m_connection && PQstatus(m_connection) != CONNECTION_OK)
        close();
    if (!m_connection && !connect(node, cluster, timeoutMs, &result.error))
        return result;

    const QDeadlineTimer deadline(timeoutMs);
    auto fail = [&](const QString &why) {
        result.error = why;
        // Whatever the connection was doing, the next probe starts on a fresh one.
        close();
        return result;
    };
    if (!PQsendQuery(m_connection, ProbeSql))
        return fail(pqMessage(m_connection));
    for (;;) {
        const int flushed = PQflush(m_connection);
        if (flushed == 0)
            break;
        if (flushed < 0)
            return fail(pqMessage(m_connection));
        if (!waitFor(POLLOUT, deadline.remainingTime()))
            return fail(Messages::tr("no answer within %1 ms").arg(timeoutMs));
    }
    bool gotRow = false;
    for (;;) {
        while (PQisBusy(m_connection)) {
            if (!waitFor(POLLIN, deadline.remainingTime()))
                return fail(Messages::tr("no answer within %1 ms").arg(timeoutMs));
            if (!PQconsumeInput(m_connection))
                return fail(pqMessage(m_connection));
        }
        PGresult *answer = PQgetResult(m_connection);
        if (!answer)
            break;
        if (PQresultStatus(answer) == PGRES_TUPLES_OK && PQntuples(answer) == 1) {
            gotRow = true;
            result.inRecovery = PQgetvalue(answer, 0, 0)[0] == 't';
            result.walPosition = QByteArray(PQgetvalue(answer, 0, 1)).toULongLong();
            result.timeline = QByteArray(PQgetvalue(answer, 0, 2)).toUInt();
        } else if (result.error.isEmpty()) {
            result.error = QString::fromUtf8(PQresultErrorMessage(answer)).simplified();
        }
        PQclear(answer);
    }
    if (!gotRow) {
        if (result.error.isEmpty())
            result.error = Messages::tr("the probe returned no row");
        return fail(result.error);
    }
    result.ok = true;
    return result;
}

} // namespace QPsqlHa
