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
    // Share of the reads relative to the other nodes, 0 to 1000, as QPSQLHA_WEIGHTS; 0 gets
    // reads only when no other node can. The write node's counts only with primary reads.
    int weight = 1;
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

    // Each setter below has a QPSQLHA_* connect option; a setter that was called wins over the
    // same option in setConnectOptions(), one that was not leaves it to the option (or to the
    // default): has*() tells which.
    void setHealthInterval(int milliseconds); // QPSQLHA_HEALTH_INTERVAL: default 2000, minimum 50
    int healthInterval() const;
    bool hasHealthInterval() const;
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
    // QPSQLHA_QUERY_TIMEOUT: how long one call may wait on one node; 0: no limit. Default 5000.
    void setQueryTimeout(int milliseconds);
    int queryTimeout() const;
    bool hasQueryTimeout() const;
    // QPSQLHA_READER_BURST: reads on one reader under ReaderAffinity::Burst, 1 to 100000.
    // Default 16.
    void setReaderBurst(int reads);
    int readerBurst() const;
    bool hasReaderBurst() const;
    void setConsistency(Consistency consistency); // QPSQLHA_CONSISTENCY: default Eventual
    Consistency consistency() const;
    bool hasConsistency() const;
    // QPSQLHA_MAX_LAG_BYTES / QPSQLHA_MAX_LAG_MS: a reader further behind gets no reads; 0: no
    // limit (the default).
    void setMaxLagBytes(qint64 bytes);
    qint64 maxLagBytes() const;
    bool hasMaxLagBytes() const;
    void setMaxLagMs(qint64 milliseconds);
    qint64 maxLagMs() const;
    bool hasMaxLagMs() const;
    // QPSQLHA_CONTROL: serve node state to qpsqlha-ctl and the monitor. Default false.
    void setControl(bool enabled);
    bool control() const;
    bool hasControl() const;
    // QPSQLHA_LOG_QUERIES: log every statement of every node (NodeConfig::logQueries: one node).
    // Default false.
    void setLogQueries(bool enabled);
    bool logQueries() const;
    bool hasLogQueries() const;
    // QPSQLHA_WRITE_FUNCTIONS: added to those of setConnectOptions().
    void setWriteFunctions(const QStringList &names);
    QStringList writeFunctions() const;
    // Further libpq keywords for every node, `key=value;key=value` (e.g. connect_timeout=3), and
    // any QPSQLHA_* option, in QSqlDatabase::setConnectOptions() syntax. QPSQLHA_READERS adds
    // readers after the read node configs, with the write node's credentials and database;
    // QPSQLHA_WEIGHTS names any node; QPSQLHA_CLUSTER is refused (the set's name is the
    // cluster's).
    void setConnectOptions(const QString &options);
    QString connectOptions() const;

    // QPSQLHA_PATRONI: follow the members of a Patroni cluster through its REST API (any
    // member's URLs, tried in turn). With it the write node and the read nodes are optional:
    // only the first nodes to try. `memberDefaults` gives the user, password, database and
    // sslmode for members Patroni reports (host and port unused); without it they are copied
    // from the write node. The REST API's password comes from the environment
    // (QPSQLHA_PATRONI_PASSWORD or QPSQLHA_PATRONI_PASSWORD_FILE).
    void setPatroni(const QStringList &urls, const NodeConfig &memberDefaults = NodeConfig());
    QStringList patroniUrls() const;
    NodeConfig patroniMemberDefaults() const;
    void setPatroniCaFile(const QString &pemFile); // QPSQLHA_PATRONI_CA
    QString patroniCaFile() const;
    void setPatroniUser(const QString &user); // QPSQLHA_PATRONI_USER
    QString patroniUser() const;

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
