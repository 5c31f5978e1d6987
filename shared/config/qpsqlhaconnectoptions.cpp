// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhaconnectoptions_p.h"

#include <qpsqlhamessages_p.h>

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qset.h>
#include <QtCore/qurl.h>

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>
#include <utility>

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
    return Messages::tr("QPSQLHA: invalid value '%1' for %2: %3").arg(value, key, expected);
}

// The spellings of an enumerated option's values, in the order the error message lists them.
template<typename Enum> struct Choice
{
    QLatin1StringView name;
    Enum value;
};
constexpr Choice<Policy> PolicyChoices[] = {
    {"random"_L1, Policy::Random},
    {"round_robin"_L1, Policy::RoundRobin},
    {"least_busy"_L1, Policy::LeastBusy},
    {"fastest"_L1, Policy::Fastest},
};
constexpr Choice<Consistency> ConsistencyChoices[] = {
    {"eventual"_L1, Consistency::Eventual},
    {"monotonic"_L1, Consistency::Monotonic},
    {"read_your_writes"_L1, Consistency::ReadYourWrites},
};
constexpr Choice<ReaderAffinity> AffinityChoices[] = {
    {"burst"_L1, ReaderAffinity::Burst},
    {"statement"_L1, ReaderAffinity::Statement},
    {"connection"_L1, ReaderAffinity::Connection},
};

// Reads an enumerated option, case-insensitively. Anything else is an error that lists the
// choices ("expected a, b or c").
template<typename Enum, size_t N>
bool parseChoice(const QString &key, const QString &value, const Choice<Enum> (&choices)[N],
                 Enum *result, QString *errorMessage)
{
    const QString v = value.toLower();
    for (const Choice<Enum> &choice : choices) {
        if (v == choice.name) {
            *result = choice.value;
            return true;
        }
    }
    QString names;
    for (size_t i = 0; i < N; ++i) {
        if (i > 0)
            names += i + 1 < N ? u", "_s : u" or "_s;
        names += choices[i].name;
    }
    *errorMessage = invalidValue(key, value, Messages::tr("expected %1").arg(names));
    return false;
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
            *problem = Messages::tr("missing ']' after an IPv6 address");
            return false;
        }
        *host = text.mid(1, close - 1);
        const QString rest = text.mid(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(u':')) {
                *problem = Messages::tr("expected ':port' after ']'");
                return false;
            }
            portText = rest.mid(1);
            if (portText.isEmpty()) {
                *problem = Messages::tr("empty port");
                return false;
            }
        }
    } else {
        const qsizetype colon = text.indexOf(u':');
        if (colon >= 0 && text.indexOf(u':', colon + 1) >= 0) {
            *problem = Messages::tr("write IPv6 addresses in brackets, as in [::1]:5432");
            return false;
        }
        *host = colon < 0 ? text : text.left(colon);
        if (colon >= 0) {
            portText = text.mid(colon + 1);
            if (portText.isEmpty()) {
                *problem = Messages::tr("empty port");
                return false;
            }
        }
    }
    if (host->isEmpty()) {
        *problem = Messages::tr("empty host");
        return false;
    }
    for (QChar c : std::as_const(*host)) {
        if (c.isSpace() || c == u'\'' || c == u'\\' || c == u',' || c == u'=') {
            *problem = Messages::tr("a host name cannot contain spaces, quotes, '\\', ',' or '='");
            return false;
        }
    }
    *port = defaultPort;
    if (!portText.isEmpty()) {
        const int p = parsePort(portText);
        if (p < 0) {
            *problem = Messages::tr("port '%1' is not a number from 1 to 65535 (digits only)")
                           .arg(portText);
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

// What the options say that goes onto the nodes once they are known.
struct NodeOptions
{
    QString readers; // QPSQLHA_READERS as given
    bool readersGiven = false;
    QList<std::pair<QString, int>> weights; // QPSQLHA_WEIGHTS: address, weight
};

// The password file's first line (a trailing newline is not part of the password).
bool readPatroniPasswordFile(const QString &path, QString *password, QString *problem)
{
    QFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::ReadOnly)) {
        *problem = u"cannot read the password file: %1"_s.arg(file.errorString());
        return false;
    }
    const QByteArray contents = file.read(4096);
    const qsizetype end = contents.indexOf('\n');
    QByteArray line = end < 0 ? contents : contents.left(end);
    if (line.endsWith('\r'))
        line.chop(1);
    *password = QString::fromUtf8(line);
    return true;
}

// The password of QPSQLHA_PATRONI_USER: QPSQLHA_PATRONI_PASSWORD_FILE given as an option, else
// QPSQLHA_PATRONI_PASSWORD, else QPSQLHA_PATRONI_PASSWORD_FILE in the environment.
bool patroniPasswordFromEnvironment(PatroniSettings *patroni, bool fileGiven, QString *errorMessage)
{
    if (fileGiven)
        return true;
    if (qEnvironmentVariableIsSet("QPSQLHA_PATRONI_PASSWORD")) {
        patroni->password = qEnvironmentVariable("QPSQLHA_PATRONI_PASSWORD");
        return true;
    }
    const QString path = qEnvironmentVariable("QPSQLHA_PATRONI_PASSWORD_FILE");
    if (path.isEmpty())
        return true;
    QString problem;
    if (!readPatroniPasswordFile(path, &patroni->password, &problem)) {
        *errorMessage
            = u"QPSQLHA: QPSQLHA_PATRONI_PASSWORD_FILE '%1' (environment): %2"_s.arg(path, problem);
        return false;
    }
    return true;
}

bool applyOption(const QString &key, const QString &value, ClusterSettings *settings,
                 NodeOptions *nodeOptions, QString *errorMessage)
{
    const QString upper = key.toUpper();
    if (!upper.startsWith(optionPrefix)) {
        const QString keyword = key.toLower();
        if (keyword == "host"_L1 || keyword == "hostaddr"_L1 || keyword == "port"_L1
            || keyword == "dbname"_L1) {
            *errorMessage
                = Messages::tr("QPSQLHA: connect option '%1' is not allowed: set the primary with "
                               "QSqlDatabase::setHostName()/setPort()/setDatabaseName() and the "
                               "readers with QPSQLHA_READERS")
                      .arg(key);
            return false;
        }
        if (!libpqKeywords().contains(keyword)) {
            *errorMessage
                = Messages::tr(
                      "QPSQLHA: unknown connect option '%1' (neither a QPSQLHA_ option nor "
                      "a libpq keyword)")
                      .arg(key);
            return false;
        }
        settings->libpqOptions.append({keyword, unquoteConninfoValue(value)});
        return true;
    }

    if (!connectOptionKeys().contains(upper)) {
        *errorMessage = Messages::tr("QPSQLHA: unknown option '%1'").arg(key);
        return false;
    }
    bool ok = true;
    if (upper == "QPSQLHA_READERS"_L1) {
        nodeOptions->readers = value;
        nodeOptions->readersGiven = true;
    } else if (upper == "QPSQLHA_PATRONI"_L1) {
        QString problem;
        if (!parsePatroniUrls(value, &settings->patroni.urls, &problem)) {
            // Not the value itself: a URL may carry a password, which is never repeated.
            *errorMessage = u"QPSQLHA: invalid value for QPSQLHA_PATRONI: %1"_s.arg(problem);
            return false;
        }
    } else if (upper == "QPSQLHA_PATRONI_CA"_L1) {
        const QFileInfo file(value);
        if (value.isEmpty() || !file.isFile() || !file.isReadable()) {
            *errorMessage = invalidValue(key, value, u"expected a readable PEM file"_s);
            return false;
        }
        settings->patroni.caFile = file.absoluteFilePath();
    } else if (upper == "QPSQLHA_PATRONI_USER"_L1) {
        settings->patroni.user = value;
    } else if (upper == "QPSQLHA_PATRONI_PASSWORD"_L1) {
        // The connect options are logged and shown by tools; a password there would leak.
        *errorMessage = u"QPSQLHA: QPSQLHA_PATRONI_PASSWORD is not taken from the connect options "
                        "(they are logged); set it in the environment, or name a file with "
                        "QPSQLHA_PATRONI_PASSWORD_FILE"_s;
        return false;
    } else if (upper == "QPSQLHA_PATRONI_PASSWORD_FILE"_L1) {
        QString problem;
        if (!readPatroniPasswordFile(value, &settings->patroni.password, &problem)) {
            *errorMessage = invalidValue(key, value, problem);
            return false;
        }
    } else if (upper == "QPSQLHA_HEALTH_INTERVAL"_L1) {
        const int ms = value.toInt(&ok);
        if (!ok || ms < MinimumHealthIntervalMs) {
            *errorMessage = invalidValue(
                key, value,
                Messages::tr("expected milliseconds, at least %1").arg(MinimumHealthIntervalMs));
            return false;
        }
        settings->healthIntervalMs = ms;
    } else if (upper == "QPSQLHA_QUERY_TIMEOUT"_L1) {
        const int ms = value.toInt(&ok);
        if (!ok || ms < 0) {
            *errorMessage
                = invalidValue(key, value, Messages::tr("expected milliseconds (0: no limit)"));
            return false;
        }
        settings->queryTimeoutMs = ms;
    } else if (upper == "QPSQLHA_POLICY"_L1) {
        if (!parseChoice(key, value, PolicyChoices, &settings->policy, errorMessage))
            return false;
    } else if (upper == "QPSQLHA_CONSISTENCY"_L1) {
        if (!parseChoice(key, value, ConsistencyChoices, &settings->consistency, errorMessage))
            return false;
    } else if (upper == "QPSQLHA_MAX_LAG_BYTES"_L1 || upper == "QPSQLHA_MAX_LAG_MS"_L1) {
        const qint64 limit = value.toLongLong(&ok);
        if (!ok || limit < 0) {
            *errorMessage
                = invalidValue(key, value,
                               upper.endsWith("BYTES"_L1)
                                   ? Messages::tr("expected a number of bytes, 0 for no limit")
                                   : Messages::tr("expected milliseconds, 0 for no limit"));
            return false;
        }
        (upper.endsWith("BYTES"_L1) ? settings->maxLagBytes : settings->maxLagMs) = limit;
    } else if (upper == "QPSQLHA_WEIGHTS"_L1) {
        nodeOptions->weights.clear();
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
                problem = Messages::tr("'%1' is not host:port=weight (weight 0..1000)").arg(entry);
            } else if (!parseNodeAddress(address, -1, &host, &port, &problem)) {
                // problem set
            } else if (port < 0) {
                problem = Messages::tr("'%1' lacks the port").arg(address);
            }
            if (!problem.isEmpty()) {
                *errorMessage = invalidValue(key, value, problem);
                return false;
            }
            NodeSettings named;
            named.host = host;
            named.port = port;
            nodeOptions->weights.append({named.address(), weight});
        }
    } else if (upper == "QPSQLHA_READER_AFFINITY"_L1) {
        if (!parseChoice(key, value, AffinityChoices, &settings->affinity, errorMessage))
            return false;
    } else if (upper == "QPSQLHA_READER_BURST"_L1) {
        const int reads = value.toInt(&ok);
        if (!ok || reads < 1 || reads > MaximumReaderBurst) {
            *errorMessage = invalidValue(
                key, value,
                Messages::tr(
                    "expected the number of reads a connection makes on one reader before it "
                    "chooses again, 1 to %1")
                    .arg(MaximumReaderBurst));
            return false;
        }
        settings->burstLength = reads;
    } else if (upper == "QPSQLHA_PRIMARY_READS"_L1) {
        settings->primaryReads = parseBool(value, &ok);
    } else if (upper == "QPSQLHA_CLUSTER"_L1) {
        if (value.isEmpty()) {
            *errorMessage = invalidValue(key, value, Messages::tr("expected a name"));
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
            *errorMessage = invalidValue(key, value, Messages::tr("expected a schema name"));
            return false;
        }
        settings->fleetSchema = value.toLower();
    } else if (upper == "QPSQLHA_FLEET_HEARTBEAT"_L1) {
        const int ms = value.toInt(&ok);
        if (!ok || ms < MinimumHealthIntervalMs) {
            *errorMessage = invalidValue(
                key, value,
                Messages::tr("expected milliseconds, at least %1").arg(MinimumHealthIntervalMs));
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
                                             Messages::tr("expected a comma-separated list of "
                                                          "function names"));
                return false;
            }
            settings->writeFunctions.append(name.toLower());
        }
    } else {
        // In connectOptionKeys() without a branch here.
        *errorMessage = Messages::tr("QPSQLHA: unknown option '%1'").arg(key);
        return false;
    }
    if (!ok) {
        *errorMessage = invalidValue(key, value, Messages::tr("expected 1 or 0"));
        return false;
    }
    return true;
}

bool addNode(ClusterSettings *settings, NodeSettings node, QString *errorMessage)
{
    const QString address = node.address();
    for (const NodeSettings &existing : std::as_const(settings->nodes)) {
        if (existing.isSameServerAs(node)) {
            *errorMessage = existing.address() != address
                ? Messages::tr("QPSQLHA: node %1 is listed twice (as %2)")
                      .arg(address, existing.address())
                : Messages::tr("QPSQLHA: node %1 is listed twice").arg(address);
            return false;
        }
    }
    if (settings->nodes.size() >= MaximumNodes) {
        *errorMessage = Messages::tr("QPSQLHA: at most %1 nodes per cluster").arg(MaximumNodes);
        return false;
    }
    settings->nodes.append(std::move(node));
    return true;
}

// QPSQLHA_WEIGHTS onto the nodes they name. The primary may be named only when it serves reads.
bool applyWeights(ClusterSettings *settings, const QList<std::pair<QString, int>> &weights,
                  QString *errorMessage)
{
    for (const std::pair<QString, int> &entry : weights) {
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
            *errorMessage
                = invalidValue(u"QPSQLHA_WEIGHTS"_s, address,
                               settings->primaryReads ? Messages::tr("not one of the nodes")
                                                      : Messages::tr("not one of the readers"));
            return false;
        }
        if (node == settings->nodes.begin() && !settings->primaryReads) {
            *errorMessage = invalidValue(u"QPSQLHA_WEIGHTS"_s, address,
                                         Messages::tr("the primary takes no reads unless "
                                                      "QPSQLHA_PRIMARY_READS=1"));
            return false;
        }
        node->weight = entry.second;
    }
    return true;
}

} // namespace

bool parsePatroniUrls(const QString &text, QStringList *urls, QString *problem)
{
    urls->clear();
    const QStringList entries = text.split(u',', Qt::KeepEmptyParts);
    for (const QString &rawEntry : entries) {
        const QString entry = rawEntry.trimmed();
        if (entry.isEmpty()) {
            *problem = u"empty entry (expected http(s)://host:port[,...])"_s;
            return false;
        }
        const QUrl url(entry, QUrl::StrictMode);
        // Shown in errors with any password taken out.
        const QString shown = url.isValid() ? url.toDisplayString(QUrl::RemoveUserInfo)
                                            : u"entry %1"_s.arg(urls->size() + 1);
        if (!url.isValid() || url.isRelative()) {
            *problem = u"%1 is not a URL (expected http(s)://host:port)"_s.arg(shown);
            return false;
        }
        const QString scheme = url.scheme().toLower();
        if (scheme != "http"_L1 && scheme != "https"_L1) {
            *problem = u"%1: the scheme must be http or https"_s.arg(shown);
            return false;
        }
        if (url.host().isEmpty()) {
            *problem = u"%1 has no host"_s.arg(shown);
            return false;
        }
        if (!url.userInfo().isEmpty()) {
            *problem = u"%1: put no user or password into the URL; use QPSQLHA_PATRONI_USER "
                       "and QPSQLHA_PATRONI_PASSWORD (environment)"_s.arg(shown);
            return false;
        }
        if (url.hasQuery() || url.hasFragment()) {
            *problem = u"%1: no query or fragment expected"_s.arg(shown);
            return false;
        }
        if (url.port() == 0) {
            *problem = u"%1: port 0"_s.arg(shown);
            return false;
        }
        QString normalised = url.toString(QUrl::FullyEncoded);
        while (normalised.endsWith(u'/'))
            normalised.chop(1);
        if (urls->contains(normalised)) {
            *problem = u"%1 is listed twice"_s.arg(shown);
            return false;
        }
        urls->append(normalised);
    }
    return true;
}

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

namespace {

// Appends the name of each element that differs; `names` has one entry per element.
template<typename Tuple, std::size_t... I>
void appendDifferences(const Tuple &a, const Tuple &b,
                       const std::array<const char *, sizeof...(I)> &names, QStringList *out,
                       std::index_sequence<I...>)
{
    ((std::get<I>(a) == std::get<I>(b) ? void() : out->append(QLatin1StringView(names[I]))), ...);
}

template<typename Tuple, std::size_t N>
QStringList differences(const Tuple &a, const Tuple &b, const std::array<const char *, N> &names)
{
    static_assert(std::tuple_size_v<Tuple> == N, "one name per member");
    QStringList result;
    appendDifferences(a, b, names, &result, std::make_index_sequence<N>());
    return result;
}

// A structured binding must name every member: a new member makes these fail to compile until
// it is added here, to the names and so to every comparison.
auto members(const NodeSettings &n)
{
    const auto &[host, port, user, password, database, sslmode, role, logQueries, weight] = n;
    return std::tie(host, port, user, password, database, sslmode, role, logQueries, weight);
}

constexpr std::array<const char *, 9> nodeMemberNames {
    "host", "port", "user", "password", "database", "sslmode", "role", "logQueries", "weight",
};

auto members(const ClusterSettings &c)
{
    const auto &[name, nameGiven, nodes, nodeTemplate, patroni, libpqOptions, writeFunctions,
                 healthIntervalMs, queryTimeoutMs, policy, affinity, burstLength, primaryReads,
                 consistency, maxLagBytes, maxLagMs, debug, logQueries, control, fleet, fleetSchema,
                 fleetHeartbeatMs]
        = c;
    return std::tie(name, nameGiven, nodes, nodeTemplate, patroni, libpqOptions, writeFunctions,
                    healthIntervalMs, queryTimeoutMs, policy, affinity, burstLength, primaryReads,
                    consistency, maxLagBytes, maxLagMs, debug, logQueries, control, fleet,
                    fleetSchema, fleetHeartbeatMs);
}

constexpr std::array<const char *, 22> clusterMemberNames {
    "name",           "nameGiven",        "nodes",          "nodeTemplate",
    "patroni",        "libpqOptions",     "writeFunctions", "healthIntervalMs",
    "queryTimeoutMs", "policy",           "affinity",       "burstLength",
    "primaryReads",   "consistency",      "maxLagBytes",    "maxLagMs",
    "debug",          "logQueries",       "control",        "fleet",
    "fleetSchema",    "fleetHeartbeatMs",
};

} // namespace

QStringList NodeSettings::fieldsDifferingFrom(const NodeSettings &other) const
{
    return differences(members(*this), members(other), nodeMemberNames);
}

QStringList ClusterSettings::fieldsDifferingFrom(const ClusterSettings &other) const
{
    QStringList result = differences(members(*this), members(other), clusterMemberNames);
    if (result.contains(u"nodes"_s) && nodes.size() == other.nodes.size()) {
        for (qsizetype i = 0; i < nodes.size(); ++i) {
            for (const QString &field : nodes.at(i).fieldsDifferingFrom(other.nodes.at(i))) {
                const QString name = u"nodes."_s + field;
                if (!result.contains(name))
                    result.append(name);
            }
        }
    }
    return result;
}

QStringList ClusterSettings::fieldNames()
{
    QStringList result;
    for (const char *name : clusterMemberNames)
        result.append(QLatin1StringView(name));
    for (const char *name : nodeMemberNames)
        result.append(u"nodes."_s + QLatin1StringView(name));
    return result;
}

QList<int> ClusterSettings::weights() const
{
    QList<int> result;
    result.reserve(nodes.size());
    for (const NodeSettings &node : nodes)
        result.append(node.weight);
    return result;
}

const QStringList &connectOptionKeys()
{
    static const QStringList keys {
        u"QPSQLHA_READERS"_s,
        u"QPSQLHA_HEALTH_INTERVAL"_s,
        u"QPSQLHA_QUERY_TIMEOUT"_s,
        u"QPSQLHA_POLICY"_s,
        u"QPSQLHA_CONSISTENCY"_s,
        u"QPSQLHA_MAX_LAG_BYTES"_s,
        u"QPSQLHA_MAX_LAG_MS"_s,
        u"QPSQLHA_WEIGHTS"_s,
        u"QPSQLHA_READER_AFFINITY"_s,
        u"QPSQLHA_READER_BURST"_s,
        u"QPSQLHA_PRIMARY_READS"_s,
        u"QPSQLHA_CLUSTER"_s,
        u"QPSQLHA_DEBUG"_s,
        u"QPSQLHA_CONTROL"_s,
        u"QPSQLHA_LOG_QUERIES"_s,
        u"QPSQLHA_WRITE_FUNCTIONS"_s,
        u"QPSQLHA_PATRONI"_s,
        u"QPSQLHA_PATRONI_CA"_s,
        u"QPSQLHA_PATRONI_USER"_s,
        u"QPSQLHA_PATRONI_PASSWORD"_s,
        u"QPSQLHA_PATRONI_PASSWORD_FILE"_s,
        u"QPSQLHA_FLEET"_s,
        u"QPSQLHA_FLEET_SCHEMA"_s,
        u"QPSQLHA_FLEET_HEARTBEAT"_s,
    };
    return keys;
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

// QPSQLHA_WEIGHTS is left in *nodeOptions, for the caller to apply once the nodes are final.
bool parseParameters(const ConnectionParameters &parameters, ClusterSettings *settings,
                     QString *errorMessage, NodeOptions *nodeOptions)
{
    *settings = ClusterSettings();
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
            *errorMessage
                = Messages::tr("QPSQLHA: malformed connect option '%1' (expected key=value)")
                      .arg(part.section(u'=', 0, 0));
            return false;
        }
        const QString key = part.left(eq).trimmed();
        const QString value = part.mid(eq + 1).trimmed();
        const QString upper = key.toUpper();
        if (upper.startsWith(optionPrefix)) {
            if (givenOptions.contains(upper)) {
                *errorMessage
                    = Messages::tr("QPSQLHA: connect option %1 is given twice; give each QPSQLHA_ "
                                   "option once")
                          .arg(upper);
                return false;
            }
            givenOptions.insert(upper);
        }
        if (!applyOption(key, value, settings, nodeOptions, errorMessage))
            return false;
    }

    if (!settings->patroni.isEnabled()) {
        for (const QString &option : std::as_const(givenOptions)) {
            if (option.startsWith("QPSQLHA_PATRONI_"_L1)) {
                *errorMessage = u"QPSQLHA: %1 is given without QPSQLHA_PATRONI"_s.arg(option);
                return false;
            }
        }
    } else if (!patroniPasswordFromEnvironment(
                   &settings->patroni, givenOptions.contains(u"QPSQLHA_PATRONI_PASSWORD_FILE"_s),
                   errorMessage)) {
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
    settings->nodeTemplate = primary;
    settings->nodeTemplate.host.clear();
    settings->nodeTemplate.role = NodeRole::Reader;
    // Under Patroni the host and the readers are only where to start: without a host, the first
    // reader is tried as the primary, and without either the cluster is seeded from Patroni.
    const bool primaryGiven = !settings->patroni.isEnabled() || !parameters.host.isEmpty();
    if (primaryGiven && !addNode(settings, primary, errorMessage))
        return false;

    if (nodeOptions->readersGiven) {
        const QString trimmed = nodeOptions->readers.trimmed();
        const QStringList entries
            = trimmed.isEmpty() ? QStringList() : trimmed.split(u',', Qt::KeepEmptyParts);
        for (const QString &rawEntry : entries) {
            const QString entry = rawEntry.trimmed();
            NodeSettings reader = primary;
            reader.role = settings->nodes.isEmpty() ? NodeRole::Primary : NodeRole::Reader;
            QString problem;
            if (entry.isEmpty()) {
                problem = Messages::tr("empty entry");
            } else if (!parseHostPort(entry, primary.port, &reader.host, &reader.port, &problem)) {
                // problem set
            }
            if (!problem.isEmpty()) {
                *errorMessage = invalidValue(
                    u"QPSQLHA_READERS"_s, nodeOptions->readers,
                    Messages::tr("%1 in '%2' (expected host[:port],...)").arg(problem, entry));
                return false;
            }
            if (!addNode(settings, reader, errorMessage))
                return false;
        }
    }

    if (settings->name.isEmpty()) {
        if (primaryGiven) {
            settings->name = primary.address() + u'/' + primary.database;
        } else {
            // Named after the first endpoint: the members are not known yet.
            const QUrl first(settings->patroni.urls.first());
            settings->name = u"patroni:%1:%2/%3"_s.arg(first.host())
                                 .arg(first.port(first.scheme() == "https"_L1 ? 443 : 80))
                                 .arg(primary.database);
        }
    }
    return true;
}

} // namespace

bool parseConnectionParameters(const ConnectionParameters &parameters, ClusterSettings *settings,
                               QString *errorMessage)
{
    NodeOptions nodeOptions;
    return parseParameters(parameters, settings, errorMessage, &nodeOptions)
        && applyWeights(settings, nodeOptions.weights, errorMessage);
}

bool parseNodeAddress(const QString &text, int defaultPort, QString *host, int *port,
                      QString *problem)
{
    if (text.trimmed().isEmpty()) {
        *problem = Messages::tr("empty address");
        return false;
    }
    return parseHostPort(text.trimmed(), defaultPort, host, port, problem);
}

namespace {

// A value of the C++ API that its connect option would refuse is refused in the same words.
// `describe` gives what the value is and what was expected; it runs only on failure, so a valid
// configuration costs no translation lookup.
template<typename Describe>
bool checkRange(qint64 value, qint64 minimum, qint64 maximum, QString *errorMessage,
                Describe describe)
{
    if (value >= minimum && value <= maximum)
        return true;
    const std::pair<QString, QString> words = describe();
    *errorMessage = invalidValue(words.first, QString::number(value), words.second);
    return false;
}

} // namespace

bool clusterSettingsFromConfig(const QString &name, const ReplicationConfig &config, bool debug,
                               ClusterSettings *settings, QString *errorMessage)
{
    *settings = ClusterSettings();
    const QList<NodeConfig> writeNodes = config.writeNodeConfigs();
    // The write node stands for QSqlDatabase's host, so QPSQLHA_READERS inherit its
    // credentials; under Patroni there may be none (the members are Patroni's).
    ConnectionParameters parameters;
    if (!writeNodes.isEmpty()) {
        const NodeConfig &writeNode = writeNodes.first();
        parameters = {writeNode.host, writeNode.port,     writeNode.database,
                      writeNode.user, writeNode.password, QString()};
    }
    // The shared options go through the same parser as QSqlDatabase::setConnectOptions(), the
    // Patroni setters too (so that they are checked alike).
    parameters.connectOptions = config.connectOptions();
    if (!config.patroniUrls().isEmpty()) {
        parameters.connectOptions += u";QPSQLHA_PATRONI="_s + config.patroniUrls().join(u',');
        if (!config.patroniCaFile().isEmpty())
            parameters.connectOptions += u";QPSQLHA_PATRONI_CA="_s + config.patroniCaFile();
        if (!config.patroniUser().isEmpty())
            parameters.connectOptions += u";QPSQLHA_PATRONI_USER="_s + config.patroniUser();
    }
    NodeOptions nodeOptions;
    if (!parseParameters(parameters, settings, errorMessage, &nodeOptions))
        return false;
    const bool patroni = settings->patroni.isEnabled();
    if (writeNodes.size() > 1 || (writeNodes.isEmpty() && !patroni)) {
        *errorMessage = (patroni ? Messages::tr("QPSQLHA: replication set '%1' needs at most one "
                                                "write node, it has %2")
                                 : Messages::tr("QPSQLHA: replication set '%1' needs exactly one "
                                                "write node, it has %2"))
                            .arg(name)
                            .arg(writeNodes.size());
        return false;
    }
    if (settings->nameGiven) {
        // It would be silently replaced: the set's name is the cluster's.
        *errorMessage
            = invalidValue(u"QPSQLHA_CLUSTER"_s, settings->name,
                           Messages::tr("a replication set's cluster is named after the set"));
        return false;
    }

    // A setter that was called wins over its connect option; an unset one leaves the option.
    if (config.hasHealthInterval()) {
        if (!checkRange(config.healthInterval(), MinimumHealthIntervalMs,
                        std::numeric_limits<int>::max(), errorMessage, [] {
                            return std::pair(Messages::tr("health interval"),
                                             Messages::tr("expected milliseconds, at least %1")
                                                 .arg(MinimumHealthIntervalMs));
                        }))
            return false;
        settings->healthIntervalMs = config.healthInterval();
    }
    if (config.hasQueryTimeout()) {
        if (!checkRange(config.queryTimeout(), 0, std::numeric_limits<int>::max(), errorMessage,
                        [] {
                            return std::pair(Messages::tr("query timeout"),
                                             Messages::tr("expected milliseconds (0: no limit)"));
                        }))
            return false;
        settings->queryTimeoutMs = config.queryTimeout();
    }
    if (config.hasReaderBurst()) {
        if (!checkRange(config.readerBurst(), 1, MaximumReaderBurst, errorMessage, [] {
                return std::pair(Messages::tr("reader burst"),
                                 Messages::tr("expected reads, 1 to %1").arg(MaximumReaderBurst));
            }))
            return false;
        settings->burstLength = config.readerBurst();
    }
    if (config.hasMaxLagBytes()) {
        if (!checkRange(
                config.maxLagBytes(), 0, std::numeric_limits<qint64>::max(), errorMessage, [] {
                    return std::pair(Messages::tr("max lag bytes"),
                                     Messages::tr("expected a number of bytes, 0 for no limit"));
                }))
            return false;
        settings->maxLagBytes = config.maxLagBytes();
    }
    if (config.hasMaxLagMs()) {
        if (!checkRange(config.maxLagMs(), 0, std::numeric_limits<qint64>::max(), errorMessage, [] {
                return std::pair(Messages::tr("max lag ms"),
                                 Messages::tr("expected milliseconds, 0 for no limit"));
            }))
            return false;
        settings->maxLagMs = config.maxLagMs();
    }
    if (config.hasPolicy())
        settings->policy = config.policy();
    if (config.hasReaderAffinity())
        settings->affinity = config.readerAffinity();
    if (config.hasPrimaryReads())
        settings->primaryReads = config.primaryReads();
    if (config.hasConsistency())
        settings->consistency = config.consistency();
    if (config.hasControl())
        settings->control = config.control();
    if (config.hasLogQueries())
        settings->logQueries = config.logQueries();
    for (const QString &function : config.writeFunctions()) {
        if (!isIdentifier(function)) {
            *errorMessage = invalidValue(Messages::tr("write functions"), function,
                                         Messages::tr("not a function name"));
            return false;
        }
        settings->writeFunctions.append(function.toLower());
    }
    settings->name = name;
    settings->nameGiven = true;
    settings->debug = settings->debug || debug;

    // The nodes: the write node, the read node configs, then QPSQLHA_READERS of the options.
    // (Without a write node, under Patroni, the parser made the first of them the primary.)
    const QList<NodeSettings> optionReaders
        = writeNodes.isEmpty() ? settings->nodes : settings->nodes.mid(1);
    settings->nodes.clear();
    const bool logQueries = settings->logQueries;
    auto toSettings = [logQueries](const NodeConfig &config, NodeRole role) {
        NodeSettings node;
        node.host = config.host;
        node.port = config.port > 0 ? config.port : 5432;
        node.user = config.user;
        node.password = config.password;
        node.database = config.database;
        node.sslmode = config.sslmode;
        node.role = role;
        node.logQueries = config.logQueries || logQueries;
        node.weight = config.weight;
        return node;
    };
    auto checkWeight = [errorMessage](const NodeSettings &node) {
        return checkRange(node.weight, 0, 1000, errorMessage, [&node] {
            return std::pair(Messages::tr("weight of %1").arg(node.address()),
                             Messages::tr("expected 0 to 1000"));
        });
    };
    // Members Patroni reports get the credentials of memberDefaults, else the write node's.
    const NodeConfig defaults = config.patroniMemberDefaults();
    const bool defaultsGiven = !defaults.user.isEmpty() || !defaults.database.isEmpty()
        || !defaults.password.isEmpty() || !defaults.sslmode.isEmpty();
    settings->nodeTemplate = toSettings(
        defaultsGiven || writeNodes.isEmpty() ? defaults : writeNodes.first(), NodeRole::Reader);
    settings->nodeTemplate.host.clear();
    settings->nodeTemplate.weight = 1; // a member's weight is QPSQLHA_WEIGHTS's, not the primary's
    if (!writeNodes.isEmpty()) {
        NodeSettings primary = toSettings(writeNodes.first(), NodeRole::Primary);
        if (!checkWeight(primary))
            return false;
        if (primary.weight != 1 && !settings->primaryReads) {
            *errorMessage = invalidValue(
                Messages::tr("weight of %1").arg(primary.address()),
                QString::number(primary.weight),
                Messages::tr("the primary takes no reads unless primary reads are on"));
            return false;
        }
        if (!addNode(settings, std::move(primary), errorMessage))
            return false;
    }
    for (const NodeConfig &reader : config.readNodeConfigs()) {
        const NodeRole role = settings->nodes.isEmpty() ? NodeRole::Primary : NodeRole::Reader;
        NodeSettings node = toSettings(reader, role);
        if (!checkWeight(node) || !addNode(settings, std::move(node), errorMessage))
            return false;
    }
    for (NodeSettings reader : optionReaders) {
        reader.role = settings->nodes.isEmpty() ? NodeRole::Primary : NodeRole::Reader;
        if (!addNode(settings, reader, errorMessage))
            return false;
    }
    // QPSQLHA_WEIGHTS name these nodes, and win over NodeConfig::weight.
    return applyWeights(settings, nodeOptions.weights, errorMessage);
}

} // namespace QPsqlHa
