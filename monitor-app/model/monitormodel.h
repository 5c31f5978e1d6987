// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_MONITORMODEL_H
#define QPSQLHAMONITOR_MONITORMODEL_H

#include <qpsqlhacontrolclient.h>

#include <QtCore/qabstractitemmodel.h>

#include <memory>

namespace QPsqlHaMonitor {

// What the monitor shows, as a tree: one top-level row per process serving the control channel,
// one child row per cluster of that process, one grandchild row per node of that cluster (in the
// order the process lists them; nodes added at run time come last, removed ones leave). Cluster
// and process rows show the sums of their nodes, and the largest lag of their readers.
//
// The model only holds data. It is fed by whoever talks to the processes (updateProcess() for
// snapshots and counters, applyStateEvent() for pushed state changes, tick() once a second) and
// every update takes the current time as an argument, so tests are deterministic. Queries per
// second are the difference of two counter snapshots divided by the time between them.
//
// The online toggle is a check box in the state column of node rows (Qt::CheckStateRole, checked
// while the node is in service, i.e. not offline by hand). Setting it changes nothing here: the
// model emits onlineChangeRequested() and the new state arrives later from the process, which
// is the only source of truth.
class MonitorModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn, // process: application (pid), cluster: name, node: host:port
        RoleColumn,
        StateColumn, // text, colour, and the online toggle of nodes
        LagColumn, // a reader's replay lag behind the primary: "12 kB / 340 ms"
        QueriesColumn,
        QpsColumn,
        HistoryColumn, // empty text; QpsHistoryRole holds the last minute, drawn by a delegate
        ErrorsColumn,
        RetriesColumn,
        SinceChangeColumn,
        LastErrorColumn,
        ColumnCount
    };
    Q_ENUM(Column)

    enum class ItemKind { Process, Cluster, Node };
    Q_ENUM(ItemKind)

    enum Role {
        ItemKindRole = Qt::UserRole + 1, // int(ItemKind), every row
        PidRole, // qint64, every row
        ClusterRole, // QString, cluster and node rows
        AddressRole, // QString host:port, node rows
        NodeStateRole, // int(QPsqlHa::NodeState), node rows
        NodeRoleRole, // int(QPsqlHa::NodeRole), node rows
        QueriesPerSecondRole, // double; invalid until a node has two counter samples
        // QPolygonF of the last minute: x in ms relative to currentTime() (so -60000 < x <= 0),
        // y in queries per second, oldest first. Node rows.
        QpsHistoryRole,
        InServiceRole, // bool: not offline by hand (what the toggle shows), node rows
        LastStateChangeRole, // QDateTime, node rows
        // qint64, node rows: replay lag behind the primary; -1 when unknown or not a reader.
        // Cluster and process rows: the largest of their online and lagging nodes (-1 if none
        // is known).
        LagBytesRole,
        LagMsRole,
    };
    Q_ENUM(Role)

    static constexpr int ToggleColumn = StateColumn;
    // Counters arrive at most once a second and only when something changed; when none arrived
    // for this long, nothing ran in that process and its nodes' rates are 0.
    static constexpr qint64 StaleCountersMs = 2000;
    // Snapshots closer together than this are merged into the next interval: a rate measured
    // over a few milliseconds (the subscribe reply, then the first counters) means little.
    static constexpr qint64 MinimumSampleIntervalMs = 500;

    explicit MonitorModel(QObject *parent = nullptr);
    ~MonitorModel() override;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // A snapshot or counters of one process: adds it, or updates it (clusters and nodes that
    // appeared are added, those that vanished removed) and samples the rates.
    void updateProcess(const QPsqlHa::ProcessStatus &status, qint64 nowMs);
    // A pushed state change. Returns false if the process or node is unknown.
    bool applyStateEvent(const QPsqlHa::StateEvent &event, qint64 nowMs);
    // One node's status outside the counter stream (e.g. the reply to set-state): state, error
    // and counters are shown, the rate is not sampled. Returns false if the node is unknown.
    bool updateNode(qint64 pid, const QString &cluster, const QPsqlHa::NodeStatus &node,
                    qint64 nowMs);
    void removeProcess(qint64 pid);
    // Once a second: advances the clock for "since change", lets stale rates fall to 0 and
    // expires the history.
    void tick(qint64 nowMs);
    qint64 currentTime() const { return m_nowMs; }

    QList<qint64> pids() const;
    bool hasProcess(qint64 pid) const;
    // "application (pid)", for the event log.
    QString processName(qint64 pid) const;
    QModelIndex processIndex(qint64 pid, int column = 0) const;
    QModelIndex clusterIndex(qint64 pid, const QString &cluster, int column = 0) const;
    QModelIndex nodeIndex(qint64 pid, const QString &cluster, const QString &address,
                          int column = 0) const;
    // Every node row, depth first (the tree's order).
    QModelIndexList nodeIndexes() const;

    // Why taking this node offline deserves a confirmation (it is the primary, or the last
    // online reader of its cluster); empty if it does not or the index is not an online node.
    QString offlineWarning(const QModelIndex &index) const;

    static QString durationText(qint64 ms);
    static QString rateText(double qps);

Q_SIGNALS:
    // The user toggled a node (setData() with Qt::CheckStateRole on ToggleColumn).
    void onlineChangeRequested(qint64 pid, const QString &cluster, const QString &address,
                               bool online);

public:
    // One row of the tree, defined in the .cpp file.
    struct Item;

private:
    Item *itemFor(const QModelIndex &index) const;
    QModelIndex indexFor(const Item *item, int column = 0) const;
    Item *findProcess(qint64 pid) const;
    Item *findNode(qint64 pid, const QString &cluster, const QString &address) const;
    const Item *processOf(const Item *item) const;
    void syncClusters(Item *process, const QPsqlHa::ProcessStatus &status, qint64 nowMs);
    void syncNodes(Item *cluster, const QPsqlHa::ClusterStatus &status, qint64 nowMs);
    void appendChild(Item *parent, std::unique_ptr<Item> child);
    void removeChild(Item *parent, int row);
    void sampleCounters(Item *node, const QPsqlHa::NodeStatus &status, qint64 nowMs);
    void emitSubtreeChanged(const Item *item);
    void emitRowAndAncestorsChanged(const Item *item);

    QVariant processData(const Item *item, int column, int role) const;
    QVariant clusterData(const Item *item, int column, int role) const;
    QVariant nodeData(const Item *item, int column, int role) const;

    std::unique_ptr<Item> m_root;
    qint64 m_nowMs = 0;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_MONITORMODEL_H
