// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef CTLFORMAT_H
#define CTLFORMAT_H

#include <qpsqlhacontrolclient.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

// How qpsqlha-ctl writes what it found: tables and lines for people, JSON for scripts.
namespace QPsqlHaCtl {

// One line on stdout, flushed at once: `watch` is read through pipes while it runs.
void printLine(const QString &line);
void printLine(const QByteArray &line);
// "qpsqlha-ctl: <message>" on stderr.
void printError(const QString &message);

// A node as the operator names it on the command line: host:port or [v6]:port.
struct NodeAddress
{
    QString host;
    int port = 0;
    QString text; // as the driver spells it, so that it compares with NodeStatus::address
};

bool parseNodeAddress(const QString &text, NodeAddress *address, QString *error);
bool isSameNode(const NodeAddress &address, const QPsqlHa::NodeStatus &node);

// "pid 123 (orders-service)"
QString processLabel(qint64 pid, const QString &application);

// The aligned table of `list`: a header, then one row per node of every process. LAG is the
// reader's replay lag behind the primary ("12 kB / 340 ms"; "-" for the primary, when unknown,
// and while the node is offline: its figures are not refreshed then).
// Patroni's view of one node for the PATRONI column: "m1 replica lag 0 B noloadbalance".
QString patroniNodeText(const QPsqlHa::NodeStatus &node);
// One line per cluster that follows Patroni: scope, members, last good answer, error.
QStringList topologySourceLines(const QList<QPsqlHa::ProcessStatus> &processes);
QStringList nodeTable(const QList<QPsqlHa::ProcessStatus> &processes);

// A JSON array of PROCESS objects, exactly as the control protocol sends them.
QByteArray processesJson(const QList<QPsqlHa::ProcessStatus> &processes);

// One state change: a line for people, or the protocol's event object on one line.
QString stateEventLine(const QPsqlHa::StateEvent &event, const QString &application);
QByteArray stateEventJson(const QPsqlHa::StateEvent &event);

} // namespace QPsqlHaCtl

#endif // CTLFORMAT_H
