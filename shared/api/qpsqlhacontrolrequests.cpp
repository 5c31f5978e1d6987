// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhacontrolrequests_p.h"

#include "qpsqlhaapi.h"
#include "qpsqlhacluster_p.h"
#include "qpsqlhafleet_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qfile.h>

#include <unistd.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;
namespace Protocol = ControlProtocol;

namespace {

QString applicationName()
{
    if (QCoreApplication::instance() && !QCoreApplication::applicationName().isEmpty())
        return QCoreApplication::applicationName();
    // Before (or without) a QCoreApplication: the kernel's name for the program.
    QFile comm(u"/proc/self/comm"_s);
    if (comm.open(QIODevice::ReadOnly))
        return QString::fromUtf8(comm.readAll()).trimmed();
    return QString();
}

} // namespace

ProcessStatus currentProcessStatus()
{
    ProcessStatus process;
    process.pid = qint64(::getpid());
    process.application = applicationName();
    process.protocol = Protocol::Version;
    process.library = QStringLiteral(QPSQLHA_VERSION_STRING);
    process.clusters = clusters();
    process.fleet = Fleet::instance().statusText();
    return process;
}

QJsonObject executeControlRequest(const Protocol::Request &request)
{
    if (request.command == Protocol::Command::List
        || request.command == Protocol::Command::Subscribe) {
        QJsonObject reply = Protocol::okReply(request.id);
        reply.insert(u"process"_s, Protocol::processToJson(currentProcessStatus()));
        return reply;
    }
    const QSharedPointer<Cluster> cluster = ClusterRegistry::instance().find(request.cluster);
    if (cluster
        && (request.command == Protocol::Command::AddReader
            || request.command == Protocol::Command::RemoveNode)) {
        QString message;
        const bool done = request.command == Protocol::Command::AddReader
            ? addReader(request.cluster, request.node, &message)
            : removeNode(request.cluster, request.node, &message);
        if (!done)
            return Protocol::errorReply(request.id, QString::fromLatin1(Protocol::Error::Refused),
                                        message);
        QJsonObject reply = Protocol::okReply(request.id);
        reply.insert(u"process"_s, Protocol::processToJson(currentProcessStatus()));
        return reply;
    }
    if (!cluster) {
        QStringList names;
        for (const auto &known : ClusterRegistry::instance().clusters())
            names.append(known->name());
        return Protocol::errorReply(request.id, QString::fromLatin1(Protocol::Error::NoSuchCluster),
                                    u"no cluster '%1' in this process (it has: %2)"_s.arg(
                                        request.cluster, names.join(u", "_s)));
    }
    const int index = cluster->indexOf(request.node);
    if (index < 0) {
        QStringList addresses;
        for (int i = 0; i < cluster->nodeCount(); ++i) {
            if (!cluster->node(i).isRemoved())
                addresses.append(cluster->node(i).address());
        }
        return Protocol::errorReply(request.id, QString::fromLatin1(Protocol::Error::NoSuchNode),
                                    u"cluster '%1' has no node '%2' (it has: %3)"_s.arg(
                                        request.cluster, request.node, addresses.join(u", "_s)));
    }
    const bool changed = cluster->node(index).setOfflineByHand(!request.online);
    const NodeHandle handle = node(request.cluster, cluster->node(index).settings().host,
                                   cluster->node(index).settings().port);
    QJsonObject reply = Protocol::okReply(request.id);
    reply.insert(u"changed"_s, changed);
    reply.insert(u"node"_s, Protocol::nodeToJson(handle.status()));
    return reply;
}

} // namespace QPsqlHa
