// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhapatroniclient_p.h"

#include <QtCore/qeventloop.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qurl.h>
#include <QtNetwork/qnetworkaccessmanager.h>
#include <QtNetwork/qnetworkreply.h>
#include <QtNetwork/qnetworkrequest.h>
#if QT_CONFIG(ssl)
#include <QtNetwork/qsslcertificate.h>
#include <QtNetwork/qsslconfiguration.h>
#endif

#include <memory>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

int patroniRequestTimeoutMs(const ClusterSettings &settings)
{
    return qBound(1000, settings.healthIntervalMs, 5000);
}

QNetworkReply *getFromPatroni(QNetworkAccessManager &network, const PatroniSettings &settings,
                              const QString &baseUrl, const QString &path, int timeoutMs)
{
    QNetworkRequest request(QUrl(baseUrl + path));
    request.setTransferTimeout(timeoutMs);
    request.setRawHeader("Accept", "application/json");
    // A cached or pipelined answer could be an old topology.
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    if (!settings.user.isEmpty()) {
        const QByteArray credentials = (settings.user + u':' + settings.password).toUtf8();
        request.setRawHeader("Authorization", "Basic " + credentials.toBase64());
    }
#if QT_CONFIG(ssl)
    if (!settings.caFile.isEmpty() && request.url().scheme() == "https"_L1) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        // Only this CA: the file names whom the operator trusts for Patroni.
        tls.setCaCertificates(QSslCertificate::fromPath(settings.caFile, QSsl::Pem));
        request.setSslConfiguration(tls);
    }
#endif
    QNetworkReply *reply = network.get(request);
    // A server that sends more than any /cluster could be is not Patroni.
    QObject::connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received) {
        if (received > MaximumPatroniDocumentSize)
            reply->abort();
    });
    return reply;
}

bool patroniReplyBody(QNetworkReply *reply, QByteArray *body, QString *error)
{
    const QString url = reply->url().toDisplayString(QUrl::RemoveUserInfo);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() == QNetworkReply::OperationCanceledError && status == 0) {
        *error = u"%1: no answer within the time limit, or an answer too large"_s.arg(url);
        return false;
    }
    if (reply->error() != QNetworkReply::NoError && status == 0) {
        *error = u"%1: %2"_s.arg(url, reply->errorString());
        return false;
    }
    if (status != 200) {
        *error = u"%1: HTTP status %2 (is this Patroni's REST API?)"_s.arg(url).arg(status);
        return false;
    }
    *body = reply->read(MaximumPatroniDocumentSize + 1);
    if (body->size() > MaximumPatroniDocumentSize) {
        *error
            = u"%1: the answer is larger than %2 bytes"_s.arg(url).arg(MaximumPatroniDocumentSize);
        return false;
    }
    return true;
}

QString patroniScopeFromStatus(const QByteArray &json)
{
    const QJsonDocument document = QJsonDocument::fromJson(json);
    return document.object().value(u"patroni"_s).toObject().value(u"scope"_s).toString();
}

namespace {

// Waits for `reply` in a local event loop of the calling thread.
bool waitForBody(QNetworkReply *reply, QByteArray *body, QString *error)
{
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    }
    return patroniReplyBody(reply, body, error);
}

} // namespace

bool fetchPatroniTopology(const ClusterSettings &settings, PatroniTopology *topology, QString *url,
                          QString *scope, QString *error)
{
    QNetworkAccessManager network;
    const int timeoutMs = patroniRequestTimeoutMs(settings);
    QStringList problems;
    for (const QString &endpoint : settings.patroni.urls) {
        QByteArray body;
        QString problem;
        std::unique_ptr<QNetworkReply> reply(
            getFromPatroni(network, settings.patroni, endpoint, u"/cluster"_s, timeoutMs));
        if (!waitForBody(reply.get(), &body, &problem)) {
            problems.append(problem);
            continue;
        }
        PatroniTopology parsed;
        if (!parsePatroniCluster(body, &parsed, &problem)) {
            problems.append(u"%1/cluster: %2"_s.arg(endpoint, problem));
            continue;
        }
        if (parsed.members.isEmpty()) {
            problems.append(u"%1/cluster lists no usable member"_s.arg(endpoint));
            continue;
        }
        *topology = parsed;
        *url = endpoint;
        *scope = parsed.scope;
        if (scope->isEmpty()) {
            // Patroni 3.0 names the scope only in /patroni; without it the topology still holds.
            std::unique_ptr<QNetworkReply> status(
                getFromPatroni(network, settings.patroni, endpoint, u"/patroni"_s, timeoutMs));
            if (waitForBody(status.get(), &body, &problem))
                *scope = patroniScopeFromStatus(body);
        }
        return true;
    }
    *error = u"QPSQLHA: no Patroni endpoint of QPSQLHA_PATRONI answered usably, and no node was "
             "given to start from (%1)"_s.arg(problems.join(u"; "_s));
    return false;
}

} // namespace QPsqlHa
