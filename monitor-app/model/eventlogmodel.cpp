// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "eventlogmodel.h"

#include "nodestatecolors.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace QPsqlHaMonitor {

EventLogModel::EventLogModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    Q_ASSERT(checkIndex(index, CheckIndexOption::ParentIsInvalid));
    const Entry &entry = m_entries[size_t(index.row())];
    switch (role) {
    case TimeRole:
        return entry.time;
    case PidRole:
        return entry.pid;
    case NewStateRole:
        return int(entry.newState);
    default:
        break;
    }

    switch (index.column()) {
    case TimeColumn:
        if (role == Qt::DisplayRole)
            return entry.time.toLocalTime().toString(u"HH:mm:ss.zzz"_s);
        if (role == Qt::ToolTipRole)
            return entry.time.toLocalTime().toString(Qt::ISODateWithMs);
        return {};
    case ProcessColumn:
        return role == Qt::DisplayRole ? QVariant(entry.process) : QVariant();
    case ClusterColumn:
        return role == Qt::DisplayRole ? QVariant(entry.cluster) : QVariant();
    case NodeColumn:
        return role == Qt::DisplayRole ? QVariant(entry.node) : QVariant();
    case OldStateColumn:
    case NewStateColumn: {
        const QPsqlHa::NodeState state
            = index.column() == OldStateColumn ? entry.oldState : entry.newState;
        if (role == Qt::DisplayRole)
            return QPsqlHa::nodeStateText(state);
        if (role == Qt::ForegroundRole)
            return nodeStateColor(state);
        return {};
    }
    case ReasonColumn:
        if (role == Qt::DisplayRole || (role == Qt::ToolTipRole && !entry.reason.isEmpty()))
            return entry.reason;
        return {};
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case ProcessColumn:
        return tr("Process");
    case ClusterColumn:
        return tr("Cluster");
    case NodeColumn:
        return tr("Node");
    case OldStateColumn:
        return tr("Old state");
    case NewStateColumn:
        return tr("New state");
    case ReasonColumn:
        return tr("Reason");
    default:
        return {};
    }
}

void EventLogModel::appendEvent(const QPsqlHa::StateEvent &event, const QString &processName)
{
    Entry entry;
    entry.time = event.time.isValid() ? event.time : QDateTime::currentDateTimeUtc();
    entry.pid = event.pid;
    entry.process = processName;
    entry.cluster = event.cluster;
    entry.node = event.node.address;
    entry.oldState = event.oldState;
    entry.newState = event.newState;
    entry.reason = event.reason;
    appendEntry(entry);
}

void EventLogModel::appendEntry(const Entry &entry)
{
    // Room first, so that the view never holds more than maximumRows() rows.
    dropOldest(int(m_entries.size()) + 1 - m_maximumRows);
    const int row = int(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.push_back(entry);
    endInsertRows();
}

EventLogModel::Entry EventLogModel::entry(int row) const
{
    if (row < 0 || row >= int(m_entries.size()))
        return {};
    return m_entries[size_t(row)];
}

void EventLogModel::clear()
{
    if (m_entries.empty())
        return;
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

void EventLogModel::setMaximumRows(int rows)
{
    m_maximumRows = std::max(rows, 1);
    dropOldest(int(m_entries.size()) - m_maximumRows);
}

void EventLogModel::dropOldest(int count)
{
    if (count <= 0)
        return;
    beginRemoveRows({}, 0, count - 1);
    m_entries.erase(m_entries.begin(), m_entries.begin() + count);
    endRemoveRows();
}

} // namespace QPsqlHaMonitor
