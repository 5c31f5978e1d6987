// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "monitormodel.h"

#include "nodestatecolors.h"
#include "qpshistory.h"

#include <lagtext.h>
#include <roletext.h>

#include <QtGui/qpolygon.h>

#include <algorithm>
#include <vector>

using namespace Qt::StringLiterals;
using QPsqlHa::NodeRole;
using QPsqlHa::NodeState;

namespace QPsqlHaMonitor {

// One row of the tree. A single type for the three levels keeps index()/parent() simple; the
// fields of the other levels stay empty.
struct MonitorModel::Item
{
    ItemKind kind = ItemKind::Process;
    Item *parent = nullptr;
    std::vector<std::unique_ptr<Item>> children;

    // Process rows.
    qint64 pid = 0;
    QString application;
    QString library;
    int protocol = 0;

    // Cluster rows.
    QString name;
    QPsqlHa::TopologySource source; // where the members come from (Patroni or the options)

    // Node rows.
    QPsqlHa::NodeStatus status;
    qint64 sampleTimeMs = -1; // when sampleQueries was taken; -1: no sample yet
    quint64 sampleQueries = 0;
    double qps = 0;
    bool hasQps = false;
    QpsHistory history;

    int row() const
    {
        const auto &siblings = parent->children;
        const auto it = std::find_if(siblings.cbegin(), siblings.cend(),
                                     [this](const auto &sibling) { return sibling.get() == this; });
        return int(it - siblings.cbegin());
    }
};

namespace {

// Sums over the nodes below a process or cluster row.
struct Totals
{
    quint64 queries = 0;
    quint64 errors = 0;
    quint64 retries = 0;
    double qps = 0;
    bool hasQps = false;
    int nodes = 0;
    int online = 0;
    int lagging = 0;
    bool anyFailed = false;
    bool anyByHand = false;
    qint64 maxLagBytes = -1;
    qint64 maxLagMs = -1;
};

constexpr int NumberAlignment = int(Qt::AlignRight | Qt::AlignVCenter);

bool isNumberColumn(int column)
{
    return column == MonitorModel::QueriesColumn || column == MonitorModel::QpsColumn
        || column == MonitorModel::ErrorsColumn || column == MonitorModel::RetriesColumn
        || column == MonitorModel::SinceChangeColumn || column == MonitorModel::LagColumn;
}

QString firstLine(const QString &text)
{
    const qsizetype end = text.indexOf(u'\n');
    return (end < 0 ? text : text.left(end)).trimmed();
}

} // namespace

MonitorModel::MonitorModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Item>())
{ }

MonitorModel::~MonitorModel() = default;

MonitorModel::Item *MonitorModel::itemFor(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Item *>(index.internalPointer()) : m_root.get();
}

QModelIndex MonitorModel::indexFor(const Item *item, int column) const
{
    if (!item || item == m_root.get())
        return {};
    return createIndex(item->row(), column, const_cast<Item *>(item));
}

QModelIndex MonitorModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    return createIndex(row, column, itemFor(parent)->children[size_t(row)].get());
}

QModelIndex MonitorModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexFor(itemFor(child)->parent);
}

int MonitorModel::rowCount(const QModelIndex &parent) const
{
    // Only the first column has children, as in every Qt tree model.
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(itemFor(parent)->children.size());
}

int MonitorModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

static Totals totalsOf(const MonitorModel::Item *item);

QVariant MonitorModel::data(const QModelIndex &index, int role) const
{
    // Views and QAbstractItemModelTester ask about the invalid index too: not a misuse.
    if (!index.isValid())
        return {};
    Q_ASSERT(checkIndex(index));
    const Item *item = itemFor(index);
    switch (role) {
    case ItemKindRole:
        return int(item->kind);
    case PidRole:
        return processOf(item)->pid;
    case ClusterRole:
        if (item->kind == ItemKind::Cluster)
            return item->name;
        if (item->kind == ItemKind::Node)
            return item->parent->name;
        return {};
    default:
        break;
    }
    switch (item->kind) {
    case ItemKind::Process:
        return processData(item, index.column(), role);
    case ItemKind::Cluster:
        return clusterData(item, index.column(), role);
    case ItemKind::Node:
        return nodeData(item, index.column(), role);
    }
    return {};
}

// The columns that process and cluster rows share: sums of their nodes.
static QVariant totalsData(const Totals &totals, int column, int role)
{
    if (role == Qt::TextAlignmentRole && isNumberColumn(column))
        return NumberAlignment;
    // The colour of the worst news: a failure, then a lagging reader (it lost its reads by
    // itself), then a node an operator took out on purpose.
    const NodeState worst = totals.anyFailed ? NodeState::Failed
        : totals.lagging > 0                 ? NodeState::Lagging
        : totals.anyByHand                   ? NodeState::OfflineByHand
                                             : NodeState::Online;
    switch (column) {
    case MonitorModel::StateColumn:
        if (totals.nodes == 0)
            return {};
        if (role == Qt::DisplayRole) {
            // A lagging reader answers and is not offline, but it serves no reads: it is not
            // counted as online, and said apart.
            const QString online
                = MonitorModel::tr("%1 of %2 online").arg(totals.online).arg(totals.nodes);
            if (totals.lagging == 0)
                return online;
            return MonitorModel::tr("%1, %2 lagging").arg(online).arg(totals.lagging);
        }
        if (role == Qt::ForegroundRole)
            return nodeStateColor(worst);
        return {};
    case MonitorModel::LagColumn:
        if (role == Qt::DisplayRole && (totals.maxLagBytes >= 0 || totals.maxLagMs >= 0))
            return QPsqlHaTools::lagText(totals.maxLagBytes, totals.maxLagMs);
        if (role == Qt::ToolTipRole && (totals.maxLagBytes >= 0 || totals.maxLagMs >= 0))
            return MonitorModel::tr("The largest replay lag among the online and lagging readers");
        if (role == MonitorModel::LagBytesRole)
            return totals.maxLagBytes;
        if (role == MonitorModel::LagMsRole)
            return totals.maxLagMs;
        return {};
    case MonitorModel::QueriesColumn:
        if (role == Qt::DisplayRole)
            return qulonglong(totals.queries);
        return {};
    case MonitorModel::QpsColumn:
        if (role == Qt::DisplayRole && totals.hasQps)
            return MonitorModel::rateText(totals.qps);
        if (role == MonitorModel::QueriesPerSecondRole && totals.hasQps)
            return totals.qps;
        return {};
    case MonitorModel::ErrorsColumn:
        if (role == Qt::DisplayRole)
            return qulonglong(totals.errors);
        return {};
    case MonitorModel::RetriesColumn:
        if (role == Qt::DisplayRole)
            return qulonglong(totals.retries);
        return {};
    default:
        return {};
    }
}

QVariant MonitorModel::processData(const Item *item, int column, int role) const
{
    if (column == NameColumn) {
        if (role == Qt::DisplayRole)
            return processName(item->pid);
        if (role == Qt::ToolTipRole) {
            return tr("Process %1 (%2), QPSQLHA %3, control protocol %4")
                .arg(item->pid)
                .arg(item->application.isEmpty() ? tr("unnamed") : item->application, item->library)
                .arg(item->protocol);
        }
        return {};
    }
    return totalsData(totalsOf(item), column, role);
}

QVariant MonitorModel::clusterData(const Item *item, int column, int role) const
{
    if (column == NameColumn) {
        const QPsqlHa::TopologySource &source = item->source;
        if (role == Qt::DisplayRole) {
            if (!source.patroni)
                return item->name;
            // Where the members come from, at a glance; the details are in the tooltip.
            return tr("%1 (Patroni%2%3)")
                .arg(item->name, source.scope.isEmpty() ? QString() : u' ' + source.scope,
                     source.error.isEmpty() ? QString() : tr(": not answering"));
        }
        if (role == Qt::ToolTipRole) {
            QString text
                = tr("Cluster \"%1\" of %2").arg(item->name, processName(processOf(item)->pid));
            if (source.patroni) {
                text += u'\n'
                    + tr("Members from Patroni%1: %2")
                          .arg(source.scope.isEmpty() ? QString()
                                                      : tr(" scope %1").arg(source.scope),
                               source.members.isEmpty() ? tr("none yet")
                                                        : source.members.join(u", "_s));
                text += u'\n'
                    + (source.lastAnswer.isValid()
                           ? tr("Last good answer %1 from %2")
                                 .arg(source.lastAnswer.toLocalTime().toString(
                                          u"yyyy-MM-dd hh:mm:ss"_s),
                                      source.url)
                           : tr("No answer from Patroni yet"));
                if (!source.error.isEmpty())
                    text += u'\n' + source.error;
            }
            return text;
        }
        return {};
    }
    return totalsData(totalsOf(item), column, role);
}

QVariant MonitorModel::nodeData(const Item *item, int column, int role) const
{
    const QPsqlHa::NodeStatus &node = item->status;
    switch (role) {
    case AddressRole:
        return node.address;
    case NodeStateRole:
        return int(node.state);
    case NodeRoleRole:
        return int(node.role);
    case QueriesPerSecondRole:
        return item->hasQps ? QVariant(item->qps) : QVariant();
    case QpsHistoryRole: {
        QPolygonF points;
        points.reserve(item->history.size());
        for (int i = 0; i < item->history.size(); ++i) {
            const QpsHistory::Sample sample = item->history.at(i);
            points.append(QPointF(double(sample.timeMs - m_nowMs), sample.qps));
        }
        return QVariant::fromValue(points);
    }
    case InServiceRole:
        return node.state != NodeState::OfflineByHand;
    case LastStateChangeRole:
        return node.lastStateChange;
    case LagBytesRole:
        return node.lagBytes;
    case LagMsRole:
        return node.lagMs;
    case Qt::TextAlignmentRole:
        return isNumberColumn(column) ? QVariant(NumberAlignment) : QVariant();
    default:
        break;
    }

    switch (column) {
    case NameColumn:
        if (role == Qt::DisplayRole)
            return node.address;
        if (role == Qt::ToolTipRole) {
            QString text = tr("%1, %2 of cluster \"%3\" in %4; weight %5, %6 statement(s) running")
                               .arg(node.address, QPsqlHa::nodeRoleText(node.role),
                                    item->parent->name, processName(processOf(item)->pid))
                               .arg(node.weight)
                               .arg(node.inFlight);
            if (!node.patroniMember.isEmpty()) {
                text += u'\n'
                    + tr("Patroni: member %1, %2, %3%4%5")
                          .arg(node.patroniMember, node.patroniRole, node.patroniState,
                               node.patroniLagBytes >= 0
                                   ? tr(", lag %1 bytes").arg(node.patroniLagBytes)
                                   : QString(),
                               node.patroniNoLoadBalance ? tr(", noloadbalance: no reads")
                                                         : QString());
            }
            return text;
        }
        return {};
    case RoleColumn:
        if (role == Qt::DisplayRole)
            return QPsqlHaTools::nodeRoleDisplayText(node);
        if (role == Qt::ToolTipRole && node.role == NodeRole::Primary) {
            return node.servesReads
                ? tr("Takes the writes and, with QPSQLHA_PRIMARY_READS=1, its share of the reads")
                : tr("Takes the writes; reads go to it only when no reader can serve them");
        }
        return {};
    case StateColumn:
        switch (role) {
        case Qt::DisplayRole:
            return QPsqlHa::nodeStateText(node.state);
        case Qt::ForegroundRole:
        case Qt::DecorationRole:
            return nodeStateColor(node.state);
        case Qt::CheckStateRole:
            return node.state == NodeState::OfflineByHand ? Qt::Unchecked : Qt::Checked;
        case Qt::ToolTipRole:
            switch (node.state) {
            case NodeState::OfflineByHand:
                return tr("Taken offline by hand; check to put it back in service");
            case NodeState::Lagging:
                return tr("Further behind the primary than QPSQLHA_MAX_LAG_BYTES / "
                          "QPSQLHA_MAX_LAG_MS: it gets no reads until it is back under half the "
                          "limit. Uncheck to take it offline by hand");
            case NodeState::Failed:
                return tr("Failed; the health checker probes it and brings it back when it "
                          "answers. Uncheck to take it offline by hand");
            case NodeState::Online:
                break;
            }
            return tr("In service; uncheck to take it offline by hand");
        default:
            return {};
        }
    case LagColumn:
        if (role == Qt::DisplayRole)
            return QPsqlHaTools::nodeLagText(node);
        if (role == Qt::ToolTipRole) {
            if (!QPsqlHaTools::isLagMeasured(node))
                return tr("Not measured while the node is offline");
            if (node.lagBytes < 0 && node.lagMs < 0) {
                return node.role == NodeRole::Primary
                    ? tr("The primary: no replication lag")
                    : tr("Not measured yet (the health checker measures it every interval)");
            }
            return tr("Replay lag behind the primary: %1 bytes, %2 ms")
                .arg(node.lagBytes)
                .arg(node.lagMs);
        }
        return {};
    case QueriesColumn:
        if (role == Qt::DisplayRole)
            return qulonglong(node.queries);
        return {};
    case QpsColumn:
        if (role == Qt::DisplayRole && item->hasQps)
            return rateText(item->qps);
        return {};
    case ErrorsColumn:
        if (role == Qt::DisplayRole)
            return qulonglong(node.errors);
        return {};
    case RetriesColumn:
        if (role == Qt::DisplayRole)
            return qulonglong(node.retries);
        return {};
    case SinceChangeColumn:
        if (!node.lastStateChange.isValid())
            return {};
        if (role == Qt::DisplayRole)
            return durationText(m_nowMs - node.lastStateChange.toMSecsSinceEpoch());
        if (role == Qt::ToolTipRole)
            return tr("Last state change: %1")
                .arg(node.lastStateChange.toLocalTime().toString(Qt::ISODateWithMs));
        return {};
    case LastErrorColumn:
        if (role == Qt::DisplayRole)
            return firstLine(node.lastError);
        if (role == Qt::ToolTipRole && !node.lastError.isEmpty())
            return node.lastError;
        return {};
    default:
        return {};
    }
}

bool MonitorModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || role != Qt::CheckStateRole || index.column() != ToggleColumn)
        return false;
    Q_ASSERT(checkIndex(index));
    const Item *item = itemFor(index);
    if (item->kind != ItemKind::Node)
        return false;
    const bool online = Qt::CheckState(value.toInt()) == Qt::Checked;
    if (online == (item->status.state != NodeState::OfflineByHand))
        return true;
    Q_EMIT onlineChangeRequested(processOf(item)->pid, item->parent->name, item->status.address,
                                 online);
    return true;
}

Qt::ItemFlags MonitorModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Q_ASSERT(checkIndex(index));
    Qt::ItemFlags result = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == ToggleColumn && itemFor(index)->kind == ItemKind::Node)
        result |= Qt::ItemIsUserCheckable;
    if (itemFor(index)->kind == ItemKind::Node)
        result |= Qt::ItemNeverHasChildren;
    return result;
}

QVariant MonitorModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole)
        return isNumberColumn(section) ? NumberAlignment : int(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Process / cluster / node");
        case RoleColumn:
            return tr("Role");
        case StateColumn:
            return tr("State");
        case LagColumn:
            return tr("Lag");
        case QueriesColumn:
            return tr("Queries");
        case QpsColumn:
            return tr("Queries/s");
        case HistoryColumn:
            return tr("Last minute");
        case ErrorsColumn:
            return tr("Errors");
        case RetriesColumn:
            return tr("Retries");
        case SinceChangeColumn:
            return tr("Since change");
        case LastErrorColumn:
            return tr("Last error");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case StateColumn:
            return tr("online, lagging (a reader too far behind the primary: no reads), offline: "
                      "failed (probed until it answers), offline: by hand. The check box takes a "
                      "node out of service or puts it back.");
        case LagColumn:
            return tr("How far a reader's replay is behind the primary, in WAL bytes and time; "
                      "measured by the health checker every interval");
        case QueriesColumn:
            return tr("Statements run on the node");
        case QpsColumn:
            return tr("Statements per second, from the counters of the last second");
        case HistoryColumn:
            return tr("Queries per second over the last minute");
        case ErrorsColumn:
            return tr("Failed statements and failed connection attempts, of any cause");
        case RetriesColumn:
            return tr("Statements that moved to another node because this one failed them");
        case SinceChangeColumn:
            return tr("Time since the node last changed state");
        case LastErrorColumn:
            return tr("The last node-level failure (connection or probe)");
        default:
            return {};
        }
    }
    return {};
}

QHash<int, QByteArray> MonitorModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractItemModel::roleNames();
    names.insert(ItemKindRole, "itemKind");
    names.insert(PidRole, "pid");
    names.insert(ClusterRole, "cluster");
    names.insert(AddressRole, "address");
    names.insert(NodeStateRole, "nodeState");
    names.insert(NodeRoleRole, "nodeRole");
    names.insert(QueriesPerSecondRole, "queriesPerSecond");
    names.insert(QpsHistoryRole, "qpsHistory");
    names.insert(InServiceRole, "inService");
    names.insert(LastStateChangeRole, "lastStateChange");
    names.insert(LagBytesRole, "lagBytes");
    names.insert(LagMsRole, "lagMs");
    return names;
}

static std::unique_ptr<MonitorModel::Item> makeNode(MonitorModel::Item *cluster,
                                                    const QPsqlHa::NodeStatus &status, qint64 nowMs)
{
    auto node = std::make_unique<MonitorModel::Item>();
    node->kind = MonitorModel::ItemKind::Node;
    node->parent = cluster;
    node->status = status;
    node->sampleTimeMs = nowMs;
    node->sampleQueries = status.queries;
    return node;
}

static std::unique_ptr<MonitorModel::Item>
makeCluster(MonitorModel::Item *process, const QPsqlHa::ClusterStatus &status, qint64 nowMs)
{
    auto cluster = std::make_unique<MonitorModel::Item>();
    cluster->kind = MonitorModel::ItemKind::Cluster;
    cluster->parent = process;
    cluster->name = status.name;
    cluster->source = status.source;
    for (const QPsqlHa::NodeStatus &node : status.nodes)
        cluster->children.push_back(makeNode(cluster.get(), node, nowMs));
    return cluster;
}

void MonitorModel::updateProcess(const QPsqlHa::ProcessStatus &status, qint64 nowMs)
{
    m_nowMs = std::max(m_nowMs, nowMs);
    if (Item *process = findProcess(status.pid)) {
        process->application = status.application;
        process->library = status.library;
        process->protocol = status.protocol;
        syncClusters(process, status, nowMs);
        emitSubtreeChanged(process);
        return;
    }

    // The whole subtree is built first and inserted as one row, so views expand it at once.
    auto process = std::make_unique<Item>();
    process->kind = ItemKind::Process;
    process->pid = status.pid;
    process->application = status.application;
    process->library = status.library;
    process->protocol = status.protocol;
    for (const QPsqlHa::ClusterStatus &cluster : status.clusters)
        process->children.push_back(makeCluster(process.get(), cluster, nowMs));
    appendChild(m_root.get(), std::move(process));
}

void MonitorModel::syncClusters(Item *process, const QPsqlHa::ProcessStatus &status, qint64 nowMs)
{
    for (int row = int(process->children.size()) - 1; row >= 0; --row) {
        const QString &name = process->children[size_t(row)]->name;
        const bool kept = std::any_of(status.clusters.cbegin(), status.clusters.cend(),
                                      [&](const auto &cluster) { return cluster.name == name; });
        if (!kept)
            removeChild(process, row);
    }
    for (const QPsqlHa::ClusterStatus &cluster : status.clusters) {
        const auto it = std::find_if(process->children.cbegin(), process->children.cend(),
                                     [&](const auto &item) { return item->name == cluster.name; });
        if (it == process->children.cend())
            appendChild(process, makeCluster(process, cluster, nowMs));
        else {
            (*it)->source = cluster.source;
            syncNodes(it->get(), cluster, nowMs);
        }
    }
}

void MonitorModel::syncNodes(Item *cluster, const QPsqlHa::ClusterStatus &status, qint64 nowMs)
{
    for (int row = int(cluster->children.size()) - 1; row >= 0; --row) {
        const QString &address = cluster->children[size_t(row)]->status.address;
        const bool kept = std::any_of(status.nodes.cbegin(), status.nodes.cend(),
                                      [&](const auto &node) { return node.address == address; });
        if (!kept)
            removeChild(cluster, row);
    }
    for (const QPsqlHa::NodeStatus &node : status.nodes) {
        const auto it
            = std::find_if(cluster->children.cbegin(), cluster->children.cend(),
                           [&](const auto &item) { return item->status.address == node.address; });
        if (it == cluster->children.cend())
            appendChild(cluster, makeNode(cluster, node, nowMs));
        else
            sampleCounters(it->get(), node, nowMs);
    }
}

void MonitorModel::sampleCounters(Item *node, const QPsqlHa::NodeStatus &status, qint64 nowMs)
{
    node->status = status;
    if (node->sampleTimeMs < 0) {
        node->sampleTimeMs = nowMs;
        node->sampleQueries = status.queries;
        return;
    }
    const qint64 elapsedMs = nowMs - node->sampleTimeMs;
    if (elapsedMs < MinimumSampleIntervalMs)
        return;
    // Counters only grow; a smaller value means a reset, over which no rate can be told.
    node->qps = status.queries >= node->sampleQueries
        ? double(status.queries - node->sampleQueries) * 1000.0 / double(elapsedMs)
        : 0.0;
    node->hasQps = true;
    node->history.append(nowMs, node->qps);
    node->sampleTimeMs = nowMs;
    node->sampleQueries = status.queries;
}

bool MonitorModel::applyStateEvent(const QPsqlHa::StateEvent &event, qint64 nowMs)
{
    return updateNode(event.pid, event.cluster, event.node, nowMs);
}

bool MonitorModel::updateNode(qint64 pid, const QString &cluster, const QPsqlHa::NodeStatus &node,
                              qint64 nowMs)
{
    m_nowMs = std::max(m_nowMs, nowMs);
    Item *item = findNode(pid, cluster, node.address);
    if (!item)
        return false;
    // The rate keeps its own base (sampleQueries): only the counter stream samples it.
    item->status = node;
    emitRowAndAncestorsChanged(item);
    return true;
}

void MonitorModel::removeProcess(qint64 pid)
{
    if (Item *process = findProcess(pid))
        removeChild(m_root.get(), process->row());
}

void MonitorModel::tick(qint64 nowMs)
{
    m_nowMs = std::max(m_nowMs, nowMs);
    for (const auto &process : m_root->children) {
        for (const auto &cluster : process->children) {
            for (const auto &node : cluster->children) {
                if (node->sampleTimeMs >= 0 && m_nowMs - node->sampleTimeMs >= StaleCountersMs) {
                    node->qps = 0;
                    node->hasQps = true;
                    node->history.append(m_nowMs, 0);
                    node->sampleTimeMs = m_nowMs;
                }
                node->history.expire(m_nowMs);
            }
        }
        emitSubtreeChanged(process.get());
    }
}

QList<qint64> MonitorModel::pids() const
{
    QList<qint64> result;
    for (const auto &process : m_root->children)
        result.append(process->pid);
    return result;
}

bool MonitorModel::hasProcess(qint64 pid) const
{
    return findProcess(pid) != nullptr;
}

QString MonitorModel::processName(qint64 pid) const
{
    const Item *process = findProcess(pid);
    if (!process || process->application.isEmpty())
        return tr("pid %1").arg(pid);
    return tr("%1 (pid %2)").arg(process->application).arg(pid);
}

QModelIndex MonitorModel::processIndex(qint64 pid, int column) const
{
    return indexFor(findProcess(pid), column);
}

QModelIndex MonitorModel::clusterIndex(qint64 pid, const QString &cluster, int column) const
{
    const Item *process = findProcess(pid);
    if (!process)
        return {};
    for (const auto &item : process->children) {
        if (item->name == cluster)
            return indexFor(item.get(), column);
    }
    return {};
}

QModelIndex MonitorModel::nodeIndex(qint64 pid, const QString &cluster, const QString &address,
                                    int column) const
{
    return indexFor(findNode(pid, cluster, address), column);
}

QModelIndexList MonitorModel::nodeIndexes() const
{
    QModelIndexList result;
    for (const auto &process : m_root->children) {
        for (const auto &cluster : process->children) {
            for (const auto &node : cluster->children)
                result.append(indexFor(node.get()));
        }
    }
    return result;
}

QString MonitorModel::offlineWarning(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return {};
    const Item *item = itemFor(index);
    if (item->kind != ItemKind::Node || item->status.state != NodeState::Online)
        return {};
    const QString &cluster = item->parent->name;
    if (item->status.role == NodeRole::Primary) {
        return tr("%1 is the primary of cluster \"%2\". While it is offline, every write through "
                  "this cluster fails.")
            .arg(item->status.address, cluster);
    }
    const auto &siblings = item->parent->children;
    const bool otherReaderOnline
        = std::any_of(siblings.cbegin(), siblings.cend(), [item](const auto &sibling) {
              return sibling.get() != item && sibling->status.role == NodeRole::Reader
                  && sibling->status.state == NodeState::Online;
          });
    if (otherReaderOnline)
        return {};
    return tr("%1 is the last online reader of cluster \"%2\". While it is offline, every read "
              "goes to the primary.")
        .arg(item->status.address, cluster);
}

QString MonitorModel::durationText(qint64 ms)
{
    const qint64 seconds = std::max<qint64>(ms, 0) / 1000;
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    if (seconds < 86400)
        return tr("%1 h %2 min").arg(seconds / 3600).arg(seconds % 3600 / 60);
    return tr("%1 d %2 h").arg(seconds / 86400).arg(seconds % 86400 / 3600);
}

QString MonitorModel::rateText(double qps)
{
    qps = std::max(qps, 0.0);
    // Low rates keep a decimal so that "0.5" does not read as "1" or "0".
    const bool whole = qps >= 10 || qps == double(qint64(qps));
    return QString::number(qps, 'f', whole ? 0 : 1);
}

MonitorModel::Item *MonitorModel::findProcess(qint64 pid) const
{
    for (const auto &process : m_root->children) {
        if (process->pid == pid)
            return process.get();
    }
    return nullptr;
}

MonitorModel::Item *MonitorModel::findNode(qint64 pid, const QString &cluster,
                                           const QString &address) const
{
    const Item *process = findProcess(pid);
    if (!process)
        return nullptr;
    for (const auto &clusterItem : process->children) {
        if (clusterItem->name != cluster)
            continue;
        for (const auto &node : clusterItem->children) {
            if (node->status.address == address)
                return node.get();
        }
    }
    return nullptr;
}

const MonitorModel::Item *MonitorModel::processOf(const Item *item) const
{
    while (item->kind != ItemKind::Process)
        item = item->parent;
    return item;
}

void MonitorModel::appendChild(Item *parent, std::unique_ptr<Item> child)
{
    const int row = int(parent->children.size());
    beginInsertRows(indexFor(parent), row, row);
    child->parent = parent;
    parent->children.push_back(std::move(child));
    endInsertRows();
}

void MonitorModel::removeChild(Item *parent, int row)
{
    beginRemoveRows(indexFor(parent), row, row);
    parent->children.erase(parent->children.begin() + row);
    endRemoveRows();
}

void MonitorModel::emitSubtreeChanged(const Item *item)
{
    const QModelIndex first = indexFor(item, 0);
    Q_EMIT dataChanged(first, first.siblingAtColumn(ColumnCount - 1));
    if (item->children.empty())
        return;
    const QModelIndex top = index(0, 0, first);
    const QModelIndex bottom = index(int(item->children.size()) - 1, ColumnCount - 1, first);
    Q_EMIT dataChanged(top, bottom);
    for (const auto &child : item->children) {
        if (!child->children.empty()) {
            const QModelIndex parentIndex = indexFor(child.get());
            Q_EMIT dataChanged(
                index(0, 0, parentIndex),
                index(int(child->children.size()) - 1, ColumnCount - 1, parentIndex));
        }
    }
}

void MonitorModel::emitRowAndAncestorsChanged(const Item *item)
{
    for (; item && item != m_root.get(); item = item->parent) {
        const QModelIndex first = indexFor(item, 0);
        Q_EMIT dataChanged(first, first.siblingAtColumn(ColumnCount - 1));
    }
}

static Totals totalsOf(const MonitorModel::Item *item)
{
    Totals totals;
    const auto add = [&totals](const MonitorModel::Item *node) {
        const QPsqlHa::NodeStatus &status = node->status;
        totals.queries += status.queries;
        totals.errors += status.errors;
        totals.retries += status.retries;
        if (node->hasQps) {
            totals.qps += node->qps;
            totals.hasQps = true;
        }
        ++totals.nodes;
        switch (status.state) {
        case NodeState::Online:
            ++totals.online;
            break;
        case NodeState::Lagging:
            ++totals.lagging;
            break;
        case NodeState::Failed:
            totals.anyFailed = true;
            break;
        case NodeState::OfflineByHand:
            totals.anyByHand = true;
            break;
        }
        // The readers that serve reads, or would but for their lag: a failed node does not answer
        // its probes and one taken out by hand is not probed, so their last figures are stale.
        if (QPsqlHaTools::isLagMeasured(status)) {
            totals.maxLagBytes = std::max(totals.maxLagBytes, status.lagBytes);
            totals.maxLagMs = std::max(totals.maxLagMs, status.lagMs);
        }
    };
    if (item->kind == MonitorModel::ItemKind::Cluster) {
        for (const auto &node : item->children)
            add(node.get());
    } else {
        for (const auto &cluster : item->children) {
            for (const auto &node : cluster->children)
                add(node.get());
        }
    }
    return totals;
}

} // namespace QPsqlHaMonitor
