// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhaconnectoptions_p.h"

#include <QtCore/qset.h>

#include <libpq-fe.h>

#include <algorithm>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

namespace {

const QString optionPrefix = u"QPSQLHA_"_s;

// The keywords this libpq understands, so that a typo fails with our message, not libpq's.
const QSet<QString> &libpqKeywords()
{
    static const QSet<QString> keywords = [] {
        QSet<QString> result;
        if (PQconninfoOption *options = PQconndefaults()) {
            for (PQconninfoOption *o = options; o->keyword; ++o)
                result.insert(QString::fromLatin1(o->keyword));
            PQconninfoFree(options);
        }
        return result;
    }();
    return keywords;
}

QString invalidValue(const QString &key, const QString &value, const QString &expected)
{
    return u"QPSQLHA: invalid value '%1' for %2: %3"_s.arg(value, key, expected);
}

bool parseBool(const QString &value, bool *ok)
{
    const QString v = value.toLower();
    *ok = true;
    if (v == "1"_L1 || v == "true"_L1 || v == "on"_L1 || v == "yes"_L1)
        return true;
    if (v == "0"_L1 || v == "false"_L1 || v == "off"_L1 || v == "no"_L1)
        return false;
    *ok = false;
    return false;
}

bool isIdentifier(const QString &name)
{
    if (name.isEmpty() || !(name.front().isLetter() || name.front() == u'_'))
        return false;
    for (QChar c : name) {
        if (!(c.isLetterOrNumber() || c == u'_' || c == u'$'))
            return false;
    }
    return true;
}

} // namespace

namespace {

// "host", "host:port", "[v6]", "[v6]:port"; the port defaults to the primary's.
bool parseHostPort(const QString &text, int defaultPort, QString *host, int *port, QString *problem)
{
    QString portText;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0) {
            *problem = u"missing ']' after an IPv6 address"_s;
            return false;
        }
        *host = text.mid(1, close - 1);
        const QString rest = text.mid(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(u':')) {
                *problem = u"expected ':port' after ']'"_s;
                return false;
            }
            portText = rest.mid(1);
            if (portText.isEmpty()) {
                *problem = u"empty port"_s;
                return false;
            }
        }
    } else {
        const qsizetype colon = text.indexOf(u':');
        if (colon >= 0 && text.indexOf(u':', colon + 1) >= 0) {
            *problem = u"write IPv6 addresses in brackets, as in [::1]:5432"_s;
            return false;
        }
        *host = colon < 0 ? text : text.left(colon);
        if (colon >= 0) {
            portText = text.mid(colon + 1);
            if (portText.isEmpty()) {
                *problem = u"empty port"_s;
                return false;
            }
        }
    }
    if (host->isEmpty()) {
        *problem = u"empty host"_s;
        return false;
    }
    for (QChar c : std::as_const(*host)) {
        if (c.isSpace() || c == u'\'' || c == u'\\' || c == u',' || c == u'=') {
            *problem = u"a host name cannot contain spaces, quotes, '\\', ',' or '='"_s;
            return false;
        }
    }
    *port = defaultPort;
    if (!portText.isEmpty()) {
        const int p = parsePort(portText);
        if (p < 0) {
            *problem = u"port '%1' is not a number from 1 to 65535 (digits only)"_s.arg(portText);
            return false;
        }
        *port = p;
    }
    return true;
}

// libpq also accepts key='quoted value'; keep the value, we quote it again ourselves.
QString unquoteConninfoValue(const QString &value)
{
    if (value.size() < 2 || !value.startsWith(u'\'') || !value.endsWith(u'\''))
        return value;
    QString result;
    result.reserve(value.size() - 2);
    for (qsizetype i = 1; i < value.size() - 1; ++i) {
        if (value.at(i) == u'\\' && i + 1 < value.size() - 1)
            ++i;
        result.append(value.at(i));
    }
    return result;
}

bool applyOption(const QString &key, const QString &value, ClusterSettings *settings,
                 QString *readers, bool *readersGiven, QString *errorMessage)
{
    const QString upper = key.toUpper();
    if (!upper.startsWith(optionPrefix)) {
        const QString keyword = key.toLower();
        if (keyword == "host"_L1 || keyword == "hostaddr"_L1 || keyword == "port"_L1
            || keyword == "dbname"_L1) {
            *errorMessage = u"QPSQLHA: connect option '%1' is not allowed: set the primary with "
                            "QSqlDatabase::setHostName()/setPort()/setDatabaseName() and the "
                            "readers with QPSQLHA_READERS"_s.arg(key);
            return false;
        }
        if (!libpqKeywords().contains(keyword)) {
            *errorMessage = u"QPSQLHA: unknown connect option '%1' (neither a QPSQLHA_ option nor "
                            "a libpq keyword)"_s.arg(key);
            return false;
        }
        settings->libpqOptions.append({keyword, unquoteConninfoValue(value)});
        return true;
    }

    bool ok = true;
    if (upper == "QPSQLHA_READERS"_L1) {
        *readers = value;
        *readersGiven = true;
    } else if (upper == "QPSQLHA_HEALTH_INTERVAL"_L1) {
        const int ms = value.toInt(&ok);
        if (!ok || ms < MinimumHealthIntervalMs) {
            *errorMessage = invalidValue(
                key, value, u"expected milliseconds, at least %1"_s.arg(MinimumHealthIntervalMs));
            return false;
        }
        settings->healthIntervalMs = ms;
    } else if (upper == "QPSQLHA_QUERY_TIMEOUT"_L1) {
        const int ms = value.toInt(&ok);
        if (!ok || ms < 0) {
            *errorMessage = invalidValue(key, value, u"expected milliseconds (0: no limit)"_s);
            return false;
        }
        settings->queryTimeoutMs = ms;
    } else if (upper == "QPSQLHA_POLICY"_L1) {
        const QString v = value.toLower();
        if (v == "random"_L1) {
            settings->policy = Policy::Random;
        } else if (v == "round_robin"_L1) {
            settings->policy = Policy::RoundRobin;
        } else if (v == "least_busy"_L1) {
            settings->policy = Policy::LeastBusy;
        } else if (v == "fastest"_L1) {
            settings->policy = Policy::Fastest;
        } else {
            *errorMessage = invalidValue(key, value,
                                         u"expected random, round_robin, least_busy or fastest"_s);
            return false;
        }
    } else if (upper == "QPSQLHA_CONSISTENCY"_L1) {
        const QString v = value.toLower();
        if (v == "eventual"_L1) {
            settings->consistency = Consistency::Eventual;
        } else if (v == "read_your_writes"_L1) {
            settings->consistency = Consistency::ReadYourWrites;
        } else if (v == "monotonic"_L1) {
            settings->consistency = Consistency::Monotonic;
        } else {
            *errorMessage
                = invalidValue(key, value, u"expected eventual, monotonic or read_your_writes"_s);
            return false;
        }
    } else if (upper == "QPSQLHA_MAX_LAG_BYTES"_L1 || upper == "QPSQLHA_MAX_LAG_MS"_L1) {
        const qint64 limit = value.toLongLong(&ok);
        if (!ok || limit < 0) {
            *errorMessage = invalidValue(key, value,
                                         upper.endsWith("BYTES"_L1)
                                             ? u"expected a number of bytes, 0 for no limit"_s
                                             : u"expected milliseconds, 0 for no limit"_s);
            return false;
        }
        (upper.endsWith("BYTES"_L1) ? settings->maxLagBytes : settings->maxLagMs) = limit;
    } else if (upper == "QPSQLHA_WEIGHTS"_L1) {
        settings->weights.clear();
        for (const QString &rawEntry : value.split(u',', Qt::KeepEmptyParts)) {
            const QString entry = rawEntry.trimmed();
            const qsizetype eq = entry.lastIndexOf(u'=');
            // Without an explicit port, a weight would silently miss a reader on another port.
            const QString address = eq > 0 ? entry.left(eq).trimmed() : QString();
            const int weight = eq > 0 ? entry.mid(eq + 1).trimmed().toInt(&ok) : 0;
            QString host;
            int port = 0;
            QString problem;
            if (eq <= 0 || !ok || weight < 0 || weight > 1000) {
                problem = u"'%1' is not host:port=weight (weight 0..1000)"_s.arg(entry);
            } else if (!parseNodeAddress(address, -1, &host, &port, &problem)) {
                // problem set
            } else if (port < 0) {
                problem = u"'%1' lacks the port"_s.arg(address);
            }
            if (!problem.isEmpty()) {
                *errorMessage = invalidValue(key, value, problem);
                return false;
            }
            NodeSettings named;
            named.host = host;
            named.port = port;
            settings->weights.append({named.address(), weight});
        }
    } else if (upper == "QPSQLHA_READER_AFFINITY"_L1) {
        const QString v = value.toLower();
        if (v == "connection"_L1) {
            settings->affinity = ReaderAffinity::Connection;
        } else if (v == "statement"_L1) {
            settings->affinity = ReaderAffinity::Statement;
        } else if (v == "burst"_L1) {
            settings->affinity = ReaderAffinity::Burst;
        } else {
            *errorMessage = invalidValue(key, value, u"expected burst, statement or connection"_s);
            return false;
        }
    } else if (upper == "QPSQLHA_READER_BURST"_L1) {
        const int reads = value.toInt(&ok);
        if (!ok || reads < 1 || reads > MaximumReaderBurst) {
            *errorMessage = invalidValue(
                key, value,
                u"expected the number of reads a connection makes on one reader before it "
                "chooses again, 1 to %1"_s.arg(MaximumReaderBurst));
            return false;
        }
        settings->burstLength = reads;
    } else if (upper == "QPSQLHA_PRIMARY_READS"_L1) {
        settings->primaryReads = parseBool(value, &ok);
    } else if (upper == "QPSQLHA_CLUSTER"_L1) {
        if (value.isEmpty()) {
            *errorMessage = invalidValue(key, value, u"expected a name"_s);
            return false;
        }
        settings->name = value;
        settings->nameGiven = true;
    } else if (upper == "QPSQLHA_DEBUG"_L1) {
        settings->debug = parseBool(value, &ok);
    } else if (upper == "QPSQLHA_CONTROL"_L1) {
        settings->control = parseBool(value, &ok);
    } else if (upper == "QPSQLHA_FLEET"_L1) {
        settings->fleet = parseBool(value, &ok);
    } else if (upper == "QPSQLHA_FLEET_SCHEMA"_L1) {
        if (!isIdentifier(value)) {
            *errorMessage = invalidValue(key, value, u"expected a schema name"_s);
            return false;
        }
        settings->fleetSchema = value.toLower();
    } else if (upper == "QPSQLHA_FLEET_HEARTBEAT"_L1) {
        const int ms = value.toInt(&ok);
        if (!ok || ms < MinimumHealthIntervalMs) {
            *errorMessage = invalidValue(
                key, value, u"expected milliseconds, at least %1"_s.arg(MinimumHealthIntervalMs));
            return false;
        }
        settings->fleetHeartbeatMs = ms;
    } else if (upper == "QPSQLHA_LOG_QUERIES"_L1) {
        settings->logQueries = parseBool(value, &ok);
    } else if (upper == "QPSQLHA_WRITE_FUNCTIONS"_L1) {
        for (const QString &part : value.split(u',', Qt::SkipEmptyParts)) {
            const QString name = part.trimmed();
            if (!isIdentifier(name)) {
                *errorMessage = invalidValue(key, value,
                                             u"expected a comma-separated list of "
                                             "function names"_s);
                return false;
            }
            settings->writeFunctions.append(name.toLower());
        }
    } else {
        *errorMessage = u"QPSQLHA: unknown option '%1'"_s.arg(key);
        return false;
    }
    if (!ok) {
        *errorMessage = invalidValue(key, value, u"expected 1 or 0"_s);
        return false;
    }
    return true;
}

bool addNode(ClusterSettings *settings, NodeSettings node, QString *errorMessage)
{
    const QString address = node.address();
    for (const NodeSettings &existing : std::as_const(settings->nodes)) {
        if (existing.isSameServerAs(node)) {
            *errorMessage = u"QPSQLHA: node %1 is listed twice"_s.arg(address);
            if (existing.address() != address)
                *errorMessage += u" (as %1)"_s.arg(existing.address());
            return false;
        }
    }
    if (settings->nodes.size() >= MaximumNodes) {
        *errorMessage = u"QPSQLHA: at most %1 nodes per cluster"_s.arg(MaximumNodes);
        return false;
    }
    settings->nodes.append(std::move(node));
    return true;
}

// QPSQLHA_WEIGHTS onto the nodes they name. The primary may be named only when it serves reads.
bool applyWeights(ClusterSettings *settings, QString *errorMessage)
{
    for (const std::pair<QString, int> &entry : std::as_const(settings->weights)) {
        // Not a structured binding: lambdas may capture those only from C++20 on (clang says so).
        const QString &address = entry.first;
        // The node may be spelt another way in QPSQLHA_READERS (localhost, 127.0.0.1).
        NodeSettings weighted;
        QString problem;
        parseNodeAddress(address, -1, &weighted.host, &weighted.port, &problem); // checked before
        auto node = std::find_if(
            settings->nodes.begin(), settings->nodes.end(),
            [&weighted](const NodeSettings &n) { return n.isSameServerAs(weighted); });
        if (node == settings->nodes.end()) {
            *errorMessage = invalidValue(u"QPSQLHA_WEIGHTS"_s, address,
                                         settings->primaryReads ? u"not one of the nodes"_s
                                                                : u"not one of the readers"_s);
            return false;
        }
        if (node == settings->nodes.begin() && !settings->primaryReads) {
            *errorMessage = invalidValue(u"QPSQLHA_WEIGHTS"_s, address,
                                         u"the primary takes no reads unless "
                                         "QPSQLHA_PRIMARY_READS=1"_s);
            return false;
        }
        node->weight = entry.second;
    }
    return true;
}

} // namespace

QString NodeSettings::address() const
{
    const QString shownHost = host.isEmpty() ? u"localhost"_s : host;
    if (shownHost.contains(u':'))
        return u"[%1]:%2"_s.arg(shownHost).arg(port);
    return u"%1:%2"_s.arg(shownHost).arg(port);
}

bool NodeSettings::isSameServerAs(const NodeSettings &other) const
{
    return serverKey() == other.serverKey();
}

QString NodeSettings::serverKey() const
{
    // A socket directory is a path, where case matters; libpq's default socket (no host) and the
    // loopback addresses reach the same server in any setup that listens on both.
    QString comparableHost;
    if (host.startsWith(u'/')) {
        comparableHost = host;
    } else {
        comparableHost = host.toLower();
        if (comparableHost.isEmpty() || comparableHost == "localhost"_L1
            || comparableHost == "127.0.0.1"_L1 || comparableHost == "::1"_L1) {
            comparableHost = u"localhost"_s;
        }
    }
    // The port last: a path or an IPv6 address may contain anything but cannot end in " port".
    return comparableHost + u' ' + QString::number(port);
}

QString ClusterSettings::qpsqlConnectOptions() const
{
    QString result;
    for (const auto &[key, value] : libpqOptions) {
        if (!result.isEmpty())
            result += u';';
        result += key + u'=' + quoteConninfoValue(value);
    }
    return result;
}

QStringList ClusterSettings::addresses() const
{
    QStringList result;
    result.reserve(nodes.size());
    for (const NodeSettings &node : nodes)
        result.append(node.address());
    return result;
}

QString quoteConninfoValue(const QString &value)
{
    QString result;
    result.reserve(value.size() + 2);
    result += u'\'';
    for (QChar c : value) {
        if (c == u'\'' || c == u'\\')
            result += u'\\';
        result += c;
    }
    result += u'\'';
    return result;
}

namespace {

// `weigh`: apply QPSQLHA_WEIGHTS to the nodes; the C++ API does that once it has its nodes.
bool parseParameters(const ConnectionParameters &parameters, ClusterSettings *settings,
                     QString *errorMessage, bool weigh)
{
    *settings = ClusterSettings();
    QString readers;
    bool readersGiven = false;
    // Each QPSQLHA_ option once: with two, one would silently win over the other.
    QSet<QString> givenOptions;

    // QPSQL splits on ';' as well; a value can therefore never contain one.
    const QStringList parts = parameters.connectOptions.split(u';', Qt::SkipEmptyParts);
    for (const QString &rawPart : parts) {
        const QString part = rawPart.trimmed();
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf(u'=');
        if (eq <= 0) {
            *errorMessage = u"QPSQLHA: malformed connect option '%1' (expected key=value)"_s.arg(
                part.section(u'=', 0, 0));
            return false;
        }
        const QString key = part.left(eq).trimmed();
        const QString value = part.mid(eq + 1).trimmed();
        const QString upper = key.toUpper();
        if (upper.startsWith(optionPrefix)) {
            if (givenOptions.contains(upper)) {
                *errorMessage = u"QPSQLHA: connect option %1 is given twice; give each QPSQLHA_ "
                                "option once"_s.arg(upper);
                return false;
            }
            givenOptions.insert(upper);
        }
        if (!applyOption(key, value, settings, &readers, &readersGiven, errorMessage))
            return false;
    }

    NodeSettings primary;
    primary.host = parameters.host;
    primary.port = parameters.port > 0 ? parameters.port : 5432;
    primary.user = parameters.user;
    primary.password = parameters.password;
    primary.database = parameters.database;
    primary.role = NodeRole::Primary;
    primary.logQueries = settings->logQueries;
    if (!addNode(settings, primary, errorMessage))
        return false;

    if (readersGiven) {
        const QString trimmed = readers.trimmed();
        const QStringList entries
            = trimmed.isEmpty() ? QStringList() : trimmed.split(u',', Qt::KeepEmptyParts);
        for (const QString &rawEntry : entries) {
            const QString entry = rawEntry.trimmed();
            NodeSettings reader = primary;
            reader.role = NodeRole::Reader;
            QString problem;
            if (entry.isEmpty()) {
                problem = u"empty entry"_s;
            } else if (!parseHostPort(entry, primary.port, &reader.host, &reader.port, &problem)) {
                // problem set
            }
            if (!problem.isEmpty()) {
                *errorMessage
                    = invalidValue(u"QPSQLHA_READERS"_s, readers,
                                   u"%1 in '%2' (expected host[:port],...)"_s.arg(problem, entry));
                return false;
            }
            if (!addNode(settings, reader, errorMessage))
                return false;
        }
    }

    if (weigh && !applyWeights(settings, errorMessage))
        return false;

    if (settings->name.isEmpty())
        settings->name = primary.address() + u'/' + primary.database;
    return true;
}

} // namespace

bool parseConnectionParameters(const ConnectionParameters &parameters, ClusterSettings *settings,
                               QString *errorMessage)
{
    return parseParameters(parameters, settings, errorMessage, true);
}

bool parseNodeAddress(const QString &text, int defaultPort, QString *host, int *port,
                      QString *problem)
{
    if (text.trimmed().isEmpty()) {
        *problem = u"empty address"_s;
        return false;
    }
    return parseHostPort(text.trimmed(), defaultPort, host, port, problem);
}

bool clusterSettingsFromConfig(const QString &name, const ReplicationConfig &config, bool debug,
                               ClusterSettings *settings, QString *errorMessage)
{
    *settings = ClusterSettings();
    const QList<NodeConfig> writeNodes = config.writeNodeConfigs();
    if (writeNodes.size() != 1) {
        *errorMessage
            = u"QPSQLHA: replication set '%1' needs exactly one write node, it has %2"_s.arg(name)
                  .arg(writeNodes.size());
        return false;
    }

    // The shared options go through the same parser as QSqlDatabase::setConnectOptions().
    ConnectionParameters parameters;
    parameters.host = writeNodes.first().host;
    parameters.port = writeNodes.first().port;
    parameters.connectOptions = config.connectOptions();
    if (!parseParameters(parameters, settings, errorMessage, false))
        return false;
    if (config.healthInterval() < MinimumHealthIntervalMs) {
        *errorMessage
            = invalidValue(u"health interval"_s, QString::number(config.healthInterval()),
                           u"expected milliseconds, at least %1"_s.arg(MinimumHealthIntervalMs));
        return false;
    }
    for (const QString &function : config.writeFunctions()) {
        if (!isIdentifier(function)) {
            *errorMessage = invalidValue(u"write functions"_s, function, u"not a function name"_s);
            return false;
        }
        settings->writeFunctions.append(function.toLower());
    }
    settings->name = name;
    settings->nameGiven = true;
    settings->healthIntervalMs = config.healthInterval();
    // The setters win over QPSQLHA_POLICY / QPSQLHA_READER_AFFINITY / QPSQLHA_PRIMARY_READS in
    // setConnectOptions(), but only when they were called: an unset one must not put its
    // default over the option.
    if (config.hasPolicy())
        settings->policy = config.policy();
    if (config.hasReaderAffinity())
        settings->affinity = config.readerAffinity();
    if (config.hasPrimaryReads())
        settings->primaryReads = config.primaryReads();
    settings->debug = debug;
    settings->nodes.clear();

    auto toSettings = [](const NodeConfig &config, NodeRole role) {
        NodeSettings node;
        node.host = config.host;
        node.port = config.port > 0 ? config.port : 5432;
        node.user = config.user;
        node.password = config.password;
        node.database = config.database;
        node.sslmode = config.sslmode;
        node.role = role;
        node.logQueries = config.logQueries;
        return node;
    };
    if (!addNode(settings, toSettings(writeNodes.first(), NodeRole::Primary), errorMessage))
        return false;
    for (const NodeConfig &reader : config.readNodeConfigs()) {
        if (!addNode(settings, toSettings(reader, NodeRole::Reader), errorMessage))
            return false;
    }
    // QPSQLHA_WEIGHTS of setConnectOptions() name these nodes, not the ones parsed above.
    return applyWeights(settings, errorMessage);
}

} // namespace QPsqlHa
