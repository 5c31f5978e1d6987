// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhaconfig.h"

#include "qpsqlhaconnectoptions_p.h"

#include <utility>

#include <optional>

namespace QPsqlHa {

class ReplicationConfigPrivate : public QSharedData
{
public:
    QList<NodeConfig> writeNodes;
    QList<NodeConfig> readNodes;
    // Unset: the QPSQLHA_* key of the connect options, else the default.
    std::optional<int> healthInterval;
    std::optional<Policy> policy;
    std::optional<ReaderAffinity> affinity;
    std::optional<bool> primaryReads;
    std::optional<int> queryTimeout;
    std::optional<int> readerBurst;
    std::optional<Consistency> consistency;
    std::optional<qint64> maxLagBytes;
    std::optional<qint64> maxLagMs;
    std::optional<bool> control;
    std::optional<bool> logQueries;
    QStringList writeFunctions;
    QString connectOptions;
    QStringList patroniUrls;
    NodeConfig patroniMemberDefaults;
    QString patroniCaFile;
    QString patroniUser;
};

ReplicationConfig::ReplicationConfig()
    : d(new ReplicationConfigPrivate)
{ }
ReplicationConfig::ReplicationConfig(const ReplicationConfig &other) = default;
ReplicationConfig &ReplicationConfig::operator=(const ReplicationConfig &other) = default;
ReplicationConfig::~ReplicationConfig() = default;

void ReplicationConfig::appendWriteNodeConfig(const NodeConfig &node)
{
    d->writeNodes.append(node);
}

void ReplicationConfig::appendReadNodeConfig(const NodeConfig &node)
{
    d->readNodes.append(node);
}

QList<NodeConfig> ReplicationConfig::writeNodeConfigs() const
{
    return d->writeNodes;
}

QList<NodeConfig> ReplicationConfig::readNodeConfigs() const
{
    return d->readNodes;
}

void ReplicationConfig::setHealthInterval(int milliseconds)
{
    d->healthInterval = milliseconds;
}

int ReplicationConfig::healthInterval() const
{
    return d->healthInterval.value_or(DefaultHealthIntervalMs);
}

bool ReplicationConfig::hasHealthInterval() const
{
    return d->healthInterval.has_value();
}

void ReplicationConfig::setPolicy(Policy policy)
{
    d->policy = policy;
}

Policy ReplicationConfig::policy() const
{
    return d->policy.value_or(Policy::Random);
}

void ReplicationConfig::setReaderAffinity(ReaderAffinity affinity)
{
    d->affinity = affinity;
}

bool ReplicationConfig::hasPolicy() const
{
    return d->policy.has_value();
}

bool ReplicationConfig::hasReaderAffinity() const
{
    return d->affinity.has_value();
}

ReaderAffinity ReplicationConfig::readerAffinity() const
{
    return d->affinity.value_or(ReaderAffinity::Burst);
}

void ReplicationConfig::setPrimaryReads(bool enabled)
{
    d->primaryReads = enabled;
}

bool ReplicationConfig::primaryReads() const
{
    return d->primaryReads.value_or(false);
}

bool ReplicationConfig::hasPrimaryReads() const
{
    return d->primaryReads.has_value();
}

void ReplicationConfig::setQueryTimeout(int milliseconds)
{
    d->queryTimeout = milliseconds;
}

int ReplicationConfig::queryTimeout() const
{
    return d->queryTimeout.value_or(DefaultQueryTimeoutMs);
}

bool ReplicationConfig::hasQueryTimeout() const
{
    return d->queryTimeout.has_value();
}

void ReplicationConfig::setReaderBurst(int reads)
{
    d->readerBurst = reads;
}

int ReplicationConfig::readerBurst() const
{
    return d->readerBurst.value_or(DefaultReaderBurst);
}

bool ReplicationConfig::hasReaderBurst() const
{
    return d->readerBurst.has_value();
}

void ReplicationConfig::setConsistency(Consistency consistency)
{
    d->consistency = consistency;
}

Consistency ReplicationConfig::consistency() const
{
    return d->consistency.value_or(Consistency::Eventual);
}

bool ReplicationConfig::hasConsistency() const
{
    return d->consistency.has_value();
}

void ReplicationConfig::setMaxLagBytes(qint64 bytes)
{
    d->maxLagBytes = bytes;
}

qint64 ReplicationConfig::maxLagBytes() const
{
    return d->maxLagBytes.value_or(0);
}

bool ReplicationConfig::hasMaxLagBytes() const
{
    return d->maxLagBytes.has_value();
}

void ReplicationConfig::setMaxLagMs(qint64 milliseconds)
{
    d->maxLagMs = milliseconds;
}

qint64 ReplicationConfig::maxLagMs() const
{
    return d->maxLagMs.value_or(0);
}

bool ReplicationConfig::hasMaxLagMs() const
{
    return d->maxLagMs.has_value();
}

void ReplicationConfig::setControl(bool enabled)
{
    d->control = enabled;
}

bool ReplicationConfig::control() const
{
    return d->control.value_or(false);
}

bool ReplicationConfig::hasControl() const
{
    return d->control.has_value();
}

void ReplicationConfig::setLogQueries(bool enabled)
{
    d->logQueries = enabled;
}

bool ReplicationConfig::logQueries() const
{
    return d->logQueries.value_or(false);
}

bool ReplicationConfig::hasLogQueries() const
{
    return d->logQueries.has_value();
}

void ReplicationConfig::setWriteFunctions(const QStringList &names)
{
    d->writeFunctions = names;
}

QStringList ReplicationConfig::writeFunctions() const
{
    return d->writeFunctions;
}

void ReplicationConfig::setConnectOptions(const QString &options)
{
    d->connectOptions = options;
}

QString ReplicationConfig::connectOptions() const
{
    return d->connectOptions;
}

void ReplicationConfig::setPatroni(const QStringList &urls, const NodeConfig &memberDefaults)
{
    d->patroniUrls = urls;
    d->patroniMemberDefaults = memberDefaults;
}

QStringList ReplicationConfig::patroniUrls() const
{
    return d->patroniUrls;
}

NodeConfig ReplicationConfig::patroniMemberDefaults() const
{
    return d->patroniMemberDefaults;
}

void ReplicationConfig::setPatroniCaFile(const QString &pemFile)
{
    d->patroniCaFile = pemFile;
}

QString ReplicationConfig::patroniCaFile() const
{
    return d->patroniCaFile;
}

void ReplicationConfig::setPatroniUser(const QString &user)
{
    d->patroniUser = user;
}

QString ReplicationConfig::patroniUser() const
{
    return d->patroniUser;
}

class DatabaseConfigPrivate : public QSharedData
{
public:
    QList<std::pair<QString, ReplicationConfig>> sets;
};

DatabaseConfig::DatabaseConfig()
    : d(new DatabaseConfigPrivate)
{ }
DatabaseConfig::DatabaseConfig(const DatabaseConfig &other) = default;
DatabaseConfig &DatabaseConfig::operator=(const DatabaseConfig &other) = default;
DatabaseConfig::~DatabaseConfig() = default;

void DatabaseConfig::appendReplicationConfig(const QString &name,
                                             const ReplicationConfig &replication)
{
    d->sets.append({name, replication});
}

QStringList DatabaseConfig::names() const
{
    QStringList result;
    result.reserve(d->sets.size());
    for (const auto &set : d->sets)
        result.append(set.first);
    return result;
}

ReplicationConfig DatabaseConfig::replicationConfig(const QString &name) const
{
    for (const auto &set : d->sets) {
        if (set.first == name)
            return set.second;
    }
    return ReplicationConfig();
}

} // namespace QPsqlHa
