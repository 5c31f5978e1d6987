// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// qpsqlha-fleet: the PostgreSQL side of `qpsqlha-ctl fleet` (docs/fleet.md). It creates and
// upgrades the fleet schema, lists the instances from their heartbeats with the admin state,
// changes the admin state and watches its changes. qpsqlha-ctl runs it (the operators' tools
// themselves link no libpq); it can be run directly too. The conninfo and any password in it are
// never printed: passwords come from libpq's usual places (~/.pgpass, PGPASSWORD).

#include "fleetschema.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <libpq-fe.h>
#include <poll.h>

#include <csignal>
#include <cstdio>

using namespace Qt::StringLiterals;
using namespace QPsqlHaFleet;

namespace {

enum ExitCode { ExitSuccess = 0, ExitFailure = 1, ExitUsage = 2 };

volatile std::sig_atomic_t g_stop = 0;

void onSignal(int)
{
    g_stop = 1;
}

void out(const QString &text)
{
    const QByteArray bytes = text.toUtf8() + '\n';
    fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    fflush(stdout);
}

void err(const QString &text)
{
    const QByteArray bytes = u"qpsqlha-fleet: "_s.toUtf8() + text.toUtf8() + '\n';
    fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    fflush(stderr);
}

int usage(const QString &message)
{
    err(message);
    err(u"usage: qpsqlha-fleet init|list|offline|drain|online|watch --conninfo CONNINFO "
        "[--schema NAME] [--json] [--reason TEXT] [--count N] [CLUSTER HOST:PORT]"_s);
    return ExitUsage;
}

QString pqError(PGconn *connection)
{
    return QString::fromUtf8(PQerrorMessage(connection)).trimmed();
}

// A libpq connection for the command's life.
class Connection
{
public:
    ~Connection()
    {
        if (m_connection)
            PQfinish(m_connection);
    }

    bool open(const QString &conninfo)
    {
        // Our defaults first: whatever the conninfo says wins (expand_dbname).
        const QByteArray info = conninfo.toUtf8();
        const char *keywords[]
            = {"fallback_application_name", "connect_timeout", "dbname", nullptr};
        const char *values[] = {"qpsqlha-fleet", "10", info.constData(), nullptr};
        m_connection = PQconnectdbParams(keywords, values, 1);
        if (!m_connection || PQstatus(m_connection) != CONNECTION_OK) {
            // libpq's message names the server and the reason, never the password.
            err(u"cannot connect: "_s
                + (m_connection ? pqError(m_connection) : u"out of memory"_s));
            return false;
        }
        return true;
    }

    // Runs one statement; the first column of each row. False (and an error printed) on failure.
    bool exec(const QString &sql, const QList<QByteArray> &parameters = {},
              QList<QByteArray> *column = nullptr, QByteArray *sqlState = nullptr)
    {
        const QByteArray text = sql.toUtf8();
        std::vector<const char *> values;
        for (const QByteArray &parameter : parameters)
            values.push_back(parameter.constData()); // "" for a null QByteArray: never NULL
        PGresult *result = PQexecParams(m_connection, text.constData(), int(values.size()), nullptr,
                                        values.data(), nullptr, nullptr, 0);
        const ExecStatusType status = PQresultStatus(result);
        const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
        if (!ok) {
            if (sqlState)
                *sqlState = QByteArray(PQresultErrorField(result, PG_DIAG_SQLSTATE));
            else
                err(QString::fromUtf8(PQresultErrorMessage(result)).trimmed());
        } else if (column) {
            for (int row = 0; row < PQntuples(result); ++row)
                column->append(QByteArray(PQgetvalue(result, row, 0)));
        }
        PQclear(result);
        return ok;
    }

    PGconn *handle() const { return m_connection; }

private:
    PGconn *m_connection = nullptr;
};

struct Options
{
    QString command;
    QString conninfo;
    QString schema = u"qpsqlha"_s;
    bool json = false;
    QString reason;
    int count = 0;
    QString cluster;
    QString node;
};

// The schema's version, 0 when there is none.
int schemaVersion(Connection &connection, const QString &schema)
{
    QList<QByteArray> values;
    QByteArray state;
    if (!connection.exec(u"SELECT value FROM %1.meta WHERE key = 'version'"_s.arg(quoted(schema)),
                         {}, &values, &state)) {
        return 0;
    }
    return values.isEmpty() ? 0 : values.first().toInt();
}

int runInit(Connection &connection, const Options &options)
{
    const int before = schemaVersion(connection, options.schema);
    if (before > SchemaVersion) {
        err(u"schema %1 is at version %2, newer than this tool's %3"_s.arg(options.schema)
                .arg(before)
                .arg(SchemaVersion));
        return ExitFailure;
    }
    if (!connection.exec(u"BEGIN"_s))
        return ExitFailure;
    for (const QString &statement : initStatements(options.schema)) {
        if (!connection.exec(statement)) {
            connection.exec(u"ROLLBACK"_s);
            return ExitFailure;
        }
    }
    if (!connection.exec(u"COMMIT"_s))
        return ExitFailure;
    const QString what = before == 0 ? u"created"_s
        : before < SchemaVersion     ? u"upgraded from version %1"_s.arg(before)
                                     : u"up to date"_s;
    if (options.json) {
        out(QString::fromUtf8(QJsonDocument(QJsonObject {{u"schema"_s, options.schema},
                                                         {u"version"_s, SchemaVersion},
                                                         {u"previous"_s, before}})
                                  .toJson(QJsonDocument::Compact)));
    } else {
        out(u"fleet schema %1: version %2 (%3)"_s.arg(options.schema).arg(SchemaVersion).arg(what));
    }
    return ExitSuccess;
}

// Everything `list` shows, as one JSON object built by the server.
QString listQuery(const QString &schema)
{
    const QString s = quoted(schema);
    return uR"(SELECT json_build_object(
  'schema', $1::text,
  'version', (SELECT value::int FROM %1.meta WHERE key = 'version'),
  'now', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'admin', coalesce((SELECT json_agg(json_build_object(
      'cluster', cluster, 'node', node, 'state', state, 'reason', reason, 'by', changed_by,
      'at', to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      ORDER BY cluster, node) FROM %1.admin_state), '[]'::json),
  'instances', coalesce((SELECT json_agg(json_build_object(
      'id', id, 'host', host, 'pid', pid, 'application', application,
      'startedAt', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'heartbeatAt', to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'heartbeatMs', heartbeat_ms,
      'ageMs', (extract(epoch FROM now() - heartbeat_at) * 1000)::bigint,
      'gone', now() - heartbeat_at > 3 * heartbeat_ms * interval '1 millisecond',
      'status', status) ORDER BY host, pid, id) FROM %1.instances), '[]'::json)))"_s.arg(s);
}

QString nodeLine(const QJsonObject &node)
{
    QString text = u"%1 %2 %3"_s.arg(node[u"address"_s].toString(), node[u"role"_s].toString(),
                                     node[u"state"_s].toString());
    if (node[u"offlineByHand"_s].toBool())
        text += u" (by hand)"_s;
    const QString admin = node[u"fleet"_s][u"admin"_s].toString();
    if (!admin.isEmpty() && admin != "online"_L1)
        text += u" (fleet: %1)"_s.arg(admin);
    if (node[u"lagBytes"_s].toDouble(-1) >= 0)
        text += u", lag %1 B"_s.arg(qint64(node[u"lagBytes"_s].toDouble()));
    text += u", queries %1"_s.arg(qint64(node[u"queries"_s].toDouble()));
    return text;
}

int runList(Connection &connection, const Options &options)
{
    QList<QByteArray> values;
    if (!connection.exec(listQuery(options.schema), {options.schema.toUtf8()}, &values))
        return ExitFailure;
    if (options.json) {
        out(QString::fromUtf8(values.value(0)));
        return ExitSuccess;
    }
    const QJsonObject list = QJsonDocument::fromJson(values.value(0)).object();
    out(u"Admin state (schema %1, version %2):"_s.arg(options.schema)
            .arg(list[u"version"_s].toInt()));
    const QJsonArray admin = list[u"admin"_s].toArray();
    if (admin.isEmpty())
        out(u"  (every node online)"_s);
    for (const QJsonValue &row : admin) {
        out(u"  %1 %2: %3%4 (by %5 at %6)"_s.arg(
            row[u"cluster"_s].toString(), row[u"node"_s].toString(), row[u"state"_s].toString(),
            row[u"reason"_s].toString().isEmpty() ? QString()
                                                  : u" - "_s + row[u"reason"_s].toString(),
            row[u"by"_s].toString(), row[u"at"_s].toString()));
    }
    const QJsonArray instances = list[u"instances"_s].toArray();
    out(u"Instances: %1"_s.arg(instances.size()));
    for (const QJsonValue &instance : instances) {
        out(u"  %1 pid %2 %3: heartbeat %4 ms ago%5%6"_s.arg(instance[u"host"_s].toString())
                .arg(qint64(instance[u"pid"_s].toDouble()))
                .arg(instance[u"application"_s].toString())
                .arg(qint64(instance[u"ageMs"_s].toDouble()))
                .arg(instance[u"gone"_s].toBool() ? u" (gone)"_s : QString())
                .arg(instance[u"status"_s][u"fleet"_s].toString().isEmpty()
                         ? QString()
                         : u", "_s + instance[u"status"_s][u"fleet"_s].toString()));
        for (const QJsonValue &cluster : instance[u"status"_s][u"clusters"_s].toArray()) {
            out(u"    cluster %1"_s.arg(cluster[u"name"_s].toString()));
            for (const QJsonValue &node : cluster[u"nodes"_s].toArray())
                out(u"      "_s + nodeLine(node.toObject()));
        }
    }
    return ExitSuccess;
}

int runSetState(Connection &connection, const Options &options)
{
    const QString state = options.command == "drain"_L1 ? u"drained"_s : options.command;
    const QString s = quoted(options.schema);
    QList<QByteArray> values;
    if (!connection.exec(
            u"INSERT INTO %1.admin_state (cluster, node, state, reason) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (cluster, node) DO UPDATE SET state = EXCLUDED.state, "
            "reason = EXCLUDED.reason RETURNING changed_by"_s.arg(s),
            {options.cluster.toUtf8(), options.node.toUtf8(), state.toUtf8(),
             options.reason.toUtf8()},
            &values)) {
        return ExitFailure;
    }
    const QString by = QString::fromUtf8(values.value(0));
    // How many live instances list that node: the reach of the change.
    values.clear();
    connection.exec(u"SELECT count(*) FROM %1.instances i WHERE now() - heartbeat_at <= "
                    "3 * heartbeat_ms * interval '1 millisecond' AND EXISTS (SELECT FROM "
                    "jsonb_array_elements(i.status->'clusters') c, "
                    "jsonb_array_elements(c->'nodes') n WHERE c->>'name' = $1 AND "
                    "n->>'address' = $2)"_s.arg(s),
                    {options.cluster.toUtf8(), options.node.toUtf8()}, &values);
    const int instances = values.value(0).toInt();
    if (options.json) {
        out(QString::fromUtf8(QJsonDocument(QJsonObject {{u"cluster"_s, options.cluster},
                                                         {u"node"_s, options.node},
                                                         {u"state"_s, state},
                                                         {u"reason"_s, options.reason},
                                                         {u"by"_s, by},
                                                         {u"instances"_s, instances}})
                                  .toJson(QJsonDocument::Compact)));
    } else {
        out(u"%1 %2: %3 (by %4; %5 live instance(s) list it)"_s
                .arg(options.cluster, options.node, state, by)
                .arg(instances));
    }
    return ExitSuccess;
}

int runWatch(Connection &connection, const Options &options)
{
    if (!connection.exec(u"LISTEN "_s + quoted(channelOf(options.schema))))
        return ExitFailure;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    err(u"watching fleet schema %1 (Ctrl+C ends)"_s.arg(options.schema));
    int seen = 0;
    PGconn *handle = connection.handle();
    while (!g_stop) {
        pollfd descriptor {PQsocket(handle), POLLIN, 0};
        if (::poll(&descriptor, 1, 200) < 0)
            continue; // EINTR: the signal
        if (!PQconsumeInput(handle)) {
            err(u"connection lost: "_s + pqError(handle));
            return ExitFailure;
        }
        while (PGnotify *notification = PQnotifies(handle)) {
            const QByteArray payload(notification->extra);
            PQfreemem(notification);
            if (options.json) {
                out(QString::fromUtf8(payload));
            } else {
                const QJsonObject event = QJsonDocument::fromJson(payload).object();
                out(u"%1 %2 %3: %4 (by %5%6)"_s.arg(
                    event[u"at"_s].toString(), event[u"cluster"_s].toString(),
                    event[u"node"_s].toString(), event[u"state"_s].toString(),
                    event[u"by"_s].toString(),
                    event[u"reason"_s].toString().isEmpty()
                        ? QString()
                        : u": "_s + event[u"reason"_s].toString()));
            }
            if (options.count > 0 && ++seen >= options.count)
                return ExitSuccess;
        }
    }
    return ExitSuccess;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qpsqlha-fleet"_s);

    QCommandLineParser parser;
    const QCommandLineOption conninfo(u"conninfo"_s, u"libpq connection string"_s, u"conninfo"_s);
    const QCommandLineOption schema(u"schema"_s, u"fleet schema (default qpsqlha)"_s, u"name"_s,
                                    u"qpsqlha"_s);
    const QCommandLineOption json(u"json"_s, u"JSON output"_s);
    const QCommandLineOption reason(u"reason"_s, u"why (offline, drain, online)"_s, u"text"_s);
    const QCommandLineOption count(u"count"_s, u"watch: stop after N changes"_s, u"n"_s, u"0"_s);
    parser.addOptions({conninfo, schema, json, reason, count});
    parser.addHelpOption();
    parser.addPositionalArgument(u"command"_s, u"init|list|offline|drain|online|watch"_s);
    if (!parser.parse(QCoreApplication::arguments()))
        return usage(parser.errorText());
    if (parser.isSet(u"help"_s)) {
        out(parser.helpText());
        return ExitSuccess;
    }

    Options options;
    const QStringList positional = parser.positionalArguments();
    options.command = positional.value(0);
    options.conninfo = parser.value(conninfo);
    options.schema = parser.value(schema).toLower();
    options.json = parser.isSet(json);
    options.reason = parser.value(reason);
    options.count = parser.value(count).toInt();
    const QStringList commands {u"init"_s,  u"list"_s,   u"offline"_s,
                                u"drain"_s, u"online"_s, u"watch"_s};
    if (!commands.contains(options.command))
        return usage(options.command.isEmpty() ? u"no command given"_s
                                               : u"unknown command '%1'"_s.arg(options.command));
    if (!parser.isSet(conninfo))
        return usage(u"--conninfo is required"_s);
    if (options.schema.isEmpty())
        return usage(u"the schema name is empty"_s);
    const bool setsState = options.command == "offline"_L1 || options.command == "drain"_L1
        || options.command == "online"_L1;
    if (setsState) {
        if (positional.size() != 3)
            return usage(u"%1 needs CLUSTER HOST:PORT"_s.arg(options.command));
        options.cluster = positional.at(1);
        options.node = positional.at(2);
        if (options.cluster.isEmpty() || !options.node.contains(u':'))
            return usage(u"%1 needs CLUSTER HOST:PORT"_s.arg(options.command));
    } else if (positional.size() != 1) {
        return usage(u"%1 takes no arguments"_s.arg(options.command));
    }

    Connection connection;
    if (!connection.open(options.conninfo))
        return ExitFailure;
    if (options.command == "init"_L1)
        return runInit(connection, options);
    if (schemaVersion(connection, options.schema) == 0) {
        err(u"no fleet schema '%1' there (qpsqlha-ctl fleet init), or no access to it"_s.arg(
            options.schema));
        return ExitFailure;
    }
    if (options.command == "list"_L1)
        return runList(connection, options);
    if (options.command == "watch"_L1)
        return runWatch(connection, options);
    return runSetState(connection, options);
}
