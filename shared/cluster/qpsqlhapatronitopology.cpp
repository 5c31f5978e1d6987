// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhapatronitopology_p.h"

#include "qpsqlhaconnectoptions_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qlocale.h>

#include <cmath>

using namespace Qt::StringLiterals;

namespace QPsqlHa {

namespace {

// Real clusters have a handful; the limit keeps the duplicate check (pairwise, as
// NodeSettings::isSameServerAs() compares) cheap whatever a server sends.
constexpr qsizetype MaximumMembers = 256;
constexpr qsizetype MaximumHostLength = 253; // a DNS name
constexpr double LargestExactInteger = 9007199254740992.0; // 2^53

// A JSON number that is a whole number in [minimum, 2^53], or -1.
qint64 wholeNumber(const QJsonValue &value, qint64 minimum)
{
    if (!value.isDouble())
        return -1;
    const double number = value.toDouble();
    if (!std::isfinite(number) || number != std::floor(number) || number < double(minimum)
        || number > LargestExactInteger) {
        return -1;
    }
    return qint64(number);
}

// Patroni reads noloadbalance and nofailover as Python does (`bool(tags.get(...))`), so any
// non-empty value counts: its own /replica then answers 503, and we must agree with it.
bool pythonTruth(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool:
        return value.toBool();
    case QJsonValue::Double:
        return value.toDouble() != 0;
    case QJsonValue::String:
        return !value.toString().isEmpty();
    case QJsonValue::Array:
        return !value.toArray().isEmpty();
    case QJsonValue::Object:
        return !value.toObject().isEmpty();
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return false;
}

// What may go into a libpq host: a name or an address, nothing that could end or extend the
// connection string or name a socket directory.
bool isPlausibleHost(const QString &host)
{
    if (host.isEmpty() || host.size() > MaximumHostLength)
        return false;
    for (QChar c : host) {
        if (c.isLetterOrNumber() && c.unicode() < 128)
            continue;
        if (c == u'.' || c == u'-' || c == u'_' || c == u':' || c == u'%')
            continue;
        return false;
    }
    return true;
}

// Patroni's spelling of each role it names, read both ways (roleFromText(), patroniRoleName()).
struct RoleText
{
    PatroniRole role;
    QLatin1StringView text;
};
constexpr RoleText RoleTexts[] = {
    {PatroniRole::Leader, "leader"_L1},
    {PatroniRole::Replica, "replica"_L1},
    {PatroniRole::SyncStandby, "sync_standby"_L1},
    {PatroniRole::StandbyLeader, "standby_leader"_L1},
};

PatroniRole roleFromText(const QString &text)
{
    for (const RoleText &known : RoleTexts) {
        if (text == known.text)
            return known.role;
    }
    return PatroniRole::Other;
}

// Long or hostile text from the server, shortened and quoted for a warning.
QString quoted(const QString &text)
{
    constexpr qsizetype Shown = 64;
    QString shown = text.left(Shown);
    for (QChar &c : shown) {
        if (!c.isPrint())
            c = u'?';
    }
    return u'"' + shown + (text.size() > Shown ? u"...\""_s : u"\""_s);
}

QString describe(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return u"null"_s;
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double:
        return QString::number(value.toDouble(), 'g', QLocale::FloatingPointShortest);
    case QJsonValue::String:
        return quoted(value.toString());
    case QJsonValue::Array:
        return u"an array"_s;
    case QJsonValue::Object:
        return u"an object"_s;
    case QJsonValue::Undefined:
        break;
    }
    return u"nothing"_s;
}

// Reads one element of "members". Returns false (with the reason in *warning) for a member that
// cannot be used at all; otherwise fills *member and appends what was ignored to *warnings.
bool parseMember(const QJsonValue &value, qsizetype position, PatroniMember *member,
                 QString *warning, QStringList *warnings)
{
    const QString where = u"Patroni member #%1"_s.arg(position + 1);
    if (!value.isObject()) {
        *warning = u"%1 is %2, not an object: ignored"_s.arg(where, describe(value));
        return false;
    }
    const QJsonObject object = value.toObject();

    const QJsonValue name = object.value("name"_L1);
    if (!name.isString() || name.toString().isEmpty()) {
        *warning = u"%1 has no name: ignored"_s.arg(where);
        return false;
    }
    member->name = name.toString();
    const QString who = u"Patroni member %1"_s.arg(quoted(member->name));

    // Patroni leaves host and port out while it knows no connection address for the member.
    const QJsonValue host = object.value("host"_L1);
    if (!host.isString()) {
        *warning = u"%1 has no host: ignored"_s.arg(who);
        return false;
    }
    if (!isPlausibleHost(host.toString())) {
        *warning = u"%1 has an unusable host %2: ignored"_s.arg(who, quoted(host.toString()));
        return false;
    }
    member->host = host.toString();

    const QJsonValue port = object.value("port"_L1);
    const qint64 portNumber = wholeNumber(port, 1);
    if (portNumber < 1 || portNumber > 65535) {
        *warning = port.isUndefined()
            ? u"%1 has no port: ignored"_s.arg(who)
            : u"%1 has port %2, not one in 1..65535: ignored"_s.arg(who, describe(port));
        return false;
    }
    member->port = int(portNumber);

    const QJsonValue role = object.value("role"_L1);
    member->roleText = role.toString();
    member->role = roleFromText(member->roleText);
    if (!role.isString())
        warnings->append(u"%1 has no role: taken as neither leader nor replica"_s.arg(who));

    member->state = object.value("state"_L1).toString();
    member->apiUrl = object.value("api_url"_L1).toString();

    const QJsonValue timeline = object.value("timeline"_L1);
    member->timeline = wholeNumber(timeline, 0);
    if (!timeline.isUndefined() && member->timeline < 0)
        warnings->append(u"%1: timeline %2 ignored"_s.arg(who, describe(timeline)));

    // A number of bytes, or "unknown" while Patroni has no WAL position for the member.
    const QJsonValue lag = object.value("lag"_L1);
    member->lagBytes = wholeNumber(lag, 0);
    if (member->lagBytes < 0 && !lag.isUndefined() && lag != QJsonValue("unknown"_L1))
        warnings->append(u"%1: lag %2 ignored"_s.arg(who, describe(lag)));

    const QJsonValue tags = object.value("tags"_L1);
    if (tags.isObject()) {
        member->tags = tags.toObject();
        member->noLoadBalance = pythonTruth(member->tags.value("noloadbalance"_L1));
        member->noFailover = pythonTruth(member->tags.value("nofailover"_L1));
    } else if (!tags.isUndefined()) {
        warnings->append(u"%1: tags are %2, not an object: ignored"_s.arg(who, describe(tags)));
    }
    return true;
}

bool sameServer(const PatroniMember &a, const PatroniMember &b)
{
    NodeSettings first;
    first.host = a.host;
    first.port = a.port;
    NodeSettings second;
    second.host = b.host;
    second.port = b.port;
    return first.isSameServerAs(second);
}

} // namespace

QString PatroniMember::address() const
{
    if (host.contains(u':'))
        return u"[%1]:%2"_s.arg(host).arg(port);
    return u"%1:%2"_s.arg(host).arg(port);
}

bool PatroniMember::isReadable() const
{
    return (role == PatroniRole::Replica || role == PatroniRole::SyncStandby) && !noLoadBalance;
}

const PatroniMember *PatroniTopology::leader() const
{
    return leaderIndex >= 0 && leaderIndex < members.size() ? &members.at(leaderIndex) : nullptr;
}

const PatroniMember *PatroniTopology::memberAt(const QString &host, int port) const
{
    PatroniMember wanted;
    wanted.host = host;
    wanted.port = port;
    for (const PatroniMember &member : members) {
        if (sameServer(member, wanted))
            return &member;
    }
    return nullptr;
}

QString patroniRoleName(PatroniRole role)
{
    for (const RoleText &known : RoleTexts) {
        if (role == known.role)
            return known.text;
    }
    return u"other"_s;
}

bool parsePatroniCluster(const QByteArray &json, PatroniTopology *topology, QString *error)
{
    Q_ASSERT(topology);
    Q_ASSERT(error);
    if (json.size() > MaximumPatroniDocumentSize) {
        *error = u"Patroni /cluster answer too large (%1 bytes, at most %2)"_s.arg(json.size())
                     .arg(MaximumPatroniDocumentSize);
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = u"Patroni /cluster answer is not JSON: %1 at offset %2"_s
                     .arg(parseError.errorString())
                     .arg(parseError.offset);
        return false;
    }
    if (!document.isObject()) {
        *error = u"Patroni /cluster answer is not a JSON object (is the URL a Patroni REST API?)"_s;
        return false;
    }
    const QJsonObject root = document.object();
    const QJsonValue memberList = root.value("members"_L1);
    if (!memberList.isArray()) {
        *error = memberList.isUndefined()
            ? u"Patroni /cluster answer has no \"members\" (is the URL a Patroni REST API?)"_s
            : u"Patroni /cluster answer has \"members\" that is %1, not a list"_s.arg(
                describe(memberList));
        return false;
    }
    const QJsonArray array = memberList.toArray();
    if (array.size() > MaximumMembers) {
        *error = u"Patroni /cluster answer lists %1 members, more than %2"_s.arg(array.size())
                     .arg(MaximumMembers);
        return false;
    }

    PatroniTopology result;
    const QJsonValue scope = root.value("scope"_L1);
    if (scope.isString())
        result.scope = scope.toString();
    else if (!scope.isUndefined())
        result.warnings.append(u"Patroni scope %1 ignored"_s.arg(describe(scope)));
    result.paused = root.value("pause"_L1).toBool();

    for (qsizetype i = 0; i < array.size(); ++i) {
        PatroniMember member;
        QString warning;
        if (!parseMember(array.at(i), i, &member, &warning, &result.warnings)) {
            result.warnings.append(warning);
            continue;
        }
        // A document that names one server or one member twice contradicts itself: which of
        // the two roles is true cannot be told, so none of it is believed.
        for (const PatroniMember &earlier : std::as_const(result.members)) {
            if (earlier.name == member.name) {
                *error
                    = u"Patroni /cluster answer lists member %1 twice"_s.arg(quoted(member.name));
                return false;
            }
            if (sameServer(earlier, member)) {
                *error = u"Patroni /cluster answer gives members %1 and %2 one server, %3"_s.arg(
                    quoted(earlier.name), quoted(member.name), member.address());
                return false;
            }
        }
        if (member.role == PatroniRole::Leader || member.role == PatroniRole::StandbyLeader) {
            if (const PatroniMember *other = result.leader()) {
                *error = u"Patroni /cluster answer has two leaders, %1 and %2"_s.arg(
                    quoted(other->name), quoted(member.name));
                return false;
            }
            result.leaderIndex = int(result.members.size());
        }
        result.members.append(std::move(member));
    }
    *topology = std::move(result);
    return true;
}

} // namespace QPsqlHa
