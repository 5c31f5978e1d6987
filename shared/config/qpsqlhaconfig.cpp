// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhaconfig.h"

#include <utility>

#include <optional>

namespace QPsqlHa {

class ReplicationConfigPrivate : public QSharedData
{
public:
    QList<NodeConfig> writeNodes;
    QList<NodeConfig> readNodes;
    int healthInterval = 2000;
    // Unset: QPSQLHA_POLICY / QPSQLHA_READER_AFFINITY / QPSQLHA_PRIMARY_READS in the connect
    // options, else the default.
    std::optional<Policy> policy;
    std::optional<ReaderAffinity> affinity;
    std::optional<bool> primaryReads;
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
    return d->healthInterval;
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
