// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASTATECHANGES_P_H
#define QPSQLHASTATECHANGES_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaconfig.h>

#include <QtCore/qatomic.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qmutex.h>
#include <QtCore/qobject.h>

namespace QPsqlHa {

struct StateChange
{
    QString cluster;
    QString address;
    NodeState oldState = NodeState::Online;
    NodeState newState = NodeState::Online;
    QString reason;
    QDateTime time;
};

// Where node state changes are announced, from whatever thread made them. Listeners (the control
// server) connect with a queued connection; with none, publishing costs one atomic load.
class QPSQLHA_EXPORT StateChangeHub : public QObject
{
    Q_OBJECT
public:
    static StateChangeHub &instance();

    void publish(const StateChange &change);
    // Listeners announce themselves so that nobody pays for events nobody reads.
    void addListener() { m_listeners.ref(); }
    void removeListener() { m_listeners.deref(); }
    // A listener calls this before it reads a change it received. The queued copy of the change
    // is made inside Qt, which ThreadSanitizer cannot see order anything; publish() makes it
    // under a mutex, and this takes that mutex, which TSan does see. Nearly free otherwise.
    void receiving() const { QMutexLocker locker(&m_publishing); }

Q_SIGNALS:
    void changed(const QPsqlHa::StateChange &change);

private:
    QAtomicInt m_listeners;
    mutable QMutex m_publishing;
};

} // namespace QPsqlHa

Q_DECLARE_METATYPE(QPsqlHa::StateChange)

#endif // QPSQLHASTATECHANGES_P_H
