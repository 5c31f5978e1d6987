// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhasession_p.h"

#include <qpsqlhamessages_p.h>

#include "qpsqlhahealthchecker_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhanodeconnection_p.h"

#include <QtCore/qelapsedtimer.h>
#include <QtSql/qsqlquery.h>

#include <libpq-fe.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

StatementAttempt::~StatementAttempt() = default;

void StatementAttempt::beforeRun(int) { }

const QList<QVariant> *StatementAttempt::preparedValues() const
{
    return nullptr;
}

namespace {

constexpr NodeMask bit(int node)
{
    return NodeMask(1) << node;
}

QString roleName(const Node &node)
{
    return node.role() == NodeRole::Primary ? u"primary"_s : u"reader"_s;
}

// SQLSTATE connection_failure: what a node that failed under a call reads as, unless the
// server said something more precise.
const QString ConnectionFailureCode = QStringLiteral("08006");

QSqlError connectionError(const QString &text, const QString &detail,
                          const QString &code = ConnectionFailureCode)
{
    return QSqlError(text, detail, QSqlError::ConnectionError, code);
}

// ROLLBACK or ABORT, as opposed to COMMIT, END or PREPARE TRANSACTION.
bool isRollback(QStringView sql)
{
    sql = sql.trimmed();
    return sql.startsWith(u"rollback", Qt::CaseInsensitive)
        || sql.startsWith(u"abort", Qt::CaseInsensitive);
}

} // namespace

Session::Session(const QSharedPointer<Cluster> &cluster, bool logQueries)
    : m_cluster(cluster)
    , m_logQueries(logQueries)
    , m_queryTimeoutMs(cluster->settings().queryTimeoutMs)
{
    if (m_queryTimeoutMs > 0)
        m_watch = std::make_unique<WatchSlot>();
    bool first = false;
    m_counterStripe = m_cluster->attachSession(&first);
    if (first)
        HealthChecker::instance().sessionsChanged(m_cluster);
    const ClusterSettings &settings = cluster->settings();
    m_affinity = settings.affinity;
    // least_busy and fastest judge every read: keeping a reader would defeat them; round_robin
    // takes the cluster's turn per read, except that `connection` keeps a reader given in turn.
    if (settings.policy == Policy::LeastBusy || settings.policy == Policy::Fastest
        || (settings.policy == Policy::RoundRobin && m_affinity == ReaderAffinity::Burst))
        m_affinity = ReaderAffinity::Statement;
    if (settings.monotonicReads())
        m_monotonic = std::make_unique<MonotonicReads>();
}

Session::~Session()
{
    // The node connections close with m_links, after this body: the probes may close a moment
    // before the last working connection does.
    if (m_cluster->detachSession())
        HealthChecker::instance().sessionsChanged(m_cluster);
}

bool Session::open(QSqlError *error)
{
    QStringList problems;
    bool anyConnected = false;
    for (int i = 0; i < m_cluster->nodeCount(); ++i) {
        Node &node = m_cluster->node(i);
        if (node.isRemoved())
            continue;
        if (node.state() == NodeState::OfflineByHand) {
            problems.append(
                Messages::tr("%1 %2: offline (set by hand)").arg(roleName(node), node.address()));
            continue;
        }
        QSqlError nodeError;
        if (connect(i, &nodeError)) {
            anyConnected = true;
            // A node that failed for others but answers us now is back for everybody.
            if (node.state() == NodeState::Failed && node.markRecovered(u"reconnected"_s))
                m_links[size_t(i)].epoch = node.epoch();
        } else {
            problems.append(u"%1 %2: %3"_s.arg(roleName(node), node.address(),
                                               nodeError.databaseText().trimmed()));
        }
    }
    if (!anyConnected) {
        *error = connectionError(Messages::tr("QPSQLHA: no node of cluster '%1' could be reached")
                                     .arg(m_cluster->name()),
                                 problems.join(u"; "_s));
        return false;
    }
    return true;
}

bool Session::connect(int node, QSqlError *error)
{
    Node &state = m_cluster->node(node);
    Link &link = m_links[size_t(node)];
    link = Link();
    const quint32 epoch = state.epoch();
    QSharedPointer<QSqlDriver> driver
        = openNodeDriver(state.settings(), m_cluster->settings(), error);
    if (!driver) {
        state.countError();
        state.markFailed(error->databaseText().trimmed());
        return false;
    }
    link.driver = std::move(driver);
    link.connection = nativeConnection(link.driver.data());
    link.epoch = epoch;
    if (m_watch)
        link.socket = WatchedSocket(nativeSocket(link.connection));
    checkRole(node);
    if (node == writeNode()) {
        // A new server session: the old one's temporary objects are gone, and its
        // notification subscriptions must be made again (settings: restoreState()).
        m_state.primaryConnectionReplaced();
        m_temporaryLookupWanted = false;
        followReportedSettings(link.connection);
        if (m_primaryConnected)
            m_primaryConnected(link.driver);
    }
    return true;
}

void Session::checkRole(int node)
{
    // Servers since PostgreSQL 14 say on connect whether they are a standby: a promotion or a
    // demotion is seen by the first connection, not only by the next probe.
    const char *standby = PQparameterStatus(m_links[size_t(node)].connection, "in_hot_standby");
    if (!standby)
        return;
    const NodeRole role = qstrcmp(standby, "on") == 0 ? NodeRole::Reader : NodeRole::Primary;
    Node &state = m_cluster->node(node);
    if (state.role() == role)
        return;
    qCWarning(lcRouting).noquote() << "node" << state.address() << "says it is a"
                                   << (role == NodeRole::Primary ? "primary" : "standby");
    state.setRole(role);
    m_cluster->reconcile();
    HealthChecker::instance().probeSoon(m_cluster);
}

Session::RoleCheck Session::checkWriteRole(int node)
{
    // One round trip of our own on the connection that got the 25006, if it is idle (outside a
    // transaction block it is); otherwise what the server reported on its own.
    PGconn *connection = m_links[size_t(node)].connection;
    if (connection && PQtransactionStatus(connection) == PQTRANS_IDLE) {
        CallOutcome outcome;
        if (PGresult *answer = roundTrip(node, "SELECT pg_catalog.pg_is_in_recovery()", &outcome)) {
            const bool inRecovery
                = PQntuples(answer) == 1 && qstrcmp(PQgetvalue(answer, 0, 0), "t") == 0;
            PQclear(answer);
            return inRecovery ? RoleCheck::Standby : RoleCheck::Primary;
        }
        if (outcome.failure == Failure::NodeGone)
            return RoleCheck::NoAnswer;
        connection = m_links[size_t(node)].connection;
    }
    const char *standby = reportedSetting(connection, "in_hot_standby");
    return standby && qstrcmp(standby, "on") == 0 ? RoleCheck::Standby : RoleCheck::Primary;
}

void Session::followReportedSettings(PGconn *connection)
{
    // Reported by every server since 8.1 on connect and whenever it changes (SET, RESET,
    // set_config(), a function's SET clause, the end of a transaction): the classifier reads
    // literals as the server reads them. The readers replay the primary's settings.
    if (const char *value = reportedSetting(connection, "standard_conforming_strings")) {
        m_standardStrings = qstrcmp(value, "off") != 0;
        m_state.setStandardConformingStrings(m_standardStrings);
    }
}

bool Session::lookUpTemporaryObjects()
{
    // Only when the primary's connection is idle (a result still being read must not be
    // disturbed, and inside a transaction reads stay on the primary anyway); until then reads
    // stay on the primary.
    const int target = writeNode();
    PGconn *connection = m_links[size_t(target)].connection;
    if (!connection || PQtransactionStatus(connection) != PQTRANS_IDLE)
        return false;
    // Relations and types are looked up in the temporary schema first; functions and operators
    // never are (they are only reached as pg_temp.name, which the text shows).
    PGresult *answer = roundTrip(target,
                                 "SELECT relname FROM pg_catalog.pg_class"
                                 " WHERE relnamespace = pg_catalog.pg_my_temp_schema()"
                                 " UNION SELECT typname FROM pg_catalog.pg_type"
                                 " WHERE typnamespace = pg_catalog.pg_my_temp_schema()");
    if (!answer)
        return false;
    QStringList names;
    const int rows = PQntuples(answer);
    names.reserve(rows);
    for (int row = 0; row < rows; ++row)
        names.append(QString::fromUtf8(PQgetvalue(answer, row, 0)));
    PQclear(answer);
    m_state.setTemporaryObjects(names);
    m_temporaryLookupWanted = false;
    return true;
}

bool Session::leftInTransaction(int reader, QStringView sql)
{
    qCWarning(lcRouting).noquote()
        << u"reader %1 was left in a transaction by a statement taken for a read; rolled back "
           "there%2"_s.arg(m_cluster->node(reader).address(),
                           sql.isNull() ? QString() : u", running it on the primary:"_s)
        << sql;
    PGresult *answer = roundTrip(reader, "ROLLBACK");
    if (!answer)
        return false;
    PQclear(answer);
    // A connection that still cannot leave it is dropped and made anew on its next use.
    Link &link = m_links[size_t(reader)];
    if (isTransactionBlockOpen(link.connection)) {
        link = Link();
        return false;
    }
    return true;
}

QSharedPointer<QSqlDriver> Session::connection(int node, QSqlError *error)
{
    QSharedPointer<QSqlDriver> driver = nodeConnection(node, error);
    // One comparison for a connection that has the session's state (always, in a session that
    // never changed any).
    if (driver && Q_UNLIKELY(m_links[size_t(node)].stateVersion != m_state.version())
        && !restoreState(node, error))
        return {};
    return driver;
}

bool Session::restoreState(int node, QSqlError *error)
{
    Link &link = m_links[size_t(node)];
    Node &state = m_cluster->node(node);
    const bool primary = node == writeNode();
    const quint32 version = m_state.version();
    auto refused = [&](const QString &why) {
        *error = connectionError(
            Messages::tr("QPSQLHA: the session state of this connection could not be "
                         "restored on %1 %2")
                .arg(roleName(state), state.address()),
            why);
        return false;
    };
    // A reader that refused this state is asked again once the state changed or a health
    // interval passed (replication may bring what was missing); meanwhile its reads go
    // elsewhere. The primary is asked every time: it has no stand-in.
    if (!primary && link.stateRefused && link.refusedVersion == version
        && !link.stateRetry.hasExpired())
        return refused(Messages::tr("it refused it before"));

    // Kept alive until the query is gone, even if the node fails and its link is reset.
    const QSharedPointer<QSqlDriver> driver = link.driver;
    QSqlQuery query(driver->createResult());
    for (const SessionState::Entry &entry : m_state.entries()) {
        if (entry.version <= link.stateVersion || (entry.primaryOnly && !primary))
            continue;
        logStatement(node, entry.sql);
        NodeCall call(this, node, driver.data());
        bool ok;
        if (entry.prepared) {
            ok = query.prepare(entry.sql);
            for (int i = 0; ok && i < entry.values.size(); ++i)
                query.bindValue(i, entry.values.at(i));
            ok = ok && query.exec();
        } else {
            ok = query.exec(entry.sql);
        }
        QSqlError failure;
        if (!ok)
            failure = query.lastError();
        const CallOutcome outcome = call.finish(ok, &failure);
        if (outcome.succeeded())
            continue;
        if (outcome.failure == Failure::NodeGone) {
            *error = nodeLostError(node, failure, outcome);
            return false;
        }
        // The node answers but cannot take this state (a role or schema it does not have, a
        // setting its version does not know): nothing of this connection may run there without
        // it. Partly applied is fine: the next try replays from the same version.
        link.stateRefused = true;
        link.refusedVersion = version;
        link.stateRetry = QDeadlineTimer(m_cluster->settings().healthIntervalMs);
        const QString why = u"%1: %2"_s.arg(entry.sql, failure.databaseText().trimmed());
        qCWarning(lcRouting).noquote()
            << "could not restore the session state on" << state.address() << ":" << why;
        return refused(why);
    }
    link.stateVersion = version;
    link.stateRefused = false;
    return true;
}

void Session::recordState(int node, const Classification &classification, QStringView sql,
                          const QList<QVariant> *values)
{
    // The write node ran the statement itself: it stays up to date if it was before.
    Link &link = m_links[size_t(node)];
    const bool current = link.stateVersion == m_state.version();
    m_state.statementSucceeded(classification, sql, values, m_pinned);
    if (current)
        link.stateVersion = m_state.version();
}

void Session::endTransactionState(int node, bool committed)
{
    Link &link = m_links[size_t(node)];
    const bool current = link.stateVersion == m_state.version();
    m_state.transactionEnded(committed);
    if (current)
        link.stateVersion = m_state.version();
}

QSharedPointer<QSqlDriver> Session::nodeConnection(int node, QSqlError *error)
{
    Node &state = m_cluster->node(node);
    Link &link = m_links[size_t(node)];
    if (state.isRemoved()) {
        link = Link();
        *error = connectionError(Messages::tr("QPSQLHA: %1 was removed from cluster '%2'")
                                     .arg(state.address(), m_cluster->name()),
                                 QString());
        return {};
    }
    switch (state.state()) {
    case NodeState::Online:
    case NodeState::Lagging:
        if (link.driver && link.epoch == state.epoch() && !isConnectionBroken(link.connection))
            return link.driver;
        // Never connected, or made before the node failed and came back: QPSQL cannot
        // reconnect a driver, so a new one replaces it.
        if (!transactionSurvives(node, error))
            return {};
        if (connect(node, error))
            return link.driver;
        return {};
    case NodeState::OfflineByHand:
        *error = connectionError(Messages::tr("QPSQLHA: %1 %2 is offline (set by hand)")
                                     .arg(roleName(state), state.address()),
                                 QString());
        return {};
    case NodeState::Failed:
        break;
    }

    // A failed reader waits for the health checker. The primary has no stand-in for writes,
    // so they try to reconnect at once: the first write after the primary is back succeeds
    // without waiting for the next probe, and while it is down a refused connection fails fast.
    if (!transactionSurvives(node, error))
        return {};
    if (node == m_cluster->writeNode()) {
        QSqlError connectError;
        if (connect(node, &connectError)) {
            state.markRecovered(u"reconnected"_s);
            link.epoch = state.epoch();
            return link.driver;
        }
    }
    *error = connectionError(Messages::tr("QPSQLHA: %1 %2 is offline: %3")
                                 .arg(roleName(state), state.address(), state.lastError()),
                             state.lastError());
    return {};
}

bool Session::transactionSurvives(int node, QSqlError *error)
{
    // An open transaction lives on one server connection. A new connection would run the rest
    // of it, COMMIT included, outside any transaction.
    if (!m_pinned || node != m_pinnedNode)
        return true;
    loseTransaction();
    *error = transactionLostError();
    return false;
}

void Session::loseTransaction()
{
    m_pinned = false;
    m_transactionLost = true;
    if (m_state.hasPending())
        endTransactionState(m_pinnedNode, false);
    m_links[size_t(m_pinnedNode)] = Link();
}

QSqlError Session::transactionLostError() const
{
    return connectionError(
        Messages::tr("QPSQLHA: the transaction was lost: the connection to primary %1 "
                     "was interrupted; roll back and start again")
            .arg(m_cluster->node(m_pinnedNode).address()),
        QString());
}

void Session::nodeGone(int node, const QSqlError &error)
{
    QString reason = error.databaseText().trimmed();
    if (reason.isEmpty())
        reason = error.text();
    nodeGone(node, reason);
}

void Session::nodeGone(int node, const QString &reason)
{
    m_cluster->node(node).markFailed(reason);
    if (m_pinned && node == m_pinnedNode)
        loseTransaction();
    m_links[size_t(node)] = Link();
}

bool Session::settleTimeoutsSlow(int node)
{
    // The watchdog shut the socket down: the connection is unusable whatever the call returned,
    // and a node that does not answer for that long is failed for everybody.
    const NodeMask timedOut = std::exchange(m_timedOut, 0);
    for (int i = 0; i < m_cluster->nodeCount(); ++i) {
        if (timedOut & bit(i))
            nodeGone(i, Messages::tr("no answer within %1 ms").arg(m_queryTimeoutMs));
    }
    return node >= 0 && (timedOut & bit(node));
}

QSqlError Session::timeoutError(int node) const
{
    const Node &state = m_cluster->node(node);
    return QSqlError(
        Messages::tr("QPSQLHA: %1 %2 did not answer within %3 ms (QPSQLHA_QUERY_TIMEOUT)")
            .arg(roleName(state), state.address())
            .arg(m_queryTimeoutMs),
        QString(), QSqlError::ConnectionError, ConnectionFailureCode);
}

CallOutcome Session::endCall(int node, bool ok, QSqlError *error, const QSqlDriver *driver)
{
    CallOutcome outcome;
    Node &state = m_cluster->node(node);
    if (Q_UNLIKELY(settleTimeouts(node))) {
        // The watchdog shut the socket down: unusable whatever the call returned, and the node
        // was failed for everybody.
        state.countError();
        outcome.failure = Failure::NodeGone;
        outcome.timedOut = true;
        if (error)
            *error = timeoutError(node);
        return outcome;
    }
    if (ok)
        return outcome;
    // Classified while the connection still exists: nodeGone() lets it go.
    outcome.failure = error ? classifyFailure(*error, driver) : Failure::StatementError;
    state.countError();
    if (outcome.failure == Failure::NodeGone)
        nodeGone(node, *error);
    return outcome;
}

PGresult *Session::roundTrip(int node, const char *sql, CallOutcome *outcome)
{
    // Kept alive through the call, even if the node fails and its link is reset.
    const QSharedPointer<QSqlDriver> driver = m_links[size_t(node)].driver;
    PGconn *connection = m_links[size_t(node)].connection;
    CallOutcome ignored;
    if (!outcome)
        outcome = &ignored;
    if (!driver || !connection) {
        outcome->failure = Failure::NodeGone;
        return nullptr;
    }
    NodeCall call(this, node, driver.data());
    PGresult *answer = PQexec(connection, sql);
    const ExecStatusType status = PQresultStatus(answer);
    const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
    QSqlError error;
    if (!ok) {
        const char *code = answer ? PQresultErrorField(answer, PG_DIAG_SQLSTATE) : nullptr;
        error = QSqlError(
            u"QPSQLHA: %1"_s.arg(QLatin1StringView(sql)),
            QString::fromUtf8(answer ? PQresultErrorMessage(answer) : PQerrorMessage(connection)),
            QSqlError::StatementError, code ? QString::fromLatin1(code) : QString());
    }
    *outcome = call.finish(ok, &error);
    if (outcome->succeeded())
        return answer;
    PQclear(answer);
    return nullptr;
}

QSqlError Session::nodeLostError(int node, const QSqlError &error, const CallOutcome &outcome) const
{
    if (outcome.timedOut)
        return error; // the timeout's own error already says so
    // The node's own words and SQLSTATE are kept; a connection that just broke reads 08006.
    const Node &state = m_cluster->node(node);
    const QString code = error.nativeErrorCode();
    return QSqlError(
        Messages::tr("QPSQLHA: %1 %2 is unreachable").arg(roleName(state), state.address()),
        error.databaseText(), QSqlError::ConnectionError,
        code.isEmpty() ? ConnectionFailureCode : code);
}

void Session::logStatement(int node, QStringView sql) const
{
    const Node &state = m_cluster->node(node);
    if (m_logQueries || state.settings().logQueries)
        qCInfo(lcQueries).noquote() << state.address() << roleName(state) << sql;
}

int Session::chooseReader(NodeMask tried, quint64 minimumWal)
{
    NodeMask excluded = tried;
    if (m_monotonic) {
        if (Q_UNLIKELY(m_monotonic->readsSinceKnown() >= m_cluster->settings().burstLength))
            settleHeldNode();
        excluded |= m_monotonic->unfit(*m_cluster);
    }
    switch (m_affinity) {
    case ReaderAffinity::Burst:
        return m_bursts.next(*m_cluster, excluded, minimumWal, m_cluster->settings().burstLength);
    case ReaderAffinity::Connection:
        if (m_ownReader < 0 || m_cluster->node(m_ownReader).isRemoved())
            m_ownReader = m_cluster->assignReader();
        // The reader is kept, not replaced, while it is away: its reads come back to it.
        if (m_ownReader >= 0 && !(excluded & bit(m_ownReader)) && m_cluster->isReadable(m_ownReader)
            && m_cluster->hasReplayed(m_ownReader, minimumWal))
            return m_ownReader;
        break;
    case ReaderAffinity::Statement:
        break;
    }
    return m_cluster->pickReader(excluded, minimumWal);
}

void Session::settleHeldNode()
{
    // A connection that reads all the time never leaves a probe interval without a read, so no
    // probe ever bounds what its reads saw, and no other node may serve it: it would stay on one
    // reader (or on the primary it fell back to) for good. After a burst's worth of reads on one
    // node, that node is asked its position instead: one round trip per burst, and only when
    // another node could take the next read.
    const int held = m_monotonic->lastNode();
    int others = 0;
    for (int i = 0; i < m_cluster->nodeCount() && others == 0; ++i)
        others += i != held && m_cluster->isReadable(i) ? 1 : 0;
    quint64 position = 0;
    if (others > 0 && askWalPosition(held, &position))
        m_monotonic->recordPosition(held, position);
}

bool Session::askWalPosition(int node, quint64 *walPosition)
{
    // Only on an idle connection: a result still being read must not be disturbed.
    const Link &link = m_links[size_t(node)];
    PGconn *connection = link.connection;
    if (!connection || link.epoch != m_cluster->node(node).epoch()
        || PQtransactionStatus(connection) != PQTRANS_IDLE)
        return false;
    // Replayed on a standby, written on the primary: what a read there can have seen.
    const char *sql = m_cluster->node(node).role() == NodeRole::Reader
        ? "SELECT (pg_last_wal_replay_lsn() - '0/0')::text"
        : "SELECT (pg_current_wal_lsn() - '0/0')::text";
    PGresult *answer = roundTrip(node, sql);
    if (!answer)
        return false;
    const bool ok = PQntuples(answer) == 1 && !PQgetisnull(answer, 0, 0);
    if (ok)
        *walPosition = QByteArray(PQgetvalue(answer, 0, 0)).toULongLong();
    PQclear(answer);
    return ok;
}

bool Session::ownWritesVisible(quint64 *minimumWal)
{
    *minimumWal = 0;
    if (m_cluster->settings().consistency != Consistency::ReadYourWrites)
        return true;
    if (m_walWanted) {
        // The primary's WAL position now is at or past this connection's last commit. It is
        // asked for here, not after each write, so that a run of writes costs one round trip.
        // Only when the connection is idle: a result still being read must not be disturbed.
        const int target = m_cluster->writeNode();
        PGconn *connection = m_links[size_t(target)].connection;
        if (!connection || PQtransactionStatus(connection) != PQTRANS_IDLE)
            return false;
        PGresult *answer = roundTrip(target, "SELECT (pg_current_wal_lsn() - '0/0')::text");
        if (!answer)
            return false;
        const bool ok = PQntuples(answer) == 1;
        if (ok)
            m_minimumWal = qMax(m_minimumWal, QByteArray(PQgetvalue(answer, 0, 0)).toULongLong());
        PQclear(answer);
        if (!ok)
            return false;
        m_walWanted = false;
    }
    *minimumWal = m_minimumWal;
    return true;
}

bool Session::execute(const Classification &classification, QStringView sql,
                      StatementAttempt &attempt, Purpose purpose, int *node, QSqlError *error)
{
    *node = -1;
    // A call cut off since the last statement (finishing a result, a catalog question): its node
    // is failed before anything is routed.
    settleTimeouts(-1);
    if (m_transactionLost) {
        // Until the application ends the lost transaction, its statements must not run
        // outside it; a COMMIT must not look like it succeeded. ROLLBACK is harmless.
        if (!classification.hasFlag(Classification::EndsTransaction)) {
            *error = transactionLostError();
            return false;
        }
        m_transactionLost = false;
        if (!isRollback(sql)) {
            *error = transactionLostError();
            return false;
        }
    }
    quint64 minimumWal = 0;
    // Temporary objects exist on the write node's connection only.
    if (classification.isRead() && !m_pinned && temporaryObjectsKnown()
        && !(m_state.hasTemporaryObjects() && m_state.usesTemporaryObject(sql))
        && ownWritesVisible(&minimumWal)) {
        NodeMask tried = 0;
        bool toPrimary = false;
        for (int reader = chooseReader(tried, minimumWal); reader >= 0 && !toPrimary;
             reader = chooseReader(tried, minimumWal)) {
            tried |= bit(reader);
            Node &state = m_cluster->node(reader);
            const QSharedPointer<QSqlDriver> driver = connection(reader, error);
            if (!driver) {
                // connection() marked it failed, or it cannot take this session's state; the
                // statement moves on.
                state.countRetry();
                continue;
            }
            if (purpose == Purpose::Execute) {
                state.countQuery(m_counterStripe);
                logStatement(reader, sql);
            }
            if (!m_cluster->isReadable(reader))
                continue; // connecting showed it is a primary now
            RetryFacts facts;
            facts.outcome = runAttempt(reader, attempt, driver, error);
            facts.read = true;
            // The server read the text otherwise than the classifier did (a statement hidden
            // in what looked like a literal): a reader's connection never keeps a transaction,
            // and the statement belongs to the primary. (A forward-only result leaves it in one
            // only once its last row was read: the next read there finds it, and moves.)
            if (Q_UNLIKELY(isTransactionBlockOpen(m_links[size_t(reader)].connection))) {
                leftInTransaction(reader, sql);
                facts.outcome.leftInTransaction = true;
            }
            switch (nextStep(facts)) {
            case NextStep::Deliver:
                *node = reader;
                if (m_monotonic && purpose == Purpose::Execute)
                    m_monotonic->recordRead(reader);
                return true;
            case NextStep::RetryElsewhere:
                // Its node failed, was cut off, or cancelled it in a recovery conflict, and no
                // row reached the caller: another node runs it.
                state.countRetry();
                qCInfo(lcRouting).noquote() << "read moved off" << state.address() << ":"
                                            << (error->databaseText().trimmed().isEmpty()
                                                    ? error->text()
                                                    : error->databaseText().trimmed());
                break;
            case NextStep::RunOnPrimary:
                // The classifier let through what only the primary runs (a write, WAL control,
                // the session's sequence state): the safety net runs it there. No row reached
                // the caller yet, and outside a transaction nothing else depends on this node.
                state.countRetry();
                if (!facts.outcome.leftInTransaction) {
                    qCWarning(lcRouting).noquote()
                        << u"reader %1 refused a read (SQLSTATE %2); running it on the primary:"_s
                               .arg(state.address(), error->nativeErrorCode())
                        << sql;
                }
                // It may have created something only the primary keeps (a function making a
                // temporary table).
                m_temporaryLookupWanted = true;
                toPrimary = true;
                break;
            case NextStep::ConfirmRole:
            case NextStep::FailNodeLost:
            case NextStep::FailAsIs:
                *node = reader;
                return false;
            }
        }
    }
    *node = writeNode();
    const bool ok = runOnPrimary(classification, sql, attempt, purpose, error);
    // What a read saw on the primary bounds the readers this connection may read from next.
    if (m_monotonic && ok && purpose == Purpose::Execute && classification.isRead())
        m_monotonic->recordRead(*node);
    return ok;
}

CallOutcome Session::runAttempt(int node, StatementAttempt &attempt,
                                const QSharedPointer<QSqlDriver> &driver, QSqlError *error)
{
    attempt.beforeRun(node);
    Node &state = m_cluster->node(node);
    state.statementStarted(m_counterStripe);
    NodeCall call(this, node, driver.data());
    bool ok;
    if (m_cluster->settings().policy == Policy::Fastest) {
        // Timed only when the policy needs it: a clock read is not free on every statement.
        QElapsedTimer timer;
        timer.start();
        ok = attempt.run(node, driver, error);
        state.recordResponseTime(timer.nsecsElapsed() / 1000);
    } else {
        ok = attempt.run(node, driver, error);
    }
    const CallOutcome outcome = call.finish(ok, error);
    state.statementFinished(m_counterStripe);
    return outcome;
}

bool Session::runOnPrimary(const Classification &classification, QStringView sql,
                           StatementAttempt &attempt, Purpose purpose, QSqlError *error)
{
    const bool write = !classification.isRead();
    const int target = writeNode();
    Node &primary = m_cluster->node(target);
    const QSharedPointer<QSqlDriver> driver = connection(target, error);
    if (!driver)
        return false;
    if (purpose == Purpose::Execute) {
        primary.countQuery(m_counterStripe);
        logStatement(target, sql);
    }
    // Settings changed inside a transaction count from its COMMIT, which an aborted transaction
    // turns into a ROLLBACK.
    const bool wasPinned = m_pinned;
    const bool abortedBefore = wasPinned && m_state.hasPending()
        && isTransactionFailed(m_links[size_t(target)].connection);
    RetryFacts facts;
    facts.outcome = runAttempt(target, attempt, driver, error);
    facts.onWriteNode = true;
    facts.read = !write;
    facts.pinned = wasPinned;
    facts.lastResort = true; // every reader was tried, or none may run it
    const bool ok = facts.outcome.succeeded();
    switch (nextStep(facts)) {
    case NextStep::FailNodeLost:
        // Writes are never replayed: whether one was applied is unknown, so say so.
        *error = nodeLostError(target, *error, facts.outcome);
        return false;
    case NextStep::ConfirmRole:
        // The primary became a standby (switchover, failover elsewhere), or the session is
        // read-only by its own settings (default_transaction_read_only)? Only the server's own
        // answer to a role check demotes it; otherwise the caller gets the server's 25006.
        switch (checkWriteRole(target)) {
        case RoleCheck::Primary:
            break;
        case RoleCheck::NoAnswer:
            *error = timeoutError(target);
            return false;
        case RoleCheck::Standby:
            // Find the new primary now. This write is not replayed there; the caller decides.
            primary.setRole(NodeRole::Reader);
            m_cluster->reconcile();
            HealthChecker::instance().probeSoon(m_cluster);
            *error = connectionError(
                Messages::tr(
                    "QPSQLHA: primary %1 is read-only now (a standby); looking for the new "
                    "primary")
                    .arg(primary.address()),
                error->databaseText(), error->nativeErrorCode());
            return false;
        }
        break;
    case NextStep::Deliver:
    case NextStep::RetryElsewhere: // not for the last resort
    case NextStep::RunOnPrimary:
    case NextStep::FailAsIs:
        break;
    }
    PGconn *connection = m_links[size_t(target)].connection;
    m_pinned = isInTransaction(connection);
    if (m_pinned)
        m_pinnedNode = target;
    else if (ok && write)
        m_walWanted = true;
    followReportedSettings(connection);
    if (purpose == Purpose::Execute) {
        if (ok
            && (classification.hasFlag(Classification::DefinesObjects)
                || classification.reason == Classification::SelectInto))
            m_temporaryLookupWanted = true;
        if (ok && m_state.mayChange(classification))
            recordState(target, classification, sql, attempt.preparedValues());
        if (wasPinned && !m_pinned && m_state.hasPending()) {
            endTransactionState(target,
                                ok && !abortedBefore
                                    && classification.hasFlag(Classification::EndsTransaction)
                                    && !isRollback(sql));
        }
    }
    return ok;
}

NextStep Session::afterFetchFailure(int node, const CallOutcome &outcome, bool read,
                                    bool rowsDelivered) const
{
    RetryFacts facts;
    facts.outcome = outcome;
    facts.onWriteNode = node == writeNode();
    facts.read = read;
    facts.pinned = m_pinned;
    facts.rowsDelivered = rowsDelivered;
    return nextStep(facts);
}

QSharedPointer<QSqlDriver> Session::primaryConnection(QSqlError *error)
{
    settleTimeouts(-1);
    return connection(writeNode(), error);
}

QSharedPointer<QSqlDriver> Session::catalogConnection(int *node)
{
    int dummy;
    if (!node)
        node = &dummy;
    settleTimeouts(-1);
    QSqlError ignored;
    *node = writeNode();
    if (QSharedPointer<QSqlDriver> driver = connection(*node, &ignored))
        return driver;
    for (int reader = m_cluster->pickReader(0); reader >= 0;
         reader = m_cluster->pickReader(bit(reader))) {
        *node = reader;
        if (QSharedPointer<QSqlDriver> driver = connection(reader, &ignored))
            return driver;
    }
    // Whatever is still open, even if it cannot answer: QPSQL then answers like QPSQL does.
    for (size_t i = 0; i < m_links.size(); ++i) {
        *node = int(i);
        if (m_links[i].driver)
            return m_links[i].driver;
    }
    *node = -1;
    return {};
}

QSqlError Session::finishTransactionCommand(int target, const CallOutcome &outcome, QSqlError error,
                                            bool commit)
{
    Link &link = m_links[size_t(target)];
    const bool wasPinned = m_pinned;
    m_pinned = isInTransaction(link.connection);
    // SET LOCAL, and SET inside a transaction that rolls back, end with it.
    followReportedSettings(link.connection);
    if (m_pinned)
        m_pinnedNode = target;
    if (outcome.succeeded()) {
        // COMMIT (or anything that ended a transaction well) may have written.
        if (wasPinned && !m_pinned)
            m_walWanted = true;
        return QSqlError();
    }
    if (outcome.failure != Failure::NodeGone)
        return error;
    if (commit) {
        // The COMMIT may have reached the server before the connection went: its outcome is
        // unknown (SQLSTATE 08007, transaction_resolution_unknown).
        const Node &state = m_cluster->node(target);
        return QSqlError(
            Messages::tr("QPSQLHA: the connection to primary %1 was lost during COMMIT: the "
                         "transaction may or may not have been committed")
                .arg(state.address()),
            outcome.timedOut ? error.text() : error.databaseText(), QSqlError::ConnectionError,
            u"08007"_s);
    }
    return nodeLostError(target, error, outcome);
}

// One transaction command (BEGIN, COMMIT, ROLLBACK) on the write node, as one node call.
template<typename Command>
CallOutcome Session::runTransactionCommand(int target, const QSharedPointer<QSqlDriver> &driver,
                                           Command command, QSqlError *error)
{
    NodeCall call(this, target, driver.data());
    const bool ok = command(driver.data());
    if (!ok)
        *error = driver->lastError();
    return call.finish(ok, error);
}

bool Session::beginTransaction(QSqlError *error)
{
    m_transactionLost = false;
    const int target = writeNode();
    const QSharedPointer<QSqlDriver> driver = connection(target, error);
    if (!driver)
        return false;
    QSqlError failure;
    const CallOutcome outcome = runTransactionCommand(
        target, driver, [](QSqlDriver *d) { return d->beginTransaction(); }, &failure);
    *error = finishTransactionCommand(target, outcome, failure, false);
    return error->type() == QSqlError::NoError;
}

bool Session::commitTransaction(QSqlError *error)
{
    if (m_transactionLost) {
        m_transactionLost = false;
        *error = transactionLostError();
        return false;
    }
    const int target = writeNode();
    const QSharedPointer<QSqlDriver> driver = connection(target, error);
    if (!driver) {
        // This error is how the application learns that the transaction is gone (the primary
        // dropped it while idle): what it runs next starts afresh.
        m_transactionLost = false;
        return false;
    }
    const bool aborted = isTransactionFailed(m_links[size_t(target)].connection);
    QSqlError failure;
    const CallOutcome outcome = runTransactionCommand(
        target, driver, [](QSqlDriver *d) { return d->commitTransaction(); }, &failure);
    *error = finishTransactionCommand(target, outcome, failure, true);
    const bool ok = error->type() == QSqlError::NoError;
    if (!m_pinned && m_state.hasPending())
        endTransactionState(target, ok && !aborted);
    return ok;
}

bool Session::rollbackTransaction(QSqlError *error)
{
    m_transactionLost = false;
    const int target = writeNode();
    const QSharedPointer<QSqlDriver> driver = connection(target, error);
    if (!driver) {
        m_transactionLost = false; // rolled back by its server already
        return false;
    }
    QSqlError failure;
    const CallOutcome outcome = runTransactionCommand(
        target, driver, [](QSqlDriver *d) { return d->rollbackTransaction(); }, &failure);
    *error = finishTransactionCommand(target, outcome, failure, false);
    if (!m_pinned && m_state.hasPending())
        endTransactionState(target, false);
    return error->type() == QSqlError::NoError;
}

} // namespace QPsqlHa
