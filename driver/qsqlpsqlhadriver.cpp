// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qsqlpsqlhadriver_p.h"

#include "qsqlpsqlharesult_p.h"

#include <qpsqlhacluster_p.h>
#include <qpsqlhaconnectoptions_p.h>
#include <qpsqlhacontrolserver_p.h>
#include <qpsqlhalogging_p.h>
#include <qpsqlhasession_p.h>

#include <QtSql/private/qsqldriver_p.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlindex.h>
#include <QtSql/qsqlrecord.h>

#include <memory>

QT_BEGIN_NAMESPACE

using namespace Qt::StringLiterals;
using namespace QPsqlHa;

class QPsqlHaDriverPrivate : public QSqlDriverPrivate
{
    Q_DECLARE_PUBLIC(QPsqlHaDriver)
public:
    // QSqlDriver::dbmsType() is not virtual: it reads this field.
    QPsqlHaDriverPrivate() { dbmsType = QSqlDriver::PostgreSQL; }

    // The connection that answers catalog and formatting questions, as QPSQL would.
    QSharedPointer<QSqlDriver> catalog(int *node = nullptr) const
    {
        return session ? session->catalogConnection(node) : QSharedPointer<QSqlDriver>();
    }

    std::unique_ptr<Session> session;
    // The driver whose notifications are forwarded (the primary's connection).
    QSharedPointer<QSqlDriver> notifier;
};

QPsqlHaDriver::QPsqlHaDriver(QObject *parent)
    : QSqlDriver(*new QPsqlHaDriverPrivate, parent)
{ }

QPsqlHaDriver::~QPsqlHaDriver()
{
    close();
}

Session *QPsqlHaDriver::session() const
{
    Q_D(const QPsqlHaDriver);
    return d->session.get();
}

bool QPsqlHaDriver::hasFeature(DriverFeature feature) const
{
    // What QPSQL answers against a server from this century.
    switch (feature) {
    case Transactions:
    case QuerySize:
    case LastInsertId:
    case LowPrecisionNumbers:
    case EventNotifications:
    case BLOB:
    case Unicode:
    case PreparedQueries:
    case PositionalPlaceholders:
    case MultipleResultSets:
        return true;
    case NamedPlaceholders:
    case BatchOperations:
    case SimpleLocking:
    case FinishQuery:
    case CancelQuery:
        return false;
    }
    return false;
}

bool QPsqlHaDriver::open(const QString &db, const QString &user, const QString &password,
                         const QString &host, int port, const QString &connectOptions)
{
    Q_D(QPsqlHaDriver);
    close();

    auto fail = [this](const QString &text, const QString &detail) {
        setLastError(QSqlError(text, detail, QSqlError::ConnectionError));
        setOpenError(true);
        return false;
    };

    ClusterSettings settings;
    QString problem;
    if (!parseConnectionParameters({host, port, db, user, password, connectOptions}, &settings,
                                   &problem))
        return fail(problem, QString());
    // A cluster defined through the C++ API brings its own nodes and credentials.
    ClusterSettings defined;
    if (ClusterRegistry::instance().definition(settings.name, &defined)) {
        defined.debug = defined.debug || settings.debug;
        defined.logQueries = settings.logQueries;
        defined.control = defined.control || settings.control;
        settings = defined;
    }
    if (settings.control || ControlServer::requestedByEnvironment()) {
        // Without the channel the application still works; operators get a warning.
        if (!ControlServer::instance().ensureRunning(&problem))
            qCWarning(lcControl).noquote() << "QPSQLHA: no control channel:" << problem;
    }
    const QSharedPointer<Cluster> cluster = ClusterRegistry::instance().acquire(settings, &problem);
    if (!cluster)
        return fail(problem, QString());

    auto session = std::make_unique<Session>(cluster, settings.logQueries);
    QSqlError error;
    if (!session->open(&error)) {
        setLastError(error);
        setOpenError(true);
        return false;
    }
    d->session = std::move(session);
    setOpen(true);
    setOpenError(false);
    return true;
}

void QPsqlHaDriver::close()
{
    Q_D(QPsqlHaDriver);
    if (d->notifier)
        disconnect(d->notifier.data(), nullptr, this, nullptr);
    d->notifier.reset();
    d->session.reset();
    setOpen(false);
    setOpenError(false);
}

QSqlResult *QPsqlHaDriver::createResult() const
{
    return new QPsqlHaResult(this);
}

bool QPsqlHaDriver::beginTransaction()
{
    Q_D(QPsqlHaDriver);
    QSqlError error;
    if (!d->session || !d->session->beginTransaction(&error)) {
        setLastError(error);
        return false;
    }
    return true;
}

bool QPsqlHaDriver::commitTransaction()
{
    Q_D(QPsqlHaDriver);
    QSqlError error;
    if (!d->session || !d->session->commitTransaction(&error)) {
        setLastError(error);
        return false;
    }
    return true;
}

bool QPsqlHaDriver::rollbackTransaction()
{
    Q_D(QPsqlHaDriver);
    QSqlError error;
    if (!d->session || !d->session->rollbackTransaction(&error)) {
        setLastError(error);
        return false;
    }
    return true;
}

QStringList QPsqlHaDriver::tables(QSql::TableType type) const
{
    Q_D(const QPsqlHaDriver);
    int node = -1;
    const QSharedPointer<QSqlDriver> driver = d->catalog(&node);
    if (!driver)
        return QStringList();
    // A catalog query waits for the server like any statement.
    const Session::Wait wait(d->session.get(), node, driver.data());
    return driver->tables(type);
}

QSqlIndex QPsqlHaDriver::primaryIndex(const QString &tableName) const
{
    Q_D(const QPsqlHaDriver);
    int node = -1;
    const QSharedPointer<QSqlDriver> driver = d->catalog(&node);
    if (!driver)
        return QSqlIndex();
    // A catalog query waits for the server like any statement.
    const Session::Wait wait(d->session.get(), node, driver.data());
    return driver->primaryIndex(tableName);
}

QSqlRecord QPsqlHaDriver::record(const QString &tableName) const
{
    Q_D(const QPsqlHaDriver);
    int node = -1;
    const QSharedPointer<QSqlDriver> driver = d->catalog(&node);
    if (!driver)
        return QSqlRecord();
    // A catalog query waits for the server like any statement.
    const Session::Wait wait(d->session.get(), node, driver.data());
    return driver->record(tableName);
}

QString QPsqlHaDriver::formatValue(const QSqlField &field, bool trimStrings) const
{
    Q_D(const QPsqlHaDriver);
    const QSharedPointer<QSqlDriver> driver = d->catalog();
    return driver ? driver->formatValue(field, trimStrings)
                  : QSqlDriver::formatValue(field, trimStrings);
}

QString QPsqlHaDriver::escapeIdentifier(const QString &identifier, IdentifierType type) const
{
    Q_D(const QPsqlHaDriver);
    const QSharedPointer<QSqlDriver> driver = d->catalog();
    return driver ? driver->escapeIdentifier(identifier, type)
                  : QSqlDriver::escapeIdentifier(identifier, type);
}

bool QPsqlHaDriver::isIdentifierEscaped(const QString &identifier, IdentifierType type) const
{
    Q_D(const QPsqlHaDriver);
    const QSharedPointer<QSqlDriver> driver = d->catalog();
    return driver ? driver->isIdentifierEscaped(identifier, type)
                  : QSqlDriver::isIdentifierEscaped(identifier, type);
}

int QPsqlHaDriver::maximumIdentifierLength(IdentifierType type) const
{
    Q_D(const QPsqlHaDriver);
    const QSharedPointer<QSqlDriver> driver = d->catalog();
    return driver ? driver->maximumIdentifierLength(type)
                  : QSqlDriver::maximumIdentifierLength(type);
}

QVariant QPsqlHaDriver::handle() const
{
    // The primary's PGconn*, as QPSQL would hand out.
    Q_D(const QPsqlHaDriver);
    const QSharedPointer<QSqlDriver> driver = d->catalog();
    return driver ? driver->handle() : QVariant();
}

bool QPsqlHaDriver::subscribeToNotification(const QString &name)
{
    Q_D(QPsqlHaDriver);
    QSqlError error;
    const QSharedPointer<QSqlDriver> primary
        = d->session ? d->session->primaryConnection(&error) : QSharedPointer<QSqlDriver>();
    if (!primary) {
        setLastError(error);
        return false;
    }
    if (d->notifier != primary) {
        if (d->notifier)
            disconnect(d->notifier.data(), nullptr, this, nullptr);
        d->notifier = primary;
        connect(primary.data(), &QSqlDriver::notification, this, &QSqlDriver::notification);
    }
    if (!primary->subscribeToNotification(name)) {
        setLastError(primary->lastError());
        return false;
    }
    return true;
}

bool QPsqlHaDriver::unsubscribeFromNotification(const QString &name)
{
    Q_D(QPsqlHaDriver);
    if (!d->notifier)
        return false;
    if (!d->notifier->unsubscribeFromNotification(name)) {
        setLastError(d->notifier->lastError());
        return false;
    }
    return true;
}

QStringList QPsqlHaDriver::subscribedToNotifications() const
{
    Q_D(const QPsqlHaDriver);
    return d->notifier ? d->notifier->subscribedToNotifications() : QStringList();
}

QT_END_NAMESPACE
