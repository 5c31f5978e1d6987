// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAPATRONITOPOLOGY_P_H
#define QPSQLHAPATRONITOPOLOGY_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

// A Patroni cluster as its REST API's `GET /cluster` describes it (docs/patroni.md). Pure: no
// network, no cluster state. The health checker fetches the document; this only reads it.
namespace QPsqlHa {

enum class PatroniRole {
    Leader, // "leader": the primary, takes writes
    Replica, // "replica"
    SyncStandby, // "sync_standby": a replica that synchronous commit waits for
    StandbyLeader, // "standby_leader": leads a standby cluster; itself in recovery
    Other, // anything else Patroni may add one day: never a reader, never the primary
};

struct QPSQLHA_EXPORT PatroniMember
{
    QString name;
    QString host;
    int port = 0; // 1..65535 in every parsed member
    PatroniRole role = PatroniRole::Other;
    QString roleText; // as Patroni sent it, for display ("leader", "quorum_standby", ...)
    QString state; // "running", "streaming", "starting", "stopped", "crashed", ...
    qint64 timeline = -1; // -1: not given
    qint64 lagBytes = -1; // bytes behind the leader; -1: not given or "unknown" (the leader)
    QJsonObject tags; // as Patroni sent them; Patroni leaves false ones out
    bool noLoadBalance = false; // tags.noloadbalance: Patroni's own /replica answers 503
    bool noFailover = false; // tags.nofailover: never promoted by Patroni
    QString apiUrl; // this member's REST API ("http://host:port/patroni"); may be empty

    // "host:port", "[v6addr]:port", the way NodeSettings::address() names nodes.
    QString address() const;
    // A member whose server takes reads under Patroni: a (sync) replica without noloadbalance.
    bool isReadable() const;
};

struct QPSQLHA_EXPORT PatroniTopology
{
    QString scope; // only newer Patroni versions put it into /cluster; empty if absent
    QList<PatroniMember> members; // in Patroni's order (by name), unusable members left out
    int leaderIndex = -1; // into members: the one "leader" or "standby_leader"; -1: none
    bool paused = false; // maintenance mode: Patroni neither fails over nor switches over
    // One line per member that was left out or a field that was ignored, with the member's name
    // or position: for the log, never for a user's error.
    QStringList warnings;

    const PatroniMember *leader() const;
    // The member at host:port (as NodeSettings::isSameServerAs() compares), or nullptr.
    const PatroniMember *memberAt(const QString &host, int port) const;
};

// Largest document read. A real /cluster is about 250 bytes per member; this is thousands.
constexpr qsizetype MaximumPatroniDocumentSize = 4 * 1024 * 1024;

// Parses the body of `GET /cluster`. A document that cannot be trusted as a whole (not JSON, not
// an object, no member list, two leaders, two members on one server or with one name) returns
// false with *error saying why, and *topology is left as it was: the caller keeps the topology
// it knew. A single member that cannot be used (no host, a port outside 1..65535, not an object)
// is left out with a warning, and the rest is returned.
QPSQLHA_EXPORT bool parsePatroniCluster(const QByteArray &json, PatroniTopology *topology,
                                        QString *error);

QPSQLHA_EXPORT QString patroniRoleName(PatroniRole role);

} // namespace QPsqlHa

#endif // QPSQLHAPATRONITOPOLOGY_P_H
