// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qsqlpsqlharesult_p.h"

#include "qsqlpsqlhadriver_p.h"

#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlrecord.h>

QT_BEGIN_NAMESPACE

using namespace QPsqlHa;

QPsqlHaResult::QPsqlHaResult(const QPsqlHaDriver *driver)
    : QSqlResult(driver)
{ }

QPsqlHaResult::~QPsqlHaResult() = default;

Session *QPsqlHaResult::session() const
{
    const auto *haDriver = static_cast<const QPsqlHaDriver *>(driver());
    return haDriver ? haDriver->session() : nullptr;
}

QSqlQuery *QPsqlHaResult::current()
{
    return m_current >= 0 ? &*m_nodes[m_current].query : nullptr;
}

const QSqlQuery *QPsqlHaResult::current() const
{
    return m_current >= 0 ? &*m_nodes[m_current].query : nullptr;
}

QSqlError QPsqlHaResult::run(int node, const QSharedPointer<QSqlDriver> &driver)
{
    NodeQuery &slot = m_nodes[node];
    if (slot.driver != driver) {
        // First use of this node, or its connection was re-created: start afresh there.
        slot.driver = driver;
        slot.query.emplace(driver->createResult());
        slot.prepared = false;
    }
    QSqlQuery &query = *slot.query;
    query.setForwardOnly(isForwardOnly());
    query.setNumericalPrecisionPolicy(numericalPrecisionPolicy());

    if (!m_isPrepared)
        return query.exec(m_sql) ? QSqlError() : query.lastError();

    // A prepared statement exists on one server connection: prepare it where it runs.
    if (!slot.prepared) {
        if (!query.prepare(m_sql))
            return query.lastError();
        slot.prepared = true;
    }
    if (m_purpose == Session::Purpose::Prepare)
        return QSqlError();
    const QList<QVariant> &values = boundValues();
    for (int i = 0; i < values.size(); ++i)
        query.bindValue(i, values.at(i), bindValueType(i));
    return query.exec() ? QSqlError() : query.lastError();
}

bool QPsqlHaResult::runStatement(Session::Purpose purpose)
{
    Session *s = session();
    if (!s)
        return false;
    if (m_nodes.size() != s->cluster().nodeCount())
        m_nodes.resize(s->cluster().nodeCount());
    m_purpose = purpose;
    if (purpose == Session::Purpose::Execute) {
        // Like QPSQL before it runs a statement: no current row, no result set.
        setAt(QSql::BeforeFirstRow);
        setActive(false);
    }
    int node = -1;
    const QSqlError error = s->execute(m_classification, m_sql, *this, purpose, &node);
    m_current = node >= 0 && error.type() == QSqlError::NoError ? node : -1;
    if (error.type() != QSqlError::NoError) {
        if (purpose == Session::Purpose::Execute)
            setSelect(false); // QPSQL's answer after a statement failed
        setLastError(error);
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
    // QPSQL keeps a result set until the next statement; let it go before running another.
    if (QSqlQuery *previous = current(); previous && previous->isActive())
        previous->finish();
    m_current = -1;
}

bool QPsqlHaResult::reset(const QString &query)
{
    releaseCurrent();
    m_sql = query;
    m_isPrepared = false;
    if (Session *s = session())
        m_classification = s->classify(m_sql);
    return runStatement(Session::Purpose::Execute);
}

bool QPsqlHaResult::prepare(const QString &query)
{
    // The route is decided once, from the statement as prepared; each exec() only picks a node.
    releaseCurrent();
    m_sql = query;
    m_isPrepared = true;
    for (NodeQuery &slot : m_nodes)
        slot = NodeQuery();
    if (Session *s = session())
        m_classification = s->classify(m_sql);
    return runStatement(Session::Purpose::Prepare);
}

bool QPsqlHaResult::exec()
{
    if (!m_isPrepared)
        return false;
    releaseCurrent();
    return runStatement(Session::Purpose::Execute);
}

QVariant QPsqlHaResult::handle() const
{
    const QSqlQuery *query = current();
    return query ? query->result()->handle() : QVariant();
}

QVariant QPsqlHaResult::data(int field)
{
    QSqlQuery *query = current();
    return query ? query->value(field) : QVariant();
}

bool QPsqlHaResult::isNull(int field)
{
    QSqlQuery *query = current();
    return !query || query->isNull(field);
}

bool QPsqlHaResult::moved(bool ok, bool noRowDelivered)
{
    if (ok) {
        setAt(current()->at());
        return true;
    }
    const QSqlError error = current()->lastError();
    if (error.type() == QSqlError::NoError)
        return false; // past the last row
    Session *s = session();
    const int failedNode = m_current;
    if (s && s->reportFetchFailure(failedNode, error, m_nodes[failedNode].driver.data())
        && noRowDelivered && m_classification.isRead() && !s->inTransaction()) {
        // The node died before the caller saw a row (QPSQL streams forward-only results):
        // the read can still run elsewhere, as if exec() had failed.
        m_nodes[failedNode].query->finish();
        m_current = -1;
        if (!runStatement(Session::Purpose::Execute))
            return false;
        return moved(current()->first(), false);
    }
    setLastError(error);
    return false;
}

bool QPsqlHaResult::fetch(int row)
{
    QSqlQuery *query = current();
    return query && moved(query->seek(row), false);
}

bool QPsqlHaResult::fetchNext()
{
    QSqlQuery *query = current();
    return query && moved(query->next(), at() == QSql::BeforeFirstRow);
}

bool QPsqlHaResult::fetchPrevious()
{
    QSqlQuery *query = current();
    return query && moved(query->previous(), false);
}

bool QPsqlHaResult::fetchFirst()
{
    QSqlQuery *query = current();
    return query && moved(query->first(), at() == QSql::BeforeFirstRow);
}

bool QPsqlHaResult::fetchLast()
{
    QSqlQuery *query = current();
    return query && moved(query->last(), at() == QSql::BeforeFirstRow);
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
    const QSqlQuery *query = current();
    if (!query || !isActive())
        return QSqlRecord();
    // QSqlQuery::record() fills in the values of the node query's row, which need not be ours
    // (after seek(-1) it still is on its last row): QPSQL's record() has none.
    QSqlRecord record = query->record();
    record.clearValues();
    return record;
}

QVariant QPsqlHaResult::lastInsertId() const
{
    // QPSQL answers with SELECT lastval() on its own session: that must be the primary's.
    if (m_current == Cluster::PrimaryIndex)
        return current()->lastInsertId();
    Session *s = session();
    QSqlError error;
    const QSharedPointer<QSqlDriver> primary
        = s ? s->primaryConnection(&error) : QSharedPointer<QSqlDriver>();
    if (!primary)
        return QVariant();
    return QSqlQuery(primary->createResult()).lastInsertId();
}

void QPsqlHaResult::detachFromResultSet()
{
    if (QSqlQuery *query = current())
        query->finish();
}

bool QPsqlHaResult::nextResult()
{
    // QPSQL returns one result set per statement of a multi-statement string.
    QSqlQuery *query = current();
    if (!query)
        return false;
    const bool ok = query->nextResult();
    setAt(query->at());
    setSelect(query->isSelect());
    setActive(query->isActive());
    if (!ok && query->lastError().isValid())
        setLastError(query->lastError());
    return ok;
}

QT_END_NAMESPACE
