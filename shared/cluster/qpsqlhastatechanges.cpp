// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhastatechanges_p.h"

namespace QPsqlHa {

StateChangeHub &StateChangeHub::instance()
{
    // Never destroyed: nodes may change state from other threads while the process exits.
    static StateChangeHub *hub = [] {
        qRegisterMetaType<QPsqlHa::StateChange>();
        return new StateChangeHub;
    }();
    return *hub;
}

void StateChangeHub::publish(const StateChange &change)
{
    if (m_listeners.loadAcquire() > 0) {
        // Listeners connect queued: the slots run in their threads, never under this lock.
        QMutexLocker locker(&m_publishing);
        emit changed(change);
    }
}

} // namespace QPsqlHa
