// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QSQLPSQLHADRIVER_P_H
#define QSQLPSQLHADRIVER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <QtSql/qsqldriver.h>

namespace QPsqlHa {
class Session;
}

QT_BEGIN_NAMESPACE

class QPsqlHaDriverPrivate;

// The QPSQLHA driver: one logical connection over a primary and its readers. It answers like
// QPSQL (dbmsType() is PostgreSQL, so QSqlQuery parses placeholders the PostgreSQL way) and
// forwards everything to QPSQL connections that the core's Session picks.
class QPsqlHaDriver : public QSqlDriver
{
    Q_OBJECT
    Q_DECLARE_PRIVATE(QPsqlHaDriver)

public:
    explicit QPsqlHaDriver(QObject *parent = nullptr);
    ~QPsqlHaDriver() override;

    bool hasFeature(DriverFeature feature) const override;
    bool open(const QString &db, const QString &user, const QString &password, const QString &host,
              int port, const QString &connectOptions) override;
    void close() override;
    QSqlResult *createResult() const override;

    bool beginTransaction() override;
    bool commitTransaction() override;
    bool rollbackTransaction() override;

    QStringList tables(QSql::TableType type) const override;
    QSqlIndex primaryIndex(const QString &tableName) const override;
    QSqlRecord record(const QString &tableName) const override;
    QString formatValue(const QSqlField &field, bool trimStrings) const override;
    QString escapeIdentifier(const QString &identifier, IdentifierType type) const override;
    bool isIdentifierEscaped(const QString &identifier, IdentifierType type) const override;
    int maximumIdentifierLength(IdentifierType type) const override;
    QVariant handle() const override;

    bool subscribeToNotification(const QString &name) override;
    bool unsubscribeFromNotification(const QString &name) override;
    QStringList subscribedToNotifications() const override;

    QPsqlHa::Session *session() const;

private:
    bool transactionCommand(bool (QPsqlHa::Session::*command)(QSqlError *));
};

QT_END_NAMESPACE

#endif // QSQLPSQLHADRIVER_P_H
