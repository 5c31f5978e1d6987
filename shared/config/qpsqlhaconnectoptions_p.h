// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACONNECTOPTIONS_P_H
#define QPSQLHACONNECTOPTIONS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaconfig.h>
#include <qpsqlhaport_p.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <utility>

namespace QPsqlHa {

// Everything needed to open one node's connection. The password lives here and nowhere else:
// it is never part of a message, a log line or a cluster comparison.
struct QPSQLHA_EXPORT NodeSettings
{
    QString host; // empty: libpq's default (a local socket)
    int port = 5432;
    QString user;
    QString password;
    QString database;
    QString sslmode; // from NodeConfig; empty: whatever the connect options say
    NodeRole role = NodeRole::Reader;
    bool logQueries = false;
    int weight = 1; // QPSQLHA_WEIGHTS: share of reads relative to the other readers

    // "host:port", "[v6addr]:port": how nodes are named in errors, logs and by the tools.
    QString address() const;
    // Whether `other` names the same server, as far as the addresses tell without a name lookup:
    // same port, host names equal but for case, and every spelling of this machine (no host,
    // localhost, 127.0.0.1, ::1) one host. Names are not resolved: adding a reader answers a
    // control request, which QHostInfo::fromName() would block without a bound, and what a name
    // resolves to may change (DNS failover), so two names of one address stay two nodes.
    bool isSameServerAs(const NodeSettings &other) const;
    // The server as isSameServerAs() compares it: equal keys, same server.
    QString serverKey() const;

    // The names of the members that differ from `other`'s. Every member is compared: one added
    // to the struct without its line there does not compile.
    QStringList fieldsDifferingFrom(const NodeSettings &other) const;
    bool operator==(const NodeSettings &other) const
    {
        return fieldsDifferingFrom(other).isEmpty();
    }
    bool operator!=(const NodeSettings &other) const { return !(*this == other); }
};

// QPSQLHA_PATRONI and its companions: Patroni's REST API as the source of the cluster's members
// (docs/patroni.md). The password comes from the environment, never from the connect options.
struct QPSQLHA_EXPORT PatroniSettings
{
    QStringList urls; // "http(s)://host:port[/prefix]" without a trailing '/', tried in turn
    QString caFile; // QPSQLHA_PATRONI_CA: PEM file the https server certificates must chain to
    QString user; // QPSQLHA_PATRONI_USER: HTTP basic auth; empty: none
    QString password; // QPSQLHA_PATRONI_PASSWORD(_FILE) from the environment; never shown

    bool isEnabled() const { return !urls.isEmpty(); }
    // Everything but the password, which is never compared in messages or logged.
    bool sameEndpointsAs(const PatroniSettings &other) const
    {
        return urls == other.urls && caFile == other.caFile && user == other.user;
    }
    bool operator==(const PatroniSettings &other) const
    {
        return sameEndpointsAs(other) && password == other.password;
    }
    bool operator!=(const PatroniSettings &other) const { return !(*this == other); }
};

// "QPSQLHA_PATRONI=URL[,URL...]": the endpoints, checked (http or https, a host, no user or
// password in the URL, no query). On failure *problem says why without repeating a password.
QPSQLHA_EXPORT bool parsePatroniUrls(const QString &text, QStringList *urls, QString *problem);

constexpr int DefaultReaderBurst = 16;
constexpr int MaximumReaderBurst = 100000;

// One validated cluster description: what the driver, the health checker and the registry use.
struct QPSQLHA_EXPORT ClusterSettings
{
    QString name;
    // Named by the application (QPSQLHA_CLUSTER, a replication set of the C++ API). A name made
    // from the primary's address is only a default: connections of one primary with other nodes
    // or options get clusters of their own under it (ClusterRegistry::acquire()).
    bool nameGiven = false;
    // nodes.first() is the primary, the rest are readers (QPSQLHA_WEIGHTS is in their weights).
    // Under Patroni they are only the first nodes to try and may be empty: the cluster is seeded
    // from Patroni's first answer.
    QList<NodeSettings> nodes;
    // Credentials, database and sslmode for nodes found at run time (Patroni's members) when
    // there is no configured primary to copy them from; host and port unused.
    NodeSettings nodeTemplate;
    PatroniSettings patroni;
    QList<std::pair<QString, QString>> libpqOptions; // passed unchanged to every node
    QStringList writeFunctions;
    int healthIntervalMs = 2000;
    // QPSQLHA_QUERY_TIMEOUT: how long one call may wait on one node; 0: forever.
    int queryTimeoutMs = 5000;
    Policy policy = Policy::Random;
    ReaderAffinity affinity = ReaderAffinity::Burst;
    int burstLength = DefaultReaderBurst; // QPSQLHA_READER_BURST: reads per burst (affinity Burst)
    bool primaryReads = false; // QPSQLHA_PRIMARY_READS: the write node serves reads too
    Consistency consistency = Consistency::Eventual;
    qint64 maxLagBytes = 0; // QPSQLHA_MAX_LAG_BYTES; 0: no limit
    qint64 maxLagMs = 0; // QPSQLHA_MAX_LAG_MS; 0: no limit
    bool debug = false;
    bool logQueries = false;
    bool control = false; // QPSQLHA_CONTROL: serve node state to qpsqlha-ctl and the monitor
    // QPSQLHA_FLEET: admin state and heartbeat through the fleet schema (docs/fleet.md); the
    // environment variable QPSQLHA_FLEET=1 turns it on for every cluster of the process.
    bool fleet = false;
    QString fleetSchema = QStringLiteral("qpsqlha"); // QPSQLHA_FLEET_SCHEMA
    int fleetHeartbeatMs = 5000; // QPSQLHA_FLEET_HEARTBEAT

    // Monotonic reads: Monotonic, and ReadYourWrites, which implies it.
    bool monotonicReads() const { return consistency != Consistency::Eventual; }

    // libpqOptions in QPSQL's connect-option syntax, every value quoted.
    QString qpsqlConnectOptions() const;
    // The node addresses, primary first: two settings describe the same cluster when equal.
    QStringList addresses() const;
    // The node weights, primary first.
    QList<int> weights() const;

    // The names of the members that differ from `other`'s ("nodes.weight" for a member of
    // nodes of equal count). Every member is compared: one added to the struct without its line
    // there does not compile, and tst_apioptions then wants a connect option that sets it.
    QStringList fieldsDifferingFrom(const ClusterSettings &other) const;
    // Every name fieldsDifferingFrom() may return.
    static QStringList fieldNames();
    bool operator==(const ClusterSettings &other) const
    {
        return fieldsDifferingFrom(other).isEmpty();
    }
    bool operator!=(const ClusterSettings &other) const { return !(*this == other); }
};

// Every QPSQLHA_* key the connect options accept, upper case: the parser refuses any other.
QPSQLHA_EXPORT const QStringList &connectOptionKeys();

struct ConnectionParameters
{
    QString host;
    int port = -1;
    QString database;
    QString user;
    QString password;
    QString connectOptions;
};

constexpr int MinimumHealthIntervalMs = 50;
constexpr int DefaultHealthIntervalMs = 2000;
constexpr int DefaultQueryTimeoutMs = 5000;
constexpr int MaximumNodes = 64; // nodes are tracked in 64-bit masks on the hot path

// Parses what QSqlDatabase hands the driver. On failure returns false and sets *errorMessage to a
// text that names the offending key and value (never the password).
QPSQLHA_EXPORT bool parseConnectionParameters(const ConnectionParameters &parameters,
                                              ClusterSettings *settings, QString *errorMessage);

// Builds the settings for one replication set of the C++ API.
QPSQLHA_EXPORT bool clusterSettingsFromConfig(const QString &name, const ReplicationConfig &config,
                                              bool debug, ClusterSettings *settings,
                                              QString *errorMessage);

// "host:port" as typed by a user (QPSQLHA_WEIGHTS, qpsqlha-ctl add-reader) -> host and port.
QPSQLHA_EXPORT bool parseNodeAddress(const QString &text, int defaultPort, QString *host, int *port,
                                     QString *problem);

// Quotes a value for a libpq conninfo string: 'value' with ' and \ escaped.
QPSQLHA_EXPORT QString quoteConninfoValue(const QString &value);

} // namespace QPsqlHa

#endif // QPSQLHACONNECTOPTIONS_P_H
