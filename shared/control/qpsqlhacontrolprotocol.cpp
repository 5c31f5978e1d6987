// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhacontrolprotocol_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

QString nodeStateText(NodeState state)
{
    return QString::fromLatin1(nodeStateName(state));
}

QString nodeRoleText(NodeRole role)
{
    return role == NodeRole::Primary ? u"primary"_s : u"reader"_s;
}

namespace ControlProtocol {

bool stateFromText(const QString &text, NodeState *state)
{
    for (NodeState candidate :
         {NodeState::Online, NodeState::Failed, NodeState::OfflineByHand, NodeState::Lagging}) {
        if (text == nodeStateText(candidate)) {
            *state = candidate;
            return true;
        }
    }
    return false;
}

QJsonObject nodeToJson(const NodeStatus &node)
{
    QJsonObject object {
        {u"address"_s, node.address},
        {u"host"_s, node.host},
        {u"port"_s, node.port},
        {u"role"_s, nodeRoleText(node.role)},
        {u"state"_s, nodeStateText(node.state)},
        {u"queries"_s, double(node.queries)},
        {u"errors"_s, double(node.errors)},
        {u"retries"_s, double(node.retries)},
        {u"lastError"_s, node.lastError},
        {u"lastChange"_s, node.lastStateChange.toUTC().toString(Qt::ISODateWithMs)},
        {u"lagBytes"_s, double(node.lagBytes)},
        {u"lagMs"_s, double(node.lagMs)},
        {u"inFlight"_s, node.inFlight},
        {u"responseTimeUs"_s, double(node.responseTimeUs)},
        {u"weight"_s, node.weight},
        {u"servesReads"_s, node.servesReads},
        {u"offlineByHand"_s, node.offlineByHand},
    };
    // Only for nodes Patroni lists: older tools ignore the field, older processes omit it.
    if (!node.patroniMember.isEmpty()) {
        object.insert(u"patroni"_s,
                      QJsonObject {
                          {u"member"_s, node.patroniMember},
                          {u"role"_s, node.patroniRole},
                          {u"state"_s, node.patroniState},
                          {u"lagBytes"_s, double(node.patroniLagBytes)},
                          {u"noLoadBalance"_s, node.patroniNoLoadBalance},
                      });
    }
    // Only from processes with a fleet (QPSQLHA_FLEET).
    if (!node.fleetAdmin.isEmpty()) {
        object.insert(u"fleet"_s,
                      QJsonObject {
                          {u"admin"_s, node.fleetAdmin},
                          {u"reason"_s, node.fleetReason},
                          {u"by"_s, node.fleetChangedBy},
                          {u"at"_s, node.fleetChangedAt.toUTC().toString(Qt::ISODateWithMs)},
                      });
    }
    return object;
}

namespace {

QJsonObject sourceToJson(const TopologySource &source)
{
    return {
        {u"scope"_s, source.scope},
        {u"url"_s, source.url},
        {u"members"_s, QJsonArray::fromStringList(source.members)},
        {u"lastAnswer"_s,
         source.lastAnswer.isValid() ? source.lastAnswer.toUTC().toString(Qt::ISODateWithMs)
                                     : QString()},
        {u"error"_s, source.error},
    };
}

void sourceFromJson(const QJsonObject &object, TopologySource *source)
{
    source->patroni = true;
    source->scope = object.value(u"scope"_s).toString();
    source->url = object.value(u"url"_s).toString();
    source->members.clear();
    for (const QJsonValue &member : object.value(u"members"_s).toArray())
        source->members.append(member.toString());
    source->lastAnswer
        = QDateTime::fromString(object.value(u"lastAnswer"_s).toString(), Qt::ISODateWithMs);
    source->error = object.value(u"error"_s).toString();
}

} // namespace

qint64 integerFromJson(const QJsonValue &value, qint64 fallback)
{
    constexpr double Largest = 9007199254740992.0; // 2^53
    const double number = value.toDouble(std::numeric_limits<double>::quiet_NaN());
    if (std::isnan(number))
        return fallback;
    return qint64(std::clamp(number, -Largest, Largest));
}

quint64 counterFromJson(const QJsonValue &value)
{
    return quint64(std::max<qint64>(0, integerFromJson(value)));
}

bool nodeFromJson(const QJsonObject &object, NodeStatus *node)
{
    const QString role = object.value(u"role"_s).toString();
    if (!object.value(u"address"_s).isString() || !object.value(u"port"_s).isDouble()
        || (role != "primary"_L1 && role != "reader"_L1)
        || !stateFromText(object.value(u"state"_s).toString(), &node->state))
        return false;
    node->address = object.value(u"address"_s).toString();
    node->host = object.value(u"host"_s).toString();
    node->port = object.value(u"port"_s).toInt();
    node->role = role == "primary"_L1 ? NodeRole::Primary : NodeRole::Reader;
    node->queries = counterFromJson(object.value(u"queries"_s));
    node->errors = counterFromJson(object.value(u"errors"_s));
    node->retries = counterFromJson(object.value(u"retries"_s));
    node->lastError = object.value(u"lastError"_s).toString();
    node->lastStateChange
        = QDateTime::fromString(object.value(u"lastChange"_s).toString(), Qt::ISODateWithMs);
    // Added in 0.2 of the library; older processes do not send them.
    node->lagBytes = integerFromJson(object.value(u"lagBytes"_s), -1);
    node->lagMs = integerFromJson(object.value(u"lagMs"_s), -1);
    node->inFlight = object.value(u"inFlight"_s).toInt(0);
    // Added with `qpsqlha-ctl metrics`.
    node->responseTimeUs = integerFromJson(object.value(u"responseTimeUs"_s), -1);
    node->weight = object.value(u"weight"_s).toInt(1);
    // Added with QPSQLHA_PRIMARY_READS; before it, readers and only readers served reads.
    node->servesReads = object.value(u"servesReads"_s).toBool(node->role == NodeRole::Reader);
    // Added with QPSQLHA_PATRONI, only for nodes Patroni lists.
    const QJsonObject patroni = object.value(u"patroni"_s).toObject();
    node->patroniMember = patroni.value(u"member"_s).toString();
    node->patroniRole = patroni.value(u"role"_s).toString();
    node->patroniState = patroni.value(u"state"_s).toString();
    node->patroniLagBytes = integerFromJson(patroni.value(u"lagBytes"_s), -1);
    node->patroniNoLoadBalance = patroni.value(u"noLoadBalance"_s).toBool(false);
    // Added with the fleet; older processes do not send them.
    node->offlineByHand
        = object.value(u"offlineByHand"_s).toBool(node->state == NodeState::OfflineByHand);
    const QJsonObject fleet = object.value(u"fleet"_s).toObject();
    node->fleetAdmin = fleet.value(u"admin"_s).toString();
    node->fleetReason = fleet.value(u"reason"_s).toString();
    node->fleetChangedBy = fleet.value(u"by"_s).toString();
    node->fleetChangedAt
        = QDateTime::fromString(fleet.value(u"at"_s).toString(), Qt::ISODateWithMs);
    return true;
}

QJsonObject processToJson(const ProcessStatus &process)
{
    QJsonArray clusters;
    for (const ClusterStatus &cluster : process.clusters) {
        QJsonArray nodes;
        for (const NodeStatus &node : cluster.nodes)
            nodes.append(nodeToJson(node));
        QJsonObject clusterObject {{u"name"_s, cluster.name}, {u"nodes"_s, nodes}};
        // Added with QPSQLHA_PATRONI: present only for clusters that follow Patroni.
        if (cluster.source.patroni)
            clusterObject.insert(u"patroni"_s, sourceToJson(cluster.source));
        clusters.append(clusterObject);
    }
    QJsonObject object {
        {u"pid"_s, double(process.pid)},   {u"application"_s, process.application},
        {u"protocol"_s, process.protocol}, {u"library"_s, process.library},
        {u"clusters"_s, clusters},
    };
    if (!process.fleet.isEmpty())
        object.insert(u"fleet"_s, process.fleet);
    return object;
}

bool processFromJson(const QJsonObject &object, ProcessStatus *process)
{
    if (!object.value(u"pid"_s).isDouble() || !object.value(u"clusters"_s).isArray())
        return false;
    process->pid = integerFromJson(object.value(u"pid"_s));
    process->application = object.value(u"application"_s).toString();
    process->protocol = object.value(u"protocol"_s).toInt();
    process->library = object.value(u"library"_s).toString();
    process->fleet = object.value(u"fleet"_s).toString();
    process->clusters.clear();
    for (const QJsonValue &clusterValue : object.value(u"clusters"_s).toArray()) {
        const QJsonObject clusterObject = clusterValue.toObject();
        ClusterStatus cluster;
        cluster.name = clusterObject.value(u"name"_s).toString();
        if (clusterObject.value(u"patroni"_s).isObject())
            sourceFromJson(clusterObject.value(u"patroni"_s).toObject(), &cluster.source);
        for (const QJsonValue &nodeValue : clusterObject.value(u"nodes"_s).toArray()) {
            NodeStatus node;
            if (!nodeFromJson(nodeValue.toObject(), &node))
                return false;
            node.cluster = cluster.name;
            cluster.nodes.append(node);
        }
        process->clusters.append(cluster);
    }
    return true;
}

QByteArray encode(const QJsonObject &message)
{
    QByteArray bytes = QJsonDocument(message).toJson(QJsonDocument::Compact);
    bytes.append('\n');
    return bytes;
}

QJsonObject errorReply(const QJsonValue &id, const QString &code, const QString &message)
{
    QJsonObject reply {
        {u"v"_s, Version}, {u"ok"_s, false}, {u"error"_s, code}, {u"message"_s, message}};
    if (!id.isUndefined())
        reply.insert(u"id"_s, id);
    return reply;
}

QJsonObject okReply(const QJsonValue &id)
{
    QJsonObject reply {{u"v"_s, Version}, {u"ok"_s, true}};
    if (!id.isUndefined())
        reply.insert(u"id"_s, id);
    return reply;
}

bool parseRequest(const QByteArray &line, Request *request, QString *errorCode,
                  QString *errorMessage)
{
    auto fail = [&](const char *code, const QString &message) {
        *errorCode = QString::fromLatin1(code);
        *errorMessage = message;
        return false;
    };
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return fail(Error::BadJson, u"a request is one JSON object per line"_s);
    const QJsonObject object = document.object();
    request->id = object.value(u"id"_s);
    const QJsonValue version = object.value(u"v"_s);
    if (!version.isDouble() || version.toDouble() != Version)
        return fail(Error::BadVersion, u"this process speaks protocol version %1"_s.arg(Version));
    const QJsonValue command = object.value(u"cmd"_s);
    if (!command.isString())
        return fail(Error::BadRequest, u"missing \"cmd\""_s);
    const QString name = command.toString();
    if (name == "list"_L1) {
        request->command = Command::List;
    } else if (name == "subscribe"_L1) {
        request->command = Command::Subscribe;
    } else if (name == "set-state"_L1) {
        request->command = Command::SetState;
        const QJsonValue cluster = object.value(u"cluster"_s);
        const QJsonValue node = object.value(u"node"_s);
        const QJsonValue online = object.value(u"online"_s);
        if (!cluster.isString() || !node.isString() || !online.isBool()) {
            return fail(Error::BadRequest,
                        u"set-state needs \"cluster\" (string), \"node\" "
                        "(host:port) and \"online\" (true or false)"_s);
        }
        request->cluster = cluster.toString();
        request->node = node.toString();
        request->online = online.toBool();
    } else if (name == "add-reader"_L1 || name == "remove-node"_L1) {
        request->command = name == "add-reader"_L1 ? Command::AddReader : Command::RemoveNode;
        const QJsonValue cluster = object.value(u"cluster"_s);
        const QJsonValue node = object.value(u"node"_s);
        if (!cluster.isString() || !node.isString() || node.toString().size() > 300) {
            return fail(Error::BadRequest,
                        u"%1 needs \"cluster\" (string) and \"node\" (host:port)"_s.arg(name));
        }
        request->cluster = cluster.toString();
        request->node = node.toString();
    } else {
        return fail(Error::UnknownCommand,
                    u"unknown command '%1' (known: list, set-state, subscribe, add-reader, "
                    "remove-node)"_s.arg(name.left(64)));
    }
    return true;
}

void LineReader::append(const QByteArray &data)
{
    m_buffer.append(data);
}

LineReader::Result LineReader::next(QByteArray *line)
{
    for (;;) {
        const qsizetype newline = m_buffer.indexOf('\n');
        if (m_skipping) {
            if (newline < 0) {
                m_buffer.clear();
                return Result::None;
            }
            m_buffer.remove(0, newline + 1);
            m_skipping = false;
            continue;
        }
        if (newline < 0) {
            if (m_buffer.size() > MaximumLineLength) {
                m_buffer.clear();
                m_skipping = true;
                return Result::TooLarge;
            }
            return Result::None;
        }
        if (newline > MaximumLineLength) {
            m_buffer.remove(0, newline + 1);
            return Result::TooLarge;
        }
        *line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        if (line->trimmed().isEmpty())
            continue; // blank lines are harmless keep-alives
        return Result::Line;
    }
}

} // namespace ControlProtocol
} // namespace QPsqlHa
