// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlformat.h"

#include <qpsqlhamessages_p.h>

// The protocol's own serialisation, so that `--json` can never drift from what the
// applications send (docs/control-protocol.md).
#include <qpsqlhacontrolprotocol_p.h>
// The driver's reading of a port (QPSQLHA_READERS), so that both refuse the same text.
#include <qpsqlhaport_p.h>

#include <lagtext.h>
#include <roletext.h>
#include <statetext.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

void printLine(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void printLine(const QString &line)
{
    printLine(line.toUtf8());
}

void printError(const QString &message)
{
    const QByteArray bytes = "qpsqlha-ctl: " + message.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

bool parseNodeAddress(const QString &text, NodeAddress *address, QString *error)
{
    QString host;
    QString port;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u"]:"_s);
        if (close < 0) {
            *error = QPsqlHa::Messages::tr("bad node '%1': an IPv6 node is written [address]:port")
                         .arg(text);
            return false;
        }
        host = text.mid(1, close - 1);
        port = text.mid(close + 2);
    } else {
        const qsizetype colon = text.lastIndexOf(u':');
        if (colon < 0 || text.indexOf(u':') != colon) {
            *error = QPsqlHa::Messages::tr(
                         "bad node '%1': expected HOST:PORT (IPv6 as [address]:port)")
                         .arg(text);
            return false;
        }
        host = text.left(colon);
        port = text.mid(colon + 1);
    }
    const int number = QPsqlHa::parsePort(port);
    if (host.isEmpty()) {
        *error = QPsqlHa::Messages::tr("bad node '%1': the host is missing").arg(text);
        return false;
    }
    if (number < 0) {
        *error = QPsqlHa::Messages::tr(
                     "bad node '%1': the port must be a number from 1 to 65535 (digits only)")
                     .arg(text);
        return false;
    }
    address->host = host;
    address->port = number;
    // The driver's spelling (NodeSettings::address()): brackets only around IPv6.
    address->text = host.contains(u':') ? u"[%1]:%2"_s.arg(host).arg(number)
                                        : u"%1:%2"_s.arg(host).arg(number);
    return true;
}

bool isSameNode(const NodeAddress &address, const QPsqlHa::NodeStatus &node)
{
    // Host names are case-insensitive; so is the server's own lookup.
    return node.address.compare(address.text, Qt::CaseInsensitive) == 0
        || (node.port == address.port && node.host.compare(address.host, Qt::CaseInsensitive) == 0);
}

QString processLabel(qint64 pid, const QString &application)
{
    if (application.isEmpty())
        return u"pid %1"_s.arg(pid);
    return u"pid %1 (%2)"_s.arg(pid).arg(application);
}

QString patroniNodeText(const QPsqlHa::NodeStatus &node)
{
    if (node.patroniMember.isEmpty())
        return u"-"_s; // not (or no longer) listed by Patroni
    QString text = node.patroniMember + u' ' + node.patroniRole;
    if (!node.patroniState.isEmpty() && node.patroniState != "running"_L1
        && node.patroniState != "streaming"_L1)
        text += u' ' + node.patroniState;
    if (node.patroniLagBytes >= 0)
        text += u" lag %1 B"_s.arg(node.patroniLagBytes);
    if (node.patroniNoLoadBalance)
        text += u" noloadbalance"_s;
    return text;
}

QStringList topologySourceLines(const QList<QPsqlHa::ProcessStatus> &processes)
{
    QStringList lines;
    for (const QPsqlHa::ProcessStatus &process : processes) {
        for (const QPsqlHa::ClusterStatus &cluster : process.clusters) {
            const QPsqlHa::TopologySource &source = cluster.source;
            if (!source.patroni)
                continue;
            QString line = u"%1 cluster %2: members from Patroni"_s.arg(
                processLabel(process.pid, process.application), cluster.name);
            if (!source.scope.isEmpty())
                line += u" scope "_s + source.scope;
            if (!source.members.isEmpty())
                line += u" (%1)"_s.arg(source.members.join(u", "_s));
            line += source.lastAnswer.isValid()
                ? u", last answer %1 from %2"_s.arg(
                    source.lastAnswer.toLocalTime().toString(u"yyyy-MM-dd hh:mm:ss"_s), source.url)
                : u", no answer yet"_s;
            if (!source.error.isEmpty())
                line += u"; now: "_s + source.error;
            lines.append(line);
        }
    }
    return lines;
}

QStringList nodeTable(const QList<QPsqlHa::ProcessStatus> &processes)
{
    enum Alignment { Left, Right };
    const QList<QString> baseHeader
        = {u"PID"_s,   u"APPLICATION"_s, u"CLUSTER"_s, u"NODE"_s,   u"ROLE"_s,
           u"STATE"_s, u"LAG"_s,         u"QUERIES"_s, u"ERRORS"_s, u"RETRIES"_s};
    const QList<Alignment> baseAlignments
        = {Right, Left, Left, Left, Left, Left, Right, Right, Right, Right};

    // A PATRONI column only where some cluster follows Patroni: other listings stay as they were.
    bool patroni = false;
    for (const QPsqlHa::ProcessStatus &process : processes) {
        for (const QPsqlHa::ClusterStatus &cluster : process.clusters)
            patroni = patroni || cluster.source.patroni;
    }
    QList<QString> header = baseHeader;
    QList<Alignment> alignments = baseAlignments;
    if (patroni) {
        header.append(u"PATRONI"_s);
        alignments.append(Left);
    }

    QList<QStringList> rows {header};
    for (const QPsqlHa::ProcessStatus &process : processes) {
        for (const QPsqlHa::ClusterStatus &cluster : process.clusters) {
            for (const QPsqlHa::NodeStatus &node : cluster.nodes) {
                rows.append({QString::number(process.pid), process.application, cluster.name,
                             node.address, QPsqlHaTools::nodeRoleDisplayText(node),
                             QPsqlHaTools::nodeStateDisplayText(node),
                             QPsqlHaTools::nodeLagText(node), QString::number(node.queries),
                             QString::number(node.errors), QString::number(node.retries)});
                if (patroni)
                    rows.last().append(patroniNodeText(node));
            }
        }
    }

    QList<qsizetype> widths(header.size(), 0);
    for (const QStringList &row : rows) {
        for (qsizetype column = 0; column < row.size(); ++column)
            widths[column] = qMax(widths[column], row.at(column).size());
    }

    QStringList lines;
    for (const QStringList &row : rows) {
        QString line;
        for (qsizetype column = 0; column < row.size(); ++column) {
            if (column > 0)
                line += u"  "_s;
            line += alignments.at(column) == Right ? row.at(column).rightJustified(widths[column])
                                                   : row.at(column).leftJustified(widths[column]);
        }
        // The last column is right-aligned, so no trailing blanks; left ones may leave some.
        while (line.endsWith(u' '))
            line.chop(1);
        lines.append(line);
    }
    return lines;
}

QByteArray processesJson(const QList<QPsqlHa::ProcessStatus> &processes)
{
    if (processes.isEmpty())
        return "[]"; // QJsonDocument would write "[\n]"
    QJsonArray array;
    for (const QPsqlHa::ProcessStatus &process : processes)
        array.append(QPsqlHa::ControlProtocol::processToJson(process));
    return QJsonDocument(array).toJson(QJsonDocument::Indented).trimmed();
}

QString stateEventLine(const QPsqlHa::StateEvent &event, const QString &application)
{
    const QString time = event.time.isValid()
        ? event.time.toLocalTime().toString(u"yyyy-MM-dd hh:mm:ss.zzz"_s)
        : QDateTime::currentDateTime().toString(u"yyyy-MM-dd hh:mm:ss.zzz"_s);
    QString line = u"%1 %2: cluster %3 node %4: %5 -> %6"_s.arg(
        time, processLabel(event.pid, application), event.cluster, event.node.address,
        QPsqlHa::nodeStateText(event.oldState), QPsqlHa::nodeStateText(event.newState));
    if (!event.reason.isEmpty())
        line += u" ("_s + event.reason + u')';
    return line;
}

QByteArray stateEventJson(const QPsqlHa::StateEvent &event)
{
    const QJsonObject object {
        {u"v"_s, QPsqlHa::ControlProtocol::Version},
        {u"event"_s, u"state"_s},
        {u"pid"_s, double(event.pid)},
        {u"cluster"_s, event.cluster},
        {u"node"_s, QPsqlHa::ControlProtocol::nodeToJson(event.node)},
        {u"old"_s, QPsqlHa::nodeStateText(event.oldState)},
        {u"new"_s, QPsqlHa::nodeStateText(event.newState)},
        {u"reason"_s, event.reason},
        {u"time"_s, event.time.toUTC().toString(Qt::ISODateWithMs)},
    };
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace QPsqlHaCtl
