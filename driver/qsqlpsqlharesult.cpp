// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qsqlpsqlharesult_p.h"

#include "qsqlpsqlhadriver_p.h"

#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlrecord.h>

#include <algorithm>

QT_BEGIN_NAMESPACE

using namespace QPsqlHa;

QPsqlHaResult::QPsqlHaResult(const QPsqlHaDriver *driver)
    : QSqlResult(driver)
{ }

QPsqlHaResult::~QPsqlHaResult()
{
    // QPSQL drains a result that is still streaming when its query goes, which waits for the
    // server: done here, under the watchdog, rather than unwatched in QSqlQuery's destructor.
    // Not while another thread is inside the session (which Qt forbids): the node queries then
    // go without it.
    const SessionUse::Scope use(sessionUse());
    if (use.refused())
        return;
    releaseCurrent();
    finishPrevious();
}

Session *QPsqlHaResult::session() const
{
    const auto *haDriver = static_cast<const QPsqlHaDriver *>(driver());
    return haDriver ? haDriver->session() : nullptr;
}

SessionUse *QPsqlHaResult::sessionUse() const
{
    Session *s = session();
    return s ? &s->use() : nullptr;
}

// Every call that may use a node's connection enters the session first (SessionUse): a second
// thread using the same QSqlDatabase at the same time gets this error instead of a share of a
// libpq connection, where it would wait forever for an answer the other thread took.
bool QPsqlHaResult::refuseConcurrentUse()
{
    setLastError(SessionUse::busyError());
    return false;
}

namespace {

// QSqlResult's row interface is protected: QSqlQuery reaches it as a friend. Named through a
// class derived from QSqlResult (which C++ allows a derived class), the members of the node
// query's QPSQL result are called directly, so that a row and each of its values cost one
// virtual call: the node QSqlQuery's own checks (active, select, on a row) would only repeat
// those the application's QSqlQuery has just made on this result, whose state is the node
// query's (runStatement(), fetchRow()). Never instantiated.
class NodeRows : public QSqlResult
{
public:
    static int position(const QSqlResult *rows)
    {
        int (QSqlResult::*at)() const = &NodeRows::at;
        return (rows->*at)();
    }
    static bool isStreaming(const QSqlResult *rows)
    {
        bool (QSqlResult::*forwardOnly)() const = &NodeRows::isForwardOnly;
        return (rows->*forwardOnly)();
    }
    static QVariant value(QSqlResult *rows, int field)
    {
        QVariant (QSqlResult::*data)(int) = &NodeRows::data;
        return (rows->*data)(field);
    }
    static bool null(QSqlResult *rows, int field)
    {
        bool (QSqlResult::*isNull)(int) = &NodeRows::isNull;
        return (rows->*isNull)(field);
    }
    static bool first(QSqlResult *rows)
    {
        bool (QSqlResult::*fetchFirst)() = &NodeRows::fetchFirst;
        return (rows->*fetchFirst)();
    }
    // QSqlQuery::next() on the node query, without its checks.
    static bool next(QSqlResult *rows)
    {
        switch (position(rows)) {
        case QSql::BeforeFirstRow:
            return first(rows);
        case QSql::AfterLastRow:
            return false;
        default:
            break;
        }
        bool (QSqlResult::*fetchNext)() = &NodeRows::fetchNext;
        if ((rows->*fetchNext)())
            return true;
        void (QSqlResult::*setAt)(int) = &NodeRows::setAt;
        (rows->*setAt)(QSql::AfterLastRow);
        return false;
    }
};

} // namespace

void QPsqlHaResult::setCurrent(int node)
{
    m_current = node;
    m_rows = node >= 0 ? const_cast<QSqlResult *>(m_nodes[node].query->result()) : nullptr;
    // QPSQL streams forward-only results, unless libpq refused single-row mode.
    m_streaming = m_rows && NodeRows::isStreaming(m_rows);
}

// One blocking call on a node's query (NodeCall: bounded by the query timeout, its failure
// settled in one place).
NodeCall QPsqlHaResult::call(int node) const
{
    return NodeCall(session(), node, node >= 0 ? m_nodes[node].driver.data() : nullptr);
}

// Moves the current node query to another row (`move` on its QPSQL result). Rows of a
// forward-only result stream from the server (QPSQL's single-row mode), so the move may wait for
// the node (`mayWait`); other results hold every row already. libpq reads rows in batches: only a
// move that must wait for more (PQisBusy) is a node call, so a streamed row costs one check, not
// a watchdog round. `fromStart`: a move that, made before the first row, means that no row
// reached the caller if it fails (asked only then: the position costs a call).
template<typename Move> bool QPsqlHaResult::fetchRow(Move move, bool fromStart, bool mayWait)
{
    const SessionUse::Scope use(sessionUse());
    if (use.refused())
        return refuseConcurrentUse();
    QSqlResult *rows = m_rows;
    if (!rows)
        return false;
    if (Q_UNLIKELY(mayWait && mustWaitForServer(m_nodes[m_current].connection)))
        return fetchRowWaiting(move, fromStart);
    if (Q_LIKELY(move(rows))) {
        setAt(NodeRows::position(rows));
        return true;
    }
    return moved(CallOutcome(), fromStart && at() == QSql::BeforeFirstRow, nullptr);
}

// fetchRow() when the move must wait for the node: one node call. Apart, so that the row in
// libpq's buffer does not pay for its set-up.
template<typename Move>
Q_NEVER_INLINE bool QPsqlHaResult::fetchRowWaiting(Move move, bool fromStart)
{
    QSqlResult *rows = m_rows;
    NodeCall nodeCall = call(m_current);
    if (Q_LIKELY(move(rows))) {
        nodeCall.finish();
        setAt(NodeRows::position(rows));
        return true;
    }
    // Past the last row is not a failure. (A QSqlError is built only here: each one allocates.)
    QSqlError error = current()->lastError();
    const CallOutcome outcome = nodeCall.finish(!error.isValid(), &error);
    return moved(outcome, fromStart && at() == QSql::BeforeFirstRow, &error);
}

// QSqlResult::boundValues() is protected and hands out the bound values by reference. A pointer
// to it formed through this class (which C++ allows a derived class) reaches the values of the
// node query's QPSQL result, which that result reads when it executes.
QList<QVariant> &QPsqlHaResult::boundValuesOf(const QSqlResult *result)
{
    QList<QVariant> &(QSqlResult::*values)() const = &QPsqlHaResult::boundValues;
    return (result->*values)();
}

void QPsqlHaResult::beforeRun(int node)
{
    // The previous result is on another node's query: release it there (a call on that node)
    // before the call on this one starts.
    if (m_previous >= 0 && m_previous != node)
        finishPrevious();
}

bool QPsqlHaResult::run(int node, const QSharedPointer<QSqlDriver> &driver, QSqlError *error)
{
    // Session::runAttempt() makes this one node call (prepare and execute alike), after
    // beforeRun().
    if (node >= m_nodes.size())
        m_nodes.resize(node + 1);
    NodeQuery &slot = m_nodes[node];
    if (slot.driver != driver) {
        // First use of this node, or its connection was re-created: start afresh there.
        slot.driver = driver;
        slot.connection = nativeConnection(driver.data());
        slot.query.emplace(driver->createResult());
        slot.prepared = false;
        slot.bound = false;
    }
    // Running this node's query again resets its previous result (QPSQL cleans up itself), and
    // a re-created query has none.
    if (m_previous == node)
        m_previous = -1;
    QSqlQuery &query = *slot.query;
    query.setForwardOnly(isForwardOnly());
    query.setNumericalPrecisionPolicy(numericalPrecisionPolicy());

    // A failure that leaves no error behind counts as success, as it always has.
    auto failed = [&] {
        *error = query.lastError();
        return error->type() == QSqlError::NoError;
    };
    if (!m_isPrepared)
        return query.exec(m_sql) || failed();

    // A prepared statement exists on one server connection: prepare it where it runs.
    if (!slot.prepared) {
        if (!query.prepare(m_sql))
            return failed();
        slot.prepared = true;
        slot.bound = false;
    }
    if (m_purpose == Session::Purpose::Prepare)
        return true;
    const QList<QVariant> &values = boundValues();
    const bool inputsOnly = onlyInputsBound(values.size());
    QList<QVariant> &nodeValues = boundValuesOf(query.result());
    if (slot.bound && inputsOnly && nodeValues.size() == values.size()) {
        // The node query's positions all exist as inputs already: only the values change (the
        // short cut of bindValue(), taken on the node query's list directly).
        std::copy(values.cbegin(), values.cend(), nodeValues.begin());
    } else {
        for (int i = 0; i < values.size(); ++i)
            query.bindValue(i, values.at(i), bindValueType(i));
        slot.bound = inputsOnly;
    }
    return query.exec() || failed();
}

const QList<QVariant> *QPsqlHaResult::preparedValues() const
{
    return m_isPrepared ? &boundValues() : nullptr;
}

bool QPsqlHaResult::runStatement(Session::Purpose purpose)
{
    Session *s = session();
    if (!s) {
        finishPrevious();
        return false;
    }
    // Readers can be added at run time; run() grows the list too, should one appear meanwhile.
    if (m_nodes.size() < s->cluster().nodeCount())
        m_nodes.resize(s->cluster().nodeCount());
    m_purpose = purpose;
    if (purpose == Session::Purpose::Execute) {
        // Like QPSQL before it runs a statement: no current row, no result set.
        setAt(QSql::BeforeFirstRow);
        setActive(false);
    }
    int node = -1;
    const bool ok = s->execute(m_classification, m_sql, *this, purpose, &node, &m_error);
    // No-op when run() already took care of it; otherwise the statement ran nowhere.
    finishPrevious();
    setCurrent(node >= 0 && ok ? node : -1);
    if (!ok) {
        if (purpose == Session::Purpose::Execute)
            setSelect(false); // QPSQL's answer after a statement failed
        setLastError(m_error);
        return false;
    }
    if (purpose == Session::Purpose::Prepare)
        return true;
    const QSqlQuery *query = current();
    setSelect(query->isSelect());
    setActive(true);
    return true;
}

void QPsqlHaResult::releaseCurrent()
{
    // QPSQL keeps a result set until the next statement; it is let go before the next statement
    // runs (finishPrevious(), or by QPSQL itself when the same node query runs again).
    if (m_current >= 0) {
        if (m_previous >= 0 && m_previous != m_current)
            finishPrevious();
        if (current()->isActive())
            m_previous = m_current;
    }
    setCurrent(-1);
}

void QPsqlHaResult::finishPrevious()
{
    if (m_previous < 0)
        return;
    const int node = std::exchange(m_previous, -1);
    NodeQuery &slot = m_nodes[node];
    if (slot.query && slot.query->isActive()) {
        const NodeCall finishing = call(node);
        slot.query->finish();
    }
}

void QPsqlHaResult::classify(Session *session, const QString &sql)
{
    // Called before m_sql takes the new text: the same text with the same classifier keeps its
    // classification (the classifier is a pure function of both).
    const StatementClassifier *classifier = &session->cluster().classifier();
    const bool standardStrings = session->standardConformingStrings();
    if (classifier == m_classifiedBy && standardStrings == m_classifiedStandardStrings
        && sql == m_sql)
        return;
    m_classification = session->classify(sql);
    m_classifiedBy = classifier;
    m_classifiedStandardStrings = standardStrings;
}

bool QPsqlHaResult::reset(const QString &query)
{
    return takeStatement(query, Session::Purpose::Execute);
}

bool QPsqlHaResult::prepare(const QString &query)
{
    // The route is decided once, from the statement as prepared; each exec() only picks a node.
    return takeStatement(query, Session::Purpose::Prepare);
}

// A new statement for this result: exec(QString) runs it, prepare() prepares it.
bool QPsqlHaResult::takeStatement(const QString &query, Session::Purpose purpose)
{
    const SessionUse::Scope use(sessionUse());
    if (use.refused())
        return refuseConcurrentUse();
    releaseCurrent();
    if (Session *s = session())
        classify(s, query);
    else
        m_classifiedBy = nullptr;
    m_sql = query;
    m_isPrepared = purpose == Session::Purpose::Prepare;
    m_inputsBound = 0;
    if (m_isPrepared) {
        for (NodeQuery &slot : m_nodes)
            slot = NodeQuery();
        m_previous = -1; // its query is gone with the others
    }
    return runStatement(purpose);
}

// QSqlResult::bindValue() spells the position as a placeholder name (a formatted string) and
// looks the name up in a hash on every call: more work than routing the statement. Once a
// position was bound as an input, that entry exists and the value is all that changes, so
// binding it again only replaces the value. Everything that clears the bindings (prepare(),
// exec(QString), a named binding) starts over on the full path.
void QPsqlHaResult::bindValue(int index, const QVariant &value, QSql::ParamType type)
{
    const quint64 position = index >= 0 && index < 64 ? quint64(1) << index : 0;
    QList<QVariant> &values = boundValues();
    if (type == QSql::In && (m_inputsBound & position) && index < values.size()) {
        values[index] = value;
        return;
    }
    QSqlResult::bindValue(index, value, type);
    if (type == QSql::In)
        m_inputsBound |= position;
    else
        m_inputsBound &= ~position;
}

bool QPsqlHaResult::onlyInputsBound(int count) const
{
    if (count <= 64) {
        const quint64 all = count == 64 ? ~quint64(0) : (quint64(1) << count) - 1;
        if ((m_inputsBound & all) == all)
            return true; // the usual case, known without asking Qt
    }
    for (int i = 0; i < count; ++i) {
        if (bindValueType(i) != QSql::In)
            return false;
    }
    return true;
}

void QPsqlHaResult::bindValue(const QString &placeholder, const QVariant &value,
                              QSql::ParamType type)
{
    // Makes the binding syntax named: positions go the full way again (which makes it
    // positional).
    m_inputsBound = 0;
    QSqlResult::bindValue(placeholder, value, type);
}

bool QPsqlHaResult::exec()
{
    if (!m_isPrepared)
        return false;
    const SessionUse::Scope use(sessionUse());
    if (use.refused())
        return refuseConcurrentUse();
    releaseCurrent();
    return runStatement(Session::Purpose::Execute);
}

QVariant QPsqlHaResult::handle() const
{
    const QSqlQuery *query = current();
    return query ? query->result()->handle() : QVariant();
}

// The application's QSqlQuery checked that this result is on a row: so is the node query's.
QVariant QPsqlHaResult::data(int field)
{
    return m_rows ? NodeRows::value(m_rows, field) : QVariant();
}

bool QPsqlHaResult::isNull(int field)
{
    return !m_rows || NodeRows::null(m_rows, field);
}

// The current node query did not move: past its last row, or failed (error: what it left, if
// known; a timeout's error after a node call).
bool QPsqlHaResult::moved(CallOutcome outcome, bool noRowDelivered, const QSqlError *failure)
{
    QSqlError error = failure ? *failure : current()->lastError();
    if (!error.isValid() && outcome.succeeded())
        return false; // past the last row
    Session *s = session();
    const int failedNode = m_current;
    if (outcome.succeeded()) {
        // The move failed without waiting (libpq had already seen the end): settled like any
        // other call on the node.
        NodeCall late = call(failedNode);
        outcome = late.finish(false, &error);
    }
    if (s
        && s->afterFetchFailure(failedNode, outcome, m_classification.isRead(), !noRowDelivered)
            == NextStep::RetryElsewhere) {
        // The node failed before the caller saw a row (QPSQL streams forward-only results): the
        // read can still run elsewhere, as if exec() had failed.
        {
            const NodeCall finishing = call(failedNode);
            m_nodes[failedNode].query->finish();
        }
        setCurrent(-1);
        if (!runStatement(Session::Purpose::Execute))
            return false;
        // Its first row is in hand (QPSQL's exec() waited for it). Not retried once more.
        return fetchRow(NodeRows::first, false, false);
    }
    setLastError(error);
    return false;
}

bool QPsqlHaResult::fetch(int row)
{
    return fetchRow([this, row](QSqlResult *) { return current()->seek(row); }, false, m_streaming);
}

bool QPsqlHaResult::fetchNext()
{
    return fetchRow(NodeRows::next, true, m_streaming);
}

bool QPsqlHaResult::fetchPrevious()
{
    return fetchRow([this](QSqlResult *) { return current()->previous(); }, false, m_streaming);
}

bool QPsqlHaResult::fetchFirst()
{
    // QSqlQuery::first() on the node query. Right after the statement ran, QPSQL holds the first
    // row of a streamed result already (its exec() waited for it, under the statement's node
    // call): only the check would be left, so that case is taken directly.
    if (m_rows && NodeRows::position(m_rows) == QSql::BeforeFirstRow)
        return fetchRow(NodeRows::first, true, false);
    return fetchRow([this](QSqlResult *) { return current()->first(); }, true, m_streaming);
}

bool QPsqlHaResult::fetchLast()
{
    return fetchRow([this](QSqlResult *) { return current()->last(); }, true, m_streaming);
}

int QPsqlHaResult::size()
{
    QSqlQuery *query = current();
    return query ? query->size() : -1;
}

int QPsqlHaResult::numRowsAffected()
{
    QSqlQuery *query = current();
    return query ? query->numRowsAffected() : -1;
}

QSqlRecord QPsqlHaResult::record() const
{
    const SessionUse::Scope use(sessionUse());
    if (use.refused())
        return QSqlRecord();
    const QSqlQuery *query = current();
    if (!query || !isActive())
        return QSqlRecord();
    // QSqlQuery::record() fills in the values of the node query's row, which need not be ours
    // (after seek(-1) it still is on its last row): QPSQL's record() has none. For a scrollable
    // result QPSQL asks the node's catalog for each field's table name: a blocking call.
    QSqlRecord record;
    {
        const NodeCall catalog = call(m_current);
        record = query->record();
    }
    record.clearValues();
    return record;
}

QVariant QPsqlHaResult::lastInsertId() const
{
    // QPSQL answers with SELECT lastval() on its own session: that must be the primary's.
    Session *s = session();
    // QPSQL has no error to give here either when its query fails: no value.
    const SessionUse::Scope use(s ? &s->use() : nullptr);
    if (use.refused())
        return QVariant();
    if (s && m_current == s->writeNode()) {
        const NodeCall lastval = call(m_current);
        return current()->lastInsertId();
    }
    QSqlError error;
    const QSharedPointer<QSqlDriver> primary
        = s ? s->primaryConnection(&error) : QSharedPointer<QSqlDriver>();
    if (!primary)
        return QVariant();
    const NodeCall lastval(s, s->writeNode(), primary.data());
    return QSqlQuery(primary->createResult()).lastInsertId();
}

void QPsqlHaResult::detachFromResultSet()
{
    const SessionUse::Scope use(sessionUse());
    if (use.refused()) {
        refuseConcurrentUse();
        return;
    }
    if (QSqlQuery *query = current()) {
        const NodeCall finishing = call(m_current);
        query->finish();
    }
}

bool QPsqlHaResult::nextResult()
{
    // QPSQL returns one result set per statement of a multi-statement string.
    const SessionUse::Scope use(sessionUse());
    if (use.refused())
        return refuseConcurrentUse();
    QSqlQuery *query = current();
    if (!query)
        return false;
    NodeCall nodeCall = call(m_current);
    const bool ok = query->nextResult();
    QSqlError error;
    if (!ok)
        error = query->lastError();
    nodeCall.finish(ok || !error.isValid(), &error);
    setAt(query->at());
    setSelect(query->isSelect());
    setActive(query->isActive());
    if (!ok && error.isValid())
        setLastError(error);
    return ok;
}

QT_END_NAMESPACE
