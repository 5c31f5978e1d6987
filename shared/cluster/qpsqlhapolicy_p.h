// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAPOLICY_P_H
#define QPSQLHAPOLICY_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaconfig.h>

#include <QtCore/qatomic.h>

namespace QPsqlHa {

// Picks one of `count` candidates (count > 0) and returns its position. `turn` is the cluster's
// shared round-robin counter. Lock-free and allocation-free: it runs on every read.
int choosePosition(Policy policy, int count, QAtomicInteger<quint32> &turn) noexcept;

// A fast per-thread generator: QRandomGenerator::global() would serialise every reader thread.
quint32 threadLocalRandom(quint32 bound) noexcept;

} // namespace QPsqlHa

#endif // QPSQLHAPOLICY_P_H
