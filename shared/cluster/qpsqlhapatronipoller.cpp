// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhapatronipoller_p.h"

#include "qpsqlhacluster_p.h"
#include "qpsqlhalogging_p.h"
#include "qpsqlhapatroniclient_p.h"

#include <QtNetwork/qnetworkaccessmanager.h>
#include <QtNetwork/qnetworkreply.h>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

PatroniPoller::PatroniPoller(QSharedPointer<Cluster> cluster, std::function<void()> probeNow,
                             QObject *parent)
    : QObject(parent)
    , m_cluster(std::move(cluster))
    , m_probeNow(std::move(probeNow))
    , m_network(new QNetworkAccessManager(this))
{ }

PatroniPoller::~PatroniPoller() = default;

void PatroniPoller::poll()
{
    if (m_busy)
        return;
    m_busy = true;
    m_problems.clear();
    ask(0);
}

void PatroniPoller::ask(int attempt)
{
    const PatroniSettings &patroni = m_cluster->settings().patroni;
    const int endpoint = (m_preferred + attempt) % int(patroni.urls.size());
    QNetworkReply *reply
        = getFromPatroni(*m_network, patroni, patroni.urls.at(endpoint), u"/cluster"_s,
                         patroniRequestTimeoutMs(m_cluster->settings()));
    connect(reply, &QNetworkReply::finished, this, [this, reply, endpoint, attempt] {
        reply->deleteLater();
        clusterAnswered(reply, endpoint, attempt);
    });
}

void PatroniPoller::clusterAnswered(QNetworkReply *reply, int endpoint, int attempt)
{
    const PatroniSettings &patroni = m_cluster->settings().patroni;
    const QString url = patroni.urls.at(endpoint);
    QByteArray body;
    QString problem;
    PatroniTopology topology;
    if (patroniReplyBody(reply, &body, &problem)) {
        if (!parsePatroniCluster(body, &topology, &problem))
            problem = u"%1/cluster: %2"_s.arg(url, problem);
        else if (topology.members.isEmpty())
            problem = u"%1/cluster lists no usable member"_s.arg(url);
    }
    if (!problem.isEmpty()) {
        m_problems.append(problem);
        if (attempt + 1 < patroni.urls.size()) {
            ask(attempt + 1);
        } else {
            roundFailed();
        }
        return;
    }
    for (const QString &warning : std::as_const(topology.warnings))
        qCWarning(lcHealth).noquote() << "cluster" << m_cluster->name() << ": Patroni:" << warning;
    m_preferred = endpoint;
    const int leader = m_cluster->applyPatroniTopology(topology, url);
    if (leader >= 0 && leader != m_cluster->writeNode() && m_probeNow)
        m_probeNow();
    // Patroni 3.0 names the scope only in /patroni: asked once, from whoever answers.
    if (topology.scope.isEmpty() && m_cluster->patroniView().scope.isEmpty() && !m_scopeAsked) {
        m_scopeAsked = true;
        QNetworkReply *status = getFromPatroni(*m_network, patroni, url, u"/patroni"_s,
                                               patroniRequestTimeoutMs(m_cluster->settings()));
        connect(status, &QNetworkReply::finished, this, [this, status] {
            status->deleteLater();
            scopeAnswered(status);
        });
        return;
    }
    m_busy = false;
}

void PatroniPoller::scopeAnswered(QNetworkReply *reply)
{
    QByteArray body;
    QString problem;
    if (patroniReplyBody(reply, &body, &problem)) {
        const QString scope = patroniScopeFromStatus(body);
        if (!scope.isEmpty())
            m_cluster->notePatroniScope(scope);
    }
    if (m_cluster->patroniView().scope.isEmpty())
        m_scopeAsked = false; // ask again next round
    m_busy = false;
}

void PatroniPoller::roundFailed()
{
    const QString error
        = u"Patroni unreachable, keeping the last known members: "_s + m_problems.join(u"; "_s);
    if (m_cluster->notePatroniFailure(error))
        qCWarning(lcHealth).noquote() << "cluster" << m_cluster->name() << ":" << error;
    m_busy = false;
}

} // namespace QPsqlHa
