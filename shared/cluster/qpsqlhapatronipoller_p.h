// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAPATRONIPOLLER_P_H
#define QPSQLHAPATRONIPOLLER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qsharedpointer.h>
#include <QtCore/qstringlist.h>

#include <functional>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
class QNetworkReply;
QT_END_NAMESPACE

namespace QPsqlHa {

class Cluster;

// Follows one cluster's Patroni (QPSQLHA_PATRONI): lives in the health checker's thread and,
// each time poll() is called (every health interval), reads GET /cluster from the endpoint that
// answered last, then from the others in turn, and applies the first usable answer
// (Cluster::applyPatroniTopology()). When none answers the cluster keeps its last topology and
// our probes go on; the error is noted for status. A round still under way when the next one is
// due is not doubled.
class PatroniPoller : public QObject
{
public:
    // `probeNow`: called when Patroni names a leader that does not take our writes, so that our
    // probes confirm (or not) the change without waiting for the next interval.
    PatroniPoller(QSharedPointer<Cluster> cluster, std::function<void()> probeNow,
                  QObject *parent = nullptr);
    ~PatroniPoller() override;

    void poll();

private:
    void ask(int attempt);
    void clusterAnswered(QNetworkReply *reply, int endpoint, int attempt);
    void scopeAnswered(QNetworkReply *reply);
    void roundFailed();

    const QSharedPointer<Cluster> m_cluster;
    const std::function<void()> m_probeNow;
    QNetworkAccessManager *m_network;
    int m_preferred = 0; // the endpoint that answered last
    bool m_busy = false;
    bool m_scopeAsked = false;
    QStringList m_problems; // of the round under way
};

} // namespace QPsqlHa

#endif // QPSQLHAPATRONIPOLLER_P_H
