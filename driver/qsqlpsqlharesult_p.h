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
        std::optional<QSqlQuery> query; // engaged on first use of the node
        bool prepared = false;
    };

    QSqlError run(int node, const QSharedPointer<QSqlDriver> &driver) override;
    bool runStatement(QPsqlHa::Session::Purpose purpose);
    QSqlQuery *current();
    const QSqlQuery *current() const;
    bool moved(bool ok, bool noRowDelivered);
    void releaseCurrent();

    QPsqlHa::Session *session() const;

    QVarLengthArray<NodeQuery, 4> m_nodes;
    QPsqlHa::Classification m_classification;
    QString m_sql; // what the node queries run (placeholders already as '?')
    bool m_isPrepared = false;
    QPsqlHa::Session::Purpose m_purpose = QPsqlHa::Session::Purpose::Execute;
    int m_current = -1; // the node whose query holds the current result
};

QT_END_NAMESPACE

#endif // QSQLPSQLHARESULT_P_H
