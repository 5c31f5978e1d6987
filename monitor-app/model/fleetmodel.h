// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef FLEETMODEL_H
#define FLEETMODEL_H

#include <QtCore/qjsonobject.h>
#include <QtGui/qstandarditemmodel.h>

// The fleet as the monitor shows it (docs/fleet.md): machine → process → cluster → node, from the
// instances' heartbeats in the fleet schema, with each node's admin state. Fed with what
// `qpsqlha-fleet list --json` prints (the monitor runs it; the tools link no libpq); no widgets,
// so the unit tests drive it with synthetic lists.
class FleetModel : public QStandardItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, StateColumn, AdminColumn, HeartbeatColumn, ColumnCount };
    enum Role {
        ClusterRole = Qt::UserRole + 1, // on node rows: the cluster's name
        AddressRole, // on node rows: HOST:PORT
        GoneRole, // on process rows: silent for 3 heartbeats
    };

    explicit FleetModel(QObject *parent = nullptr);

    // Replaces the tree with this listing.
    void setList(const QJsonObject &list);

    // How many live instances list the node: the reach of a change of its admin state.
    int instancesListing(const QString &cluster, const QString &address) const;
    // The admin state the fleet has for a node: "online" when it has no row.
    QString adminState(const QString &cluster, const QString &address) const;
    // What the monitor asks before it changes the admin state.
    QString confirmationText(const QString &cluster, const QString &address,
                             const QString &state) const;
    // One line of the event log for a change `qpsqlha-fleet watch --json` printed: who did what.
    static QString eventText(const QJsonObject &event);

private:
    QJsonObject m_list;
};

#endif // FLEETMODEL_H
