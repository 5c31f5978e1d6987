// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhasession_p.h"

#include "qpsqlhalogging_p.h"
#include "qpsqlhanodeconnection_p.h"

namespace QPsqlHa {

using namespace Qt::StringLiterals;

StatementAttempt::~StatementAttempt() = default;

namespace {

constexpr NodeMask bit(int node)
{
    return NodeMask(1) << node;
}

QString roleName(const Node &node)
{
    return node.role() == NodeRole::Primary ? u"primary"_s : u"reader"_s;
}

QSqlError connectionError(const QString &text, const QString &detail)
{
    return QSqlError(text, detail, QSqlError::ConnectionError);
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
    , m_links(size_t(cluster->nodeCount()))
    , m_logQueries(logQueries)
{
    m_cluster->attachSession();
}

Session::~Session()
{
    m_cluster->detachSession();
}

bool Session::open(QSqlError *error)
{
    QStringList problems;
    bool anyConnected = false;
    for (int i = 0; i < m_cluster->nodeCount(); ++i) {
        Node &node = m_cluster->node(i);
        if (node.state() == NodeState::OfflineByHand) {
            problems.append(u"%1 %2: offline (set by hand)"_s.arg(roleName(node), node.address()));
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
        *error = connectionError(
            u"QPSQLHA: no node of cluster '%1' could be reached"_s.arg(m_cluster->name()),
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
    return true;
}

QSharedPointer<QSqlDriver> Session::connection(int node, QSqlError *error)
{
    Node &state = m_cluster->node(node);
    Link &link = m_links[size_t(node)];
    switch (state.state()) {
    case NodeState::Online:
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
        *error = connectionError(
            u"QPSQLHA: %1 %2 is offline (set by hand)"_s.arg(roleName(state), state.address()),
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
    if (node == Cluster::PrimaryIndex) {
        QSqlError connectError;
        if (connect(node, &connectError)) {
            state.markRecovered(u"reconnected"_s);
            link.epoch = state.epoch();
            return link.driver;
        }
    }
    *error = connectionError(
        u"QPSQLHA: %1 %2 is offline: %3"_s.arg(roleName(state), state.address(), state.lastError()),
        state.lastError());
    return {};
}

bool Session::transactionSurvives(int node, QSqlError *error)
{
    // An open transaction lives on one server connection. A new connection would run the rest
    // of it, COMMIT included, outside any transaction.
    if (node != Cluster::PrimaryIndex || !m_pinned)
        return true;
    loseTransaction();
    *error = transactionLostError();
    return false;
}

void Session::loseTransaction()
{
    m_pinned = false;
    m_transactionLost = true;
    m_links[Cluster::PrimaryIndex] = Link();
}

QSqlError Session::transactionLostError() const
{
    return connectionError(
        u"QPSQLHA: the transaction was lost: the connection to primary %1 "
        "was interrupted; roll back and start again"_s.arg(m_cluster->primary().address()),
        QString());
}

void Session::nodeGone(int node, const QSqlError &error)
{
    Node &state = m_cluster->node(node);
    QString reason = error.databaseText().trimmed();
    if (reason.isEmpty())
        reason = error.text();
    state.markFailed(reason);
    if (node == Cluster::PrimaryIndex && m_pinned)
        loseTransaction();
    m_links[size_t(node)] = Link();
}

void Session::logStatement(int node, QStringView sql) const
{
    const Node &state = m_cluster->node(node);
    if (m_logQueries || state.settings().logQueries)
        qCInfo(lcQueries).noquote() << state.address() << roleName(state) << sql;
}

int Session::chooseReader(NodeMask tried)
{
    if (m_cluster->settings().affinity == ReaderAffinity::Connection) {
        if (m_ownReader < 0)
            m_ownReader = m_cluster->assignReader();
        // The reader is kept, not replaced, while it is away: its reads come back to it.
        if (m_ownReader > 0 && !(tried & bit(m_ownReader))
            && m_cluster->node(m_ownReader).isOnline())
            return m_ownReader;
    }
    return m_cluster->pickReader(tried);
}

bool Session::execute(const Classification &classification, QStringView sql,
                      StatementAttempt &attempt, Purpose purpose, int *node, QSqlError *error)
{
    *node = -1;
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
    if (classification.isRead() && !m_pinned) {
        NodeMask tried = 0;
        for (int reader = chooseReader(tried); reader >= 0; reader = chooseReader(tried)) {
            tried |= bit(reader);
            Node &state = m_cluster->node(reader);
            const QSharedPointer<QSqlDriver> driver = connection(reader, error);
            if (!driver) {
                // connection() marked it failed; the statement moves on.
                state.countRetry();
                continue;
            }
            if (purpose == Purpose::Execute) {
                state.countQuery();
                logStatement(reader, sql);
            }
            if (attempt.run(reader, driver, error)) {
                *node = reader;
                return true;
            }
            const Failure failure = classifyFailure(*error, driver.data());
            if (failure == Failure::StatementError) {
                state.countError();
                *node = reader;
                return false;
            }
            state.countError();
            state.countRetry();
            if (failure == Failure::NodeGone) {
                nodeGone(reader, *error);
                qCInfo(lcRouting).noquote() << "read moved off" << state.address() << ":"
                                            << error->databaseText().trimmed();
                continue;
            }
            if (failure == Failure::ReadOnlyNode) {
                // The classifier let a write through: the safety net runs it on the primary.
                qCWarning(lcRouting).noquote()
                    << "a reader rejected a statement as a write (25006); running it on the "
                       "primary:"
                    << sql;
                break;
            }
            // A recovery conflict cancelled it; another node can run it.
        }
    }
    *node = Cluster::PrimaryIndex;
    return runOnPrimary(sql, attempt, purpose, error);
}

bool Session::runOnPrimary(QStringView sql, StatementAttempt &attempt, Purpose purpose,
                           QSqlError *error)
{
    Node &primary = m_cluster->primary();
    const QSharedPointer<QSqlDriver> driver = connection(Cluster::PrimaryIndex, error);
    if (!driver)
        return false;
    if (purpose == Purpose::Execute) {
        primary.countQuery();
        logStatement(Cluster::PrimaryIndex, sql);
    }
    const bool ok = attempt.run(Cluster::PrimaryIndex, driver, error);
    if (!ok) {
        primary.countError();
        if (classifyFailure(*error, driver.data()) == Failure::NodeGone) {
            // Writes are never replayed: whether it was applied is unknown, so say so.
            nodeGone(Cluster::PrimaryIndex, *error);
            *error = connectionError(u"QPSQLHA: primary %1 is unreachable"_s.arg(primary.address()),
                                     error->databaseText());
            return false;
        }
    }
    m_pinned = isInTransaction(m_links[Cluster::PrimaryIndex].connection);
    return ok;
}

bool Session::reportFetchFailure(int node, const QSqlError &error, const QSqlDriver *driver)
{
    if (node < 0 || classifyFailure(error, driver) != Failure::NodeGone)
        return false;
    Node &state = m_cluster->node(node);
    state.countError();
    nodeGone(node, error);
    return true;
}

QSharedPointer<QSqlDriver> Session::primaryConnection(QSqlError *error)
{
    return connection(Cluster::PrimaryIndex, error);
}

QSharedPointer<QSqlDriver> Session::catalogConnection()
{
    QSqlError ignored;
    if (QSharedPointer<QSqlDriver> driver = connection(Cluster::PrimaryIndex, &ignored))
        return driver;
    for (int reader = m_cluster->pickReader(0); reader >= 0;
         reader = m_cluster->pickReader(bit(reader))) {
        if (QSharedPointer<QSqlDriver> driver = connection(reader, &ignored))
            return driver;
    }
    // Whatever is still open, even if it cannot answer: QPSQL then answers like QPSQL does.
    for (const Link &link : m_links) {
        if (link.driver)
            return link.driver;
    }
    return {};
}

QSqlError Session::finishTransactionCommand(bool ok, const QSharedPointer<QSqlDriver> &driver)
{
    Link &link = m_links[Cluster::PrimaryIndex];
    if (ok) {
        m_pinned = isInTransaction(link.connection);
        return QSqlError();
    }
    const QSqlError error = driver->lastError();
    m_pinned = isInTransaction(link.connection);
    if (classifyFailure(error, driver.data()) == Failure::NodeGone) {
        nodeGone(Cluster::PrimaryIndex, error);
        return connectionError(
            u"QPSQLHA: primary %1 is unreachable"_s.arg(m_cluster->primary().address()),
            error.databaseText());
    }
    return error;
}

bool Session::beginTransaction(QSqlError *error)
{
    m_transactionLost = false;
    const QSharedPointer<QSqlDriver> driver = primaryConnection(error);
    if (!driver)
        return false;
    *error = finishTransactionCommand(driver->beginTransaction(), driver);
    return error->type() == QSqlError::NoError;
}

bool Session::commitTransaction(QSqlError *error)
{
    if (m_transactionLost) {
        m_transactionLost = false;
        *error = transactionLostError();
        return false;
    }
    const QSharedPointer<QSqlDriver> driver = primaryConnection(error);
    if (!driver) {
        // This error is how the application learns that the transaction is gone (the primary
        // dropped it while idle): what it runs next starts afresh.
        m_transactionLost = false;
        return false;
    }
    *error = finishTransactionCommand(driver->commitTransaction(), driver);
    return error->type() == QSqlError::NoError;
}

bool Session::rollbackTransaction(QSqlError *error)
{
    m_transactionLost = false;
    const QSharedPointer<QSqlDriver> driver = primaryConnection(error);
    if (!driver) {
        m_transactionLost = false; // rolled back by its server already
        return false;
    }
    *error = finishTransactionCommand(driver->rollbackTransaction(), driver);
    return error->type() == QSqlError::NoError;
}

} // namespace QPsqlHa
