// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhapolicy_p.h"

#include <QtCore/qrandom.h>

namespace QPsqlHa {

quint32 threadLocalRandom(quint32 bound) noexcept
{
    // xorshift64*, seeded once per thread from the system generator.
    thread_local quint64 state = QRandomGenerator::system()->generate64() | 1;
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const quint64 value = state * 0x2545F4914F6CDD1DULL;
    // Lemire's multiply-shift: unbiased enough for load spreading, no division.
    return quint32((quint64(quint32(value >> 32)) * bound) >> 32);
}

int choosePosition(Policy policy, int count, QAtomicInteger<quint32> &turn) noexcept
{
    if (count <= 1)
        return 0;
    switch (policy) {
    case Policy::RoundRobin:
        return int(turn.fetchAndAddRelaxed(1) % quint32(count));
    case Policy::Random:
    // least_busy and fastest choose among their best candidates at random (ties).
    case Policy::LeastBusy:
    case Policy::Fastest:
        break;
    }
    return int(threadLocalRandom(quint32(count)));
}

} // namespace QPsqlHa
