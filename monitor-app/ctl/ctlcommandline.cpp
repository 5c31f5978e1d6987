// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlcommandline.h"

#include <qpsqlhamessages_p.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>

#include <limits>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

namespace {

constexpr auto Description = R"(Operates applications that use QPSQLHA, over their control channel.
Applications serve their node state only when started with QPSQLHA_CONTROL=1 in
the environment (or the connect option QPSQLHA_CONTROL=1); only processes of
the same user are reachable.

Commands:
  list [--json]                           every node of every reachable process,
                                          with its state and replication lag
  offline CLUSTER HOST:PORT [--pid PID]   take a node out of service by hand in
                                          every process that has CLUSTER
  online CLUSTER HOST:PORT [--pid PID]    put a node taken out by hand back
  add-reader CLUSTER HOST:PORT [--pid PID]
                                          add a reader to CLUSTER in every
                                          process that has it (credentials and
                                          database are the primary's)
  remove-node CLUSTER HOST:PORT [--pid PID]
                                          remove a node (not the one taking the
                                          writes); running statements finish
  watch [--json] [--count N]              print state changes as they happen
                                          (including lagging), until interrupted
  fleet init|list|offline|drain|online|watch --conninfo CONNINFO ...
                                          the fleet through PostgreSQL: every
                                          instance on every machine, and its
                                          admin state (qpsqlha-ctl fleet --help)
  metrics [--format openmetrics|prometheus] [--pid PID]
                                          every node's state and counters as a
                                          metrics exposition (OpenMetrics, or
                                          Prometheus text format 0.0.4 for
                                          node_exporter's textfile collector)

HOST:PORT is the node as `list` shows it; IPv6 as [address]:port. Nodes added or
removed stay so until the process ends; its own configuration is not changed.
Exit status: 0 done, 1 nothing matched or a process refused or failed, 2 usage
error.)";

constexpr QStringView CommandNames
    = u"list, offline, online, add-reader, remove-node, watch or metrics";

int usageError(const QString &message)
{
    printError(message);
    printError(QPsqlHa::Messages::tr("try 'qpsqlha-ctl --help'"));
    return ExitUsage;
}

bool parsePositive(const QString &text, qint64 maximum, qint64 *value)
{
    bool ok = false;
    const qint64 number = text.toLongLong(&ok);
    if (!ok || number < 1 || number > maximum)
        return false;
    *value = number;
    return true;
}

} // namespace

bool parseCommandLine(const QStringList &arguments, Options *options, int *exitCode)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(Description));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption json(u"json"_s,
                                  QPsqlHa::Messages::tr("list, watch: JSON instead of text."));
    const QCommandLineOption pid(u"pid"_s, QPsqlHa::Messages::tr("Only the process with this pid."),
                                 u"pid"_s);
    const QCommandLineOption count(
        u"count"_s, QPsqlHa::Messages::tr("watch: exit after N state changes."), u"n"_s);
    const QCommandLineOption timeout(
        u"timeout"_s,
        QPsqlHa::Messages::tr("How long to wait for each process, in milliseconds (default 2000)."),
        u"ms"_s);
    const QCommandLineOption format(
        u"format"_s, u"metrics: openmetrics (default) or prometheus (text format 0.0.4)."_s,
        u"format"_s);
    parser.addOptions({json, pid, count, timeout, format});
    parser.addPositionalArgument(
        u"command"_s,
        QPsqlHa::Messages::tr("list, offline, online, add-reader, remove-node, watch, metrics or "
                              "fleet."),
        u"command"_s);
    parser.addPositionalArgument(
        u"arguments"_s,
        QPsqlHa::Messages::tr("CLUSTER HOST:PORT for offline, online, add-reader and remove-node."),
        u"[arguments...]"_s);

    if (!parser.parse(arguments)) {
        *exitCode = usageError(parser.errorText());
        return false;
    }
    if (parser.isSet(help)) {
        printLine(parser.helpText().trimmed());
        *exitCode = ExitSuccess;
        return false;
    }
    if (parser.isSet(version)) {
        printLine(u"%1 %2"_s.arg(QCoreApplication::applicationName(),
                                 QCoreApplication::applicationVersion()));
        *exitCode = ExitSuccess;
        return false;
    }

    QStringList positional = parser.positionalArguments();
    if (positional.isEmpty()) {
        *exitCode = usageError(QPsqlHa::Messages::tr("no command given (%1)").arg(CommandNames));
        return false;
    }
    const QString command = positional.takeFirst();
    if (command == "list"_L1) {
        options->command = Command::List;
    } else if (command == "offline"_L1) {
        options->command = Command::Offline;
    } else if (command == "online"_L1) {
        options->command = Command::Online;
    } else if (command == "add-reader"_L1) {
        options->command = Command::AddReader;
    } else if (command == "remove-node"_L1) {
        options->command = Command::RemoveNode;
    } else if (command == "watch"_L1) {
        options->command = Command::Watch;
    } else if (command == "metrics"_L1) {
        options->command = Command::Metrics;
    } else {
        *exitCode = usageError(
            QPsqlHa::Messages::tr("unknown command '%1' (%2)").arg(command, CommandNames));
        return false;
    }

    // The commands that act on one node of one cluster.
    const bool namesNode = options->command == Command::Offline
        || options->command == Command::Online || options->command == Command::AddReader
        || options->command == Command::RemoveNode;
    if (namesNode) {
        if (positional.size() != 2) {
            *exitCode
                = usageError(QPsqlHa::Messages::tr("%1 needs CLUSTER HOST:PORT, got %2 argument(s)")
                                 .arg(command, QString::number(positional.size())));
            return false;
        }
        options->cluster = positional.at(0);
        if (options->cluster.isEmpty()) {
            *exitCode = usageError(QPsqlHa::Messages::tr("the cluster name is empty"));
            return false;
        }
        QString error;
        if (!parseNodeAddress(positional.at(1), &options->node, &error)) {
            *exitCode = usageError(error);
            return false;
        }
    } else if (!positional.isEmpty()) {
        *exitCode = usageError(QPsqlHa::Messages::tr("%1 takes no arguments, got '%2'")
                                   .arg(command, positional.join(u' ')));
        return false;
    }

    // Options that a command would silently ignore are refused: the operator meant something.
    if (parser.isSet(json) && (namesNode || options->command == Command::Metrics)) {
        *exitCode = usageError(QPsqlHa::Messages::tr("--json applies to list and watch"));
        return false;
    }
    if (parser.isSet(format)) {
        const QString value = parser.value(format);
        if (options->command != Command::Metrics) {
            *exitCode = usageError(u"--format applies to metrics"_s);
            return false;
        }
        if (value == "openmetrics"_L1) {
            options->metricsFormat = MetricsFormat::OpenMetrics;
        } else if (value == "prometheus"_L1) {
            options->metricsFormat = MetricsFormat::Prometheus;
        } else {
            *exitCode
                = usageError(u"bad format '%1': expected openmetrics or prometheus"_s.arg(value));
            return false;
        }
    }
    if (parser.isSet(count) && options->command != Command::Watch) {
        *exitCode = usageError(QPsqlHa::Messages::tr("--count applies to watch"));
        return false;
    }
    options->json = parser.isSet(json);

    qint64 number = 0;
    if (parser.isSet(pid)) {
        // pid_t is a 32-bit signed integer on Linux.
        if (!parsePositive(parser.value(pid), std::numeric_limits<qint32>::max(), &number)) {
            *exitCode = usageError(QPsqlHa::Messages::tr("bad pid '%1': expected a positive number")
                                       .arg(parser.value(pid)));
            return false;
        }
        options->pid = number;
    }
    if (parser.isSet(count)) {
        if (!parsePositive(parser.value(count), std::numeric_limits<int>::max(), &number)) {
            *exitCode
                = usageError(QPsqlHa::Messages::tr("bad count '%1': expected a positive number")
                                 .arg(parser.value(count)));
            return false;
        }
        options->count = int(number);
    }
    if (parser.isSet(timeout)) {
        if (!parsePositive(parser.value(timeout), 3600 * 1000, &number)) {
            *exitCode = usageError(
                QPsqlHa::Messages::tr("bad timeout '%1': expected milliseconds, 1 to 3600000")
                    .arg(parser.value(timeout)));
            return false;
        }
        options->timeoutMs = int(number);
    }
    return true;
}

} // namespace QPsqlHaCtl
