// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_EVENTLOGMODEL_H
#define QPSQLHAMONITOR_EVENTLOGMODEL_H

#include <qpsqlhacontrolclient.h>

#include <QtCore/qabstractitemmodel.h>

#include <deque>

namespace QPsqlHaMonitor {

// The state changes the monitor has seen, oldest first. The log keeps at most maximumRows()
// rows and drops the oldest beyond that, so a flapping node cannot grow it without bound.
class EventLogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        TimeColumn,
        ProcessColumn,
        ClusterColumn,
        NodeColumn,
        OldStateColumn,
        NewStateColumn,
        ReasonColumn,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role {
        TimeRole = Qt::UserRole + 1, // QDateTime
        PidRole, // qint64
        NewStateRole, // int(QPsqlHa::NodeState)
    };

    struct Entry
    {
        QDateTime time;
        qint64 pid = 0;
        QString process;
        QString cluster;
        QString node;
        QPsqlHa::NodeState oldState = QPsqlHa::NodeState::Online;
        QPsqlHa::NodeState newState = QPsqlHa::NodeState::Online;
        QString reason;
    };

    static constexpr int DefaultMaximumRows = 1000;

    explicit EventLogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // processName is how the process is shown ("application (pid N)"). An event without a time
    // is logged with the time it arrived.
    void appendEvent(const QPsqlHa::StateEvent &event, const QString &processName);
    void appendEntry(const Entry &entry);
    Entry entry(int row) const;
    void clear();

    int maximumRows() const { return m_maximumRows; }
    void setMaximumRows(int rows); // at least 1; drops the oldest rows beyond it

private:
    void dropOldest(int count);

    std::deque<Entry> m_entries;
    int m_maximumRows = DefaultMaximumRows;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_EVENTLOGMODEL_H
