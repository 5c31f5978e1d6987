// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Cluster's side of following Patroni (QPSQLHA_PATRONI): its members become the cluster's
// nodes through the same add/remove path as `qpsqlha-ctl add-reader`/`remove-node`. Where
// writes go stays reconcile()'s decision, from our own probes.

#include "qpsqlhacluster_p.h"

#include "qpsqlhalogging_p.h"
#include "qpsqlhapatronitopology_p.h"

namespace QPsqlHa {

using namespace Qt::StringLiterals;

int Cluster::applyPatroniTopology(const PatroniTopology &topology, const QString &url)
{
    const int leaderMember = topology.leaderIndex;
    QList<int> listed; // node index of each member, -1 where it could not be added
    listed.reserve(topology.members.size());
    for (const PatroniMember &member : topology.members) {
        int index = indexOf(member.address());
        if (index < 0) {
            QString problem;
            index = addReader(member.address(), &problem);
            if (index < 0) {
                qCWarning(lcHealth).noquote()
                    << u"cluster %1: Patroni member %2 (%3) not added: %4"_s.arg(
                           name(), member.name, member.address(), problem);
            } else {
                qCInfo(lcHealth).noquote() << u"cluster %1: Patroni member %2 (%3, %4) added"_s.arg(
                    name(), member.name, member.address(), member.roleText);
            }
        }
        listed.append(index);
        if (index < 0)
            continue;
        Node &target = node(index);
        const PatroniMemberView before = target.patroniView();
        PatroniMemberView view;
        view.listed = true;
        view.member = member.name;
        view.role = member.roleText;
        view.state = member.state;
        view.lagBytes = member.lagBytes;
        view.noLoadBalance = member.noLoadBalance;
        if (before.listed && before.noLoadBalance != view.noLoadBalance) {
            qCInfo(lcRouting).noquote()
                << u"cluster %1: Patroni %2 noloadbalance on %3 (%4): %5"_s.arg(
                       name(), view.noLoadBalance ? u"set"_s : u"cleared"_s, target.address(),
                       member.name,
                       view.noLoadBalance ? u"no reads go there"_s : u"it serves reads again"_s);
        }
        target.setPatroniView(view);
    }

    // Members Patroni no longer lists leave the cluster (the write node only once our probes
    // have moved the writes elsewhere: a later answer removes it then).
    for (int i = 0; i < nodeCount(); ++i) {
        if (node(i).isRemoved() || listed.contains(i))
            continue;
        const QString address = node(i).address();
        const QString member = node(i).patroniView().member;
        QString problem;
        if (removeNode(address, &problem)) {
            qCInfo(lcHealth).noquote()
                << u"cluster %1: %2%3 is no longer a Patroni member: removed"_s.arg(
                       name(), address, member.isEmpty() ? QString() : u" (" + member + u')');
        } else {
            qCDebug(lcHealth).noquote() << "cluster" << name() << ":" << problem;
        }
    }

    QStringList names;
    for (const PatroniMember &member : topology.members)
        names.append(member.name);
    {
        QMutexLocker locker(&m_patroniMutex);
        if (!m_patroni.error.isEmpty()) {
            qCInfo(lcHealth).noquote()
                << "cluster" << name() << ": Patroni answers again at" << url;
        }
        m_patroni.url = url;
        m_patroni.members = names;
        m_patroni.lastAnswer = QDateTime::currentDateTimeUtc();
        m_patroni.error.clear();
        if (!topology.scope.isEmpty())
            m_patroni.scope = topology.scope;
    }
    return leaderMember >= 0 ? listed.value(leaderMember, -1) : -1;
}

bool Cluster::notePatroniFailure(const QString &error)
{
    QMutexLocker locker(&m_patroniMutex);
    const bool news = m_patroni.error != error;
    m_patroni.error = error;
    return news;
}

void Cluster::notePatroniScope(const QString &scope)
{
    QMutexLocker locker(&m_patroniMutex);
    m_patroni.scope = scope;
}

PatroniClusterView Cluster::patroniView() const
{
    QMutexLocker locker(&m_patroniMutex);
    return m_patroni;
}

} // namespace QPsqlHa
