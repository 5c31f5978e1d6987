// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qsqlpsqlhadriver_p.h"

#include "qsqlpsqlharesult_p.h"

#include <qpsqlhacluster_p.h>
#include <qpsqlhaconnectoptions_p.h>
#include <qpsqlhacontrolprotocol_p.h>
#include <qpsqlhacontrolrequests_p.h>
#include <qpsqlhacontrolserver_p.h>
#include <qpsqlhafleet_p.h>
#include <qpsqlhalogging_p.h>
#include <qpsqlhanodeconnection_p.h>
#include <qpsqlhasession_p.h>

#include <QtCore/qjsondocument.h>
#include <QtCore/qtimer.h>

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

    // Which thread is inside the session (null without one): every call that may use a node's
    // connection enters first, and a second thread is turned away (SessionUse).
    SessionUse *use() const { return session ? &session->use() : nullptr; }
    // For calls with no error to report: the caller gets an empty answer and this warning.
    static void warnConcurrentUse(const char *call)
    {
        qCWarning(lcRouting).noquote() << call << "refused:" << SessionUse::busyError().text();
    }

    // A catalog question (tables(), primaryIndex(), record(table)) to the catalog connection,
    // as one node call: it waits for the server like any statement. Like QPSQL, whose catalog
    // query fails without an error to report, a question that cannot be asked gets `Answer()`.
    template<typename Answer, typename Ask> Answer askCatalog(const char *call, Ask ask) const
    {
        const SessionUse::Scope entered(use());
        if (entered.refused()) {
            warnConcurrentUse(call);
            return Answer();
        }
        int node = -1;
        const QSharedPointer<QSqlDriver> driver = catalog(&node);
        if (!driver)
            return Answer();
        const NodeCall question(session.get(), node, driver.data());
        return ask(driver.data());
    }

    // A question the catalog connection answers without the server (formatting, identifier
    // rules, the handle), so not a node call. Without a connection the answer is `fallback()`,
    // QSqlDriver's own; refused, an empty `Answer()` or that same fallback, and a warning.
    enum class WhenRefused { Empty, Fallback };
    template<typename Ask, typename Fallback>
    auto askConnection(const char *call, WhenRefused whenRefused, Ask ask, Fallback fallback) const
        -> decltype(fallback())
    {
        const SessionUse::Scope entered(use());
        if (entered.refused()) {
            warnConcurrentUse(call);
            return whenRefused == WhenRefused::Empty ? decltype(fallback())() : fallback();
        }
        const QSharedPointer<QSqlDriver> driver = catalog();
        return driver ? ask(driver.data()) : fallback();
    }

    void attachNotifier(const QSharedPointer<QSqlDriver> &driver);
    void detachNotifier();
    void primaryConnected(const QSharedPointer<QSqlDriver> &driver);
    void watchNotifier();

    std::unique_ptr<Session> session;
    // The driver whose notifications are forwarded (the primary's connection).
    QSharedPointer<QSqlDriver> notifier;
    // What the application subscribed to, subscribed again on every new primary connection.
    QStringList subscriptions;
    // While there are subscriptions: notices a primary connection that broke while the
    // application only listens, and makes a new one.
    QTimer *notifierWatch = nullptr;
};

void QPsqlHaDriverPrivate::attachNotifier(const QSharedPointer<QSqlDriver> &driver)
{
    Q_Q(QPsqlHaDriver);
    if (notifier == driver)
        return;
    detachNotifier();
    notifier = driver;
    QObject::connect(driver.data(), &QSqlDriver::notification, q, &QSqlDriver::notification);
}

void QPsqlHaDriverPrivate::detachNotifier()
{
    Q_Q(QPsqlHaDriver);
    if (notifier)
        QObject::disconnect(notifier.data(), nullptr, q, nullptr);
    notifier.reset();
}

void QPsqlHaDriverPrivate::primaryConnected(const QSharedPointer<QSqlDriver> &driver)
{
    if (subscriptions.isEmpty())
        return;
    attachNotifier(driver);
    for (const QString &name : std::as_const(subscriptions)) {
        if (!driver->subscribeToNotification(name)) {
            qCWarning(lcRouting).noquote()
                << "could not subscribe again to notification" << name
                << "on the new primary connection:" << driver->lastError().text();
        }
    }
}

void QPsqlHaDriverPrivate::watchNotifier()
{
    if (!session || subscriptions.isEmpty()) {
        notifierWatch->stop();
        return;
    }
    // Another thread is inside the session: look again on the next tick.
    const SessionUse::Scope scope(use());
    if (scope.refused())
        return;
    // A transaction keeps its connection; the next statement reports the loss.
    if (session->inTransaction())
        return;
    if (notifier && !isConnectionBroken(nativeConnection(notifier.data())))
        return;
    // Let go of the dead connection now: its socket notifier has nothing more to say.
    detachNotifier();
    // While the primary is marked failed the health checker probes it from its own thread; a
    // connection attempt here would block the application's thread up to connect_timeout on
    // every tick.
    if (session->cluster().primary().state() == NodeState::Failed)
        return;
    QSqlError ignored;
    const QSharedPointer<QSqlDriver> primary = session->primaryConnection(&ignored);
    // A new connection was subscribed by primaryConnected() already; one that existed before
    // (a reader promoted to primary that this connection had used) is subscribed here.
    if (primary && primary != notifier)
        primaryConnected(primary);
}

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

namespace {

// What a fleet heartbeat carries: the process as `qpsqlha-ctl list --json` shows it.
QByteArray fleetHeartbeatStatus()
{
    return QJsonDocument(ControlProtocol::processToJson(currentProcessStatus()))
        .toJson(QJsonDocument::Compact);
}

} // namespace

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
        defined.logQueries = defined.logQueries || settings.logQueries;
        defined.control = defined.control || settings.control;
        defined.fleet = defined.fleet || settings.fleet;
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

    if (fleetEnabledFor(cluster->settings())) {
        // Before the session connects: a node the fleet has offline is not even connected to.
        Fleet::instance().setStatusProvider(&fleetHeartbeatStatus);
        Fleet::instance().attach(cluster);
    }

    auto session = std::make_unique<Session>(cluster, settings.logQueries);
    session->setPrimaryConnectedHandler(
        [d](const QSharedPointer<QSqlDriver> &driver) { d->primaryConnected(driver); });
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
    if (d->notifierWatch)
        d->notifierWatch->stop();
    d->detachNotifier();
    d->subscriptions.clear();
    d->session.reset();
    setOpen(false);
    setOpenError(false);
}

QSqlResult *QPsqlHaDriver::createResult() const
{
    return new QPsqlHaResult(this);
}

// QSqlDatabase::transaction(), commit() and rollback(): on the primary, through the session.
bool QPsqlHaDriver::transactionCommand(bool (Session::*command)(QSqlError *))
{
    Q_D(QPsqlHaDriver);
    const SessionUse::Scope use(d->use());
    if (use.refused()) {
        setLastError(SessionUse::busyError(QSqlError::TransactionError));
        return false;
    }
    QSqlError error;
    if (!d->session || !(d->session.get()->*command)(&error)) {
        setLastError(error);
        return false;
    }
    return true;
}

bool QPsqlHaDriver::beginTransaction()
{
    return transactionCommand(&Session::beginTransaction);
}

bool QPsqlHaDriver::commitTransaction()
{
    return transactionCommand(&Session::commitTransaction);
}

bool QPsqlHaDriver::rollbackTransaction()
{
    return transactionCommand(&Session::rollbackTransaction);
}

QStringList QPsqlHaDriver::tables(QSql::TableType type) const
{
    Q_D(const QPsqlHaDriver);
    return d->askCatalog<QStringList>("tables()",
                                      [type](QSqlDriver *driver) { return driver->tables(type); });
}

QSqlIndex QPsqlHaDriver::primaryIndex(const QString &tableName) const
{
    Q_D(const QPsqlHaDriver);
    return d->askCatalog<QSqlIndex>("primaryIndex()", [&tableName](QSqlDriver *driver) {
        return driver->primaryIndex(tableName);
    });
}

QSqlRecord QPsqlHaDriver::record(const QString &tableName) const
{
    Q_D(const QPsqlHaDriver);
    return d->askCatalog<QSqlRecord>(
        "record()", [&tableName](QSqlDriver *driver) { return driver->record(tableName); });
}

QString QPsqlHaDriver::formatValue(const QSqlField &field, bool trimStrings) const
{
    Q_D(const QPsqlHaDriver);
    // Refused: no text at all rather than one formatted without the connection's rules: the
    // statement it goes into fails instead of meaning something else.
    return d->askConnection(
        "formatValue()", QPsqlHaDriverPrivate::WhenRefused::Empty,
        [&](QSqlDriver *driver) { return driver->formatValue(field, trimStrings); },
        [&] { return QSqlDriver::formatValue(field, trimStrings); });
}

QString QPsqlHaDriver::escapeIdentifier(const QString &identifier, IdentifierType type) const
{
    Q_D(const QPsqlHaDriver);
    // Refused: not the identifier unescaped (QSqlDriver's answer): the statement must fail, not
    // change.
    return d->askConnection(
        "escapeIdentifier()", QPsqlHaDriverPrivate::WhenRefused::Empty,
        [&](QSqlDriver *driver) { return driver->escapeIdentifier(identifier, type); },
        [&] { return QSqlDriver::escapeIdentifier(identifier, type); });
}

bool QPsqlHaDriver::isIdentifierEscaped(const QString &identifier, IdentifierType type) const
{
    Q_D(const QPsqlHaDriver);
    return d->askConnection(
        "isIdentifierEscaped()", QPsqlHaDriverPrivate::WhenRefused::Fallback,
        [&](QSqlDriver *driver) { return driver->isIdentifierEscaped(identifier, type); },
        [&] { return QSqlDriver::isIdentifierEscaped(identifier, type); });
}

int QPsqlHaDriver::maximumIdentifierLength(IdentifierType type) const
{
    Q_D(const QPsqlHaDriver);
    return d->askConnection(
        "maximumIdentifierLength()", QPsqlHaDriverPrivate::WhenRefused::Fallback,
        [&](QSqlDriver *driver) { return driver->maximumIdentifierLength(type); },
        [&] { return QSqlDriver::maximumIdentifierLength(type); });
}

QVariant QPsqlHaDriver::handle() const
{
    // The primary's PGconn*, as QPSQL would hand out.
    Q_D(const QPsqlHaDriver);
    return d->askConnection(
        "handle()", QPsqlHaDriverPrivate::WhenRefused::Empty,
        [](QSqlDriver *driver) { return driver->handle(); }, [] { return QVariant(); });
}

bool QPsqlHaDriver::subscribeToNotification(const QString &name)
{
    Q_D(QPsqlHaDriver);
    const SessionUse::Scope use(d->use());
    if (use.refused()) {
        setLastError(SessionUse::busyError());
        return false;
    }
    QSqlError error;
    const QSharedPointer<QSqlDriver> primary
        = d->session ? d->session->primaryConnection(&error) : QSharedPointer<QSqlDriver>();
    if (!primary) {
        setLastError(error);
        return false;
    }
    d->attachNotifier(primary);
    if (!primary->subscribeToNotification(name)) {
        setLastError(primary->lastError());
        return false;
    }
    d->subscriptions.append(name);
    if (!d->notifierWatch) {
        d->notifierWatch = new QTimer(this);
        connect(d->notifierWatch, &QTimer::timeout, this, [d] { d->watchNotifier(); });
    }
    if (!d->notifierWatch->isActive())
        d->notifierWatch->start(d->session->cluster().settings().healthIntervalMs);
    return true;
}

bool QPsqlHaDriver::unsubscribeFromNotification(const QString &name)
{
    Q_D(QPsqlHaDriver);
    const SessionUse::Scope use(d->use());
    if (use.refused()) {
        setLastError(SessionUse::busyError());
        return false;
    }
    // Whatever the server says, the application no longer wants it on a new connection.
    const bool subscribed = d->subscriptions.removeAll(name) > 0;
    if (d->subscriptions.isEmpty() && d->notifierWatch)
        d->notifierWatch->stop();
    if (!d->notifier)
        return subscribed;
    if (!d->notifier->unsubscribeFromNotification(name)) {
        setLastError(d->notifier->lastError());
        return false;
    }
    return true;
}

QStringList QPsqlHaDriver::subscribedToNotifications() const
{
    Q_D(const QPsqlHaDriver);
    return d->subscriptions;
}

QT_END_NAMESPACE
