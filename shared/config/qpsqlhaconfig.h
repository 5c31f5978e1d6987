// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACONFIG_H
#define QPSQLHACONFIG_H

#include <qpsqlhaglobal.h>

#include <QtCore/qlist.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

namespace QPsqlHa {

// How a read picks among the online readers.
enum class Policy {
    Random, // each of N readers gets about 1/N of the reads
    RoundRobin, // strictly in turn, shared by every connection of the cluster
    LeastBusy, // the reader with the fewest statements in flight in this process
    Fastest, // the reader with the lowest recent response time seen by this process
};

// What a connection's reads may see.
enum class Consistency {
    Eventual, // any online reader, whatever it has replayed
    ReadYourWrites, // after a write, only readers that have replayed it (else the primary);
                    // implies Monotonic
    Monotonic, // only readers that have replayed whatever this connection already read
};

// How long a connection keeps the reader it read from. A backend that serves every other
// statement is cold each time, which costs the servers CPU; keeping one reader costs no
// throughput (a connection runs one statement at a time).
enum class ReaderAffinity {
    Connection, // each connection keeps one reader (assigned in turn) while it is online
    Statement, // the policy picks a reader for every read
    Burst, // QPSQLHA_READER_BURST reads on one reader, then the next reader of a shuffled cycle
};

enum class NodeRole : quint8 { Primary, Reader };

enum class NodeState : quint8 {
    Online,
    Failed, // a statement or a probe found it gone; the health checker probes it
    OfflineByHand, // taken out by an operator; only an operator brings it back
    Lagging, // a reader further behind the primary than QPSQLHA_MAX_LAG_*: answers, gets no reads
};

// What the fleet's operators set for a node (the fleet schema's admin state, docs/fleet.md):
// Offline takes it out of service like OfflineByHand, as a reason of its own; Drained gives it no
// new reads (running statements finish, writes still go to a drained primary).
enum class FleetAdmin : quint8 { Online, Offline, Drained };

constexpr const char *fleetAdminName(FleetAdmin admin)
{
    switch (admin) {
    case FleetAdmin::Online:
        return "online";
    case FleetAdmin::Offline:
        return "offline";
    case FleetAdmin::Drained:
        return "drained";
    }
    return "unknown";
}

// The state as logs, listings and the control protocol spell it.
constexpr const char *nodeStateName(NodeState state)
{
    switch (state) {
    case NodeState::Online:
        return "online";
    case NodeState::Failed:
        return "offline: failed";
    case NodeState::OfflineByHand:
        return "offline: by hand";
    case NodeState::Lagging:
        return "lagging";
    }
    return "unknown";
}

// One database node, as in the original connector's NodeConf.
struct NodeConfig
{
    QString host;
    int port = 5432;
    QString user;
    QString password;
    QString sslmode; // empty: libpq's default
    QString database;
    bool logQueries = false; // log every statement this node runs (qpsqlha.queries)
};

class ReplicationConfigPrivate;

// One write node and any number of read nodes, plus how they are used.
class QPSQLHA_EXPORT ReplicationConfig
{
public:
    ReplicationConfig();
    ReplicationConfig(const ReplicationConfig &other);
    ReplicationConfig &operator=(const ReplicationConfig &other);
    ~ReplicationConfig();

    // There is one write node; appending a second one makes initDatabases() fail.
    void appendWriteNodeConfig(const NodeConfig &node);
    void appendReadNodeConfig(const NodeConfig &node);
    QList<NodeConfig> writeNodeConfigs() const;
    QList<NodeConfig> readNodeConfigs() const;

    void setHealthInterval(int milliseconds); // default 2000, minimum 50
    int healthInterval() const;
    void setPolicy(Policy policy);
    Policy policy() const;
    void setReaderAffinity(ReaderAffinity affinity); // default ReaderAffinity::Burst
    ReaderAffinity readerAffinity() const;
    // QPSQLHA_PRIMARY_READS: the primary serves its share of reads like a reader (its weight
    // from QPSQLHA_WEIGHTS). Default false.
    void setPrimaryReads(bool enabled);
    bool primaryReads() const;
    // Whether the setters were called: if not, the connect options (or the defaults) decide.
    bool hasPolicy() const;
    bool hasReaderAffinity() const;
    bool hasPrimaryReads() const;
    void setWriteFunctions(const QStringList &names); // QPSQLHA_WRITE_FUNCTIONS
    QStringList writeFunctions() const;
    // Further libpq keywords for every node, `key=value;key=value` (e.g. connect_timeout=3).
    void setConnectOptions(const QString &options);
    QString connectOptions() const;

private:
    QSharedDataPointer<ReplicationConfigPrivate> d;
};

class DatabaseConfigPrivate;

// Named replication sets: one QSqlDatabase connection name each.
class QPSQLHA_EXPORT DatabaseConfig
{
public:
    DatabaseConfig();
    DatabaseConfig(const DatabaseConfig &other);
    DatabaseConfig &operator=(const DatabaseConfig &other);
    ~DatabaseConfig();

    void appendReplicationConfig(const QString &name, const ReplicationConfig &replication);
    QStringList names() const;
    ReplicationConfig replicationConfig(const QString &name) const;

private:
    QSharedDataPointer<DatabaseConfigPrivate> d;
};

} // namespace QPsqlHa

#endif // QPSQLHACONFIG_H
