// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASESSION_P_H
#define QPSQLHASESSION_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhacluster_p.h"
#include "qpsqlhamonotonicreads_p.h"
#include "qpsqlhanodecall_p.h"
#include "qpsqlhareaderbursts_p.h"
#include "qpsqlhasessionstate_p.h"
#include "qpsqlhasessionuse_p.h"
#include "qpsqlhawatchdog_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qsharedpointer.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>

#include <array>
#include <functional>
#include <memory>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace QPsqlHa {

// One try of a statement on one node; the driver's result implements it with a QSqlQuery on
// that node's QPSQL connection.
class QPSQLHA_EXPORT StatementAttempt
{
public:
    virtual ~StatementAttempt();
    // Called before the call on `node` is armed: whatever must finish on another node's
    // connection first (a previous result still streaming there) finishes under its own call.
    virtual void beforeRun(int node);
    // Runs on `driver`, the session's connection to node `node`. Returns false and sets *error
    // if it failed; *error is left alone on success, so that the statement path never builds a
    // QSqlError (one heap allocation each in Qt 6.4) only to say that nothing went wrong.
    // The session watches the call (one NodeCall around run()).
    virtual bool run(int node, const QSharedPointer<QSqlDriver> &driver, QSqlError *error) = 0;
    // The values bound to a prepared statement (null if it was not prepared): a prepared
    // statement that changed session state is replayed with them.
    virtual const QList<QVariant> *preparedValues() const;
};

// One logical connection (one QPSQLHA driver instance): a QPSQL connection per node, made
// lazily and re-created after a node comes back, the transaction pin, and the routing and retry
// loop every statement goes through. Used from the connection's thread only, like any
// QSqlDatabase; what it shares with other connections lives in the Cluster.
class QPSQLHA_EXPORT Session
{
    Q_DISABLE_COPY_MOVE(Session)
public:
    Session(const QSharedPointer<Cluster> &cluster, bool logQueries);
    ~Session();

    // Connects to every node not set offline by hand. Succeeds if at least one connects; the
    // others are marked failed and probed.
    bool open(QSqlError *error);

    Cluster &cluster() const { return *m_cluster; }
    // Classifies as the server will read it: string literals follow the session's
    // standard_conforming_strings, as the primary last reported it.
    Classification classify(QStringView sql) const
    {
        return m_cluster->classifier().classify(sql, m_standardStrings);
    }
    bool standardConformingStrings() const { return m_standardStrings; }

    enum class Purpose { Execute, Prepare };
    // Runs a statement where it belongs. Reads (outside a transaction) go to a reader picked by
    // the policy and move to another reader, then the primary, when their node is gone; a read a
    // reader refuses as the primary's business (SQLSTATE 25006 or 55000) runs on the primary; the
    // caller's SQL errors come back unchanged. Everything else runs on the primary and is never
    // retried: if the primary is gone the error is a ConnectionError naming it.
    // On return *node is the node that produced the result or error (-1 if none ran it).
    // Returns false with *error set if the statement failed; *error is untouched on success.
    bool execute(const Classification &classification, QStringView sql, StatementAttempt &attempt,
                 Purpose purpose, int *node, QSqlError *error);

    // The next step of a statement whose result broke while its rows were being read (the fetch
    // path's half of the retry decision; the exec path's is inside execute()).
    NextStep afterFetchFailure(int node, const CallOutcome &outcome, bool read,
                               bool rowsDelivered) const;

    // The primary's connection (for transactions, notifications, lastInsertId), or null with
    // *error set when the primary cannot be reached.
    QSharedPointer<QSqlDriver> primaryConnection(QSqlError *error);
    // A connected driver to answer catalog questions: the primary's if possible. *node (if
    // given) is the node it belongs to, or -1.
    QSharedPointer<QSqlDriver> catalogConnection(int *node = nullptr);

    // Explicit transactions (QSqlDatabase::transaction() and friends) run on the primary.
    bool beginTransaction(QSqlError *error);
    bool commitTransaction(QSqlError *error);
    bool rollbackTransaction(QSqlError *error);
    bool inTransaction() const { return m_pinned; }
    // Where this connection's writes go: the node its open transaction lives on, else the
    // cluster's write node.
    int writeNode() const { return m_pinned ? m_pinnedNode : m_cluster->writeNode(); }

    // Which thread is inside this session: the driver turns away a second one at once.
    SessionUse &use() const { return m_use; }

    // Settings, role, LISTENs and temporary objects of this logical connection.
    const SessionState &state() const { return m_state; }
    // Called with the write node's new connection each time one is made (after a failure, too),
    // before anything runs on it: the driver re-subscribes its notifications there.
    using ConnectedHandler = std::function<void(const QSharedPointer<QSqlDriver> &)>;
    void setPrimaryConnectedHandler(ConnectedHandler handler)
    {
        m_primaryConnected = std::move(handler);
    }

private:
    friend class NodeCall;

    struct Link
    {
        QSharedPointer<QSqlDriver> driver;
        PGconn *connection = nullptr;
        quint32 epoch = 0;
        quint32 stateVersion = 0; // the session state applied on this connection
        quint32 refusedVersion = 0; // ...and the one it refused, if stateRefused
        bool stateRefused = false;
        QDeadlineTimer stateRetry; // when to ask again after a refusal
        WatchedSocket socket; // for the watchdog; only with a query timeout
    };

    bool beginWait(int node, const QSqlDriver *driver) noexcept
    {
        if (!m_watch)
            return false;
        const Link &link = m_links[size_t(node)];
        if (link.driver.data() != driver || link.socket.fd() < 0 || m_watch->isArmed())
            return false;
        m_watch->arm(link.socket.fd(), watchdogClockMs() + m_queryTimeoutMs,
                     m_cluster->node(node).answeredAtClock(), m_queryTimeoutMs);
        return true;
    }
    void endWait(int node) noexcept
    {
        if (Q_UNLIKELY(m_watch->disarm()))
            m_timedOut |= NodeMask(1) << node;
    }
    // Marks every node whose call was cut off failed (once); returns whether `node` was one.
    bool settleTimeouts(int node)
    {
        if (Q_LIKELY(!m_timedOut))
            return false;
        return settleTimeoutsSlow(node);
    }
    bool settleTimeoutsSlow(int node);
    QSqlError timeoutError(int node) const;
    // NodeCall::finish(): the one failure path of every call on a node.
    CallOutcome endCall(int node, bool ok, QSqlError *error, const QSqlDriver *driver);
    // A round trip of our own on a node's connection (WAL position, role, temporary objects):
    // the answer, or null with *outcome saying why (the node was marked as endCall() does).
    PGresult *roundTrip(int node, const char *sql, CallOutcome *outcome = nullptr);
    QSqlError nodeLostError(int node, const QSqlError &error, const CallOutcome &outcome) const;

    QSharedPointer<QSqlDriver> connection(int node, QSqlError *error);
    QSharedPointer<QSqlDriver> nodeConnection(int node, QSqlError *error);
    bool restoreState(int node, QSqlError *error);
    void recordState(int node, const Classification &classification, QStringView sql,
                     const QList<QVariant> *values);
    void endTransactionState(int node, bool committed);
    bool connect(int node, QSqlError *error);
    bool transactionSurvives(int node, QSqlError *error);
    void loseTransaction();
    QSqlError transactionLostError() const;
    void nodeGone(int node, const QSqlError &error);
    void nodeGone(int node, const QString &reason);
    bool runOnPrimary(const Classification &classification, QStringView sql,
                      StatementAttempt &attempt, Purpose purpose, QSqlError *error);
    CallOutcome runAttempt(int node, StatementAttempt &attempt,
                           const QSharedPointer<QSqlDriver> &driver, QSqlError *error);
    void checkRole(int node);
    enum class RoleCheck { Primary, Standby, NoAnswer };
    RoleCheck checkWriteRole(int node);
    void followReportedSettings(PGconn *connection);
    bool temporaryObjectsKnown()
    {
        return Q_LIKELY(!m_temporaryLookupWanted) || lookUpTemporaryObjects();
    }
    bool lookUpTemporaryObjects();
    // Rolls back the transaction a read left open on a reader (sql: the read, if it is to run
    // on the primary instead); returns whether the reader's connection is usable again.
    bool leftInTransaction(int reader, QStringView sql);
    bool ownWritesVisible(quint64 *minimumWal);
    bool askWalPosition(int node, quint64 *walPosition);
    void settleHeldNode();
    QSqlError finishTransactionCommand(int target, const CallOutcome &outcome, QSqlError error,
                                       bool commit);
    template<typename Command>
    CallOutcome runTransactionCommand(int target, const QSharedPointer<QSqlDriver> &driver,
                                      Command command, QSqlError *error);
    void logStatement(int node, QStringView sql) const;
    int chooseReader(NodeMask tried, quint64 minimumWal);

    QSharedPointer<Cluster> m_cluster;
    std::array<Link, MaximumNodes> m_links;
    bool m_pinned = false; // a transaction is open on m_pinnedNode's connection
    int m_pinnedNode = Cluster::PrimaryIndex;
    // QPSQLHA_CONSISTENCY=read_your_writes: a write committed since the WAL position was taken,
    // and the primary's WAL position after this connection's last write.
    bool m_walWanted = false;
    quint64 m_minimumWal = 0;
    bool m_transactionLost = false; // ...and that connection died before it ended
    bool m_logQueries = false;
    // How reads choose their reader: the cluster's QPSQLHA_READER_AFFINITY, except that the
    // policies that look at every read (least_busy, fastest, round_robin under burst) do.
    ReaderAffinity m_affinity = ReaderAffinity::Burst;
    int m_ownReader = -1; // ReaderAffinity::Connection: the reader this connection keeps
    // standard_conforming_strings of this session (as the primary reports it): where a string
    // literal ends, for the classifier.
    bool m_standardStrings = true;
    // A statement that may have created or renamed a temporary object ran on the primary: ask
    // the server for the session's temporary objects before the next read leaves the primary.
    bool m_temporaryLookupWanted = false;
    ReaderBursts m_bursts; // ReaderAffinity::Burst
    std::unique_ptr<MonotonicReads> m_monotonic; // null with QPSQLHA_CONSISTENCY=eventual
    SessionState m_state;
    ConnectedHandler m_primaryConnected;
    int m_queryTimeoutMs = 0;
    int m_counterStripe = 0; // where this connection counts its statements on every node
    std::unique_ptr<WatchSlot> m_watch; // null without a query timeout
    NodeMask m_timedOut = 0; // nodes whose call the watchdog cut off, not yet settled
    mutable SessionUse m_use;
};

inline NodeCall::NodeCall(Session *session, int node, const QSqlDriver *driver) noexcept
    : m_session(session)
    , m_driver(driver)
    , m_node(node)
{
    m_armed = session && node >= 0 && session->beginWait(node, driver);
}

inline CallOutcome NodeCall::finish(bool ok, QSqlError *error)
{
    m_finished = true;
    if (m_armed) {
        m_armed = false;
        m_session->endWait(m_node);
    }
    // The statement path: it succeeded and no call of this session was cut off.
    if (Q_LIKELY(ok && m_session && !m_session->m_timedOut))
        return CallOutcome();
    return finishSlow(ok, error);
}

inline bool NodeCall::finish()
{
    return finish(true, nullptr).timedOut;
}

} // namespace QPsqlHa

#endif // QPSQLHASESSION_P_H
