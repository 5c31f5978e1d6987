// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "fleetmodel.h"

#include <QtCore/qjsonarray.h>

#include <qpsqlhacontrolprotocol_p.h>
#include <statetext.h>

using namespace Qt::StringLiterals;

namespace {

QList<QStandardItem *> row(const QString &name, const QString &state = QString(),
                           const QString &admin = QString(), const QString &heartbeat = QString())
{
    QList<QStandardItem *> items;
    for (const QString &text : {name, state, admin, heartbeat}) {
        auto *item = new QStandardItem(text);
        item->setEditable(false);
        items.append(item);
    }
    return items;
}

bool isLive(const QJsonValue &instance)
{
    return !instance[u"gone"_s].toBool();
}

} // namespace

FleetModel::FleetModel(QObject *parent)
    : QStandardItemModel(0, ColumnCount, parent)
{
    setHorizontalHeaderLabels({tr("Machine / process / cluster / node"), tr("State"),
                               tr("Admin state"), tr("Heartbeat")});
}

void FleetModel::setList(const QJsonObject &list)
{
    m_list = list;
    removeRows(0, rowCount());
    QHash<QString, QStandardItem *> machines;
    for (const QJsonValue &instance : list[u"instances"_s].toArray()) {
        const QString host = instance[u"host"_s].toString();
        QStandardItem *&machine = machines[host];
        if (!machine) {
            const QList<QStandardItem *> items = row(host);
            appendRow(items);
            machine = items.first();
        }
        const bool gone = !isLive(instance);
        const QString application = instance[u"application"_s].toString();
        QList<QStandardItem *> process
            = row(u"pid %1%2"_s.arg(qint64(instance[u"pid"_s].toDouble()))
                      .arg(application.isEmpty() ? QString() : u" ("_s + application + u')'),
                  gone ? tr("gone") : instance[u"status"_s][u"fleet"_s].toString(), QString(),
                  tr("%1 s ago").arg(instance[u"ageMs"_s].toDouble() / 1000.0, 0, 'f', 1));
        process.first()->setData(gone, GoneRole);
        machine->appendRow(process);
        for (const QJsonValue &clusterValue : instance[u"status"_s][u"clusters"_s].toArray()) {
            const QString clusterName = clusterValue[u"name"_s].toString();
            const QList<QStandardItem *> cluster = row(clusterName);
            process.first()->appendRow(cluster);
            for (const QJsonValue &nodeValue : clusterValue[u"nodes"_s].toArray()) {
                QPsqlHa::NodeStatus node;
                if (!QPsqlHa::ControlProtocol::nodeFromJson(nodeValue.toObject(), &node))
                    continue;
                const QList<QStandardItem *> nodeRow
                    = row(u"%1 %2"_s.arg(node.address, QPsqlHa::nodeRoleText(node.role)),
                          QPsqlHaTools::nodeStateDisplayText(node),
                          adminState(clusterName, node.address));
                nodeRow.first()->setData(clusterName, ClusterRole);
                nodeRow.first()->setData(node.address, AddressRole);
                cluster.first()->appendRow(nodeRow);
            }
        }
    }
}

int FleetModel::instancesListing(const QString &cluster, const QString &address) const
{
    int count = 0;
    for (const QJsonValue &instance : m_list[u"instances"_s].toArray()) {
        if (!isLive(instance))
            continue;
        bool lists = false;
        for (const QJsonValue &clusterValue : instance[u"status"_s][u"clusters"_s].toArray()) {
            if (clusterValue[u"name"_s].toString() != cluster)
                continue;
            for (const QJsonValue &node : clusterValue[u"nodes"_s].toArray())
                lists = lists || node[u"address"_s].toString() == address;
        }
        count += lists ? 1 : 0;
    }
    return count;
}

QString FleetModel::adminState(const QString &cluster, const QString &address) const
{
    for (const QJsonValue &entry : m_list[u"admin"_s].toArray()) {
        if (entry[u"cluster"_s].toString() == cluster && entry[u"node"_s].toString() == address)
            return entry[u"state"_s].toString();
    }
    return u"online"_s;
}

QString FleetModel::confirmationText(const QString &cluster, const QString &address,
                                     const QString &state) const
{
    const int instances = instancesListing(cluster, address);
    return tr("Set %1 of cluster %2 %3 in the fleet? This affects %n running instance(s).", nullptr,
              instances)
        .arg(address, cluster, state);
}

QString FleetModel::eventText(const QJsonObject &event)
{
    const QString reason = event[u"reason"_s].toString();
    return tr("%1 set %2 %3 %4%5")
        .arg(event[u"by"_s].toString(), event[u"cluster"_s].toString(), event[u"node"_s].toString(),
             event[u"state"_s].toString(), reason.isEmpty() ? QString() : u": "_s + reason);
}
