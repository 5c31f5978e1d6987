// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QSQLPSQLHARESULT_P_H
#define QSQLPSQLHARESULT_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhasession_p.h>

#include <QtCore/qvarlengtharray.h>
#include <QtSql/qsqlquery.h>
#include <QtSql/qsqlresult.h>
#include <optional>

QT_BEGIN_NAMESPACE

class QPsqlHaDriver;

// A QSqlResult that runs each statement through the session (which node, retries) and then
// reads rows, values, sizes and errors straight from the QPSQL query that ran it.
class QPsqlHaResult : public QSqlResult, private QPsqlHa::StatementAttempt
{
public:
    explicit QPsqlHaResult(const QPsqlHaDriver *driver);
    ~QPsqlHaResult() override;

    QVariant handle() const override;

protected:
    bool reset(const QString &query) override;
    bool prepare(const QString &query) override;
    bool exec() override;
    void bindValue(int index, const QVariant &value, QSql::ParamType type) override;
    void bindValue(const QString &placeholder, const QVariant &value,
                   QSql::ParamType type) override;

    QVariant data(int field) override;
    bool isNull(int field) override;
    bool fetch(int row) override;
    bool fetchNext() override;
    bool fetchPrevious() override;
    bool fetchFirst() override;
    bool fetchLast() override;
    int size() override;
    int numRowsAffected() override;
    QSqlRecord record() const override;
    QVariant lastInsertId() const override;
    void detachFromResultSet() override;
    bool nextResult() override;

private:
    // The QPSQL query used on one node, kept so a prepared statement stays prepared there.
    struct NodeQuery
    {
        QSharedPointer<QSqlDriver> driver;
        PGconn *connection = nullptr; // driver's libpq connection: is a streamed row waiting?
        std::optional<QSqlQuery> query; // engaged on first use of the node
        bool prepared = false;
        // Every position was bound once, all as QSql::In, since the prepare: later executions
        // only copy the values (see run()).
        bool bound = false;
    };

    void beforeRun(int node) override;
    bool run(int node, const QSharedPointer<QSqlDriver> &driver, QSqlError *error) override;
    const QList<QVariant> *preparedValues() const override;
    // Whether positions 0..count-1 are all bound as inputs (QSql::In).
    bool onlyInputsBound(int count) const;
    bool takeStatement(const QString &query, QPsqlHa::Session::Purpose purpose);
    bool runStatement(QPsqlHa::Session::Purpose purpose);
    void classify(QPsqlHa::Session *session, const QString &sql);
    QSqlQuery *current() { return m_current >= 0 ? &*m_nodes[m_current].query : nullptr; }
    const QSqlQuery *current() const
    {
        return m_current >= 0 ? &*m_nodes[m_current].query : nullptr;
    }
    void setCurrent(int node);
    bool moved(QPsqlHa::CallOutcome outcome, bool noRowDelivered, const QSqlError *failure);
    QPsqlHa::NodeCall call(int node) const;
    template<typename Move> bool fetchRow(Move move, bool fromStart, bool mayWait);
    template<typename Move> bool fetchRowWaiting(Move move, bool fromStart);
    void releaseCurrent();
    void finishPrevious();
    static QList<QVariant> &boundValuesOf(const QSqlResult *result);

    QPsqlHa::Session *session() const;
    QPsqlHa::SessionUse *sessionUse() const;
    bool refuseConcurrentUse();

    QVarLengthArray<NodeQuery, 4> m_nodes;
    QPsqlHa::Classification m_classification;
    // The classifier that produced m_classification for m_sql: running the same text again
    // (a loop over exec(sql), prepare() of the same statement) does not classify it again.
    // Clusters live as long as the process, so the address identifies the classifier.
    const QPsqlHa::StatementClassifier *m_classifiedBy = nullptr;
    bool m_classifiedStandardStrings = true; // ...with standard_conforming_strings on or off
    QString m_sql; // what the node queries run (placeholders already as '?')
    // Reused for every statement: in Qt 6.4 each QSqlError allocates, so the statement path
    // builds one only when something failed.
    QSqlError m_error;
    bool m_isPrepared = false;
    // Positions (below 64) bound as inputs, by position, since the statement was prepared or
    // run: binding one of them again only replaces its value (see bindValue()).
    quint64 m_inputsBound = 0;
    QPsqlHa::Session::Purpose m_purpose = QPsqlHa::Session::Purpose::Execute;
    int m_current = -1; // the node whose query holds the current result
    // ...and that query's QPSQL result (null without one): rows and values are read from it
    // directly (see NodeRows in the .cpp).
    QSqlResult *m_rows = nullptr;
    // The current result streams from its node (forward-only: QPSQL's single-row mode), so a
    // move to the next row may wait for the server.
    bool m_streaming = false;
    // The node whose query held the previous result and was not finished yet: QPSQL cleans up
    // by itself when that query runs again, so it is only finished when the next statement
    // runs elsewhere (or nowhere).
    int m_previous = -1;
};

QT_END_NAMESPACE

#endif // QSQLPSQLHARESULT_P_H
