// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "patronitestcluster.h"

#include <QtCore/qdebug.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qnetworkaccessmanager.h>
#include <QtNetwork/qnetworkproxy.h>
#include <QtNetwork/qnetworkreply.h>
#include <QtNetwork/qnetworkrequest.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace QPsqlHaTest {

namespace {

// The script's own waits (a member joining, a switchover) give up after 90 s.
constexpr int ScriptTimeoutMs = 240 * 1000;
constexpr int HttpTimeoutMs = 5000;
const QString EnvPrefix = u"PGHA_PATRONI_"_s;

} // namespace

PatroniTestCluster &PatroniTestCluster::instance()
{
    static PatroniTestCluster cluster;
    return cluster;
}

PatroniTestCluster::PatroniTestCluster()
    : m_envFile(qEnvironmentVariable("QPSQLHA_PATRONI_ENV"))
    , m_script(qEnvironmentVariable("QPSQLHA_PATRONI_SCRIPT"))
{
    if (m_envFile.isEmpty()) {
        m_error = u"QPSQLHA_PATRONI_ENV is not set: it names the patroni.env written by "
                  "`patronicluster.sh start STATE_DIR` (run the test via ctest, which starts "
                  "the cluster first)"_s;
        return;
    }
    m_stateDir = QFileInfo(m_envFile).absolutePath();
    QFile skip(m_stateDir + u"/patroni.skip"_s);
    if (skip.open(QIODevice::ReadOnly | QIODevice::Text)) {
        m_skipReason = QString::fromUtf8(skip.readAll()).trimmed();
        if (m_skipReason.isEmpty())
            m_skipReason = u"Patroni cluster not available"_s;
        return;
    }
    m_valid = load();
}

bool PatroniTestCluster::load()
{
    QFile file(m_envFile);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        m_error = u"cannot read %1 (%2): did the patroni_start fixture run?"_s.arg(
            m_envFile, file.errorString());
        return false;
    }
    QHash<QString, QString> env;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        const qsizetype equals = line.indexOf(u'=');
        if (!line.startsWith(EnvPrefix) || equals < 0)
            continue;
        env.insert(line.mid(EnvPrefix.size(), equals - EnvPrefix.size()), line.mid(equals + 1));
    }
    for (const char *required : {"HOST", "MEMBERS", "URLS", "DATABASE", "USER", "PASSWORD"}) {
        if (env.value(QLatin1String(required)).isEmpty()) {
            m_error = u"%1 has no %2%3"_s.arg(m_envFile, EnvPrefix, QLatin1String(required));
            return false;
        }
    }
    m_env = env;
    return true;
}

QString PatroniTestCluster::value(const char *key) const
{
    return m_env.value(QLatin1String(key));
}

QStringList PatroniTestCluster::members() const
{
    return value("MEMBERS").split(u',', Qt::SkipEmptyParts);
}

int PatroniTestCluster::port(const QString &member) const
{
    return m_env.value(member.toUpper() + u"_PORT"_s).toInt();
}

QString PatroniTestCluster::restUrl(const QString &member) const
{
    return m_env.value(member.toUpper() + u"_REST"_s);
}

QByteArray PatroniTestCluster::get(const QString &path, int *status, QString *error,
                                   const QString &url) const
{
    const QStringList urls = url.isEmpty() ? value("URLS").split(u',') : QStringList {url};
    QString lastError = u"no REST URL"_s;
    QNetworkAccessManager manager;
    // Loopback only: a developer's http_proxy must not carry these requests away.
    manager.setProxy(QNetworkProxy::NoProxy);
    for (const QString &base : urls) {
        QNetworkRequest request(QUrl(base + path));
        request.setTransferTimeout(HttpTimeoutMs);
        std::unique_ptr<QNetworkReply> reply(manager.get(request));
        QEventLoop loop;
        QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        const int code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        // Patroni answers 503 with a body on /primary and /replica: that is an answer too.
        if (code != 0) {
            if (status)
                *status = code;
            return reply->readAll();
        }
        lastError = base + path + u": "_s + reply->errorString();
    }
    if (status)
        *status = 0;
    if (error)
        *error = lastError;
    return QByteArray();
}

QString PatroniTestCluster::leader() const
{
    const QJsonArray members
        = QJsonDocument::fromJson(get(u"/cluster"_s)).object().value("members"_L1).toArray();
    for (const QJsonValue &member : members) {
        if (member["role"_L1].toString() == "leader"_L1)
            return member["name"_L1].toString();
    }
    return QString();
}

QString PatroniTestCluster::runScript(const QStringList &arguments, bool *ok)
{
    *ok = false;
    const QString what = arguments.join(u' ');
    if (!m_valid) {
        qWarning().noquote() << "PatroniTestCluster: cannot" << what << "-" << m_error;
        return QString();
    }
    if (m_script.isEmpty()) {
        qWarning().noquote() << "PatroniTestCluster: cannot" << what
                             << "- QPSQLHA_PATRONI_SCRIPT (path of patronicluster.sh) is not set";
        return QString();
    }
    QProcess process;
    process.setProgram(u"bash"_s);
    process.setArguments(QStringList {m_script, arguments.first(), m_stateDir} + arguments.mid(1));
    process.start();
    if (!process.waitForStarted()) {
        qWarning().noquote() << "PatroniTestCluster: cannot run bash" << m_script << "-"
                             << process.errorString();
        return QString();
    }
    if (!process.waitForFinished(ScriptTimeoutMs)) {
        process.kill();
        process.waitForFinished();
        qWarning().noquote() << "PatroniTestCluster: patronicluster.sh" << what << "timed out after"
                             << ScriptTimeoutMs << "ms";
        return QString();
    }
    const QString errors = QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        qWarning().noquote() << "PatroniTestCluster: patronicluster.sh" << what
                             << "failed with exit code" << process.exitCode() << ":\n"
                             << errors;
        return QString();
    }
    if (!errors.isEmpty())
        qInfo().noquote() << errors;
    // Members come and go: the env file is rewritten by add-member and remove-member.
    if (!load()) {
        qWarning().noquote() << "PatroniTestCluster:" << m_error;
        return QString();
    }
    *ok = true;
    const QString answer = QString::fromLocal8Bit(process.readAllStandardOutput()).trimmed();
    return answer.isNull() ? u""_s : answer;
}

QString PatroniTestCluster::switchover(const QString &candidate)
{
    bool ok = false;
    QStringList arguments {u"switchover"_s};
    if (!candidate.isEmpty())
        arguments << candidate;
    return runScript(arguments, &ok);
}

QString PatroniTestCluster::killLeader()
{
    bool ok = false;
    return runScript({u"kill-leader"_s}, &ok);
}

bool PatroniTestCluster::startMember(const QString &member)
{
    bool ok = false;
    runScript({u"start-member"_s, member}, &ok);
    return ok;
}

QString PatroniTestCluster::addMember()
{
    bool ok = false;
    return runScript({u"add-member"_s}, &ok);
}

bool PatroniTestCluster::removeMember(const QString &member)
{
    bool ok = false;
    runScript({u"remove-member"_s, member}, &ok);
    return ok;
}

bool PatroniTestCluster::setTag(const QString &member, const QString &tag, const QString &value)
{
    bool ok = false;
    runScript({u"set-tag"_s, member, tag, value}, &ok);
    return ok;
}

QSqlDatabase PatroniTestCluster::openDirect(const QString &member,
                                            const QString &connectionName) const
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
    if (!m_valid)
        return db;
    db.setHostName(host());
    db.setPort(port(member));
    db.setDatabaseName(database());
    db.setUserName(user());
    db.setPassword(password());
    db.setConnectOptions(u"connect_timeout=5"_s);
    db.open();
    return db;
}

} // namespace QPsqlHaTest
